#include "emulator/sweep/sweep_spec.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "emulator/config/yaml_file.hpp"
#include "hw/common/error.hpp"

namespace salvo::sweep {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTopKeys =
    "description, chip, experiment, seeds, axes, conditions, set, calibration, timeout_s, "
    "run_command, extra_args";

// Builds the one-line message "file:line:col: key: problem (allowed: ...)".
class SpecErrors {
 public:
  explicit SpecErrors(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& problem,
                         const std::string& allowed = "") const {
    std::string where = file_;
    if (at.IsDefined()) {
      const YAML::Mark mark = at.Mark();
      if (!mark.is_null()) where += fmt::format(":{}:{}", mark.line + 1, mark.column + 1);
    }
    std::string msg = fmt::format("{}: {}: {}", where, key, problem);
    if (!allowed.empty()) msg += fmt::format(" (allowed: {})", allowed);
    throw UserError(msg);
  }

 private:
  std::string file_;
};

std::string scalar_text(const SpecErrors& err, const YAML::Node& node, const std::string& key) {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsNull()) err.fail(node, key, "has no value", "a number, string or boolean");
  // Lists and maps travel as flow YAML, which `--set` parses like any other YAML value.
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

void check_override_key(const SpecErrors& err, const YAML::Node& at, const std::string& where,
                        const std::string& key) {
  const bool ok = (key.rfind("chip.", 0) == 0 && key.size() > 5) ||
                  (key.rfind("experiment.", 0) == 0 && key.size() > 11) || key == kCalibrationKey;
  if (!ok)
    err.fail(at, where + "." + key, "not a config key",
             "chip.<key> or experiment.<key>, as for salvo run --set; or calibration");
}

// A calibration value (top level, set, condition or axis).
void check_calibration_value(const SpecErrors& err, const YAML::Node& at, const std::string& where,
                             const std::string& value) {
  if (value != "none" && value != "full" && value != "auto")
    err.fail(at, where, fmt::format("'{}' is not a calibration", value), kCalibrationValues);
}

std::uint64_t parse_seed(const SpecErrors& err, const YAML::Node& node, const std::string& key) {
  const std::string text = node.IsScalar() ? node.Scalar() : std::string();
  const bool digits =
      !text.empty() && text.size() <= 19 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits)
    err.fail(node, key, fmt::format("'{}' is not a seed", text), "integers 0 ... 10^19-1");
  return std::stoull(text);
}

std::vector<Override> parse_overrides(const SpecErrors& err, const YAML::Node& node,
                                      const std::string& where) {
  std::vector<Override> out;
  if (node.IsNull()) return out;
  if (!node.IsMap())
    err.fail(node, where, "must be a map of overrides",
             "{chip.<key>: value, experiment.<key>: value}");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    check_override_key(err, kv.first, where, key);
    out.push_back({key, scalar_text(err, kv.second, where + "." + key)});
    if (key == kCalibrationKey)
      check_calibration_value(err, kv.second, where + "." + key, out.back().value);
  }
  return out;
}

std::string resolve_path(const std::string& directory, const std::string& path) {
  if (path.empty()) return path;
  fs::path p(path);
  if (p.is_relative()) p = fs::path(directory) / p;
  return p.lexically_normal().string();
}

std::vector<std::string> parse_string_list(const SpecErrors& err, const YAML::Node& node,
                                           const std::string& key) {
  if (!node.IsSequence())
    err.fail(node, key, "must be a list of strings", "e.g. [valgrind, --quiet, \"{salvo}\", run]");
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar()) err.fail(item, key, "must be a list of strings");
    out.push_back(item.Scalar());
  }
  return out;
}

// Characters kept as they are in ids (directory names); everything else is %-encoded, which
// keeps the encoding injective.
std::string encode_id_part(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '+' || c == '_')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size())
    text.replace(pos, from.size(), to);
  return text;
}

// chip / experiment: files relative to the spec's directory.
void parse_files(const SpecErrors& err, const YAML::Node& root, SweepSpec& spec) {
  const std::string& directory = spec.directory;
  for (const char* key : {"chip", "experiment"}) {
    const YAML::Node node = root[key];
    if (!node) continue;
    if (!node.IsScalar() || node.Scalar().empty())
      err.fail(node, key, "must be a file path", "a YAML file, relative to the spec or absolute");
    const std::string path = resolve_path(directory, node.Scalar());
    if (!fs::is_regular_file(path))
      err.fail(node, key, fmt::format("no such file '{}'", path),
               "a YAML file, relative to the spec or absolute");
    (std::string(key) == "chip" ? spec.chip_file : spec.experiment_file) = path;
  }
}

// seeds: a list, or {count, first}; distinct.
void parse_seeds(const SpecErrors& err, const YAML::Node& seeds, SweepSpec& spec) {
  spec.seeds.clear();
  if (seeds.IsSequence()) {
    if (seeds.size() == 0)
      err.fail(seeds, "seeds", "is empty", "a list of seeds, or {count: N, first: S}");
    for (const auto& s : seeds) spec.seeds.push_back(parse_seed(err, s, "seeds"));
  } else if (seeds.IsMap()) {
    for (const auto& kv : seeds) {
      const std::string k = kv.first.Scalar();
      if (k != "count" && k != "first")
        err.fail(kv.first, "seeds." + k, "unknown key", "count, first");
    }
    if (!seeds["count"]) err.fail(seeds, "seeds.count", "missing", "{count: N, first: S}");
    const std::uint64_t count = parse_seed(err, seeds["count"], "seeds.count");
    if (count == 0 || count > 10000000)
      err.fail(seeds["count"], "seeds.count", fmt::format("{} is out of range", count),
               "1 ... 10^7");
    const std::uint64_t first = seeds["first"] ? parse_seed(err, seeds["first"], "seeds.first") : 1;
    for (std::uint64_t i = 0; i < count; ++i) spec.seeds.push_back(first + i);
  } else {
    err.fail(seeds, "seeds", "must be a list or a map", "[1, 2, 3] or {count: 10, first: 1}");
  }
  std::set<std::uint64_t> seen;
  for (std::size_t i = 0; i < spec.seeds.size(); ++i)
    if (!seen.insert(spec.seeds[i]).second)
      err.fail(seeds.IsSequence() ? seeds[i] : seeds, "seeds",
               fmt::format("seed {} appears twice", spec.seeds[i]), "distinct seeds");
}

// axes: keys to non-empty lists of distinct values.
void parse_axes(const SpecErrors& err, const YAML::Node& axes, SweepSpec& spec) {
  if (!axes.IsMap() && !axes.IsNull())
    err.fail(axes, "axes", "must be a map of keys to value lists",
             "{chip.mismatch.scale: [0, 0.5, 1]}");
  for (const auto& kv : axes) {
    const std::string key = kv.first.Scalar();
    check_override_key(err, kv.first, "axes", key);
    if (!kv.second.IsSequence() || kv.second.size() == 0)
      err.fail(kv.second, "axes." + key, "must be a non-empty list of values", "[v1, v2, ...]");
    Axis axis{key, {}};
    for (const auto& v : kv.second) {
      std::string text = scalar_text(err, v, "axes." + key);
      if (key == kCalibrationKey) check_calibration_value(err, v, "axes." + key, text);
      if (std::find(axis.values.begin(), axis.values.end(), text) != axis.values.end())
        err.fail(v, "axes." + key, fmt::format("value '{}' appears twice", text),
                 "distinct values");
      axis.values.push_back(std::move(text));
    }
    spec.axes.push_back(std::move(axis));
  }
}

// conditions: names to override maps that do not touch an axis key.
void parse_conditions(const SpecErrors& err, const YAML::Node& conditions, SweepSpec& spec) {
  if (!conditions.IsMap() && !conditions.IsNull())
    err.fail(conditions, "conditions", "must be a map of names to override maps",
             "{name: {experiment.<key>: value}, ...}");
  for (const auto& kv : conditions) {
    const std::string name = kv.first.Scalar();
    if (name.empty()) err.fail(kv.first, "conditions", "a condition needs a name");
    Condition c{name, parse_overrides(err, kv.second, "conditions." + name)};
    for (const auto& o : c.overrides)
      for (const auto& a : spec.axes)
        if (a.key == o.key)
          err.fail(kv.second[o.key], "conditions." + name + "." + o.key,
                   "is also an axis, so a point would get two values", "keys that are not axes");
    spec.conditions.push_back(std::move(c));
  }
}

// calibration (top level): the calibration of every point, as `set: {calibration: ...}` (a
// condition or an axis may still choose another).
void parse_calibration(const SpecErrors& err, const YAML::Node& node, SweepSpec& spec) {
  for (const auto& o : spec.set)
    if (o.key == kCalibrationKey)
      err.fail(node, "calibration", "is given twice (top level and in set)",
               "one of the two places");
  const std::string value = scalar_text(err, node, "calibration");
  check_calibration_value(err, node, "calibration", value);
  spec.set.push_back({kCalibrationKey, value});
}

// timeout_s: seconds >= 0.
void parse_timeout(const SpecErrors& err, const YAML::Node& timeout, SweepSpec& spec) {
  double t = -1;
  try {
    t = timeout.as<double>();
  } catch (const YAML::Exception&) {
  }
  if (!(t >= 0) || !std::isfinite(t))
    err.fail(timeout, "timeout_s", fmt::format("'{}' is not a duration", timeout.Scalar()),
             "seconds >= 0, 0 = no limit");
  spec.timeout_s = t;
}

// run_command and extra_args.
void parse_command(const SpecErrors& err, const YAML::Node& root, SweepSpec& spec) {
  const std::string& directory = spec.directory;
  if (const YAML::Node rc = root["run_command"]) {
    spec.run_command = parse_string_list(err, rc, "run_command");
    if (spec.run_command.empty())
      err.fail(rc, "run_command", "is empty", "e.g. [\"{salvo}\", run]");
    // A program named with a path is relative to the spec, like the config files.
    std::string& program = spec.run_command.front();
    if (program.find('/') != std::string::npos && program.find('{') == std::string::npos)
      program = resolve_path(directory, program);
  }
  if (const YAML::Node extra = root["extra_args"])
    spec.extra_args = parse_string_list(err, extra, "extra_args");
}

// The grid: bounded, and every point with its own id.
void check_grid(const SpecErrors& err, const YAML::Node& root, const SweepSpec& spec) {
  // The grid is expanded (ids, manifest) before anything runs: bound it first.
  constexpr double kMaxPoints = 1e7;
  double total = static_cast<double>(spec.seeds.size()) *
                 static_cast<double>(std::max<std::size_t>(1, spec.conditions.size()));
  for (const auto& a : spec.axes) total *= static_cast<double>(a.values.size());
  if (total > kMaxPoints)
    err.fail(root, "(top level)",
             fmt::format("the sweep has {:.0f} points (seeds x conditions x axis values)", total),
             "at most 10^7 points; split it into several sweeps");

  // Ids must be unique; the encoding is injective, so a clash means names that read alike.
  std::map<std::string, std::string> ids;
  for (const auto& p : expand(spec)) {
    const std::string what = fmt::format("condition '{}', seed {}", p.condition, p.seed);
    const auto [it, inserted] = ids.emplace(p.id, what);
    if (!inserted)
      err.fail(root["conditions"], "conditions",
               fmt::format("two points get the id '{}' ({} and {})", p.id, it->second, what),
               "condition names without '_<key>=' parts");
  }
}

}  // namespace

SweepSpec parse_spec(const std::string& yaml_text, const std::string& file,
                     const std::string& directory) {
  const SpecErrors err(file);
  // The strict loader: a key given twice (two identical axes used to run mislabelled points
  // and write two same-named CSV columns) or a second document is an error naming the lines.
  const YAML::Node root = config::parse_yaml(yaml_text, file);
  if (!root.IsMap()) err.fail(root, "(top level)", "a sweep spec must be a YAML map", kTopKeys);

  SweepSpec spec;
  spec.file = file;
  spec.directory = directory;
  const std::set<std::string> known = {"description", "chip",        "experiment", "seeds",
                                       "axes",        "conditions",  "set",        "calibration",
                                       "timeout_s",   "run_command", "extra_args"};
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    if (!known.count(key)) err.fail(kv.first, key, "unknown key", kTopKeys);
  }

  if (root["description"]) spec.description = scalar_text(err, root["description"], "description");
  parse_files(err, root, spec);
  if (const YAML::Node seeds = root["seeds"]) parse_seeds(err, seeds, spec);
  if (const YAML::Node axes = root["axes"]) parse_axes(err, axes, spec);
  if (const YAML::Node set = root["set"]) spec.set = parse_overrides(err, set, "set");
  if (const YAML::Node calibration = root["calibration"]) parse_calibration(err, calibration, spec);
  if (const YAML::Node conditions = root["conditions"]) parse_conditions(err, conditions, spec);
  if (const YAML::Node timeout = root["timeout_s"]) parse_timeout(err, timeout, spec);
  parse_command(err, root, spec);
  check_grid(err, root, spec);
  return spec;
}

SweepSpec load_spec(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UserError(fmt::format("{}: cannot read the sweep spec (no such file?)", path));
  std::stringstream text;
  text << in.rdbuf();
  const fs::path dir = fs::absolute(fs::path(path)).parent_path();
  return parse_spec(text.str(), path, dir.string());
}

std::vector<std::string> column_keys(const SweepSpec& spec) {
  std::vector<std::string> keys;
  bool named = false;
  for (const auto& a : spec.axes) {
    keys.push_back(a.key);
    named = named || a.key == kCalibrationKey;
  }
  if (named) return keys;  // the axis is the column
  auto names = [](const std::vector<Override>& os) {
    return std::any_of(os.begin(), os.end(),
                       [](const Override& o) { return o.key == kCalibrationKey; });
  };
  bool elsewhere = names(spec.set);
  for (const auto& c : spec.conditions) elsewhere = elsewhere || names(c.overrides);
  if (elsewhere) keys.push_back(kCalibrationKey);
  return keys;
}

std::string point_id(const SweepSpec& spec, const std::string& condition,
                     const std::vector<std::string>& axis_values, std::uint64_t seed) {
  // Short axis names (last dotted component) unless two axes share one.
  const std::vector<std::string> keys = column_keys(spec);
  std::map<std::string, int> short_count;
  auto short_name = [](const std::string& key) { return key.substr(key.rfind('.') + 1); };
  for (const auto& key : keys) ++short_count[short_name(key)];
  std::vector<std::pair<std::string, std::string>> parts;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    parts.emplace_back(short_count[short_name(key)] > 1 ? key : short_name(key), axis_values.at(i));
  }
  std::sort(parts.begin(), parts.end());
  std::string id;
  if (!spec.conditions.empty()) id += encode_id_part(condition) + "_";
  for (const auto& [name, value] : parts)
    id += encode_id_part(name) + "=" + encode_id_part(value) + "_";
  id += fmt::format("s{}", seed);
  if (id.size() > 120) {
    std::string canonical = condition;
    for (const auto& [name, value] : parts) canonical += "\n" + name + "=" + value;
    id = id.substr(0, 100) + fmt::format("~{:016x}_s{}", fnv1a(canonical), seed);
  }
  return id;
}

std::vector<Point> expand(const SweepSpec& spec) {
  std::vector<Point> points;
  std::vector<Condition> conditions = spec.conditions;
  if (conditions.empty()) conditions.push_back(Condition{"", {}});
  std::size_t grid = 1;
  for (const auto& a : spec.axes) grid *= a.values.size();
  // A calibration named outside the axes is a column of its own (see column_keys).
  const bool calibration_column = column_keys(spec).size() > spec.axes.size();
  for (const std::uint64_t seed : spec.seeds) {
    for (const auto& condition : conditions) {
      for (std::size_t g = 0; g < grid; ++g) {
        Point p;
        p.index = points.size();
        p.condition = condition.name;
        p.seed = seed;
        p.axis_values.resize(spec.axes.size());
        std::size_t rest = g;
        for (std::size_t a = spec.axes.size(); a-- > 0;) {
          p.axis_values[a] = spec.axes[a].values[rest % spec.axes[a].values.size()];
          rest /= spec.axes[a].values.size();
        }
        // Later overrides win: common set, then the condition, then the axes.
        auto put = [&p](const Override& o) {
          for (auto& existing : p.overrides)
            if (existing.key == o.key) {
              existing.value = o.value;
              return;
            }
          p.overrides.push_back(o);
        };
        for (const auto& o : spec.set) put(o);
        for (const auto& o : condition.overrides) put(o);
        for (std::size_t a = 0; a < spec.axes.size(); ++a)
          put({spec.axes[a].key, p.axis_values[a]});
        if (calibration_column) {
          std::string value = "none";
          for (const auto& o : p.overrides)
            if (o.key == kCalibrationKey) value = o.value;
          p.axis_values.push_back(value);
        }
        p.id = point_id(spec, p.condition, p.axis_values, p.seed);
        points.push_back(std::move(p));
      }
    }
  }
  return points;
}

std::vector<std::string> command_line(const SweepSpec& spec, const Point& point,
                                      const std::string& out_dir) {
  auto substitute = [&](std::string token) {
    token = replace_all(std::move(token), "{id}", point.id);
    token = replace_all(std::move(token), "{out}", out_dir);
    token = replace_all(std::move(token), "{seed}", std::to_string(point.seed));
    return token;
  };
  std::vector<std::string> argv;
  for (const auto& t : spec.run_command) argv.push_back(substitute(t));
  if (!spec.chip_file.empty()) argv.insert(argv.end(), {"--chip", spec.chip_file});
  if (!spec.experiment_file.empty())
    argv.insert(argv.end(), {"--experiment", spec.experiment_file});
  argv.insert(argv.end(), {"--seed", std::to_string(point.seed), "--out", out_dir});
  for (const auto& o : point.overrides) {
    if (o.key != kCalibrationKey)
      argv.insert(argv.end(), {"--set", o.key + "=" + o.value});
    else if (o.value != "none")
      argv.insert(argv.end(), {"--calibration", "auto"});
  }
  for (const auto& t : spec.extra_args) argv.push_back(substitute(t));
  return argv;
}

std::string stable_hash(const std::string& text) { return fmt::format("{:016x}", fnv1a(text)); }

nlohmann::json spec_identity(const SweepSpec& spec) {
  const auto file = [](const std::string& path) -> nlohmann::json {
    if (path.empty()) return nullptr;  // salvo run's default
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return {{"path", path}, {"content_hash", stable_hash(text.str())}};
  };
  const auto overrides = [](const std::vector<Override>& os) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& o : os) j.push_back({o.key, o.value});
    return j;
  };
  nlohmann::json conditions = nlohmann::json::array();
  for (const auto& c : spec.conditions)
    conditions.push_back({{"name", c.name}, {"set", overrides(c.overrides)}});
  nlohmann::json axes = nlohmann::json::array();
  for (const auto& a : spec.axes) axes.push_back(a.key);
  return {{"chip", file(spec.chip_file)},
          {"experiment", file(spec.experiment_file)},
          {"set", overrides(spec.set)},
          {"conditions", conditions},
          {"axes", axes},
          {"run_command", spec.run_command},
          {"extra_args", spec.extra_args}};
}

std::vector<std::string> resolve_salvo(std::vector<std::string> argv,
                                       const std::string& salvo_exe) {
  for (auto& token : argv) token = replace_all(std::move(token), "{salvo}", salvo_exe);
  return argv;
}

}  // namespace salvo::sweep
