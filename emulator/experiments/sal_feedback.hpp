// Experiment `sal-feedback` (configs/experiments/sal-feedback.yaml, the default): SAL learns
// feedback weights that align with the transposed forward weights, in effective terms.
#pragma once

#include "emulator/experiments/registry.hpp"

namespace salvo::experiments {

ExperimentInfo sal_feedback_info();

}  // namespace salvo::experiments
