// Subcommand not available until its issue lands.
#include <cstdio>

#include "emulator/cli/commands.hpp"

namespace salvo::cli {

int cmd_ppu_run(const Args&) {
  std::fprintf(stderr, "salvo ppu-run: not yet available\n");
  return 2;
}

}  // namespace salvo::cli
