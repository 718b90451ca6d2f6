#include "emulator/experiments/network_schema.hpp"

namespace salvo::experiments {

using namespace config;

SchemaNode input_schema() {
  return Map(
      {
          {"type", Enum("poisson", {"poisson", "regular", "file"}, "spike train kind")},
          {"rate_hz", Float(1000.0, 0.0, 1.25e8, "rate per row (hardware time)")},
          {"half", Int(0, 0, 1, "chip half whose rows receive the events")},
          {"first_row",
           Int(0, 0, 1023, "first synapse row driven (each row gets its own independent train)")},
          {"rows", Int(1, 1, 1024, "number of consecutive rows driven")},
          {"address", Int(-1, -1, 63,
                          "6-bit synapse address carried by the events (-1: row % "
                          "drivers.rows_per_driver, so every row of a driver has its own)")},
          {"start_us", Float(0.0, 0.0, 1e9, "first possible event time")},
          {"file",
           String(
               "",
               "CSV with header time_us,row (type: file); path relative to the experiment file")},
      },
      "a host-link playback source");
}

SchemaNode connection_schema() {
  return Map(
      {
          {"half", Int(0, 0, 1, "chip half")},
          {"first_row", Int(0, 0, 1023, "first synapse row")},
          {"rows", Int(1, 1, 1024, "number of rows")},
          {"first_column", Int(0, 0, 1023, "first neuron column")},
          {"columns", Int(1, 1, 1024, "number of columns")},
          {"weight", Int(0, 0, 255, "6-bit weight code (checked against synapses.weight_bits)")},
          {"weight_max",
           Int(-1, -1, 255, "if >= 0: weights drawn uniformly in [weight, weight_max]")},
          {"probability", Float(1.0, 0.0, 1.0, "connection probability per synapse")},
          {"address", Int(-1, -1, 63,
                          "6-bit synapse address label (-1: row % drivers.rows_per_driver, "
                          "matching inputs with address -1)")},
          {"sign", Enum("excitatory", {"excitatory", "inhibitory"}, "sign of these rows")},
      },
      "a block of synapses");
}

SchemaNode record_schema() {
  return Map(
      {
          {"membrane_neuron",
           Int(0, -1, 2047, "neuron whose membrane the MADC records (-1: none)")},
          {"spikes", Bool(true, "record spikes to spikes.csv")},
      },
      "what the host records");
}

}  // namespace salvo::experiments
