// The fuzz targets' entry functions, shared by the libFuzzer programs
// (fuzz_<target>, built with clang by scripts/fuzz.sh) and the plain replay
// driver (zengen_fuzz_replay, built with the normal compiler; CTest replays
// fuzz/corpus/<target>/ through it).
//
// Each entry hands the bytes to a public reader as a file (a memfd, so
// nothing touches the disk) and checks what comes back: a zengen::Error is
// the expected answer to a bad file; anything else escaping (another
// exception type), a result that breaks the reader's promises (abort with a
// message), or a sanitizer report is a finding. Each returns whether its
// first reader accepted the file (the replay driver counts them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace zengen::fuzz {

/// data::load_image (ImageFolder's loader: read, cap, decode, composite),
/// then resize_center_crop, as ImageFolder does.
bool image(const std::uint8_t* data, std::size_t size);
/// data::read_idx, and read_idx_images / read_idx_labels on the same bytes.
bool idx(const std::uint8_t* data, std::size_t size);
/// io::load_safetensors.
bool safetensors(const std::uint8_t* data, std::size_t size);
/// io::load_module into a small Sequential(Linear(3, 2), BatchNorm1d(2)),
/// strict and not, and io::load_checkpoint: a failed load must leave the
/// module exactly as it was.
bool checkpoint(const std::uint8_t* data, std::size_t size);

using Entry = bool (*)(const std::uint8_t*, std::size_t);
struct Target {
  std::string_view name;
  Entry entry;
};
inline constexpr Target kTargets[] = {
    {"image", &image}, {"idx", &idx}, {"safetensors", &safetensors}, {"checkpoint", &checkpoint}};

/// The entry called `name`, or null.
Entry find_target(std::string_view name);

}  // namespace zengen::fuzz
