// The experiments `salvo run` knows, each with its config schema and a factory. The list
// is explicit (one place, no static-initialisation tricks) so every experiment is linked.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "emulator/config/schema.hpp"
#include "hw/common/chip_config.hpp"

#include "emulator/experiments/run_context.hpp"

namespace salvo::experiments {

class Experiment {
 public:
  virtual ~Experiment() = default;
  // Runs the experiment: elaborates the chip, simulates, writes its CSVs and fills
  // ctx.metrics. Throws RunFailure if it ran but failed its own check.
  virtual void run(RunContext& ctx) = 0;
};

struct ExperimentInfo {
  std::string name;
  std::string summary;
  config::SchemaNode schema;  // the whole experiment map, including `name`
  // Cross-key checks beyond the schema (may be empty).
  std::function<void(const YAML::Node& resolved, const YAML::Node& raw, const ChipConfig& chip,
                     const config::Origin& origin)>
      check;
  std::function<std::unique_ptr<Experiment>()> make;
};

const std::vector<ExperimentInfo>& all();
const ExperimentInfo* find(const std::string& name);
std::vector<std::string> names();
std::string default_experiment();

// Keys every experiment has.
std::vector<std::pair<std::string, config::SchemaNode>> common_keys(const std::string& name,
                                                                    double default_duration_us);

}  // namespace salvo::experiments
