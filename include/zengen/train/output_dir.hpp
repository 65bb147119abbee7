// Output folders: a trainer checks that it can write where it will write
// before it spends minutes training, and says which path is the problem.
#pragma once

#include <string>

namespace zengen::train {

/// Creates `path` (and its parents) if needed and proves it writable by
/// creating and removing a small probe file. Throws IOError naming the path
/// and the system's reason (not a folder, permission denied, read-only file
/// system, disk full).
void ensure_writable_dir(const std::string& path);

}  // namespace zengen::train
