#include "emulator/cli/cli_util.hpp"

#include <fmt/format.h>

#include "hw/common/error.hpp"

namespace salvo::cli {

namespace po = boost::program_options;

po::variables_map parse_options(const char* command, const po::options_description& desc,
                                const Args& args,
                                const po::positional_options_description* positional) {
  po::variables_map vm;
  std::string allowed;
  for (const auto& opt : desc.options())
    allowed += (allowed.empty() ? "" : ", ") +
               opt->canonical_display_name(po::command_line_style::allow_long);
  po::parsed_options parsed(&desc);
  try {
    po::command_line_parser parser(args);
    parser.options(desc).style(po::command_line_style::unix_style);
    if (positional) parser.positional(*positional);
    parsed = parser.run();
  } catch (const po::error& e) {
    throw UserError(fmt::format("salvo {}: {} (allowed: {}; see salvo {} --help)", command,
                                e.what(), allowed, command));
  }
  // Boost drops a positional argument no positional option claims: `salvo info extra` would
  // run as if `extra` were not there. Refused instead.
  for (const auto& o : parsed.options)
    if (o.string_key.empty() && !o.original_tokens.empty())
      throw OptionError(command, "'" + o.original_tokens.front() + "'",
                        "unexpected argument (no option takes it)",
                        fmt::format("{}; see salvo {} --help", allowed, command));
  try {
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UserError(fmt::format("salvo {}: {} (allowed: {}; see salvo {} --help)", command,
                                e.what(), allowed, command));
  }
  return vm;
}

double parse_number_or_throw(const std::string& text, const char* command, const std::string& what,
                             const config::SchemaNode& kind) {
  double value = 0;
  const std::string problem = config::parse_number(text, kind, value);
  if (!problem.empty()) throw OptionError(command, what, problem, config::range_text(kind));
  return value;
}

std::optional<double> number_option(const po::variables_map& vm, const char* command,
                                    const char* option, const config::SchemaNode& kind) {
  if (!vm.count(option)) return std::nullopt;
  return parse_number_or_throw(vm[option].as<std::string>(), command, std::string("--") + option,
                               kind);
}

}  // namespace salvo::cli
