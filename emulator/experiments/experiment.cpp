#include "emulator/experiments/experiment.hpp"

namespace salvo::experiments {

void Checker::fail(const std::string& key, const std::string& problem,
                   const std::string& allowed) const {
  config::fail_at(config::find(raw_, key), "experiment." + key, origin_, problem, allowed);
}

}  // namespace salvo::experiments
