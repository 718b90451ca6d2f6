// Subcommands whose issues have not landed yet say so plainly.
#include <cstdio>

#include "emulator/cli/commands.hpp"

namespace salvo::cli {

int cmd_run(const Args&) {
  std::fprintf(stderr, "salvo run: not yet available\n");
  return 2;
}
int cmd_info(const Args&) {
  std::fprintf(stderr, "salvo info: not yet available\n");
  return 2;
}
int cmd_schema(const Args&) {
  std::fprintf(stderr, "salvo schema: not yet available\n");
  return 2;
}

}  // namespace salvo::cli
