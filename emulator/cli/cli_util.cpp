#include "emulator/cli/cli_util.hpp"

#include <fmt/format.h>

#include "hw/common/error.hpp"

namespace salvo::cli {

namespace po = boost::program_options;

po::variables_map parse_options(const char* command, const po::options_description& desc,
                                const Args& args,
                                const po::positional_options_description* positional) {
  po::variables_map vm;
  try {
    po::command_line_parser parser(args);
    parser.options(desc).style(po::command_line_style::unix_style);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::string allowed;
    for (const auto& opt : desc.options())
      allowed += (allowed.empty() ? "" : ", ") +
                 opt->canonical_display_name(po::command_line_style::allow_long);
    throw UserError(fmt::format("salvo {}: {} (allowed: {}; see salvo {} --help)", command,
                                e.what(), allowed, command));
  }
  return vm;
}

}  // namespace salvo::cli
