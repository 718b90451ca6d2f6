// A sweep specification: the grid (axes x conditions x seeds) of `salvo run` invocations
// that a study needs, read from YAML and expanded into points with stable ids. The spec is
// plain data; running it is SweepRunner's job (sweep_runner.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace salvo::sweep {

// The key that selects a point's chip calibration instead of a `--set`: top level
// (`calibration: full`), in `set`, in a condition or as an axis; values kCalibrationValues.
// "full" and "auto" run the point with `--calibration auto` (the chip instance calibrated
// first, cached per chip hash and seed), "none" without.
inline constexpr const char* kCalibrationKey = "calibration";
inline constexpr const char* kCalibrationValues = "none, full (salvo run --calibration auto), auto";

// One `--set KEY=VALUE` override (VALUE as written in the spec); key kCalibrationKey is the
// point's calibration, not a --set.
struct Override {
  std::string key;
  std::string value;
};

// A grid axis: one `--set` key and the values it takes.
struct Axis {
  std::string key;
  std::vector<std::string> values;
};

// A named set of overrides (e.g. "sal" vs "feedback-alignment").
struct Condition {
  std::string name;
  std::vector<Override> overrides;
};

struct SweepSpec {
  std::string file;             // the spec file as given
  std::string directory;        // its directory (relative paths in the spec resolve here)
  std::string description;      // free text, optional
  std::string chip_file;        // absolute, or empty: salvo run's default
  std::string experiment_file;  // absolute, or empty: salvo run's default
  std::vector<std::uint64_t> seeds{1};
  std::vector<Axis> axes;
  std::vector<Condition> conditions;  // empty: a single unnamed condition
  std::vector<Override> set;          // overrides common to every point
  double timeout_s = 0;               // per point; 0 = no limit
  // argv prefix that replaces `salvo run` (placeholders {salvo} {id} {out} {seed}).
  std::vector<std::string> run_command{"{salvo}", "run"};
  std::vector<std::string> extra_args;  // appended after the point's own arguments
};

// One point of the sweep: one `salvo run` process.
struct Point {
  std::size_t index = 0;  // position in expansion order (seed-major)
  std::string id;         // stable: derived from condition, axis values and seed only
  std::string condition;  // "" when the spec has no conditions
  std::vector<std::string> axis_values;  // parallel to column_keys(spec)
  std::uint64_t seed = 1;
  std::vector<Override> overrides;  // composed: set, then condition, then axes
};

// Reads and validates a spec; bad input throws UserError "file:line:col: key: problem (allowed:
// ...)".
SweepSpec load_spec(const std::string& path);
// Same, from YAML text (`file` names it in messages; relative paths resolve against `directory`).
SweepSpec parse_spec(const std::string& yaml_text, const std::string& file,
                     const std::string& directory);

// The per-point value columns (ids, sweep.csv, the manifest, salvo report's groups): the axis
// keys, then "calibration" when the spec names a calibration anywhere but not as an axis (its
// value per point: the composed override, "none" where none applies).
std::vector<std::string> column_keys(const SweepSpec& spec);

// All points: seeds outermost (so a partial sweep covers the whole grid early), then
// conditions, then the cartesian product of the axes (last axis fastest).
std::vector<Point> expand(const SweepSpec& spec);

// The id of a point: "<condition>_<axis>=<value>..._s<seed>" (axis_values parallel to
// column_keys(spec), so a calibration named outside the axes is a part too), parts sorted by key
// (short key = last dotted component unless ambiguous), unsafe characters %-encoded,
// long ids shortened with a hash. Equal parameters give equal ids whatever the spec order.
std::string point_id(const SweepSpec& spec, const std::string& condition,
                     const std::vector<std::string>& axis_values, std::uint64_t seed);

// The child's argv (placeholders other than {salvo} already substituted; {salvo} is filled
// in by whoever spawns it, so MPI ranks use their own executable).
std::vector<std::string> command_line(const SweepSpec& spec, const Point& point,
                                      const std::string& out_dir);

// What a point's results depend on besides its seed and axis values: the chip and experiment
// files (paths and contents), the common overrides, the conditions, the axis keys in order,
// the run command and extra arguments. Description and timeout are not part of it. Two specs
// with equal identities differ at most in their seeds and axis values.
nlohmann::json spec_identity(const SweepSpec& spec);
// FNV-1a 64 of text, as 16 hex digits (stable across builds and hosts).
std::string stable_hash(const std::string& text);

// Replaces every "{salvo}" in argv with `salvo_exe`.
std::vector<std::string> resolve_salvo(std::vector<std::string> argv, const std::string& salvo_exe);

}  // namespace salvo::sweep
