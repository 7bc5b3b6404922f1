// RAII HDF5 file, opened from a path or "-" (stdin / stdout), with typed dataset and attribute
// access and one-line errors that name the file and the object ("run.h5: /params/x: not found").
//
// Reading "-": stdin is read whole and opened as an HDF5 file image.
// Writing "-": the file is built in memory (core driver, no backing store) and its image is
//              written to stdout by commit().
// Writing a path: the file is written as "<path>.tmp.<pid>" and renamed into place by commit()
//              (after fsync), so a crash never leaves a half-written file under the real name.
//              A file that is destroyed without commit() is deleted.
// Object time tracking is off, so the same contents give the same bytes.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "xssm/core/json.hpp"
#include "xssm/core/tensor.hpp"

namespace xssm::io {

/// Turn off HDF5's own error-stack printing (errors become xssm::Error messages instead).
void silence_hdf5_errors();

/// Element kinds a dataset can hold, as read from the file.
enum class DType { Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float32, Float64, String, Other };
std::string dtype_name(DType t);

class H5File {
 public:
  /// Open for reading; "-" reads stdin. Throws xssm::Error naming the file on failure.
  static H5File open(const std::string& path);
  /// Create for writing; "-" writes to stdout at commit(). Existing files are replaced at commit.
  static H5File create(const std::string& path);
  /// Open an in-memory image (e.g. a fuzzed buffer in tests); `name` is used in messages.
  static H5File open_image(std::vector<char> bytes, const std::string& name);

  H5File(H5File&&) noexcept;
  H5File& operator=(H5File&&) noexcept;
  ~H5File();

  /// Finish a file opened with create(): flush, close, fsync and rename (or write to stdout).
  void commit();
  /// For a file built in memory (path "-" before commit): the bytes of the image.
  std::vector<char> image() const;

  /// Path as given ("-" for stdin/stdout) and the name used in messages ("stdin", "stdout", path).
  const std::string& path() const;
  const std::string& display_name() const;
  bool writable() const;

  // ---- structure
  bool exists(const std::string& obj) const;
  bool is_dataset(const std::string& obj) const;
  bool is_group(const std::string& obj) const;
  /// Names of the children of a group, in name order.
  std::vector<std::string> list(const std::string& group) const;
  /// Every dataset below a group, as full paths, in name order (recursive).
  std::vector<std::string> list_datasets(const std::string& group = "/") const;
  void create_group(const std::string& group);

  // ---- datasets
  Shape shape(const std::string& ds) const;
  DType dtype(const std::string& ds) const;
  /// Read a numeric dataset, converting the element type (integers only into integer tensors,
  /// floats only into float tensors).
  template <class T>
  Tensor<T> read(const std::string& ds) const;
  /// Read and check the shape: "<file>: <ds> has shape (..), expected (..)". -1 matches any extent.
  template <class T>
  Tensor<T> read(const std::string& ds, const Shape& expected) const;
  /// Write a dataset (intermediate groups are created). Large datasets are chunked and compressed.
  template <class T>
  void write(const std::string& ds, const Tensor<T>& t);
  std::vector<std::string> read_strings(const std::string& ds) const;
  void write_strings(const std::string& ds, const std::vector<std::string>& v);

  // ---- attributes (obj = "/" for the file itself)
  bool has_attr(const std::string& obj, const std::string& name) const;
  std::vector<std::string> attr_names(const std::string& obj) const;
  std::string attr_string(const std::string& obj, const std::string& name) const;
  double attr_double(const std::string& obj, const std::string& name) const;
  std::int64_t attr_int(const std::string& obj, const std::string& name) const;
  std::vector<double> attr_doubles(const std::string& obj, const std::string& name) const;
  void set_attr(const std::string& obj, const std::string& name, const std::string& v);
  void set_attr(const std::string& obj, const std::string& name, const char* v) { set_attr(obj, name, std::string(v)); }
  void set_attr(const std::string& obj, const std::string& name, double v);
  void set_attr(const std::string& obj, const std::string& name, std::int64_t v);
  void set_attr(const std::string& obj, const std::string& name, int v) { set_attr(obj, name, std::int64_t(v)); }
  void set_attr(const std::string& obj, const std::string& name, const std::vector<double>& v);

  /// An xssm::Error message prefixed with this file's name.
  [[noreturn]] void fail(const std::string& msg) const;

  struct Impl;

 private:
  explicit H5File(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> p_;
};

// ---- the common header of every xssm file (DESIGN.md §3)

/// The command line stored as `created_by` (set once by the tool front end).
void set_created_by(const std::string& command_line);
const std::string& created_by();

/// Write xssm_format, xssm_version, created_by and config (JSON) on the root group.
void write_header(H5File& f, const std::string& format, const json::Value& config);
/// Check that xssm_format is `expected` ("dataset/1"); a missing or other format is an
/// xssm::Error naming the file and both formats.
void expect_format(const H5File& f, const std::string& expected);
/// The root `config` attribute parsed as JSON (an empty object when absent).
json::Value read_config(const H5File& f);

}  // namespace xssm::io
