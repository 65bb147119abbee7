// IDX reading through zlib's gz* functions, which read gzip files and (in
// "transparent" mode) plain files alike.
#include "zengen/data/idx.hpp"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>
#include <string_view>
#include <vector>

namespace zengen::data {

namespace {

constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 31;

struct TypeInfo {
  unsigned char code;
  const char* name;
  std::size_t size;
};
constexpr TypeInfo kTypes[] = {{0x08, "u8", 1},  {0x09, "i8", 1},  {0x0B, "i16", 2},
                               {0x0C, "i32", 4}, {0x0D, "f32", 4}, {0x0E, "f64", 8}};

std::string hex(std::uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*X", digits, static_cast<unsigned>(v));
  return buf;
}

// One IDX file's header: the magic, the type and the dims.
struct IdxHeader {
  std::uint32_t magic = 0;
  const TypeInfo* type = nullptr;
  std::vector<std::int64_t> dims;
  std::string dims_str;
  std::size_t numel = 0, nbytes = 0;
  bool gzipped = false;
};

class GzReader {
 public:
  GzReader(const std::string& path, const char* op) : path_(path), op_(op) {
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    if (!file_)
      throw IOError(zengen::detail::concat(op_, ": cannot open '", path_, "': ",
                                           errno ? std::strerror(errno) : "out of memory"));
    gzbuffer(file_, 1 << 17);
  }
  ~GzReader() {
    if (file_) gzclose_r(file_);
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  bool gzipped() const { return gzdirect(file_) == 0; }

  // The size on disk of a regular file (0 when unknown, e.g. a pipe).
  std::uint64_t file_size() const {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    return static_cast<std::uint64_t>(st.st_size);
  }

  // Reads up to n bytes; returns how many it got (fewer only at the end).
  std::size_t read(void* dst, std::size_t n) {
    auto* p = static_cast<unsigned char*>(dst);
    std::size_t total = 0;
    while (total < n) {
      const std::size_t want = n - total < (1u << 30) ? n - total : (1u << 30);
      const int got = gzread(file_, p + total, static_cast<unsigned>(want));
      if (got < 0) fail();
      if (got == 0) break;
      total += static_cast<std::size_t>(got);
    }
    check();  // gzread reports a truncated gzip stream only through gzerror
    return total;
  }

 private:
  void check() {
    int err = Z_OK;
    gzerror(file_, &err);
    if (err != Z_OK) fail();
  }
  [[noreturn]] void fail() {
    int err = Z_OK;
    const char* msg = gzerror(file_, &err);
    if (err == Z_ERRNO)
      throw IOError(zengen::detail::concat(op_, ": cannot read '", path_, "': ", std::strerror(errno)));
    std::string_view reason = msg ? msg : "unknown error";
    if (reason.starts_with(path_ + ": ")) reason.remove_prefix(path_.size() + 2);  // zlib prefixes the path
    throw FormatError(zengen::detail::concat(op_, ": '", path_, "': corrupt gzip data (", reason, ")"));
  }

  std::string path_;
  const char* op_;
  gzFile file_ = nullptr;
};

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

void expect_magic(std::uint32_t magic, const std::string& path, const char* op, std::uint32_t want);

// Reads and checks the header; `want` (0: any) is the magic the caller
// reads, checked before anything else is. The reader is left at the data.
IdxHeader read_header(GzReader& in, const std::string& path, const char* op, std::uint32_t want) {
  auto bad = [&](auto&&... parts) {
    return FormatError(zengen::detail::concat(op, ": '", path, "': ", parts...));
  };
  IdxHeader h;
  h.gzipped = in.gzipped();
  const char* what = h.gzipped ? " (after gunzip)" : "";

  unsigned char head[4];
  const std::size_t got_head = in.read(head, 4);
  if (got_head < 4) throw bad("file is ", got_head, " bytes long", what, ", too short for the 4-byte IDX magic");
  h.magic = be32(head);
  if (head[0] != 0 || head[1] != 0)
    throw bad("not an idx file (bad magic ", hex(h.magic, 8),
              "): an IDX file starts with two zero bytes, a type byte and a dims byte");
  for (const auto& t : kTypes)
    if (t.code == head[2]) h.type = &t;
  if (!h.type)
    throw bad("not an idx file (bad magic ", hex(h.magic, 8), "): unknown data type byte ", hex(head[2], 2),
              " (expected 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32 or 0x0E f64)");
  if (want) expect_magic(h.magic, path, op, want);

  const int ndim = head[3];
  std::vector<unsigned char> dim_bytes(4 * static_cast<std::size_t>(ndim));
  if (in.read(dim_bytes.data(), dim_bytes.size()) < dim_bytes.size())
    throw bad("truncated: the header declares ", ndim, " dims, but the file ends inside them");
  std::string dims_str = "[";
  for (int i = 0; i < ndim; ++i) {
    h.dims.push_back(be32(dim_bytes.data() + 4 * i));
    dims_str += (i ? ", " : "") + std::to_string(h.dims.back());
  }
  dims_str += "]";
  h.dims_str = std::move(dims_str);
  // Both the element count and the product of the non-zero sizes (which
  // the strides are computed from, even when another size is 0) must stay
  // within 2^31. Each stays <= 2^31 until the cap trips and each size is
  // < 2^32, so the running products never overflow 64 bits.
  std::uint64_t numel = 1, span = 1;
  for (const auto d : h.dims) {
    numel *= static_cast<std::uint64_t>(d);
    span *= std::max<std::uint64_t>(static_cast<std::uint64_t>(d), 1);
    if (numel > kMaxElements || span > kMaxElements)
      throw bad("dims ", h.dims_str, " declare more than 2^31 = ", kMaxElements, " elements, the limit",
                numel > kMaxElements ? "" : " (counting sizes of 0 as 1, as the strides do)");
  }
  h.numel = static_cast<std::size_t>(numel);
  h.nbytes = h.numel * h.type->size;

  // The declared data must fit in the file before anything is allocated:
  // exactly, for a plain file; for gzip, within deflate's largest expansion
  // (1032:1), as the decompressed size is unknown until it is read.
  const std::uint64_t header_bytes = 4 + 4 * static_cast<std::uint64_t>(ndim);
  if (const std::uint64_t file_size = in.file_size(); file_size > 0) {
    if (!h.gzipped && header_bytes + h.nbytes > file_size)
      throw bad("truncated: dims ", h.dims_str, " of ", h.type->name, " declare ", h.nbytes,
                " data bytes, but the file holds only ", file_size - header_bytes);
    constexpr std::uint64_t kMaxDeflateRatio = 1032;
    if (h.gzipped && h.nbytes / kMaxDeflateRatio > file_size)
      throw bad("truncated: dims ", h.dims_str, " of ", h.type->name, " declare ", h.nbytes,
                " data bytes, but the file (after gunzip) can hold at most ", file_size * kMaxDeflateRatio,
                " (deflate expands a ", file_size, "-byte gzip file at most ", kMaxDeflateRatio, ":1)");
  }
  return h;
}

// Reads the data in chunks of at most 4 MiB, each handed to
// sink(bytes, count, offset) and then reused, so that the raw bytes never
// stand beside the whole tensor; then checks that nothing follows.
template <typename Sink>
void read_data(GzReader& in, const IdxHeader& h, const std::string& path, const char* op, Sink&& sink) {
  auto bad = [&](auto&&... parts) {
    return FormatError(zengen::detail::concat(op, ": '", path, "': ", parts...));
  };
  const char* what = h.gzipped ? " (after gunzip)" : "";
  constexpr std::size_t kChunk = std::size_t{4} << 20;  // a multiple of every element size
  std::vector<unsigned char> chunk(std::min(kChunk, h.nbytes));
  std::size_t got = 0;
  while (got < h.nbytes) {
    const std::size_t want = std::min(kChunk, h.nbytes - got);
    const std::size_t n = in.read(chunk.data(), want);
    if (n < want)
      throw bad("truncated: dims ", h.dims_str, " of ", h.type->name, " declare ", h.nbytes, " data bytes, but the file",
                what, " holds only ", got + n);
    sink(chunk.data(), n, got);
    got += n;
  }
  unsigned char extra[1];
  if (in.read(extra, 1) != 0)
    throw bad("trailing bytes: the file", what, " holds more than the ", h.nbytes, " data bytes its dims ", h.dims_str,
              " declare");
}

// The tensor of the shape and dtype layout(header) gives, filled chunk by
// chunk by fill(tensor, bytes, count, offset). A gzip file whose tensor
// would exceed 64 MiB is read twice: first only to check that all its data
// is there (keeping nothing), so that a small file cannot make zengen
// allocate what its dims claim; then into the tensor.
template <typename Layout, typename Fill>
Tensor read_into(const std::string& path, const char* op, std::uint32_t want, Layout&& layout, Fill&& fill) {
  auto in = std::make_unique<GzReader>(path, op);
  IdxHeader h = read_header(*in, path, op, want);
  const auto [shape, dtype] = layout(h);
  constexpr std::size_t kUpfront = std::size_t{64} << 20;
  if (h.gzipped && static_cast<std::size_t>(shape.numel()) * element_size(dtype) > kUpfront) {
    read_data(*in, h, path, op, [](const unsigned char*, std::size_t, std::size_t) {});
    in = std::make_unique<GzReader>(path, op);
    h = read_header(*in, path, op, want);
  }
  Tensor t = Tensor::empty(shape, {.dtype = dtype});
  read_data(*in, h, path, op, [&](const unsigned char* p, std::size_t n, std::size_t offset) { fill(t, p, n, offset); });
  return t;
}

template <typename U>
U load_be(const unsigned char* p) {
  U v = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>((v << 8) | p[i]);
  return v;
}

// The dtype read_idx gives each IDX type.
DType idx_dtype(unsigned char code) {
  return code == 0x0C ? DType::Int64 : code == 0x0E ? DType::Float64 : DType::Float32;
}

// Converts `n` bytes of big-endian data starting at byte `offset` of the data.
void convert_chunk(const TypeInfo& type, Tensor& t, const unsigned char* p, std::size_t n, std::size_t offset) {
  const std::size_t first = offset / type.size, count = n / type.size;
  switch (type.code) {
    case 0x0C: {
      auto* dst = t.data<std::int64_t>() + first;
      for (std::size_t i = 0; i < count; ++i) dst[i] = static_cast<std::int32_t>(load_be<std::uint32_t>(p + 4 * i));
      return;
    }
    case 0x0E: {
      auto* dst = t.data<double>() + first;
      for (std::size_t i = 0; i < count; ++i) dst[i] = std::bit_cast<double>(load_be<std::uint64_t>(p + 8 * i));
      return;
    }
    default: break;
  }
  auto* dst = t.data<float>() + first;
  switch (type.code) {
    case 0x08:
      for (std::size_t i = 0; i < count; ++i) dst[i] = p[i];
      break;
    case 0x09:
      for (std::size_t i = 0; i < count; ++i) dst[i] = static_cast<std::int8_t>(p[i]);
      break;
    case 0x0B:
      for (std::size_t i = 0; i < count; ++i) dst[i] = static_cast<std::int16_t>(load_be<std::uint16_t>(p + 2 * i));
      break;
    case 0x0D:
      for (std::size_t i = 0; i < count; ++i) dst[i] = std::bit_cast<float>(load_be<std::uint32_t>(p + 4 * i));
      break;
    default: break;
  }
}

void expect_magic(std::uint32_t magic, const std::string& path, const char* op, std::uint32_t want) {
  if (magic == want) return;
  const bool want_images = want == 0x803;
  const char* wanted = want_images ? "images (magic 2051 = 0x00000803: u8 [N, rows, cols])"
                                   : "labels (magic 2049 = 0x00000801: u8 [N])";
  std::string got = "magic " + std::to_string(magic) + " = " + hex(magic, 8);
  if (magic == 0x801) got = "a label file (magic 2049)";
  if (magic == 0x803) got = "an image file (magic 2051)";
  throw FormatError(zengen::detail::concat(op, ": '", path, "': not an idx ", want_images ? "image" : "label",
                                           " file: expected ", wanted, ", but this is ", got));
}

}  // namespace

Tensor read_idx(const std::string& path) {
  const TypeInfo* type = nullptr;
  return read_into(
      path, "read_idx", 0,
      [&](const IdxHeader& h) {
        type = h.type;
        return std::pair{Shape(h.dims), idx_dtype(h.type->code)};
      },
      [&](Tensor& t, const unsigned char* p, std::size_t n, std::size_t offset) { convert_chunk(*type, t, p, n, offset); });
}

Tensor read_idx_images(const std::string& path) {
  constexpr const char* op = "read_idx_images";
  return read_into(
      path, op, 0x803,
      [&](const IdxHeader& h) {
        if (h.dims[1] == 0 || h.dims[2] == 0)
          throw FormatError(zengen::detail::concat(op, ": '", path, "': dims ", h.dims_str, " declare images of ",
                                                   h.dims[1], " x ", h.dims[2],
                                                   " pixels; an image needs at least one row and one column"));
        return std::pair{Shape{h.dims[0], 1, h.dims[1], h.dims[2]}, DType::Float32};
      },
      [](Tensor& t, const unsigned char* p, std::size_t n, std::size_t offset) {
        float* dst = t.data<float>() + offset;
        for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(p[i]) / 255.0f;
      });
}

Tensor read_idx_labels(const std::string& path) {
  return read_into(
      path, "read_idx_labels", 0x801, [](const IdxHeader& h) { return std::pair{Shape{h.dims[0]}, DType::Int64}; },
      [](Tensor& t, const unsigned char* p, std::size_t n, std::size_t offset) {
        auto* dst = t.data<std::int64_t>() + offset;
        for (std::size_t i = 0; i < n; ++i) dst[i] = p[i];
      });
}

}  // namespace zengen::data
