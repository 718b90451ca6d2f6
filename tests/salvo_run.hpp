// Test helper: runs `salvo -q run --out DIR ARGS` as its own process (one SystemC kernel per
// process, as a user runs it) and collects the exit code, the output and summary.json.
#pragma once

#include <sys/wait.h>
#include "salvo_paths.hpp"
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace salvo::testing {

struct SalvoRun {
  int code = -1;
  std::string output;
  nlohmann::json summary;
  std::filesystem::path out;
};

// `tag` names the output directory (unique per test process and call).
inline SalvoRun salvo_run(const std::string& tag, const std::string& args) {
  namespace fs = std::filesystem;
  SalvoRun r;
  r.out = fs::temp_directory_path() / ("salvo_test_" + std::to_string(::getpid()) + "_" + tag);
  fs::remove_all(r.out);
  const std::string cmd =
      std::string(SALVO_BIN_DIR) + "/salvo -q run --out " + r.out.string() + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[1024];
  while (std::fgets(buf, sizeof buf, p)) r.output += buf;
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (fs::exists(r.out / "summary.json"))
    r.summary = nlohmann::json::parse(std::ifstream(r.out / "summary.json"));
  return r;
}

}  // namespace salvo::testing
