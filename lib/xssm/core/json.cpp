#include "xssm/core/json.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "xssm/core/error.hpp"

namespace xssm::json {
namespace {
const char* type_name(Value::Type t) {
  switch (t) {
    case Value::Type::Null: return "null";
    case Value::Type::Bool: return "bool";
    case Value::Type::Number: return "number";
    case Value::Type::String: return "string";
    case Value::Type::Array: return "array";
    case Value::Type::Object: return "object";
  }
  return "?";
}
[[noreturn]] void type_error(Value::Type have, const char* want) {
  throw Error(cat("JSON value is a ", type_name(have), ", expected a ", want));
}
}  // namespace

bool Value::as_bool() const {
  if (type_ != Type::Bool) type_error(type_, "bool");
  return b_;
}
double Value::as_number() const {
  if (type_ != Type::Number) type_error(type_, "number");
  return d_;
}
std::int64_t Value::as_int() const {
  double d = as_number();
  if (std::floor(d) != d || std::fabs(d) > 9.007199254740992e15)
    throw Error(cat("JSON number ", d, " is not an integer"));
  return std::int64_t(d);
}
const std::string& Value::as_string() const {
  if (type_ != Type::String) type_error(type_, "string");
  return s_;
}
std::size_t Value::size() const {
  if (type_ == Type::Array) return a_.size();
  if (type_ == Type::Object) return o_.size();
  type_error(type_, "array or object");
}
const Value& Value::operator[](std::size_t i) const {
  if (type_ != Type::Array) type_error(type_, "array");
  if (i >= a_.size()) throw Error(cat("JSON array index ", i, " out of range (size ", a_.size(), ")"));
  return a_[i];
}
Value& Value::operator[](std::size_t i) {
  if (type_ != Type::Array) type_error(type_, "array");
  if (i >= a_.size()) throw Error(cat("JSON array index ", i, " out of range (size ", a_.size(), ")"));
  return a_[i];
}
void Value::push_back(Value v) {
  if (type_ == Type::Null) type_ = Type::Array;
  if (type_ != Type::Array) type_error(type_, "array");
  a_.push_back(std::move(v));
}
const std::vector<Value>& Value::items() const {
  if (type_ != Type::Array) type_error(type_, "array");
  return a_;
}
Value& Value::operator[](const std::string& key) {
  if (type_ == Type::Null) type_ = Type::Object;
  if (type_ != Type::Object) type_error(type_, "object");
  for (auto& kv : o_)
    if (kv.first == key) return kv.second;
  o_.emplace_back(key, Value());
  return o_.back().second;
}
const Value* Value::find(const std::string& key) const {
  if (type_ != Type::Object) return nullptr;
  for (auto& kv : o_)
    if (kv.first == key) return &kv.second;
  return nullptr;
}
const Value& Value::at(const std::string& key) const {
  if (type_ != Type::Object) type_error(type_, "object");
  const Value* v = find(key);
  if (!v) throw Error(cat("missing key \"", key, "\""));
  return *v;
}
const std::vector<std::pair<std::string, Value>>& Value::members() const {
  if (type_ != Type::Object) type_error(type_, "object");
  return o_;
}
double Value::get_number(const std::string& key, double dflt) const {
  const Value* v = find(key);
  return v && !v->is_null() ? v->as_number() : dflt;
}
std::int64_t Value::get_int(const std::string& key, std::int64_t dflt) const {
  const Value* v = find(key);
  return v && !v->is_null() ? v->as_int() : dflt;
}
bool Value::get_bool(const std::string& key, bool dflt) const {
  const Value* v = find(key);
  return v && !v->is_null() ? v->as_bool() : dflt;
}
std::string Value::get_string(const std::string& key, const std::string& dflt) const {
  const Value* v = find(key);
  return v && !v->is_null() ? v->as_string() : dflt;
}

namespace {
void dump_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
}
void newline(std::string& out, int indent, int depth) {
  if (indent < 0) return;
  out += '\n';
  out.append(size_t(indent * depth), ' ');
}
}  // namespace

void Value::dump_to(std::string& out, int indent, int depth) const {
  switch (type_) {
    case Type::Null: out += "null"; break;
    case Type::Bool: out += b_ ? "true" : "false"; break;
    case Type::Number: {
      if (std::isnan(d_)) { out += "NaN"; break; }
      if (std::isinf(d_)) { out += d_ > 0 ? "Infinity" : "-Infinity"; break; }
      char buf[40];
      if (int_ || (std::floor(d_) == d_ && std::fabs(d_) < 1e15))
        std::snprintf(buf, sizeof buf, "%lld", (long long)d_);
      else
        std::snprintf(buf, sizeof buf, "%.17g", d_);
      out += buf;
      break;
    }
    case Type::String: dump_string(out, s_); break;
    case Type::Array:
      out += '[';
      for (size_t i = 0; i < a_.size(); ++i) {
        if (i) out += indent < 0 ? "," : ",";
        newline(out, indent, depth + 1);
        a_[i].dump_to(out, indent, depth + 1);
      }
      if (!a_.empty()) newline(out, indent, depth);
      out += ']';
      break;
    case Type::Object:
      out += '{';
      for (size_t i = 0; i < o_.size(); ++i) {
        if (i) out += ",";
        newline(out, indent, depth + 1);
        dump_string(out, o_[i].first);
        out += indent < 0 ? ":" : ": ";
        o_[i].second.dump_to(out, indent, depth + 1);
      }
      if (!o_.empty()) newline(out, indent, depth);
      out += '}';
      break;
  }
}

std::string Value::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

namespace {
struct Parser {
  const std::string& s;
  size_t i = 0;
  [[noreturn]] void fail(const std::string& what) {
    throw Error(cat("invalid JSON at offset ", i, ": ", what));
  }
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
  }
  bool lit(const char* w) {
    size_t n = std::char_traits<char>::length(w);
    if (s.compare(i, n, w) == 0) { i += n; return true; }
    return false;
  }
  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) out += char(cp);
    else if (cp < 0x800) { out += char(0xC0 | (cp >> 6)); out += char(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12)); out += char(0x80 | ((cp >> 6) & 0x3F)); out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18)); out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F)); out += char(0x80 | (cp & 0x3F));
    }
  }
  unsigned hex4() {
    if (i + 4 > s.size()) fail("truncated \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s[i++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
      else fail("bad \\u escape");
    }
    return v;
  }
  std::string str() {
    if (s[i] != '"') fail("expected a string");
    ++i;
    std::string out;
    while (true) {
      if (i >= s.size()) fail("unterminated string");
      char c = s[i++];
      if (c == '"') break;
      if (c != '\\') { out += c; continue; }
      if (i >= s.size()) fail("unterminated escape");
      char e = s[i++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u') {
            i += 2;
            unsigned lo = hex4();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          utf8(out, cp);
          break;
        }
        default: fail("bad escape");
      }
    }
    return out;
  }
  Value value(int depth) {
    if (depth > 200) fail("nesting too deep");
    ws();
    if (i >= s.size()) fail("unexpected end");
    char c = s[i];
    if (c == '{') {
      ++i;
      Value o = Value::object();
      ws();
      if (i < s.size() && s[i] == '}') { ++i; return o; }
      while (true) {
        ws();
        if (i >= s.size()) fail("unexpected end in object");
        std::string k = str();
        ws();
        if (i >= s.size() || s[i] != ':') fail("expected ':'");
        ++i;
        o[k] = value(depth + 1);
        ws();
        if (i < s.size() && s[i] == ',') { ++i; continue; }
        if (i < s.size() && s[i] == '}') { ++i; return o; }
        fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      ++i;
      Value a = Value::array();
      ws();
      if (i < s.size() && s[i] == ']') { ++i; return a; }
      while (true) {
        a.push_back(value(depth + 1));
        ws();
        if (i < s.size() && s[i] == ',') { ++i; continue; }
        if (i < s.size() && s[i] == ']') { ++i; return a; }
        fail("expected ',' or ']'");
      }
    }
    if (c == '"') return Value(str());
    if (lit("true")) return Value(true);
    if (lit("false")) return Value(false);
    if (lit("null")) return Value();
    if (lit("NaN")) return Value(std::nan(""));
    if (lit("Infinity")) return Value(HUGE_VAL);
    if (lit("-Infinity")) return Value(-HUGE_VAL);
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = i;
      bool integer = true;
      if (s[i] == '-') ++i;
      while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' ||
                              s[i] == 'E' || s[i] == '+' || s[i] == '-')) {
        if (s[i] == '.' || s[i] == 'e' || s[i] == 'E') integer = false;
        ++i;
      }
      std::string num = s.substr(start, i - start);
      char* end = nullptr;
      double d = std::strtod(num.c_str(), &end);
      if (end != num.c_str() + num.size()) fail("bad number '" + num + "'");
      if (integer) return Value((long long)d);
      return Value(d);
    }
    fail(std::string("unexpected character '") + c + "'");
  }
};
}  // namespace

Value parse(const std::string& text) {
  Parser p{text};
  Value v = p.value(0);
  p.ws();
  if (p.i != text.size()) p.fail("trailing characters");
  return v;
}

}  // namespace xssm::json
