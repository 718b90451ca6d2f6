#include "emulator/config/config.hpp"
#include "salvo_paths.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "emulator/experiments/registry.hpp"
#include "hw/common/error.hpp"

namespace salvo::config {

namespace fs = std::filesystem;

std::string locate(const std::string& path) {
  if (fs::exists(path)) return path;
  const fs::path in_tree = fs::path(SALVO_SOURCE_DIR) / path;
  if (fs::path(path).is_relative() && fs::exists(in_tree)) return in_tree.string();
  return path;
}

std::string default_chip_file() { return locate("configs/chips/reference.yaml"); }

std::string default_experiment_file() {
  return locate("configs/experiments/" + experiments::default_experiment() + ".yaml");
}

namespace {

struct Override {
  std::string root;  // "chip" or "experiment"
  std::string path;  // below the root
  std::string value;
};

std::vector<Override> parse_overrides(const std::vector<std::string>& overrides) {
  std::vector<Override> out;
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UserError(fmt::format(
          "--set {}: expected KEY=VALUE (allowed keys: chip.<key> or experiment.<key>)", o));
    const std::string key = o.substr(0, eq);
    const auto dot = key.find('.');
    const std::string root = key.substr(0, dot);
    if ((root != "chip" && root != "experiment") || dot == std::string::npos)
      throw UserError(
          fmt::format("--set {}: key must start with 'chip.' or 'experiment.' (allowed: "
                      "chip.<key>, experiment.<key>)",
                      o));
    out.push_back({root, key.substr(dot + 1), o.substr(eq + 1)});
  }
  return out;
}

YAML::Node apply(YAML::Node tree, const std::vector<Override>& overrides, const std::string& root,
                 Origin& origin) {
  if (!tree.IsDefined() || tree.IsNull()) tree = YAML::Node(YAML::NodeType::Map);
  for (const auto& o : overrides) {
    if (o.root != root) continue;
    apply_override(tree, o.path, o.value, root);
    origin.overridden.insert(root + "." + o.path);
  }
  return tree;
}

}  // namespace

ResolvedConfig load_chip(const std::string& chip_file, const std::vector<std::string>& overrides) {
  ResolvedConfig rc;
  rc.chip_file = chip_file;
  const auto ovs = parse_overrides(overrides);
  Origin origin{chip_file, {}};
  YAML::Node raw = apply(read_yaml_file(chip_file, "chip"), ovs, "chip", origin);
  rc.chip = validate(raw, chip_schema(), "chip", origin);
  check_chip(rc.chip, raw, origin);
  rc.chip_config = chip_from(rc.chip, chip_file);
  return rc;
}

ResolvedConfig load(const std::string& chip_file, const std::string& experiment_file,
                    const std::vector<std::string>& overrides, std::uint64_t seed) {
  ResolvedConfig rc = load_chip(chip_file, overrides);
  rc.experiment_file = experiment_file;
  rc.seed = seed;
  const auto ovs = parse_overrides(overrides);
  Origin origin{experiment_file, {}};
  YAML::Node raw = apply(read_yaml_file(experiment_file, "experiment"), ovs, "experiment", origin);
  // A scalar or list file has no keys: asking it for one is a yaml-cpp exception (found by
  // fuzz_config: "internal error ... operator[] call on a scalar", exit 1).
  if (!raw.IsMap())
    fail_at(raw, "experiment", origin, "expected a map of keys", "name: <experiment>, ...");
  const YAML::Node name = raw["name"];
  const auto names = experiments::names();
  std::string allowed;
  for (const auto& n : names) allowed += (allowed.empty() ? "" : ", ") + n;
  if (!name.IsDefined() || !name.IsScalar())
    fail_at(name.IsDefined() ? name : raw, "experiment.name", origin, "missing experiment name",
            allowed);
  const std::string n = name.Scalar();
  if (!experiments::find(n)) {
    const std::string close = suggest(n, names);
    fail_at(name, "experiment.name", origin,
            fmt::format("unknown experiment '{}'{}", n,
                        close.empty() ? "" : fmt::format(" (did you mean '{}'?)", close)),
            allowed);
  }
  const auto* info = experiments::find(n);
  rc.experiment = validate(raw, info->schema, "experiment", origin);
  if (info->check) info->check(rc.experiment, raw, rc.chip_config, origin);
  return rc;
}

std::string to_yaml(const ResolvedConfig& config) {
  YAML::Node root(YAML::NodeType::Map);
  root["salvo_version"] = SALVO_VERSION;
  root["seed"] = config.seed;
  root["chip"] = config.chip;
  if (config.experiment.IsDefined()) root["experiment"] = config.experiment;
  YAML::Emitter em;
  em << root;
  return std::string(em.c_str()) + "\n";
}

}  // namespace salvo::config
