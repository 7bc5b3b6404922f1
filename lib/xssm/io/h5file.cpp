#include "xssm/io/h5file.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>

#include "xssm/core/error.hpp"

namespace xssm::io {

void silence_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string dtype_name(DType t) {
  switch (t) {
    case DType::Int8: return "int8";
    case DType::Int16: return "int16";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::UInt8: return "uint8";
    case DType::UInt16: return "uint16";
    case DType::UInt32: return "uint32";
    case DType::UInt64: return "uint64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::String: return "string";
    case DType::Other: return "other";
  }
  return "?";
}

namespace {

/// Closes an HDF5 handle with the matching close function when it goes out of scope.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    reset();
    id_ = o.id_;
    close_ = o.close_;
    o.id_ = -1;
    return *this;
  }
  ~Handle() { reset(); }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = -1;
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }
  operator hid_t() const { return id_; }

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

herr_t close_object(hid_t id) { return H5Oclose(id); }

template <class T>
hid_t mem_type();
template <> hid_t mem_type<float>() { return H5T_NATIVE_FLOAT; }
template <> hid_t mem_type<double>() { return H5T_NATIVE_DOUBLE; }
template <> hid_t mem_type<std::int8_t>() { return H5T_NATIVE_INT8; }
template <> hid_t mem_type<std::int32_t>() { return H5T_NATIVE_INT32; }
template <> hid_t mem_type<std::int64_t>() { return H5T_NATIVE_INT64; }
template <> hid_t mem_type<std::uint8_t>() { return H5T_NATIVE_UINT8; }
template <> hid_t mem_type<std::uint64_t>() { return H5T_NATIVE_UINT64; }

template <class T>
constexpr bool is_float_v = std::is_floating_point_v<T>;

DType classify(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) return size == 4 ? DType::Float32 : size == 8 ? DType::Float64 : DType::Other;
  if (cls == H5T_STRING) return DType::String;
  if (cls == H5T_ENUM) {  // h5py stores numpy bool as an int8 enum
    Handle base(H5Tget_super(type), H5Tclose);
    return base.ok() ? classify(base) : DType::Other;
  }
  if (cls == H5T_INTEGER) {
    const bool sgn = H5Tget_sign(type) == H5T_SGN_2;
    switch (size) {
      case 1: return sgn ? DType::Int8 : DType::UInt8;
      case 2: return sgn ? DType::Int16 : DType::UInt16;
      case 4: return sgn ? DType::Int32 : DType::UInt32;
      case 8: return sgn ? DType::Int64 : DType::UInt64;
    }
  }
  return DType::Other;
}
bool is_int(DType t) { return t <= DType::UInt64; }
bool is_float(DType t) { return t == DType::Float32 || t == DType::Float64; }

std::string norm(const std::string& obj) {
  if (obj.empty()) return "/";
  return obj[0] == '/' ? obj : "/" + obj;
}

bool stdin_or_stdout(const std::string& path) { return path == "-"; }

}  // namespace

struct H5File::Impl {
  std::string path, name, tmp_path;
  Handle file;
  bool writing = false, to_stdout = false, committed = false;
  std::vector<char> image;  // stdin bytes (must outlive the file id)

  [[noreturn]] void fail(const std::string& msg) const { throw Error(name + ": " + msg); }

  Handle open_obj(const std::string& obj) const {
    const std::string o = norm(obj);
    if (!link_exists(o)) fail(o + ": not found");
    hid_t id = H5Oopen(file, o.c_str(), H5P_DEFAULT);
    if (id < 0) fail(o + ": cannot open (corrupt file?)");
    return Handle(id, close_object);
  }
  bool link_exists(const std::string& o) const {
    if (o == "/") return true;
    // H5Lexists fails on a missing intermediate group: walk the path one link at a time.
    size_t pos = 1;
    while (true) {
      size_t next = o.find('/', pos);
      std::string prefix = o.substr(0, next);
      htri_t e = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
      if (e <= 0) return false;
      if (next == std::string::npos) break;
      H5O_info_t info;
      if (H5Oget_info_by_name(file, prefix.c_str(), &info, H5P_DEFAULT) < 0 || info.type != H5O_TYPE_GROUP)
        return false;
      pos = next + 1;
    }
    return true;
  }
  H5O_type_t obj_type(const std::string& o) const {
    if (!link_exists(o)) return H5O_TYPE_UNKNOWN;
    H5O_info_t info;
    if (H5Oget_info_by_name(file, o.c_str(), &info, H5P_DEFAULT) < 0) return H5O_TYPE_UNKNOWN;
    return info.type;
  }
  void ensure_parent_groups(const std::string& o) {
    size_t pos = 1;
    while (true) {
      size_t next = o.find('/', pos);
      if (next == std::string::npos) break;
      std::string prefix = o.substr(0, next);
      if (!link_exists(prefix)) make_group(prefix);
      pos = next + 1;
    }
  }
  void make_group(const std::string& g) {
    Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t id = H5Gcreate2(file, g.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT);
    if (id < 0) fail(g + ": cannot create group");
    H5Gclose(id);
  }
  void require_writable() const {
    if (!writing) fail("file is open for reading only");
  }
};

H5File::H5File(std::unique_ptr<Impl> impl) : p_(std::move(impl)) {}
H5File::H5File(H5File&&) noexcept = default;
H5File& H5File::operator=(H5File&&) noexcept = default;

H5File::~H5File() {
  if (!p_) return;
  p_->file.reset();
  if (p_->writing && !p_->committed && !p_->tmp_path.empty()) std::remove(p_->tmp_path.c_str());
}

const std::string& H5File::path() const { return p_->path; }
const std::string& H5File::display_name() const { return p_->name; }
bool H5File::writable() const { return p_->writing && !p_->committed; }
void H5File::fail(const std::string& msg) const { p_->fail(msg); }

H5File H5File::open(const std::string& path) {
  silence_hdf5_errors();
  auto p = std::make_unique<Impl>();
  p->path = path;
  if (stdin_or_stdout(path)) {
    p->name = "stdin";
    if (isatty(0)) throw UsageError("stdin: is a terminal; pipe an HDF5 file into it or give a file name");
    std::vector<char> buf;
    char chunk[1 << 16];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, stdin)) > 0) buf.insert(buf.end(), chunk, chunk + n);
    if (std::ferror(stdin)) throw Error("stdin: read error");
    H5File f = open_image(std::move(buf), "stdin");
    f.p_->path = path;
    return f;
  }
  p->name = path;
  if (::access(path.c_str(), F_OK) != 0) throw Error(path + ": cannot open: " + std::strerror(errno));
  if (::access(path.c_str(), R_OK) != 0) throw Error(path + ": cannot read: " + std::strerror(errno));
  htri_t is = H5Fis_hdf5(path.c_str());
  if (is <= 0) throw Error(path + ": not an HDF5 file");
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) throw Error(path + ": cannot open as HDF5 (truncated or corrupt file)");
  p->file = Handle(id, H5Fclose);
  return H5File(std::move(p));
}

H5File H5File::open_image(std::vector<char> bytes, const std::string& name) {
  silence_hdf5_errors();
  auto p = std::make_unique<Impl>();
  p->path = name;
  p->name = name;
  static const char sig[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  // The superblock may sit at 0, 512, 1024, ... (user block); xssm and h5py write it at 0.
  bool found = false;
  for (size_t off = 0; off + 8 <= bytes.size(); off = off ? off * 2 : 512) {
    if (std::memcmp(bytes.data() + off, sig, 8) == 0) { found = true; break; }
  }
  if (!found) throw Error(cat(name, ": not an HDF5 file (got ", bytes.size(), " bytes)"));
  p->image = std::move(bytes);
  hid_t id = H5LTopen_file_image(p->image.data(), p->image.size(),
                                 H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE);
  if (id < 0) throw Error(name + ": cannot open as HDF5 (truncated or corrupt file)");
  p->file = Handle(id, H5Fclose);
  return H5File(std::move(p));
}

H5File H5File::create(const std::string& path) {
  silence_hdf5_errors();
  auto p = std::make_unique<Impl>();
  p->path = path;
  p->writing = true;
  Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  H5Pset_obj_track_times(fcpl, 0);
  if (stdin_or_stdout(path)) {
    p->name = "stdout";
    p->to_stdout = true;
    if (isatty(1)) throw UsageError("stdout: is a terminal; redirect it or give a file name with -o");
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_fapl_core(fapl, 1 << 20, 0);  // in memory, no backing store
    hid_t id = H5Fcreate("xssm-stdout.h5", H5F_ACC_TRUNC, fcpl, fapl);
    if (id < 0) throw Error("stdout: cannot create an in-memory HDF5 file");
    p->file = Handle(id, H5Fclose);
    return H5File(std::move(p));
  }
  p->name = path;
  p->tmp_path = cat(path, ".tmp.", ::getpid());
  hid_t id = H5Fcreate(p->tmp_path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  if (id < 0) {
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    throw Error(cat(path, ": cannot create (is the directory '", dir, "' writable?)"));
  }
  p->file = Handle(id, H5Fclose);
  return H5File(std::move(p));
}

std::vector<char> H5File::image() const {
  if (!p_->to_stdout || p_->committed) fail("no in-memory image (not an open '-' output)");
  if (H5Fflush(p_->file, H5F_SCOPE_GLOBAL) < 0) fail("flush failed");
  ssize_t size = H5Fget_file_image(p_->file, nullptr, 0);
  if (size < 0) fail("cannot get the file image");
  std::vector<char> buf(static_cast<size_t>(size));
  if (H5Fget_file_image(p_->file, buf.data(), buf.size()) != size) fail("cannot get the file image");
  return buf;
}

void H5File::commit() {
  Impl& p = *p_;
  if (!p.writing) fail("commit() on a file opened for reading");
  if (p.committed) return;
  if (p.to_stdout) {
    std::vector<char> buf = image();
    p.file.reset();
    if (std::fwrite(buf.data(), 1, buf.size(), stdout) != buf.size() || std::fflush(stdout) != 0)
      throw Error(std::string("stdout: write failed: ") + std::strerror(errno));
    p.committed = true;
    return;
  }
  if (H5Fflush(p.file, H5F_SCOPE_GLOBAL) < 0) fail("flush failed");
  p.file.reset();
  int fd = ::open(p.tmp_path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (std::rename(p.tmp_path.c_str(), p.path.c_str()) != 0)
    fail(cat("cannot rename ", p.tmp_path, " into place: ", std::strerror(errno)));
  p.committed = true;
}

// ---- structure

bool H5File::exists(const std::string& obj) const { return p_->link_exists(norm(obj)); }
bool H5File::is_dataset(const std::string& obj) const { return p_->obj_type(norm(obj)) == H5O_TYPE_DATASET; }
bool H5File::is_group(const std::string& obj) const { return p_->obj_type(norm(obj)) == H5O_TYPE_GROUP; }

std::vector<std::string> H5File::list(const std::string& group) const {
  const std::string g = norm(group);
  if (!is_group(g)) fail(g + ": not a group");
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  hsize_t idx = 0;
  if (H5Literate_by_name(p_->file, g.c_str(), H5_INDEX_NAME, H5_ITER_INC, &idx, cb, &names, H5P_DEFAULT) < 0)
    fail(g + ": cannot list (corrupt file?)");
  return names;
}

std::vector<std::string> H5File::list_datasets(const std::string& group) const {
  std::vector<std::string> out;
  std::function<void(const std::string&)> walk = [&](const std::string& g) {
    for (const auto& n : list(g)) {
      const std::string full = (g == "/" ? "" : g) + "/" + n;
      if (is_group(full)) walk(full);
      else if (is_dataset(full)) out.push_back(full);
    }
  };
  walk(norm(group));
  return out;
}

void H5File::create_group(const std::string& group) {
  p_->require_writable();
  const std::string g = norm(group);
  if (exists(g)) return;
  p_->ensure_parent_groups(g);
  p_->make_group(g);
}

// ---- datasets

Shape H5File::shape(const std::string& ds) const {
  const std::string d = norm(ds);
  if (!is_dataset(d)) fail(d + (exists(d) ? ": not a dataset" : ": not found"));
  Handle set(H5Dopen2(p_->file, d.c_str(), H5P_DEFAULT), H5Dclose);
  if (!set.ok()) fail(d + ": cannot open dataset");
  Handle space(H5Dget_space(set), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail(d + ": cannot read the dataspace");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return Shape(dims.begin(), dims.end());
}

DType H5File::dtype(const std::string& ds) const {
  const std::string d = norm(ds);
  if (!is_dataset(d)) fail(d + (exists(d) ? ": not a dataset" : ": not found"));
  Handle set(H5Dopen2(p_->file, d.c_str(), H5P_DEFAULT), H5Dclose);
  Handle type(H5Dget_type(set), H5Tclose);
  return classify(type);
}

template <class T>
Tensor<T> H5File::read(const std::string& ds) const {
  const std::string d = norm(ds);
  const Shape s = shape(d);
  const DType t = dtype(d);
  if (is_float_v<T> ? !is_float(t) : !is_int(t))
    fail(cat(d, " has type ", dtype_name(t), ", expected ", is_float_v<T> ? "a float" : "an integer", " dataset"));
  Tensor<T> out(s);
  if (out.size() == 0) return out;
  Handle set(H5Dopen2(p_->file, d.c_str(), H5P_DEFAULT), H5Dclose);
  if (H5Dread(set, mem_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    fail(d + ": read failed (truncated or corrupt file?)");
  return out;
}

template <class T>
Tensor<T> H5File::read(const std::string& ds, const Shape& expected) const {
  const Shape s = shape(ds);
  bool ok = s.size() == expected.size();
  for (size_t i = 0; ok && i < s.size(); ++i) ok = expected[i] < 0 || expected[i] == s[i];
  if (!ok) {
    std::string want = "(";
    for (size_t i = 0; i < expected.size(); ++i)
      want += (i ? "," : "") + (expected[i] < 0 ? std::string("*") : std::to_string(expected[i]));
    fail(cat(norm(ds), " has shape ", shape_str(s), ", expected ", want, ")"));
  }
  return read<T>(ds);
}

template <class T>
void H5File::write(const std::string& ds, const Tensor<T>& t) {
  p_->require_writable();
  const std::string d = norm(ds);
  if (exists(d)) fail(d + ": already exists");
  p_->ensure_parent_groups(d);
  std::vector<hsize_t> dims(t.shape().begin(), t.shape().end());
  Handle space(t.rank() == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(t.rank(), dims.data(), nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl, 0);
  // Chunk and compress large datasets: chunks of whole rows, about 256 KiB each.
  const Index bytes = t.size() * Index(sizeof(T));
  if (t.rank() >= 1 && bytes >= (1 << 18) && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
    std::vector<hsize_t> chunk = dims;
    const Index row = t.size() / std::max<Index>(1, t.dim(0)) * Index(sizeof(T));
    chunk[0] = hsize_t(std::max<Index>(1, std::min<Index>(t.dim(0), (1 << 18) / std::max<Index>(1, row))));
    if (chunk[0] >= 1 && row <= (Index(1) << 30)) {
      H5Pset_chunk(dcpl, t.rank(), chunk.data());
      H5Pset_shuffle(dcpl);
      H5Pset_deflate(dcpl, 1);  // level 1: most of the gain after shuffle, several times faster than 4
    }
  }
  Handle set(H5Dcreate2(p_->file, d.c_str(), mem_type<T>(), space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  if (!set.ok()) fail(d + ": cannot create dataset");
  if (t.size() > 0 && H5Dwrite(set, mem_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data()) < 0)
    fail(d + ": write failed (disk full?)");
}

std::vector<std::string> H5File::read_strings(const std::string& ds) const {
  const std::string d = norm(ds);
  if (dtype(d) != DType::String) fail(d + ": expected a string dataset");
  Handle set(H5Dopen2(p_->file, d.c_str(), H5P_DEFAULT), H5Dclose);
  Handle ftype(H5Dget_type(set), H5Tclose);
  Handle space(H5Dget_space(set), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<std::string> out;
  if (H5Tis_variable_str(ftype) > 0) {
    std::vector<char*> ptrs(size_t(n), nullptr);
    Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5T_CSET_UTF8);
    if (H5Dread(set, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) fail(d + ": read failed");
    for (char* c : ptrs) out.emplace_back(c ? c : "");
    H5Dvlen_reclaim(mt, space, H5P_DEFAULT, ptrs.data());
  } else {
    const size_t len = H5Tget_size(ftype);
    std::vector<char> buf(len * size_t(n));
    Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mt, len);
    if (H5Dread(set, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0) fail(d + ": read failed");
    for (hssize_t i = 0; i < n; ++i) out.emplace_back(buf.data() + size_t(i) * len, strnlen(buf.data() + size_t(i) * len, len));
  }
  return out;
}

void H5File::write_strings(const std::string& ds, const std::vector<std::string>& v) {
  p_->require_writable();
  const std::string d = norm(ds);
  p_->ensure_parent_groups(d);
  hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl, 0);
  Handle set(H5Dcreate2(p_->file, d.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  if (!set.ok()) fail(d + ": cannot create dataset");
  std::vector<const char*> ptrs;
  for (auto& s : v) ptrs.push_back(s.c_str());
  if (n > 0 && H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) fail(d + ": write failed");
}

// ---- attributes

bool H5File::has_attr(const std::string& obj, const std::string& name) const {
  if (!exists(obj)) return false;
  return H5Aexists_by_name(p_->file, norm(obj).c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> H5File::attr_names(const std::string& obj) const {
  Handle o = p_->open_obj(obj);
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  hsize_t idx = 0;
  H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, cb, &names);
  return names;
}

namespace {
struct AttrOpen {
  Handle attr, type, space;
};
}  // namespace

static AttrOpen open_attr(const H5File::Impl& p, const std::string& obj, const std::string& name) {
  const std::string o = norm(obj);
  if (!p.link_exists(o)) p.fail(o + ": not found");
  if (H5Aexists_by_name(p.file, o.c_str(), name.c_str(), H5P_DEFAULT) <= 0)
    p.fail(cat(o == "/" ? "" : o + ": ", "attribute '", name, "' not found"));
  AttrOpen a;
  a.attr = Handle(H5Aopen_by_name(p.file, o.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.attr.ok()) p.fail(cat(o, ": cannot open attribute '", name, "'"));
  a.type = Handle(H5Aget_type(a.attr), H5Tclose);
  a.space = Handle(H5Aget_space(a.attr), H5Sclose);
  return a;
}

std::string H5File::attr_string(const std::string& obj, const std::string& name) const {
  AttrOpen a = open_attr(*p_, obj, name);
  if (H5Tget_class(a.type) != H5T_STRING)
    fail(cat(norm(obj), ": attribute '", name, "' is not a string"));
  if (H5Sget_simple_extent_npoints(a.space) != 1)
    fail(cat(norm(obj), ": attribute '", name, "' is not a single string"));
  if (H5Tis_variable_str(a.type) > 0) {
    char* s = nullptr;
    Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(a.type));
    if (H5Aread(a.attr, mt, &s) < 0) fail(cat(norm(obj), ": cannot read attribute '", name, "'"));
    std::string out = s ? s : "";
    H5free_memory(s);
    return out;
  }
  const size_t len = H5Tget_size(a.type);
  std::vector<char> buf(len + 1, 0);
  Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mt, len);
  if (H5Aread(a.attr, mt, buf.data()) < 0) fail(cat(norm(obj), ": cannot read attribute '", name, "'"));
  return std::string(buf.data(), strnlen(buf.data(), len));
}

std::vector<double> H5File::attr_doubles(const std::string& obj, const std::string& name) const {
  AttrOpen a = open_attr(*p_, obj, name);
  const H5T_class_t cls = H5Tget_class(a.type);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER && cls != H5T_ENUM)
    fail(cat(norm(obj), ": attribute '", name, "' is not numeric"));
  std::vector<double> v(size_t(H5Sget_simple_extent_npoints(a.space)));
  if (!v.empty() && H5Aread(a.attr, H5T_NATIVE_DOUBLE, v.data()) < 0)
    fail(cat(norm(obj), ": cannot read attribute '", name, "'"));
  return v;
}

double H5File::attr_double(const std::string& obj, const std::string& name) const {
  auto v = attr_doubles(obj, name);
  if (v.size() != 1) fail(cat(norm(obj), ": attribute '", name, "' has ", v.size(), " values, expected 1"));
  return v[0];
}

std::int64_t H5File::attr_int(const std::string& obj, const std::string& name) const {
  AttrOpen a = open_attr(*p_, obj, name);
  if (H5Tget_class(a.type) != H5T_INTEGER) fail(cat(norm(obj), ": attribute '", name, "' is not an integer"));
  if (H5Sget_simple_extent_npoints(a.space) != 1)
    fail(cat(norm(obj), ": attribute '", name, "' is not a single integer"));
  std::int64_t v = 0;
  if (H5Aread(a.attr, H5T_NATIVE_INT64, &v) < 0) fail(cat(norm(obj), ": cannot read attribute '", name, "'"));
  return v;
}

namespace {
void put_attr(H5File::Impl& p, const std::string& obj, const std::string& name, hid_t type, hid_t space,
              const void* data) {
  const std::string o = norm(obj);
  Handle ob = p.open_obj(o);
  if (H5Aexists(ob, name.c_str()) > 0) H5Adelete(ob, name.c_str());
  Handle attr(H5Acreate2(ob, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.ok() || H5Awrite(attr, type, data) < 0) p.fail(cat(o, ": cannot write attribute '", name, "'"));
}
}  // namespace

void H5File::set_attr(const std::string& obj, const std::string& name, const std::string& v) {
  p_->require_writable();
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  const char* s = v.c_str();
  put_attr(*p_, obj, name, type, space, &s);
}

void H5File::set_attr(const std::string& obj, const std::string& name, double v) {
  p_->require_writable();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  put_attr(*p_, obj, name, H5T_NATIVE_DOUBLE, space, &v);
}

void H5File::set_attr(const std::string& obj, const std::string& name, std::int64_t v) {
  p_->require_writable();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  put_attr(*p_, obj, name, H5T_NATIVE_INT64, space, &v);
}

void H5File::set_attr(const std::string& obj, const std::string& name, const std::vector<double>& v) {
  p_->require_writable();
  hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  put_attr(*p_, obj, name, H5T_NATIVE_DOUBLE, space, v.data());
}

#define XSSM_H5_INSTANTIATE(T)                                                       \
  template Tensor<T> H5File::read<T>(const std::string&) const;                      \
  template Tensor<T> H5File::read<T>(const std::string&, const Shape&) const;        \
  template void H5File::write<T>(const std::string&, const Tensor<T>&);
XSSM_H5_INSTANTIATE(float)
XSSM_H5_INSTANTIATE(double)
XSSM_H5_INSTANTIATE(std::int8_t)
XSSM_H5_INSTANTIATE(std::int32_t)
XSSM_H5_INSTANTIATE(std::int64_t)
XSSM_H5_INSTANTIATE(std::uint8_t)
XSSM_H5_INSTANTIATE(std::uint64_t)
#undef XSSM_H5_INSTANTIATE

// ---- common header

namespace {
std::string g_created_by = "xssm";
}
void set_created_by(const std::string& command_line) { g_created_by = command_line; }
const std::string& created_by() { return g_created_by; }

void write_header(H5File& f, const std::string& format, const json::Value& config) {
  f.set_attr("/", "xssm_format", format);
  f.set_attr("/", "xssm_version", std::string(XSSM_VERSION_STRING));
  f.set_attr("/", "created_by", g_created_by);
  f.set_attr("/", "config", config.dump());
}

void expect_format(const H5File& f, const std::string& expected) {
  if (!f.has_attr("/", "xssm_format"))
    f.fail(cat("no xssm_format attribute: not an xssm file, expected ", expected));
  const std::string got = f.attr_string("/", "xssm_format");
  if (got != expected) {
    // Same kind, other major version: say so explicitly.
    f.fail(cat("xssm_format is '", got, "', expected '", expected, "'"));
  }
}

json::Value read_config(const H5File& f) {
  if (!f.has_attr("/", "config")) return json::Value::object();
  const std::string text = f.attr_string("/", "config");
  try {
    return json::parse(text);
  } catch (const Error& e) {
    f.fail(std::string("config attribute: ") + e.what());
  }
}

}  // namespace xssm::io
