// Experiment `sampling` (configs/experiments/sampling.yaml): a spiking Boltzmann machine on the
// chip (LIF neural sampling under background noise) learns a target distribution with the
// wake-sleep rule from the correlation sensors and rate counters, with or without the SAL term
// that removes the asymmetry of the effective weights (the paper's figs 4–5).
#pragma once

#include "emulator/experiments/registry.hpp"

namespace salvo::experiments {

ExperimentInfo sampling_info();

}  // namespace salvo::experiments
