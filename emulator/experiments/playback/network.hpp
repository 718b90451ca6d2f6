// A network described in the experiment config: host-link playback sources (`inputs`), synapse
// blocks (`connections`) and what is recorded (`record`) — typed, declared once as field
// tables, checked against the chip before it is built, then mapped onto the chip.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emulator/config/fields.hpp"
#include "emulator/experiments/experiment.hpp"
#include "hw/chip/analog_core.hpp"
#include "hw/routing/event.hpp"

namespace salvo::experiments {

struct InputSpec {
  std::string type = "poisson";  // poisson, regular, file
  double rate_hz = 1000.0;
  int half = 0;
  int first_row = 0;
  int rows = 1;
  int address = -1;
  double start_us = 0.0;
  std::string file;
};

struct ConnectionSpec {
  int half = 0;
  int first_row = 0;
  int rows = 1;
  int first_column = 0;
  int columns = 1;
  int weight = 0;
  int weight_max = -1;
  double probability = 1.0;
  int address = -1;
  std::string sign = "excitatory";
};

struct RecordSpec {
  int membrane_neuron = 0;
  bool spikes = true;
};

const config::Fields<InputSpec>& input_fields();
const config::Fields<ConnectionSpec>& connection_fields();
const config::Fields<RecordSpec>& record_fields();

// Checks halves, rows, columns and weights against the chip (keys: inputs.N…, connections.N…).
void check_network(const std::vector<InputSpec>& inputs,
                   const std::vector<ConnectionSpec>& connections, const RecordSpec& record,
                   const Checker& check);

// Applies `connections` (weights, labels, row signs; random weights and probabilities from the
// seed's experiment stream).
void apply_connections(AnalogCore& core, const std::vector<ConnectionSpec>& connections,
                       std::uint64_t seed);

// Host-link playback events for `inputs` up to duration_us. `file`: the experiment file
// (input CSV paths are relative to it).
std::vector<Event> make_inputs(const AnalogCore& core, const std::vector<InputSpec>& inputs,
                               const std::string& file, std::uint64_t seed, double duration_us);

}  // namespace salvo::experiments
