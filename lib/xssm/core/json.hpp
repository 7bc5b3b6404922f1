// A small JSON value: the `config` attribute of every xssm file and the configs of the official
// fixtures and safetensors headers. Objects keep insertion order so dumps are deterministic.
// Accepts Python's json extensions NaN, Infinity and -Infinity.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace xssm::json {

class Value {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : type_(Type::Bool), b_(b) {}
  Value(double d) : type_(Type::Number), d_(d) {}
  Value(int i) : type_(Type::Number), d_(i), int_(true) {}
  Value(long i) : type_(Type::Number), d_(double(i)), int_(true) {}
  Value(long long i) : type_(Type::Number), d_(double(i)), int_(true) {}
  Value(unsigned long i) : type_(Type::Number), d_(double(i)), int_(true) {}
  Value(const char* s) : type_(Type::String), s_(s) {}
  Value(std::string s) : type_(Type::String), s_(std::move(s)) {}
  static Value array() { Value v; v.type_ = Type::Array; return v; }
  static Value object() { Value v; v.type_ = Type::Object; return v; }
  template <class T>
  static Value array_of(const std::vector<T>& xs) {
    Value v = array();
    for (const auto& x : xs) v.push_back(Value(x));
    return v;
  }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  bool as_bool() const;
  double as_number() const;
  /// The number as an integer; throws if it has a fractional part.
  std::int64_t as_int() const;
  const std::string& as_string() const;

  // Arrays
  std::size_t size() const;  // elements of an array or members of an object
  const Value& operator[](std::size_t i) const;
  Value& operator[](std::size_t i);
  const Value& operator[](int i) const { return (*this)[std::size_t(i)]; }
  Value& operator[](int i) { return (*this)[std::size_t(i)]; }
  void push_back(Value v);
  const std::vector<Value>& items() const;

  // Objects
  /// Member access that inserts null when missing (turns a null into an object).
  Value& operator[](const std::string& key);
  Value& operator[](const char* key) { return (*this)[std::string(key)]; }
  /// Member access that throws xssm::Error("missing key ...") when absent.
  const Value& at(const std::string& key) const;
  const Value* find(const std::string& key) const;
  bool contains(const std::string& key) const { return find(key) != nullptr; }
  const std::vector<std::pair<std::string, Value>>& members() const;

  /// Typed member lookups with a default for absent or null members.
  double get_number(const std::string& key, double dflt) const;
  std::int64_t get_int(const std::string& key, std::int64_t dflt) const;
  bool get_bool(const std::string& key, bool dflt) const;
  std::string get_string(const std::string& key, const std::string& dflt) const;

  /// Compact (indent < 0) or pretty output; numbers round-trip exactly (%.17g).
  std::string dump(int indent = -1) const;

 private:
  void dump_to(std::string& out, int indent, int depth) const;
  Type type_ = Type::Null;
  bool b_ = false;
  double d_ = 0;
  bool int_ = false;
  std::string s_;
  std::vector<Value> a_;
  std::vector<std::pair<std::string, Value>> o_;
};

/// Parse a JSON text; throws xssm::Error("invalid JSON at offset N: ...").
Value parse(const std::string& text);

}  // namespace xssm::json
