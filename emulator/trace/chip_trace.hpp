// ChipTrace: `salvo run --trace out.vcd` — a waveform of one run in hardware time: per selected
// neuron the membrane voltage (real, at every analog step) and its spikes (wire, one step wide);
// per event bus its FIFO occupancy and dropped-event count; per processor its pc and state
// (running / wfi / stalled on the CADC / stalled on the chip window); CADC conversions (busy,
// row); parameter-memory writes through the chip window (neuron, cell, code). Only changes
// inside the time window are kept, so the size follows window x selection (docs/processor.md).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "emulator/trace/vcd_writer.hpp"

namespace salvo {
class Chip;
namespace ppu {
class PlasticityProcessor;
}
}  // namespace salvo

namespace salvo::trace {

enum Signal : unsigned {
  kMembrane = 1,
  kSpikes = 2,
  kBus = 4,
  kPpu = 8,
  kCadc = 16,
  kCapmem = 32,
  kAllSignals = 63,
};

struct TraceOptions {
  std::string path;          // empty: no trace
  std::vector<int> neurons;  // empty: 0..7 (clipped to the chip)
  unsigned signals = kAllSignals;
  double t0_us = 0.0;
  double t1_us = std::numeric_limits<double>::infinity();
  bool enabled() const { return !path.empty(); }
};

// Parses the `salvo run` options (empty strings = defaults); bad values are OptionErrors.
// "0-7,40" -> {0..7, 40}; "membrane,spikes"; "100:250" (µs, either side may be empty).
TraceOptions parse_trace_options(const std::string& path, const std::string& neurons,
                                 const std::string& signals, const std::string& window);

class ChipTrace {
 public:
  // Elaboration time: observes the chip and the processors (attached to their halves).
  ChipTrace(Chip& chip, const std::vector<ppu::PlasticityProcessor*>& processors,
            TraceOptions options);
  ~ChipTrace();
  ChipTrace(const ChipTrace&) = delete;
  ChipTrace& operator=(const ChipTrace&) = delete;

  // Writes the VCD (once; later calls do nothing). Returns a one-line description.
  std::string write();

 private:
  class Observers;
  std::unique_ptr<Observers> obs_;
  bool written_ = false;
};

}  // namespace salvo::trace
