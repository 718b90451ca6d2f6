// libFuzzer: the chip and experiment config loaders with schema validation and `--set`
// parsing (emulator/config/*): the input is three parts separated by a line "---8<---": the
// chip YAML, the experiment YAML, and --set overrides one per line. Any input is a resolved
// config or a UserError (the one-line, exit-2 kind) — never a crash, another exception type,
// or a silent default.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "emulator/config/config.hpp"
#include "hw/common/error.hpp"

namespace {

std::string scratch(const char* what) {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string d = std::string(tmp && *tmp ? tmp : "/tmp") + "/salvo-fuzz-config-" +
                    std::to_string(::getpid());
    std::system(("mkdir -p '" + d + "'").c_str());
    return d;
  }();
  return dir + "/" + what;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string sep = "---8<---\n";
  std::vector<std::string> parts;
  std::size_t from = 0;
  for (;;) {
    const std::size_t k = text.find(sep, from);
    parts.push_back(text.substr(from, k == std::string::npos ? std::string::npos : k - from));
    if (k == std::string::npos || parts.size() == 3) break;
    from = k + sep.size();
  }
  if (parts.size() < 2) return 0;
  const std::string chip = scratch("chip.yaml"), experiment = scratch("experiment.yaml");
  std::ofstream(chip, std::ios::binary) << parts[0];
  std::ofstream(experiment, std::ios::binary) << parts[1];
  std::vector<std::string> sets;
  if (parts.size() == 3) {
    std::size_t a = 0;
    while (a < parts[2].size()) {
      std::size_t b = parts[2].find('\n', a);
      if (b == std::string::npos) b = parts[2].size();
      sets.push_back(parts[2].substr(a, b - a));
      a = b + 1;
    }
  }
  try {
    const auto cfg = salvo::config::load(chip, experiment, sets, 1);
    (void)salvo::config::to_yaml(cfg);
  } catch (const salvo::UserError&) {
  }
  return 0;
}
