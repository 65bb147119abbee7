// See targets.hpp.
#include "targets.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "zengen/zengen.hpp"

namespace zengen::fuzz {

namespace {

// A reader broke its promise: report and abort, so that libFuzzer keeps the
// input and the replay test fails.
[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "zengen fuzz finding: %s\n", what.c_str());
  std::abort();
}

// The input as a file: one memfd per process, rewritten for each input, and
// opened by the readers through /proc/self/fd like any path.
std::string as_file(const std::uint8_t* data, std::size_t size) {
  static const int fd = [] {
    const int f = ::memfd_create("zengen-fuzz", MFD_CLOEXEC);
    if (f < 0) finding("memfd_create failed");
    return f;
  }();
  if (::ftruncate(fd, 0) != 0) finding("ftruncate failed");
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) finding("pwrite failed");
    done += static_cast<std::size_t>(n);
  }
  return "/proc/self/fd/" + std::to_string(fd);
}

// Runs f(); a zengen::Error is a correct answer to a bad file.
template <typename F>
bool accepts(F&& f) {
  try {
    f();
    return true;
  } catch (const zengen::Error&) {
    return false;
  }
}

void require_range(const Tensor& t, double lo, double hi, const char* what) {
  const Tensor d = t.to(DType::Float64);
  const double* p = d.data<double>();
  for (std::int64_t i = 0; i < d.numel(); ++i)
    if (!(p[i] >= lo && p[i] <= hi))
      finding(detail::concat(what, ": value ", p[i], " at ", i, " outside [", lo, ", ", hi, "]"));
}

constexpr std::int64_t kMaxPixels = std::int64_t{1} << 20;  // keeps each run small

// Fills the stack below the caller with `pattern`, where the decoder's frames will lie.
[[gnu::noinline]] void poison_stack(unsigned char pattern) {
  volatile unsigned char area[256 * 1024];
  for (std::size_t i = 0; i < sizeof area; ++i) area[i] = pattern;
}

// Leaves malloc's free lists holding blocks filled with `pattern` (its
// cached blocks are handed out as they were freed: M_PERTURB misses them).
[[gnu::noinline]] void spray_heap(unsigned char pattern) {
  std::vector<void*> blocks;
  for (std::size_t size = 16; size <= 4096; size += 16)
    for (int k = 0; k < 8; ++k) blocks.push_back(std::malloc(size));
  for (std::size_t size = 8192; size <= (std::size_t{1} << 20); size *= 2)
    for (int k = 0; k < 2; ++k) blocks.push_back(std::malloc(size));
  for (void* b : blocks)
    if (b) std::memset(b, pattern, malloc_usable_size(b));
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) std::free(*it);
}

// f() with malloc filling new blocks with ~pattern, its free lists and the
// stack below holding pattern.
template <typename F>
auto with_memory_pattern(unsigned char pattern, F&& f) {
  struct Reset {
    ~Reset() { mallopt(M_PERTURB, 0); }
  } reset;
  mallopt(M_PERTURB, pattern);
  spray_heap(pattern);
  poison_stack(pattern);
  return f();
}

}  // namespace

Entry find_target(std::string_view name) {
  for (const auto& t : kTargets)
    if (t.name == name) return t.entry;
  return nullptr;
}

bool image(const std::uint8_t* data, std::size_t size) {
  const std::string path = as_file(data, size);
  Tensor img;
  if (accepts([&] { img = with_memory_pattern(0x55, [&] { return data::load_image(path, 3, kMaxPixels); }); })) {
    // Again under another heap and stack pattern: a pixel the decoder did
    // not write would differ (glibc's M_PERTURB; ASan's allocator ignores
    // it, the stack pattern still applies).
    Tensor again;
    if (!accepts([&] { again = with_memory_pattern(0xAA, [&] { return data::load_image(path, 3, kMaxPixels); }); }))
      finding("load_image: a second decode of the same file fails");
    if (again.shape() != img.shape() || again.to_vector<float>() != img.to_vector<float>())
      finding("load_image: the pixels depend on memory the decoder did not write (two decodes differ)");
    if (img.dim() != 3 || img.size(0) != 3 || img.size(1) * img.size(2) > kMaxPixels)
      finding(detail::concat("load_image: shape ", img.shape(), " breaks [3, H, W] with H * W <= ", kMaxPixels));
    require_range(img, 0, 255, "load_image");
    const Tensor crop = data::resize_center_crop(img, 8);
    if (crop.shape() != Shape{3, 8, 8}) finding(detail::concat("resize_center_crop: shape ", crop.shape()));
    require_range(crop, -1e-3, 255 + 1e-3, "resize_center_crop");
  }
  Tensor raw;
  if (accepts([&] { raw = io::read_image(path, kMaxPixels); })) {
    if (raw.dim() != 3 || raw.size(0) < 1 || raw.size(0) > 4 || raw.size(1) * raw.size(2) > kMaxPixels)
      finding(detail::concat("read_image: shape ", raw.shape(), " breaks [1..4, H, W]"));
    if (img.defined() && (raw.size(1) != img.size(1) || raw.size(2) != img.size(2)))
      finding(detail::concat("read_image gives ", raw.shape(), " where load_image gave ", img.shape()));
    require_range(raw, 0, 1, "read_image");
  } else if (img.defined()) {
    finding("read_image refuses a file that load_image decodes");
  }
  return img.defined();
}

bool idx(const std::uint8_t* data, std::size_t size) {
  const std::string path = as_file(data, size);
  Tensor t;
  if (accepts([&] { t = data::read_idx(path); })) {
    // The file (when not gzipped) holds the 4-byte magic, 4 bytes per dim and the data.
    const bool gzipped = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    if (!gzipped) {
      const std::size_t elem = data[2] == 0x08 || data[2] == 0x09 ? 1 : data[2] == 0x0B ? 2 : data[2] == 0x0E ? 8 : 4;
      const auto expect = 4 + 4 * static_cast<std::size_t>(t.dim()) + elem * static_cast<std::size_t>(t.numel());
      if (expect != size) finding(detail::concat("read_idx: shape ", t.shape(), " from a ", size, "-byte file"));
    }
  }
  Tensor images, labels;
  if (accepts([&] { images = data::read_idx_images(path); }))
    if (images.dim() != 4 || images.size(1) != 1) finding(detail::concat("read_idx_images: shape ", images.shape()));
  if (accepts([&] { labels = data::read_idx_labels(path); }))
    if (labels.dim() != 1) finding(detail::concat("read_idx_labels: shape ", labels.shape()));
  if ((images.defined() || labels.defined()) && !t.defined()) finding("read_idx refuses what a typed reader reads");
  return t.defined();
}

bool safetensors(const std::uint8_t* data, std::size_t size) {
  const std::string path = as_file(data, size);
  io::SafetensorsFile file;
  if (!accepts([&] { file = io::load_safetensors(path); })) return false;
  // The tensors' bytes fit in the file: each stored element takes at least one byte.
  std::size_t stored = 0;
  for (const auto& [name, t] : file.tensors) {
    if (name == "__metadata__") finding("load_safetensors: a tensor named __metadata__");
    stored += static_cast<std::size_t>(t.numel());
  }
  if (stored > size) finding(detail::concat("load_safetensors: ", stored, " elements from a ", size, "-byte file"));
  return true;
}

bool checkpoint(const std::uint8_t* data, std::size_t size) {
  const std::string path = as_file(data, size);
  manual_seed(1);
  nn::Sequential net(nn::Linear(3, 2), nn::BatchNorm1d(2));
  // The state before, as independent copies.
  std::map<std::string, Tensor> before;
  for (const auto& [name, t] : net.state_dict()) before[name] = t.clone();
  auto unchanged = [&] {
    for (const auto& [name, t] : net.state_dict()) {
      const Tensor& b = before.at(name);
      if (t.shape() != b.shape() || t.dtype() != b.dtype() || std::memcmp(t.data_ptr(), b.data_ptr(), b.nbytes()) != 0)
        return false;
    }
    return true;
  };
  bool loaded_strict = false;
  for (const bool strict : {true, false}) {
    if (accepts([&] { io::load_module(net, path, strict); })) {
      loaded_strict = loaded_strict || strict;
      // Loaded: what is in the module now is what the file holds.
      const io::SafetensorsFile file = io::load_safetensors(path);
      for (const auto& [name, t] : net.state_dict())
        if (file.contains(name)) {
          const Tensor& f = file.at(name);
          if (std::memcmp(t.data_ptr(), f.data_ptr(), f.nbytes()) != 0)
            finding("load_module: entry '" + name + "' differs from the file");
        }
      for (const auto& [name, t] : before) before[name] = net.state_dict().at(name).clone();
    } else if (!unchanged()) {
      finding(strict ? "load_module (strict) failed but changed the module"
                     : "load_module (not strict) failed but changed the module");
    }
  }
  io::Checkpoint c;
  if (accepts([&] { c = io::load_checkpoint(path); }))
    for (const auto& [part, state] : c.parts) {
      if (part.empty() || part.find('.') != std::string::npos) finding("load_checkpoint: bad part name '" + part + "'");
      (void)c.part(part);
    }
  return loaded_strict;
}

}  // namespace zengen::fuzz
