#include "emulator/experiments/playback.hpp"

#include "emulator/experiments/network_schema.hpp"
#include "emulator/experiments/run_context.hpp"
#include "hw/common/error.hpp"

namespace salvo::experiments {

using namespace config;

namespace {

class Playback : public Experiment {
 public:
  void run(RunContext&) override { throw InternalError("playback: chip assembly not linked yet"); }
};

}  // namespace

ExperimentInfo playback_info() {
  auto keys = common_keys("playback", 1000.0);
  keys.push_back({"inputs", List(input_schema(), "[]", "host-link playback sources")});
  keys.push_back({"connections", List(connection_schema(), "[]", "synapse blocks (weights, labels, row signs)")});
  keys.push_back({"record", record_schema()});
  ExperimentInfo info;
  info.name = "playback";
  info.summary = "a network from the config driven by host input spikes; records spikes, a membrane trace, rate counters";
  info.schema = Map(keys);
  info.make = [] { return std::make_unique<Playback>(); };
  return info;
}

}  // namespace salvo::experiments
