// AtomicFile: writes a file so that readers see either the old content or
// the complete new one, never a half-written file. The bytes go to a
// temporary file in the target's folder, which commit() flushes, syncs,
// closes and renames over the target. Destroying an uncommitted AtomicFile
// (an exception on the way) removes the temporary file.
#pragma once

#include <cstddef>
#include <string>

namespace zengen::io::detail {

class AtomicFile {
 public:
  /// Creates the temporary file; `op` names the caller in error messages.
  /// Throws IOError naming `path` and the OS reason when it cannot.
  AtomicFile(std::string path, std::string op);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t nbytes);
  /// fsync, close, rename over the target, then sync the folder.
  void commit();

  const std::string& temp_path() const { return temp_path_; }

 private:
  [[noreturn]] void fail(const char* what, int err);
  void discard() noexcept;

  std::string path_, op_, temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace zengen::io::detail
