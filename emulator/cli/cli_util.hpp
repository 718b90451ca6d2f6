// Shared option parsing for the subcommands: Boost.Program_options with errors turned
// into one-line user errors naming the command and the allowed options.
#pragma once

#include <optional>
#include <string>

#include <boost/program_options.hpp>

#include "emulator/cli/commands.hpp"
#include "emulator/config/schema.hpp"

namespace salvo::cli {

boost::program_options::variables_map parse_options(
    const char* command, const boost::program_options::options_description& desc, const Args& args,
    const boost::program_options::positional_options_description* positional = nullptr);

// A numeric option (declared po::value<std::string>) read as a config value of schema `kind`
// (config::Int / config::Float with the option's range): the same parsing, range check and
// message as in a config file, so "-1" for an unsigned count is refused, never wrapped.
// nullopt when the option is absent. Throws OptionError naming the option.
std::optional<double> number_option(const boost::program_options::variables_map& vm,
                                    const char* command, const char* option,
                                    const config::SchemaNode& kind);
// The same for a number from anywhere else (an environment variable, say), named `what`.
double parse_number_or_throw(const std::string& text, const char* command, const std::string& what,
                             const config::SchemaNode& kind);

}  // namespace salvo::cli
