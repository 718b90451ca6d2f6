// How the sampling network's learning rule sees the chip: every read period the correlation
// sensors of both rows of every pre neuron (CADC minus its zero, accumulated per synapse
// j → i) and the 8-bit rate counters (summed per neuron), each reset after the read — what the
// firmware/sampling program does on the processor.
#pragma once

#include <cstdint>
#include <vector>

#include "emulator/experiments/sal/sal_network.hpp"

namespace salvo::experiments {

class SensorReader {
 public:
  SensorReader(AnalogCore& core, const SalNetwork& net);
  void clear();
  // CADC zero: the mean of 1024 conversions of freshly reset sensors (calibration::cadc_zero).
  void calibrate_zero(double t_us);
  // Reads (and resets) both rows of every pre neuron and the rate counters.
  void read(double t_us);

  std::vector<double> c, a;     // accumulated LSB per [post i * n + pre j]
  std::vector<double> counts;   // rate-counter sums per neuron
  std::uint64_t saturated = 0;  // readouts at the bottom of the range

 private:
  AnalogCore& core_;
  const SalNetwork& net_;
  int n_;
  std::vector<double> base_c_, base_a_;  // CADC zero per column, LSB (from Q8)
};

// Spike times per network neuron in [t0, t1) (plus τ_on before t0, whose on-state reaches in).
std::vector<std::vector<double>> spikes_in(const AnalogCore& core, const SalNetwork& net, double t0,
                                           double t1, double tau_on);

}  // namespace salvo::experiments
