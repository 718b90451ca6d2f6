#include "hw/common/error.hpp"

#include <utility>

namespace salvo {

namespace {

std::string with_allowed(const std::string& head, const std::string& allowed) {
  return allowed.empty() ? head : head + " (allowed: " + allowed + ")";
}

}  // namespace

ConfigError::ConfigError(std::string file_, std::string key_, std::string problem_,
                         std::string allowed_, int line_)
    : UserError(with_allowed(file_ + (line_ > 0 ? ":" + std::to_string(line_) : std::string()) +
                                 ": " + key_ + ": " + problem_,
                             allowed_)),
      file(std::move(file_)),
      key(std::move(key_)),
      problem(std::move(problem_)),
      allowed(std::move(allowed_)),
      line(line_) {}

OptionError::OptionError(std::string command_, std::string option_, std::string problem_,
                         std::string allowed_)
    : UserError(with_allowed("salvo " + command_ + ": " + option_ + ": " + problem_, allowed_)),
      command(std::move(command_)),
      option(std::move(option_)),
      problem(std::move(problem_)),
      allowed(std::move(allowed_)) {}

}  // namespace salvo
