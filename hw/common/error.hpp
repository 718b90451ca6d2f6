// Error hierarchy (Arbor style): a UserError is bad input the user can fix (config, CLI,
// ELF, firmware behaviour) and maps to exit code 2 with a one-line message; an
// InternalError is a broken invariant inside salvo and maps to exit code 1.
#pragma once

#include <stdexcept>
#include <string>

namespace salvo {

// Bad input: the message is one line naming the file, the key and what is allowed.
class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& what) : std::runtime_error(what) {}
};

// A bad value of one configuration key. Carries its parts; the one-line message is formatted
// once, here: "file[:line]: key: problem (allowed: ...)". `file` may be "--set" for an
// override; `key` is the dotted path (experiment.layer_a, chip.neurons.dt_us).
class ConfigError : public UserError {
 public:
  ConfigError(std::string file, std::string key, std::string problem, std::string allowed = "",
              int line = 0);
  std::string file, key, problem, allowed;
  int line;
};

// A bad command-line option or argument: "salvo COMMAND: OPTION: problem (allowed: ...)".
class OptionError : public UserError {
 public:
  OptionError(std::string command, std::string option, std::string problem,
              std::string allowed = "");
  std::string command, option, problem, allowed;
};

// A broken invariant inside salvo (a bug, not the user's fault).
class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& what) : std::logic_error(what) {}
};

// The experiment ran but failed its own check, the firmware trapped, or a watchdog
// stopped a program that ran away: exit code 1, results so far are kept.
class RunFailure : public std::runtime_error {
 public:
  explicit RunFailure(const std::string& what, int exit_code = 1)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

}  // namespace salvo
