// The `salvo` subcommands. Each takes its own arguments (without "salvo <command>"),
// returns the process exit code, and throws salvo::UserError for bad input (exit 2).
#pragma once

#include <string>
#include <vector>

namespace salvo::cli {

using Args = std::vector<std::string>;

int cmd_run(const Args& args);
int cmd_info(const Args& args);
int cmd_ppu_run(const Args& args);
int cmd_sweep(const Args& args);
int cmd_report(const Args& args);
int cmd_schema(const Args& args);
int cmd_calibrate(const Args& args);
int cmd_compare(const Args& args);

}  // namespace salvo::cli
