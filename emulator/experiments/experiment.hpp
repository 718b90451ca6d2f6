// What an experiment is: typed Params read once from the experiment config through a field
// table (emulator/config/fields.hpp), cross-key checks that run when the config is loaded —
// before any chip is built, so `salvo run` refuses bad input at once and `sweep --dry-run`
// catches it — and a run() that calls its phases on a Session (emulator/session/).
//
// An experiment class E provides:
//   using Params = …;                       plain struct, member initialisers = defaults
//   static constexpr const char* kName, kSummary;
//   static const config::Fields<Params>& fields();
//   static void check(const Params&, const Checker&);
//   explicit E(Params);  void run(session::RunContext&) override;
// and is listed once in registry.cpp (docs/architecture.md: "How to add an experiment").
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "emulator/config/fields.hpp"
#include "emulator/config/schema.hpp"
#include "emulator/session/run_context.hpp"
#include "hw/common/chip_config.hpp"

namespace salvo::experiments {

using session::RunContext;

class Experiment {
 public:
  virtual ~Experiment() = default;
  // Runs the experiment on a fresh Session, writes its files and fills ctx.metrics. Throws
  // RunFailure if it ran but failed its own check.
  virtual void run(RunContext& ctx) = 0;
};

// Cross-key checks report through this: the message names the file and line (or --set) of
// the key at fault, the key, the problem and what is allowed; exit code 2.
class Checker {
 public:
  Checker(const YAML::Node& raw, const config::Origin& origin, const ChipConfig& chip)
      : raw_(raw), origin_(origin), chip(chip) {}
  // key: below `experiment.`, e.g. "layer_a" or "connections.2.rows".
  [[noreturn]] void fail(const std::string& key, const std::string& problem,
                         const std::string& allowed = "") const;
  void require(bool ok, const std::string& key, const std::string& problem,
               const std::string& allowed = "") const {
    if (!ok) fail(key, problem, allowed);
  }
  const std::string& file() const { return origin_.file; }

 private:
  const YAML::Node& raw_;
  const config::Origin& origin_;

 public:
  const ChipConfig& chip;  // the resolved chip variant the experiment will run on
};

struct ExperimentInfo {
  std::string name;
  std::string summary;
  config::SchemaNode schema;  // the whole experiment map, including `name`
  // Reads the Params and runs the experiment's cross-key checks (at config load).
  std::function<void(const YAML::Node& resolved, const YAML::Node& raw, const ChipConfig& chip,
                     const config::Origin& origin)>
      check;
  // The experiment with its Params read from the resolved config.
  std::function<std::unique_ptr<Experiment>(const YAML::Node& resolved)> make;
};

// Every experiment's names (one list, registry.cpp).
std::vector<std::string> names();

// The `duration_us` every experiment has (its default from the Params struct).
template <typename P>
config::Field<P> duration_field(std::string doc = "emulated (hardware) time to run") {
  return config::field("duration_us", &P::duration_us, 0.001, 1e9, std::move(doc));
}

template <typename E>
ExperimentInfo describe() {
  using P = typename E::Params;
  ExperimentInfo info;
  info.name = E::kName;
  info.summary = E::kSummary;
  info.schema = config::schema_of(
      E::fields(), "",
      {{"name", config::Required(
                    config::Enum(E::kName, names(), "which experiment this file configures"))}});
  info.check = [](const YAML::Node& resolved, const YAML::Node& raw, const ChipConfig& chip,
                  const config::Origin& origin) {
    E::check(config::read_fields(E::fields(), resolved), Checker(raw, origin, chip));
  };
  info.make = [](const YAML::Node& resolved) -> std::unique_ptr<Experiment> {
    return std::make_unique<E>(config::read_fields<P>(E::fields(), resolved));
  };
  return info;
}

}  // namespace salvo::experiments
