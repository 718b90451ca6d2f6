// Experiment `playback`: a network described in the config (synapse blocks) driven by host
// input spikes; records spikes, a membrane trace and the rate counters. The benchmark
// configurations (configs/experiments/benchmark-e2e.yaml) use it.
#pragma once

#include <vector>

#include "emulator/experiments/experiment.hpp"
#include "emulator/experiments/playback/network.hpp"

namespace salvo::experiments {

struct PlaybackParams {
  double duration_us = 1000.0;
  std::vector<InputSpec> inputs;
  std::vector<ConnectionSpec> connections;
  RecordSpec record;
};

class Playback : public Experiment {
 public:
  using Params = PlaybackParams;
  static constexpr const char* kName = "playback";
  static constexpr const char* kSummary =
      "a network from the config driven by host input spikes; records spikes, a membrane trace, "
      "rate counters";
  static const config::Fields<Params>& fields();
  static void check(const Params& p, const Checker& check);

  explicit Playback(Params p) : p_(std::move(p)) {}
  void run(RunContext& ctx) override;

 private:
  Params p_;
};

}  // namespace salvo::experiments
