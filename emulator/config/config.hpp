// Loading, overriding and validating the chip and experiment configs. This is the one
// place input files are checked; everything downstream reads validated values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "emulator/config/schema.hpp"
#include "emulator/config/yaml_file.hpp"
#include "hw/common/chip_config.hpp"

namespace salvo::config {

struct ResolvedConfig {
  std::string chip_file;
  std::string experiment_file;
  YAML::Node chip;        // every key, defaults filled
  YAML::Node experiment;  // every key, defaults filled
  ChipConfig chip_config;
  std::uint64_t seed = 1;
};

// Default config files (looked up in the working directory, then in the source tree).
std::string default_chip_file();
std::string default_experiment_file();
// Resolves a config path: as given if it exists, else relative to the source tree.
std::string locate(const std::string& path);

// Loads both configs, applies `--set` overrides ("chip.a.b=v" or "experiment.a.b=v"),
// validates everything. Throws UserError with a one-line message on bad input.
ResolvedConfig load(const std::string& chip_file, const std::string& experiment_file,
                    const std::vector<std::string>& overrides, std::uint64_t seed);

// Only the chip (for `salvo info`).
ResolvedConfig load_chip(const std::string& chip_file, const std::vector<std::string>& overrides);

// The fully resolved config as YAML text: {salvo_version, seed, chip: ..., experiment: ...}.
std::string to_yaml(const ResolvedConfig& config);

const SchemaNode& chip_schema();
void check_chip(const YAML::Node& resolved, const YAML::Node& original, const Origin& origin);
ChipConfig chip_from(const YAML::Node& resolved, const std::string& source_file);

}  // namespace salvo::config
