// libFuzzer: sweep specs (emulator/sweep/sweep_spec.*): any YAML text is a spec whose
// expansion has unique ids, or a UserError.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "emulator/sweep/sweep_spec.hpp"
#include "hw/common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto spec = salvo::sweep::parse_spec(text, "fuzz.yaml", "/nonexistent");
    std::set<std::string> ids;
    for (const auto& p : salvo::sweep::expand(spec)) {
      if (!ids.insert(p.id).second) std::abort();
      (void)salvo::sweep::command_line(spec, p, "/tmp/out");
    }
    (void)salvo::sweep::spec_identity(spec);
  } catch (const salvo::UserError&) {
  }
  return 0;
}
