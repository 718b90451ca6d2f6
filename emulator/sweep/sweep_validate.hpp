// Checking a sweep spec's overrides against the config schema before any point runs: every
// key the spec sets (set, conditions, axes) must exist, every value must be valid, and the
// cross-key checks of the experiment (ExperimentInfo::check) must pass — exactly what
// `salvo run` would check at start-up, done once here so that a bad spec is exit 2 with one
// line naming the spec and its key, not a sweep of failed points.
#pragma once

#include <cstddef>

#include "emulator/sweep/sweep_spec.hpp"

namespace salvo::sweep {

// How many distinct parameter combinations (condition x axis values; seeds do not change a
// config) are checked as a whole; beyond this the per-axis-value checks still run and the
// rest is left to the points themselves.
constexpr std::size_t kMaxValidatedCombinations = 4096;

// Whether the spec's points are `salvo run` invocations (run_command holds "{salvo}" then
// "run", possibly behind a wrapper such as valgrind) and so can be checked here; a stand-in
// command (a script of the user's) has keys of its own.
bool runs_salvo(const SweepSpec& spec);

// Throws UserError "SPEC: axes.KEY: value 'V': <the config error>" (or set / conditions.NAME
// / point ID) for the first override salvo run would refuse.
// Does nothing unless runs_salvo(spec).
void validate_spec(const SweepSpec& spec);

}  // namespace salvo::sweep
