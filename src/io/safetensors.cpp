// safetensors reading and writing. The format, as the reference
// implementation checks it: an 8-byte little-endian header length N (at most
// 100,000,000), N bytes of UTF-8 JSON starting with '{' (an object mapping
// tensor names to {"dtype", "shape", "data_offsets"}, plus an optional
// "__metadata__" object of strings), then the byte buffer, which the
// tensors' [begin, end) ranges must cover exactly: no overlaps, no holes, no
// trailing bytes.
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
#include <set>

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

// ---- reading helpers ----

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct Entry {
  std::string name;
  const StoredDType* stored;
  Shape shape;
  std::uint64_t begin, end;
};

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

// ---- load ----

SafetensorsFile load_safetensors(const std::string& path) {
  constexpr const char* op = "load_safetensors";
  auto bad = [&](auto&&... parts) -> FormatError {
    return FormatError(zengen::detail::concat(op, ": '", path, "': ", parts...));
  };
  auto io_error = [&](const char* what, int err) -> IOError {
    return IOError(zengen::detail::concat(op, ": cannot ", what, " '", path, "': ", std::strerror(err)));
  };

  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) throw io_error("open", errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw io_error("stat", errno);
  if (S_ISDIR(st.st_mode)) throw io_error("read", EISDIR);
  const auto file_size = static_cast<std::uint64_t>(st.st_size);

  // Reads exactly n bytes at `at`; a short read means the file changed.
  auto read_at = [&](void* dst, std::uint64_t n, std::uint64_t at) {
    auto* p = static_cast<char*>(dst);
    while (n > 0) {
      const std::size_t chunk = n < (1ull << 30) ? static_cast<std::size_t>(n) : (std::size_t{1} << 30);
      const ssize_t got = ::pread(f.fd, p, chunk, static_cast<off_t>(at));
      if (got < 0) {
        if (errno == EINTR) continue;
        throw io_error("read", errno);
      }
      if (got == 0) throw bad("the file ended early (was it truncated while being read?)");
      p += got;
      at += static_cast<std::uint64_t>(got);
      n -= static_cast<std::uint64_t>(got);
    }
  };

  if (file_size < 8)
    throw bad("file is ", file_size, " bytes long, shorter than the 8-byte header length: not a safetensors file");
  unsigned char prefix[8];
  read_at(prefix, 8, 0);
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(prefix[i]) << (8 * i);
  if (n > kMaxHeader) throw bad("header length ", n, " is larger than the limit of ", kMaxHeader, " bytes");
  if (n > file_size - 8)
    throw bad("header length ", n, " is larger than the rest of the file (", file_size - 8, " bytes)");

  std::string text(static_cast<std::size_t>(n), '\0');
  read_at(text.data(), n, 8);
  if (text.empty() || text[0] != '{')
    throw bad("the JSON header does not start with '{' (the format requires a JSON object)");
  // The object ends at the last '}'; only JSON whitespace may follow it
  // (writers pad with spaces to align the data). Checked here, with our own
  // message, rather than left to the parser.
  const std::size_t object_end = text.find_last_of('}') + 1;  // 0 when there is none
  if (object_end > 0 && text.find_first_not_of(" \t\n\r", object_end) != std::string::npos)
    throw bad("the JSON header has trailing bytes after its object (only spaces may pad it): '",
              text.substr(object_end, 16), "'");

  // nlohmann keeps the last of duplicate keys silently: catch them here.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  // A valid header nests 3 levels (header, entry, shape); a hostile one
  // could nest millions, each costing the parser memory.
  constexpr int kMaxJsonDepth = 8;
  json::parser_callback_t on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxJsonDepth)
      throw bad("the JSON header nests deeper than ", kMaxJsonDepth, " levels (a safetensors header needs 3)");
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
  json header;
  try {
    header = json::parse(text.begin(), object_end > 0 ? text.begin() + static_cast<std::ptrdiff_t>(object_end) : text.end(),
                         on_event);
  } catch (const json::exception& e) {
    throw bad("the header is not valid JSON: ", e.what());
  }
  if (!duplicate.empty()) throw bad("the JSON header has the key '", duplicate, "' twice");
  if (!header.is_object()) throw bad("the JSON header is ", json_type(header), ", expected an object");

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) throw bad("\"__metadata__\" is ", json_type(value), ", expected an object");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string())
          throw bad("\"__metadata__\" must map strings to strings, but '", k, "' holds ", json_type(v));
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    if (!value.is_object()) throw bad("tensor '", name, "': entry is ", json_type(value), ", expected an object");
    for (const char* field : {"dtype", "shape", "data_offsets"})
      if (!value.contains(field)) throw bad("tensor '", name, "': missing field \"", field, "\"");
    const json& jd = value["dtype"];
    const json& js = value["shape"];
    const json& jo = value["data_offsets"];
    if (!jd.is_string()) throw bad("tensor '", name, "': \"dtype\" is ", json_type(jd), ", expected a string");
    if (!js.is_array())
      throw bad("tensor '", name, "': \"shape\" is ", json_type(js), ", expected an array of integers");
    if (!jo.is_array() || jo.size() != 2)
      throw bad("tensor '", name, "': \"data_offsets\" must be an array of two integers [begin, end]");

    Entry e;
    e.name = name;
    const auto dtype_name_str = jd.get<std::string>();
    e.stored = find_stored_dtype(dtype_name_str);
    if (!e.stored) throw bad("tensor '", name, "': unknown dtype \"", dtype_name_str, "\"");
    if (e.stored->conversion == Conversion::Unsupported)
      throw bad("tensor '", name, "': dtype ", dtype_name_str,
                " is not supported by zengen (it loads F32, F64, I64, BOOL, F16, BF16, I8, I16, I32, U8, U16, "
                "U32, U64)");

    // The product of the non-zero sizes must fit (strides are computed from
    // it even when another size is 0).
    std::int64_t span = 1;
    bool has_zero = false;
    for (const json& d : js) {
      if (d.is_number_integer() && !d.is_number_unsigned())
        throw bad("tensor '", name, "': negative size ", d.get<std::int64_t>(), " in \"shape\" ", js.dump());
      if (!d.is_number_unsigned())
        throw bad("tensor '", name, "': \"shape\" must hold non-negative integers, got ", js.dump());
      const auto u = d.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
          __builtin_mul_overflow(span, std::max<std::int64_t>(static_cast<std::int64_t>(u), 1), &span))
        throw bad("tensor '", name, "': \"shape\" ", js.dump(), " overflows a 64-bit element count");
      has_zero = has_zero || u == 0;
      e.shape.push_back(static_cast<std::int64_t>(u));
    }
    const std::int64_t numel = has_zero ? 0 : span;
    std::uint64_t nbytes = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(numel), e.stored->size, &nbytes))
      throw bad("tensor '", name, "': \"shape\" ", js.dump(), " overflows a 64-bit byte count");

    for (const json& o : jo)
      if (!o.is_number_unsigned())
        throw bad("tensor '", name, "': \"data_offsets\" must hold two non-negative integers, got ", jo.dump());
    e.begin = jo[0].get<std::uint64_t>();
    e.end = jo[1].get<std::uint64_t>();
    if (e.begin > e.end) throw bad("tensor '", name, "': data_offsets ", jo.dump(), " have begin > end");
    if (e.end - e.begin != nbytes)
      throw bad("tensor '", name, "': data_offsets ", jo.dump(), " span ", e.end - e.begin, " bytes, but ",
                dtype_name_str, " of shape ", e.shape, " needs ", nbytes);
    entries.push_back(std::move(e));
  }

  // The ranges must tile the byte buffer exactly.
  const std::uint64_t buffer_size = file_size - 8 - n;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  std::uint64_t expected = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.end > buffer_size)
      throw bad("tensor '", e.name, "': data_offsets [", e.begin, ", ", e.end, "] reach past the end of the ",
                buffer_size, "-byte data buffer");
    if (e.begin < expected)
      throw bad("tensor '", e.name, "': data_offsets [", e.begin, ", ", e.end, "] overlap tensor '",
                previous->name, "' [", previous->begin, ", ", previous->end, "]");
    if (e.begin > expected)
      throw bad("the data buffer has a hole: bytes [", expected, ", ", e.begin, ") belong to no tensor");
    expected = e.end;
    previous = &e;
  }
  if (expected != buffer_size)
    throw bad("the data buffer has ", buffer_size - expected, " trailing bytes after the last tensor (bytes [",
              expected, ", ", buffer_size, ") belong to no tensor)");

  // The data.
  const std::uint64_t base = 8 + n;
  std::vector<unsigned char> raw;
  for (const Entry& e : entries) {
    const StoredDType& sd = *e.stored;
    Tensor t = Tensor::empty(e.shape, {.dtype = sd.dtype});
    const std::uint64_t nbytes = e.end - e.begin;
    const auto count = static_cast<std::size_t>(t.numel());
    if (sd.conversion == Conversion::None) {
      read_at(t.data_ptr(), nbytes, base + e.begin);
      if (sd.dtype == DType::Bool) {  // any non-zero byte is true; keep bools 0/1
        auto* b = static_cast<unsigned char*>(t.data_ptr());
        for (std::size_t i = 0; i < count; ++i) b[i] = b[i] != 0;
      }
    } else {
      raw.resize(static_cast<std::size_t>(nbytes));
      read_at(raw.data(), nbytes, base + e.begin);
      const unsigned char* p = raw.data();
      if (sd.conversion == Conversion::Half || sd.conversion == Conversion::BFloat16) {
        float* dst = t.data<float>();
        for (std::size_t i = 0; i < count; ++i) {
          const auto h = load_le<std::uint16_t>(p + 2 * i);
          dst[i] = sd.conversion == Conversion::Half ? half_to_float(h)
                                                     : std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16);
        }
      } else {
        std::int64_t* dst = t.data<std::int64_t>();
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
                throw bad("tensor '", e.name, "': U64 value ", v, " at element ", i,
                          " does not fit in int64, zengen's integer type");
              dst[i] = static_cast<std::int64_t>(v);
            }
          }
        }
      }
    }
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace zengen::io
