// What the example programs (dcgan_train, vae_train, generate) share around
// their own work: the missing-data rule the tests rely on, and how an error
// ends the program.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <zengen/zengen.hpp>

namespace zengen_examples {

/// 0 when `folder` exists. Otherwise 77 (CTest's "skipped") with a line
/// saying so when ZENGEN_SKIP_MISSING_DATA=1 (what the tests set), or an
/// IOError that says how to fetch the data.
inline int check_data_folder(const char* program, const std::string& folder, const char* fetch_hint) {
  if (std::filesystem::is_directory(folder)) return 0;
  const char* skip = std::getenv("ZENGEN_SKIP_MISSING_DATA");
  if (skip && std::string(skip) == "1") {
    std::printf("%s: no data folder %s: skipped (ZENGEN_SKIP_MISSING_DATA=1)\n", program, folder.c_str());
    return 77;
  }
  throw zengen::IOError("no data folder " + folder + " (" + fetch_hint + ")");
}

/// body()'s exit status; a zengen error is printed as "program: message"
/// on stderr (after what stdout holds) and gives 1.
template <typename Body>
int run_reporting_errors(const char* program, Body&& body) {
  try {
    return body();
  } catch (const zengen::Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace zengen_examples
