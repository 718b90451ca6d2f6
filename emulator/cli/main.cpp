// salvo: command-line entry point. Dispatches to the subcommands and maps the error
// hierarchy to exit codes (0 ok, 1 run failure / internal error, 2 bad input).
#include <cstdio>
#include <exception>
#include <string>

#include <spdlog/spdlog.h>

#include "emulator/cli/commands.hpp"
#include "emulator/cli/logging.hpp"
#include "hw/common/error.hpp"

namespace {

constexpr const char* kUsage =
    "usage: salvo [-v|-q] [--version] <command> [options]\n"
    "\n"
    "commands:\n"
    "  run      one experiment on one emulated chip instance\n"
    "  calibrate  calibrate one chip instance through its observables\n"
    "  info     a chip variant's derived figures\n"
    "  ppu-run  a bare-metal RV32 program on the plasticity processor alone\n"
    "  sweep    many runs (grid and Monte Carlo over seeds), each an isolated process\n"
    "  report   statistics and plots of a finished sweep\n"
    "  compare  two chip variants side by side on one experiment (metrics, load, energy, area)\n"
    "  schema   the configuration reference (Markdown), generated from the schema\n"
    "\n"
    "`salvo <command> --help` describes each command.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace salvo::cli;
  Args args(argv + 1, argv + argc);
  int verbosity = 0;
  while (!args.empty() && args.front().size() > 1 && args.front()[0] == '-') {
    const std::string opt = args.front();
    if (opt == "-v" || opt == "--verbose") {
      ++verbosity;
    } else if (opt == "-vv") {
      verbosity += 2;
    } else if (opt == "-q" || opt == "--quiet") {
      --verbosity;
    } else if (opt == "--version") {
      std::printf("salvo %s\n", SALVO_VERSION);
      return 0;
    } else if (opt == "-h" || opt == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr,
                   "salvo: error: unknown option '%s' (allowed: -v, -q, --version, --help)\n",
                   opt.c_str());
      return 2;
    }
    args.erase(args.begin());
  }
  setup_logging(verbosity);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  try {
    if (command == "run") return cmd_run(args);
    if (command == "info") return cmd_info(args);
    if (command == "ppu-run") return cmd_ppu_run(args);
    if (command == "sweep") return cmd_sweep(args);
    if (command == "report") return cmd_report(args);
    if (command == "schema") return cmd_schema(args);
    if (command == "calibrate") return cmd_calibrate(args);
    if (command == "compare") return cmd_compare(args);
    std::fprintf(
        stderr,
        "salvo: error: unknown command '%s' (allowed: run, calibrate, info, ppu-run, sweep, "
        "report, schema, compare)\n",
        command.c_str());
    return 2;
  } catch (const salvo::UserError& e) {
    std::fprintf(stderr, "salvo: error: %s\n", e.what());
    return 2;
  } catch (const salvo::RunFailure& e) {
    std::fprintf(stderr, "salvo: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "salvo: internal error: %s\n", e.what());
    return 1;
  }
}
