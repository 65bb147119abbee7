#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "zengen/core/error.hpp"

namespace zengen::io::detail {

namespace {

std::string parent_folder(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// "<target>.tmp.<pid>.<counter><clock>": unique within this process by the
// counter, across processes by the pid; O_EXCL makes a clash a retry.
std::string temp_name(const std::string& path) {
  static std::atomic<unsigned long> counter{0};
  const auto ticks = static_cast<unsigned long long>(
      std::chrono::steady_clock::now().time_since_epoch().count());
  char suffix[96];
  std::snprintf(suffix, sizeof suffix, ".tmp.%ld.%lu%06llx", static_cast<long>(::getpid()),
                counter.fetch_add(1), ticks & 0xffffffULL);
  return path + suffix;
}

}  // namespace

AtomicFile::AtomicFile(std::string path, std::string op) : path_(std::move(path)), op_(std::move(op)) {
  ZENGEN_CHECK(!path_.empty(), IOError, op_, ": empty file path");
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp_path_ = temp_name(path_);
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    if (errno != EEXIST) break;
  }
  const int err = errno;
  temp_path_.clear();
  throw IOError(zengen::detail::concat(op_, ": cannot write '", path_, "': cannot create a file in '",
                                       parent_folder(path_), "': ", std::strerror(err)));
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
}

void AtomicFile::fail(const char* what, int err) {
  discard();
  throw IOError(zengen::detail::concat(op_, ": cannot write '", path_, "': ", what, ": ", std::strerror(err),
                                       " (the previous file, if any, is unchanged)"));
}

void AtomicFile::write(const void* data, std::size_t nbytes) {
  ZENGEN_CHECK(fd_ >= 0, IOError, op_, ": write to '", path_, "' after it was closed");
  const char* p = static_cast<const char*>(data);
  while (nbytes > 0) {
    const std::size_t chunk = nbytes < (std::size_t{1} << 30) ? nbytes : (std::size_t{1} << 30);
    const ssize_t n = ::write(fd_, p, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write failed", errno);
    }
    if (n == 0) fail("write failed", EIO);
    p += n;
    nbytes -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  ZENGEN_CHECK(fd_ >= 0, IOError, op_, ": commit of '", path_, "' after it was closed");
  if (::fsync(fd_) != 0) fail("fsync failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close failed", errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) fail("cannot rename the temporary file over it", errno);
  committed_ = true;
  temp_path_.clear();
  // Make the rename itself durable; the new file is in place either way.
  const int dir = ::open(parent_folder(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace zengen::io::detail
