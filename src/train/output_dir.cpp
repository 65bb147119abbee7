#include "zengen/train/output_dir.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "zengen/core/error.hpp"

namespace zengen::train {

void ensure_writable_dir(const std::string& path) {
  namespace fs = std::filesystem;
  ZENGEN_CHECK(!path.empty(), IOError, "output folder: the path is empty");
  std::error_code ec;
  ZENGEN_CHECK(!fs::exists(path, ec) || fs::is_directory(path, ec), IOError, "the output folder ", path,
               " exists but is not a folder");
  fs::create_directories(path, ec);
  ZENGEN_CHECK(!ec, IOError, "cannot create the output folder ", path, ": ", ec.message());
  // Permission bits do not tell the whole story (read-only mounts, root,
  // a full disk): write a byte, flush it, remove it.
  const fs::path probe = fs::path(path) / (".zengen-write-test-" + std::to_string(::getpid()));
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  ZENGEN_CHECK(f != nullptr, IOError, "the output folder ", path, " is not writable: ", std::strerror(errno));
  const bool wrote = std::fputc('z', f) != EOF && std::fflush(f) == 0;
  const int write_errno = errno;
  std::fclose(f);
  fs::remove(probe, ec);
  ZENGEN_CHECK(wrote, IOError, "cannot write into the output folder ", path, ": ", std::strerror(write_errno));
}

}  // namespace zengen::train
