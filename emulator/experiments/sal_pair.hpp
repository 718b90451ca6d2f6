// Experiment `sal-pair` (configs/experiments/sal-pair.yaml): the two-neuron SAL principle.
#pragma once

#include "emulator/experiments/registry.hpp"

namespace salvo::experiments {

ExperimentInfo sal_pair_info();

}  // namespace salvo::experiments
