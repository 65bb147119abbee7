#include "zengen/core/determinism.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace zengen {
namespace {

// -1: not yet decided (the environment decides on first use).
std::atomic<int>& mode() {
  static std::atomic<int> value{-1};
  return value;
}

}  // namespace

void set_deterministic(bool on) { mode().store(on ? 1 : 0); }

bool deterministic() {
  int value = mode().load();
  if (value < 0) {
    const char* env = std::getenv("ZENGEN_DETERMINISTIC");
    const int from_env = env != nullptr && std::strcmp(env, "1") == 0 ? 1 : 0;
    // A set_deterministic() racing with this first read wins.
    mode().compare_exchange_strong(value, from_env);
    value = mode().load();
  }
  return value == 1;
}

}  // namespace zengen
