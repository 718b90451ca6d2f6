#include "emulator/experiments/registry.hpp"

#include "emulator/experiments/playback.hpp"
#include "emulator/experiments/sal_feedback.hpp"
#include "emulator/experiments/sal_pair.hpp"
#include "emulator/experiments/sampling.hpp"
#include "emulator/experiments/stdp_window.hpp"

namespace salvo::experiments {

using namespace config;

std::vector<std::pair<std::string, SchemaNode>> common_keys(const std::string& name,
                                                            double default_duration_us) {
  return {
      {"name", Required(Enum(name, names(), "which experiment this file configures"))},
      {"duration_us", Float(default_duration_us, 0.001, 1e9, "emulated (hardware) time to run")},
  };
}

const std::vector<ExperimentInfo>& all() {
  static const std::vector<ExperimentInfo> list = {
      playback_info(), stdp_window_info(), sal_pair_info(), sal_feedback_info(), sampling_info(),
  };
  return list;
}

// Kept as a plain list (the schemas use it for `name`); a test checks it matches all().
std::vector<std::string> names() {
  return {"playback", "stdp-window", "sal-pair", "sal-feedback", "sampling"};
}

const ExperimentInfo* find(const std::string& name) {
  for (const auto& e : all())
    if (e.name == name) return &e;
  return nullptr;
}

std::string default_experiment() { return "sal-feedback"; }

}  // namespace salvo::experiments
