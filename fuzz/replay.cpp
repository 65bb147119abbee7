// zengen_fuzz_replay <target> <file or folder>...: runs every file (folders:
// every file in them, recursively, sorted) through the fuzz target's entry
// function, as the libFuzzer program would, with the normal compiler. Exits
// 0 when all of them were handled (read, or refused with a zengen::Error),
// 1 for an exception of another type, and aborts on a finding. CTest runs it
// over fuzz/corpus/<target>/ (label fuzz). With ZENGEN_FUZZ_VERBOSE set it
// lists each file as read or refused.
#include <algorithm>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "targets.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: zengen_fuzz_replay <target> <file or folder>...\n  targets:";
    for (const auto& t : zengen::fuzz::kTargets) std::cerr << ' ' << t.name;
    std::cerr << '\n';
    return 2;
  }
  const auto entry = zengen::fuzz::find_target(argv[1]);
  if (!entry) {
    std::cerr << "zengen_fuzz_replay: unknown target '" << argv[1] << "'\n";
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    const fs::path p(argv[i]);
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (fs::is_regular_file(p)) {
      files.push_back(p);
    } else {
      std::cerr << "zengen_fuzz_replay: '" << p.string() << "' is neither a file nor a folder\n";
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "zengen_fuzz_replay: no files to replay\n";
    return 2;
  }
  const bool verbose = std::getenv("ZENGEN_FUZZ_VERBOSE") != nullptr;
  std::size_t accepted = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      const bool ok = entry(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      accepted += ok;
      if (verbose) std::cout << (ok ? "read     " : "refused  ") << f.string() << '\n';
    } catch (const std::exception& e) {
      std::cerr << "zengen_fuzz_replay: " << f.string() << ": uncaught " << e.what() << '\n';
      return 1;
    }
  }
  std::cout << "zengen_fuzz_replay " << argv[1] << ": " << files.size() << " files handled (" << accepted
            << " read, " << files.size() - accepted << " refused with a zengen::Error)\n";
  return 0;
}
