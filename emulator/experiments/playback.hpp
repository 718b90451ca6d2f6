// Experiment `playback`: a network from the config driven by host input spikes; records
// spikes, one membrane trace and the rate counters (configs/experiments/playback-demo.yaml).
#pragma once

#include "emulator/experiments/registry.hpp"

namespace salvo::experiments {

ExperimentInfo playback_info();

}  // namespace salvo::experiments
