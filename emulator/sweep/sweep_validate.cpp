#include "emulator/sweep/sweep_validate.hpp"

#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "emulator/config/config.hpp"
#include "hw/common/error.hpp"

namespace salvo::sweep {

namespace {

class Checker {
 public:
  explicit Checker(const SweepSpec& spec)
      : spec_(spec),
        chip_(spec.chip_file.empty() ? config::default_chip_file() : spec.chip_file),
        experiment_(spec.experiment_file.empty() ? config::default_experiment_file()
                                                 : spec.experiment_file) {}

  // Loads the configs as `salvo run` would with these overrides (later ones win, as in
  // expand()); rethrows a refusal prefixed by the spec file and `what`.
  void check(const std::vector<Override>& overrides, const std::string& what) {
    std::vector<std::string> sets;
    for (const auto& o : overrides)
      if (o.key != kCalibrationKey) sets.push_back(o.key + "=" + o.value);  // not a --set
    if (!seen_.insert(sets).second) return;
    try {
      config::load(chip_, experiment_, sets, 1);
    } catch (const UserError& e) {
      throw UserError(fmt::format("{}: {}: {}", spec_.file, what, e.what()));
    }
  }

 private:
  const SweepSpec& spec_;
  std::string chip_, experiment_;
  std::set<std::vector<std::string>> seen_;
};

std::vector<Override> merged(std::vector<Override> base, const std::vector<Override>& more) {
  for (const auto& o : more) {
    bool replaced = false;
    for (auto& b : base)
      if (b.key == o.key) b.value = o.value, replaced = true;
    if (!replaced) base.push_back(o);
  }
  return base;
}

}  // namespace

bool runs_salvo(const SweepSpec& spec) {
  const auto& c = spec.run_command;
  for (std::size_t i = 0; i + 1 < c.size(); ++i)
    if (c[i] == "{salvo}" && c[i + 1] == "run") return true;
  return false;
}

void validate_spec(const SweepSpec& spec) {
  if (!runs_salvo(spec)) return;
  Checker checker(spec);
  std::vector<Condition> conditions = spec.conditions;
  if (conditions.empty()) conditions.push_back(Condition{"", {}});
  // The common set alone (only without conditions: a study may rely on its conditions to make
  // the base configs fit, e.g. a smaller network on the mini chip), then each condition, then
  // each axis value on its own (so the message names the key at fault), then whole
  // combinations for the cross-key checks.
  if (spec.conditions.empty())
    checker.check(spec.set, spec.set.empty() ? "chip and experiment" : "set");
  for (const auto& c : conditions) {
    const auto base = merged(spec.set, c.overrides);
    const std::string cond = c.name.empty() ? "" : fmt::format(" (condition '{}')", c.name);
    if (!c.name.empty()) checker.check(base, "conditions." + c.name);
    for (const auto& a : spec.axes)
      for (const auto& v : a.values)
        checker.check(merged(base, {{a.key, v}}),
                      fmt::format("axes.{}: value '{}'{}", a.key, v, cond));
  }
  const std::vector<Point> points = expand(spec);
  std::set<std::string> combos;
  for (const auto& p : points) {
    std::string key = p.condition;
    for (const auto& v : p.axis_values) key += '\n' + v;
    if (!combos.insert(key).second) continue;  // another seed of a checked combination
    if (combos.size() > kMaxValidatedCombinations) break;
    std::string what = "point";
    if (!p.condition.empty()) what += fmt::format(" condition '{}'", p.condition);
    for (std::size_t a = 0; a < spec.axes.size(); ++a)
      what += fmt::format(" {}={}", spec.axes[a].key, p.axis_values[a]);
    checker.check(p.overrides, what);
  }
}

}  // namespace salvo::sweep
