// Shared option parsing for the subcommands: Boost.Program_options with errors turned
// into one-line user errors naming the command and the allowed options.
#pragma once

#include <boost/program_options.hpp>

#include "emulator/cli/commands.hpp"

namespace salvo::cli {

boost::program_options::variables_map parse_options(
    const char* command, const boost::program_options::options_description& desc, const Args& args,
    const boost::program_options::positional_options_description* positional = nullptr);

}  // namespace salvo::cli
