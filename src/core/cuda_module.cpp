#include "core/cuda_module.hpp"

#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "backend.hpp"  // cuda/backend.hpp: the table, plain C++
#include "zengen/core/error.hpp"
#include "zengen/version.hpp"

namespace zengen::cuda_module {

namespace {

/// The folder of the file that holds this code: libzengen.so's, or the
/// executable's when libzengen.a was linked into it ("" if unknown).
std::string own_folder() {
  Dl_info info{};
  link_map* map = nullptr;
  if (dladdr1(reinterpret_cast<void*>(&own_folder), &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP) == 0 ||
      map == nullptr)
    return "";
  std::string file = map->l_name ? map->l_name : "";
  if (file.empty()) {  // the main program's link map has no name
    char buffer[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (n <= 0) return "";
    file.assign(buffer, static_cast<std::size_t>(n));
  }
  const std::size_t slash = file.rfind('/');
  return slash == std::string::npos ? "." : file.substr(0, slash);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

struct State {
  const cuda::Backend* table = nullptr;
  std::string path;   // where it was loaded from
  std::string error;  // why not
};

State load_first() {
  State s;
  std::string why;
  if (const char* env = std::getenv("ZENGEN_CUDA_LIBRARY"); env != nullptr && *env != '\0') {
    s.table = load(env, why);
    if (!s.table) s.error = detail::concat("cannot load ZENGEN_CUDA_LIBRARY=", env, " (", why, ")");
  } else {
    const std::string folder = own_folder();
    const std::string beside = folder.empty() ? std::string() : folder + "/" + kFileName;
    if (!beside.empty() && exists(beside)) {
      s.table = load(beside, why);
      if (!s.table) s.error = detail::concat("cannot load ", beside, " (", why, ")");
    } else {
      s.table = load(kFileName, why);
      if (!s.table)
        s.error = detail::concat(kFileName, " is neither beside libzengen (in ", folder.empty() ? "?" : folder,
                                 ") nor on the loader's search path (", why,
                                 "); a zengen built without CUDA (ZENGEN_WITH_CUDA=OFF, or no nvcc) has none, "
                                 "and ZENGEN_CUDA_LIBRARY=<full path> names one elsewhere");
    }
  }
  Dl_info info{};
  if (s.table && dladdr(s.table, &info) != 0 && info.dli_fname) s.path = info.dli_fname;
  return s;
}

std::atomic<const cuda::Backend*> loaded_table{nullptr};

const State& state() {
  static const State s = [] {
    State first = load_first();
    loaded_table.store(first.table, std::memory_order_release);
    return first;
  }();
  return s;
}

}  // namespace

const cuda::Backend* load(const std::string& path, std::string& error) {
  // RTLD_NOW: a missing CUDA library or symbol fails here, not at a later
  // call. Never dlclose'd (unloading CUDA's libraries again is not safe), not
  // even a module refused below.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* e = ::dlerror();
    error = e ? e : "dlopen failed";
    return nullptr;
  }
  ::dlerror();
  using Entry = const cuda::Backend* (*)();
  const auto entry = reinterpret_cast<Entry>(::dlsym(handle, cuda::kBackendEntryPoint));
  if (entry == nullptr) {
    const char* e = ::dlerror();
    error = detail::concat(path, " is not a CUDA backend of this zengen: it has no ", cuda::kBackendEntryPoint,
                           e ? detail::concat(" (", e, ")") : std::string());
    return nullptr;
  }
  const cuda::Backend* table = entry();
  if (table == nullptr || table->version != cuda::kBackendVersion || table->size != sizeof(cuda::Backend) ||
      std::strcmp(table->zengen_version, ZENGEN_VERSION_STRING) != 0) {
    error = table == nullptr
                ? detail::concat(path, " gave no backend table")
                : detail::concat(path, " is the CUDA backend of zengen ", table->zengen_version, " (table version ",
                                 table->version, ", ", table->size, " bytes), this libzengen is ",
                                 ZENGEN_VERSION_STRING, " (table version ", cuda::kBackendVersion, ", ",
                                 sizeof(cuda::Backend), " bytes): install matching builds");
    return nullptr;
  }
  return table;
}

const cuda::Backend* find() { return state().table; }
const cuda::Backend* if_loaded() { return loaded_table.load(std::memory_order_acquire); }

const cuda::Backend& get(const char* what) {
  if (const cuda::Backend* table = find()) return *table;
  throw DeviceError(detail::concat(what, ": no CUDA backend: ", load_error()));
}

const std::string& load_error() { return state().error; }
const std::string& loaded_path() { return state().path; }

}  // namespace zengen::cuda_module
