// The experiments `salvo run` knows: one list (registry.cpp), each entry an experiment class
// whose Params, schema, checks and factory come from describe<E>() (experiment.hpp). Explicit,
// with no static-initialisation tricks, so every experiment is linked.
#pragma once

#include <string>
#include <vector>

#include "emulator/experiments/experiment.hpp"

namespace salvo::experiments {

const std::vector<ExperimentInfo>& all();
const ExperimentInfo* find(const std::string& name);
std::string default_experiment();

}  // namespace salvo::experiments
