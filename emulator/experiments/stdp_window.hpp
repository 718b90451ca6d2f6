// Experiment `stdp-window` (configs/experiments/stdp-window.yaml): the correlation sensors'
// measured STDP window and per-synapse fits of amplitude and τ.
#pragma once

#include "emulator/experiments/registry.hpp"

namespace salvo::experiments {

ExperimentInfo stdp_window_info();

}  // namespace salvo::experiments
