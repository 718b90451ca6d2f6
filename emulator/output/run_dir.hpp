// The output directory of one `salvo run`, so results of two runs never mix: the directory
// carries a manifest (.salvo-run.json) naming the files that were there before salvo first
// wrote into it ("kept": a sweep's logs, the user's own files) and, once a run has ended, the
// files that run wrote ("files"). The next run into the directory first removes the previous
// run's files — all of "files", or, after a killed run that never listed them, everything not
// kept — then writes its own. A directory without a manifest that holds a run's results
// (config.yaml or summary.json from an older salvo, or copied) is refused unless --force.
#pragma once

#include <filesystem>
#include <set>
#include <string>

namespace salvo::output {

class RunDirectory {
 public:
  // Creates or takes over `dir` for a new run (the option name, e.g. "--out", and the command
  // go into error messages: a path that is a file, or cannot be created, is an OptionError).
  static RunDirectory claim(const std::filesystem::path& dir, bool force,
                            const std::string& command = "run",
                            const std::string& option = "--out");
  // Records the files this run wrote (call after the last output, plots included).
  void seal() const;
  const std::filesystem::path& path() const { return dir_; }

  static constexpr const char* kManifest = ".salvo-run.json";

 private:
  RunDirectory(std::filesystem::path dir, std::set<std::string> kept)
      : dir_(std::move(dir)), kept_(std::move(kept)) {}
  std::filesystem::path dir_;
  std::set<std::string> kept_;
};

}  // namespace salvo::output
