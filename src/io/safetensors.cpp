// safetensors reading and writing. The format, as the reference
// implementation checks it: an 8-byte little-endian header length N (at most
// 100,000,000), N bytes of UTF-8 JSON starting with '{' (an object mapping
// tensor names to {"dtype", "shape", "data_offsets"}, plus an optional
// "__metadata__" object of strings), then the byte buffer, which the
// tensors' [begin, end) ranges must cover exactly: no overlaps, no holes, no
// trailing bytes. load_safetensors checks them in that order, one named
// step each, before it reads any tensor's data.
#include "zengen/io/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "zengen/autograd/grad_mode.hpp"

static_assert(std::endian::native == std::endian::little,
              "zengen's safetensors code writes memory as it is: it assumes a little-endian host");

namespace zengen::io {

namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

constexpr std::uint64_t kMaxHeader = 100'000'000;  // as the reference implementation

// ---- dtypes ----

enum class Conversion { None, Half, BFloat16, Signed, Unsigned, Unsupported };

struct StoredDType {
  std::string_view name;
  std::size_t size;  // bytes per element (0 for unsupported sub-byte types)
  Conversion conversion;
  DType dtype;  // what it loads as
};

constexpr StoredDType kStoredDTypes[] = {
    {"F32", 4, Conversion::None, DType::Float32},
    {"F64", 8, Conversion::None, DType::Float64},
    {"I64", 8, Conversion::None, DType::Int64},
    {"BOOL", 1, Conversion::None, DType::Bool},
    {"F16", 2, Conversion::Half, DType::Float32},
    {"BF16", 2, Conversion::BFloat16, DType::Float32},
    {"I8", 1, Conversion::Signed, DType::Int64},
    {"I16", 2, Conversion::Signed, DType::Int64},
    {"I32", 4, Conversion::Signed, DType::Int64},
    {"U8", 1, Conversion::Unsigned, DType::Int64},
    {"U16", 2, Conversion::Unsigned, DType::Int64},
    {"U32", 4, Conversion::Unsigned, DType::Int64},
    {"U64", 8, Conversion::Unsigned, DType::Int64},
    // Valid in the format, but zengen has no type to hold them faithfully.
    {"F8_E5M2", 1, Conversion::Unsupported, DType::Float32},
    {"F8_E4M3", 1, Conversion::Unsupported, DType::Float32},
    {"F8_E8M0", 1, Conversion::Unsupported, DType::Float32},
    {"F6_E2M3", 0, Conversion::Unsupported, DType::Float32},
    {"F6_E3M2", 0, Conversion::Unsupported, DType::Float32},
    {"F4", 0, Conversion::Unsupported, DType::Float32},
    {"C64", 8, Conversion::Unsupported, DType::Float32},
};

const StoredDType* find_stored_dtype(std::string_view name) {
  for (const auto& d : kStoredDTypes)
    if (d.name == name) return &d;
  return nullptr;
}

std::string_view stored_name(DType t) {
  switch (t) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int64: return "I64";
    case DType::Bool: return "BOOL";
  }
  return "?";
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0 && mant == 0) {
    bits = sign;
  } else if (exp == 0) {  // subnormal: normalise
    exp = 127 - 15 + 1;
    while (!(mant & 0x400u)) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  } else if (exp == 31) {  // inf, nan
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

template <typename U>
U load_le(const unsigned char* p) {
  U v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// "a number", "an array", ... for messages.
std::string json_type(const json& v) {
  const std::string name = v.type_name();
  if (v.is_null()) return name;
  return (name[0] == 'a' || name[0] == 'o' ? "an " : "a ") + name;
}

}  // namespace

// ---- SafetensorsFile ----

bool SafetensorsFile::contains(std::string_view name) const {
  return std::any_of(tensors.begin(), tensors.end(), [&](const auto& p) { return p.first == name; });
}

const Tensor& SafetensorsFile::at(std::string_view name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  std::string known;
  for (const auto& [n, t] : tensors) known += (known.empty() ? "'" : ", '") + n + "'";
  throw ValueError(zengen::detail::concat("SafetensorsFile: no tensor named '", name, "' (the file holds ",
                                          known.empty() ? std::string("none") : known, ")"));
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  for (const auto& [n, t] : tensors) out.push_back(n);
  return out;
}

std::map<std::string, Tensor> SafetensorsFile::to_map() const {
  return {tensors.begin(), tensors.end()};
}

// ---- save ----

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  constexpr const char* op = "save_safetensors";
  // CPU, contiguous copies (no autograd recording), in layout order: larger
  // elements first so every tensor starts aligned to its element size.
  std::vector<std::pair<std::string, Tensor>> items;
  {
    autograd::NoGradGuard no_grad;
    for (const auto& [name, t] : tensors) {
      ZENGEN_CHECK(name != "__metadata__", ValueError, op, ": '", path,
                   "': the tensor name '__metadata__' is reserved by the format");
      ZENGEN_CHECK(t.defined(), ValueError, op, ": '", path, "': tensor '", name, "' is undefined");
      // Compact on the tensor's own device, then one plain copy to the CPU.
      items.emplace_back(name, t.detach().contiguous().to(Device::cpu()));
    }
  }
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    return element_size(a.second.dtype()) > element_size(b.second.dtype());
  });

  ordered_json header = ordered_json::object();
  if (!metadata.empty()) {
    ordered_json meta = ordered_json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  std::uint64_t offset = 0;
  for (const auto& [name, t] : items) {
    ordered_json entry = ordered_json::object();
    entry["dtype"] = stored_name(t.dtype());
    entry["shape"] = t.shape().vec();
    entry["data_offsets"] = {offset, offset + t.nbytes()};
    offset += t.nbytes();
    header[name] = std::move(entry);
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {
    throw ValueError(zengen::detail::concat(op, ": '", path,
                                            "': a tensor name or metadata string is not valid UTF-8 (", e.what(),
                                            ")"));
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  const std::uint64_t n = text.size();
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(n >> (8 * i));

  detail::AtomicFile file(path, op);
  file.write(prefix, sizeof prefix);
  file.write(text.data(), text.size());
  for (const auto& [name, t] : items) file.write(t.data_ptr(), t.nbytes());
  file.commit();
}

// ---- load, step by step ----

namespace {

// The file being loaded: its descriptor and size, and the errors that name
// it (FormatError for what it holds, IOError for what the system says).
class SourceFile {
 public:
  explicit SourceFile(const std::string& path) : path_(path) {
    fd_.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_.fd < 0) throw io_error("open", errno);
    struct stat st {};
    if (::fstat(fd_.fd, &st) != 0) throw io_error("stat", errno);
    if (S_ISDIR(st.st_mode)) throw io_error("read", EISDIR);
    size_ = static_cast<std::uint64_t>(st.st_size);
  }

  std::uint64_t size() const { return size_; }

  template <typename... Parts>
  FormatError bad(const Parts&... parts) const {
    return FormatError(zengen::detail::concat(kOp, ": '", path_, "': ", parts...));
  }
  IOError io_error(const char* what, int err) const {
    return IOError(zengen::detail::concat(kOp, ": cannot ", what, " '", path_, "': ", std::strerror(err)));
  }

  // Reads exactly n bytes at `at`; a short read means the file changed.
  void read_at(void* dst, std::uint64_t n, std::uint64_t at) const {
    auto* p = static_cast<char*>(dst);
    while (n > 0) {
      const std::size_t chunk = n < (1ull << 30) ? static_cast<std::size_t>(n) : (std::size_t{1} << 30);
      const ssize_t got = ::pread(fd_.fd, p, chunk, static_cast<off_t>(at));
      if (got < 0) {
        if (errno == EINTR) continue;
        throw io_error("read", errno);
      }
      if (got == 0) throw bad("the file ended early (was it truncated while being read?)");
      p += got;
      at += static_cast<std::uint64_t>(got);
      n -= static_cast<std::uint64_t>(got);
    }
  }

 private:
  // Closes the file also when the constructor throws.
  struct Fd {
    int fd = -1;
    Fd() = default;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
      if (fd >= 0) ::close(fd);
    }
  };

  static constexpr const char* kOp = "load_safetensors";
  const std::string& path_;
  Fd fd_;
  std::uint64_t size_ = 0;
};

// The JSON header as stored: its length (the 8-byte prefix) and text, and
// where its object ends (0 when there is no '}').
struct HeaderText {
  std::uint64_t length;
  std::string text;
  std::size_t object_end;
};

// Step 1: the length prefix, checked against the limit and the file, then
// the text, which must be one JSON object padded with whitespace only.
HeaderText read_header_text(const SourceFile& f) {
  if (f.size() < 8)
    throw f.bad("file is ", f.size(), " bytes long, shorter than the 8-byte header length: not a safetensors file");
  unsigned char prefix[8];
  f.read_at(prefix, 8, 0);
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(prefix[i]) << (8 * i);
  if (n > kMaxHeader) throw f.bad("header length ", n, " is larger than the limit of ", kMaxHeader, " bytes");
  if (n > f.size() - 8)
    throw f.bad("header length ", n, " is larger than the rest of the file (", f.size() - 8, " bytes)");

  HeaderText h{n, std::string(static_cast<std::size_t>(n), '\0'), 0};
  f.read_at(h.text.data(), n, 8);
  if (h.text.empty() || h.text[0] != '{')
    throw f.bad("the JSON header does not start with '{' (the format requires a JSON object)");
  // The object ends at the last '}'; only JSON whitespace may follow it
  // (writers pad with spaces to align the data). Checked here, with our own
  // message, rather than left to the parser.
  h.object_end = h.text.find_last_of('}') + 1;  // 0 when there is none
  if (h.object_end > 0 && h.text.find_first_not_of(" \t\n\r", h.object_end) != std::string::npos)
    throw f.bad("the JSON header has trailing bytes after its object (only spaces may pad it): '",
                h.text.substr(h.object_end, 16), "'");
  return h;
}

// Step 2: the JSON object, with what nlohmann lets through rejected:
// duplicate keys (it keeps the last one silently) and deep nesting.
json parse_header(const SourceFile& f, const HeaderText& h) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  // A valid header nests 3 levels (header, entry, shape); a hostile one
  // could nest millions, each costing the parser memory.
  constexpr int kMaxJsonDepth = 8;
  json::parser_callback_t on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxJsonDepth)
      throw f.bad("the JSON header nests deeper than ", kMaxJsonDepth, " levels (a safetensors header needs 3)");
    switch (event) {
      case json::parse_event_t::object_start: open_objects.emplace_back(); break;
      case json::parse_event_t::object_end: open_objects.pop_back(); break;
      case json::parse_event_t::key: {
        auto key = parsed.get<std::string>();
        if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = std::move(key);
        break;
      }
      default: break;
    }
    return true;
  };
  const auto end = h.object_end > 0 ? h.text.begin() + static_cast<std::ptrdiff_t>(h.object_end) : h.text.end();
  json header;
  try {
    header = json::parse(h.text.begin(), end, on_event);
  } catch (const json::exception& e) {
    throw f.bad("the header is not valid JSON: ", e.what());
  }
  if (!duplicate.empty()) throw f.bad("the JSON header has the key '", duplicate, "' twice");
  if (!header.is_object()) throw f.bad("the JSON header is ", json_type(header), ", expected an object");
  return header;
}

// Step 3a: "__metadata__", an object of strings.
std::map<std::string, std::string> read_metadata(const SourceFile& f, const json& value) {
  if (!value.is_object()) throw f.bad("\"__metadata__\" is ", json_type(value), ", expected an object");
  std::map<std::string, std::string> metadata;
  for (const auto& [k, v] : value.items()) {
    if (!v.is_string())
      throw f.bad("\"__metadata__\" must map strings to strings, but '", k, "' holds ", json_type(v));
    metadata[k] = v.get<std::string>();
  }
  return metadata;
}

// One tensor's entry, checked.
struct Entry {
  std::string name;
  const StoredDType* stored;
  Shape shape;
  std::uint64_t begin, end;
};

// The entry's "dtype": a known one that zengen loads.
const StoredDType* read_dtype(const SourceFile& f, const std::string& name, const std::string& dtype) {
  const StoredDType* stored = find_stored_dtype(dtype);
  if (!stored) throw f.bad("tensor '", name, "': unknown dtype \"", dtype, "\"");
  if (stored->conversion == Conversion::Unsupported)
    throw f.bad("tensor '", name, "': dtype ", dtype,
                " is not supported by zengen (it loads F32, F64, I64, BOOL, F16, BF16, I8, I16, I32, U8, U16, "
                "U32, U64)");
  return stored;
}

// The entry's "shape" (non-negative sizes whose element and byte counts fit
// in 64 bits); returns its byte count.
std::uint64_t read_shape(const SourceFile& f, const std::string& name, const json& js, const StoredDType& stored,
                         Shape& shape) {
  // The product of the non-zero sizes must fit (strides are computed from
  // it even when another size is 0).
  std::int64_t span = 1;
  bool has_zero = false;
  for (const json& d : js) {
    if (d.is_number_integer() && !d.is_number_unsigned())
      throw f.bad("tensor '", name, "': negative size ", d.get<std::int64_t>(), " in \"shape\" ", js.dump());
    if (!d.is_number_unsigned())
      throw f.bad("tensor '", name, "': \"shape\" must hold non-negative integers, got ", js.dump());
    const auto u = d.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
        __builtin_mul_overflow(span, std::max<std::int64_t>(static_cast<std::int64_t>(u), 1), &span))
      throw f.bad("tensor '", name, "': \"shape\" ", js.dump(), " overflows a 64-bit element count");
    has_zero = has_zero || u == 0;
    shape.push_back(static_cast<std::int64_t>(u));
  }
  const std::int64_t numel = has_zero ? 0 : span;
  std::uint64_t nbytes = 0;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(numel), stored.size, &nbytes))
    throw f.bad("tensor '", name, "': \"shape\" ", js.dump(), " overflows a 64-bit byte count");
  return nbytes;
}

// Step 3b: a tensor's entry {"dtype", "shape", "data_offsets"}, its offsets
// spanning exactly the bytes its dtype and shape need.
Entry read_entry(const SourceFile& f, const std::string& name, const json& value) {
  if (!value.is_object()) throw f.bad("tensor '", name, "': entry is ", json_type(value), ", expected an object");
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!value.contains(field)) throw f.bad("tensor '", name, "': missing field \"", field, "\"");
  const json& jd = value["dtype"];
  const json& js = value["shape"];
  const json& jo = value["data_offsets"];
  if (!jd.is_string()) throw f.bad("tensor '", name, "': \"dtype\" is ", json_type(jd), ", expected a string");
  if (!js.is_array())
    throw f.bad("tensor '", name, "': \"shape\" is ", json_type(js), ", expected an array of integers");
  if (!jo.is_array() || jo.size() != 2)
    throw f.bad("tensor '", name, "': \"data_offsets\" must be an array of two integers [begin, end]");

  Entry e;
  e.name = name;
  const auto dtype = jd.get<std::string>();
  e.stored = read_dtype(f, name, dtype);
  const std::uint64_t nbytes = read_shape(f, name, js, *e.stored, e.shape);
  for (const json& o : jo)
    if (!o.is_number_unsigned())
      throw f.bad("tensor '", name, "': \"data_offsets\" must hold two non-negative integers, got ", jo.dump());
  e.begin = jo[0].get<std::uint64_t>();
  e.end = jo[1].get<std::uint64_t>();
  if (e.begin > e.end) throw f.bad("tensor '", name, "': data_offsets ", jo.dump(), " have begin > end");
  if (e.end - e.begin != nbytes)
    throw f.bad("tensor '", name, "': data_offsets ", jo.dump(), " span ", e.end - e.begin, " bytes, but ", dtype,
                " of shape ", e.shape, " needs ", nbytes);
  return e;
}

// Step 4: sorts the entries by offset; their ranges must tile the
// buffer_size bytes of data exactly: no overlaps, no holes, no trailing bytes.
void sort_and_check_tiling(const SourceFile& f, std::vector<Entry>& entries, std::uint64_t buffer_size) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  std::uint64_t expected = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.end > buffer_size)
      throw f.bad("tensor '", e.name, "': data_offsets [", e.begin, ", ", e.end, "] reach past the end of the ",
                  buffer_size, "-byte data buffer");
    if (e.begin < expected)
      throw f.bad("tensor '", e.name, "': data_offsets [", e.begin, ", ", e.end, "] overlap tensor '",
                  previous->name, "' [", previous->begin, ", ", previous->end, "]");
    if (e.begin > expected)
      throw f.bad("the data buffer has a hole: bytes [", expected, ", ", e.begin, ") belong to no tensor");
    expected = e.end;
    previous = &e;
  }
  if (expected != buffer_size)
    throw f.bad("the data buffer has ", buffer_size - expected, " trailing bytes after the last tensor (bytes [",
                expected, ", ", buffer_size, ") belong to no tensor)");
}

// F16 / BF16 values (count of them at p) into float32.
void convert_half(Conversion conversion, const unsigned char* p, std::size_t count, float* dst) {
  for (std::size_t i = 0; i < count; ++i) {
    const auto h = load_le<std::uint16_t>(p + 2 * i);
    dst[i] = conversion == Conversion::Half ? half_to_float(h)
                                            : std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16);
  }
}

// Integers of `sd.size` bytes into int64; a U64 beyond int64's range is an error.
void convert_integers(const SourceFile& f, const Entry& e, const unsigned char* p, std::size_t count,
                      std::int64_t* dst) {
  const StoredDType& sd = *e.stored;
  const bool is_signed = sd.conversion == Conversion::Signed;
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned char* q = p + sd.size * i;
    switch (sd.size) {
      case 1: dst[i] = is_signed ? std::int64_t{static_cast<std::int8_t>(q[0])} : std::int64_t{q[0]}; break;
      case 2: {
        const auto v = load_le<std::uint16_t>(q);
        dst[i] = is_signed ? std::int64_t{static_cast<std::int16_t>(v)} : std::int64_t{v};
        break;
      }
      case 4: {
        const auto v = load_le<std::uint32_t>(q);
        dst[i] = is_signed ? std::int64_t{static_cast<std::int32_t>(v)} : std::int64_t{v};
        break;
      }
      default: {  // U64
        const auto v = load_le<std::uint64_t>(q);
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          throw f.bad("tensor '", e.name, "': U64 value ", v, " at element ", i,
                      " does not fit in int64, zengen's integer type");
        dst[i] = static_cast<std::int64_t>(v);
      }
    }
  }
}

// Step 5: one tensor's data (at `base` + its offsets), read as it is or
// converted to the dtype it loads as; `raw` is the conversions' buffer.
Tensor read_tensor(const SourceFile& f, const Entry& e, std::uint64_t base, std::vector<unsigned char>& raw) {
  const StoredDType& sd = *e.stored;
  Tensor t = Tensor::empty(e.shape, {.dtype = sd.dtype});
  const std::uint64_t nbytes = e.end - e.begin;
  const auto count = static_cast<std::size_t>(t.numel());
  if (sd.conversion == Conversion::None) {
    f.read_at(t.data_ptr(), nbytes, base + e.begin);
    if (sd.dtype == DType::Bool) {  // any non-zero byte is true; keep bools 0/1
      auto* b = static_cast<unsigned char*>(t.data_ptr());
      for (std::size_t i = 0; i < count; ++i) b[i] = b[i] != 0;
    }
    return t;
  }
  raw.resize(static_cast<std::size_t>(nbytes));
  f.read_at(raw.data(), nbytes, base + e.begin);
  if (sd.conversion == Conversion::Half || sd.conversion == Conversion::BFloat16)
    convert_half(sd.conversion, raw.data(), count, t.data<float>());
  else
    convert_integers(f, e, raw.data(), count, t.data<std::int64_t>());
  return t;
}

}  // namespace

SafetensorsFile load_safetensors(const std::string& path) {
  const SourceFile file(path);
  const HeaderText text = read_header_text(file);
  const json header = parse_header(file, text);
  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") out.metadata = read_metadata(file, value);
    else entries.push_back(read_entry(file, name, value));
  }
  const std::uint64_t data_begin = 8 + text.length;
  sort_and_check_tiling(file, entries, file.size() - data_begin);
  std::vector<unsigned char> raw;
  for (const Entry& e : entries) out.tensors.emplace_back(e.name, read_tensor(file, e, data_begin, raw));
  return out;
}

}  // namespace zengen::io
