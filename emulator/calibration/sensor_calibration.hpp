// Correlation-sensor calibration, measured only as a host measures a chip: trigger rows (high
// weight) make every neuron fire at a time the recorded spikes tell; every other row gets one
// pre spike per repetition before the trigger (a causal pair) and one after the neuron fired (an
// acausal pair), at weight 0 so it does not disturb the neurons. After a block of repetitions the
// CADC reads every row (averaged, minus the reading right after a sensor reset). Two blocks with
// the near and far offsets swapped give, per synapse and channel, the stored charge at two Δt:
// A·n·e^(−Δt/τ) twice, so τ and A in closed form. The Δt come from the known send times, the
// bus latency and the recorded post spikes (plus sensors.post_delay_us), per column averaged
// over the repetitions as −τ0·ln⟨e^(−Δt/τ0)⟩ (the jitter of a spike is a few ns).
// A second pass moves the trigger rows so that the first pass's trigger rows are measured too.
// From the measured A and τ (both channels; the trims are shared by the causal and the acausal
// sensor of a synapse) the per-synapse trims are chosen: the code that brings the channel mean
// closest to a common target, the target the one that keeps the mean at the design value (the
// trims reach −20 %..+10 % with 2 bits of 10 %). The chip's global A and τ (medians) are
// reported.
#pragma once

#include <array>
#include <vector>

#include "emulator/calibration/bench.hpp"
#include "emulator/calibration/calibration.hpp"
#include "hw/common/chip_config.hpp"

namespace salvo::calibration {

// Per half [row * columns + column]; NaN where not measured.
struct SensorMeasurement {
  std::array<std::vector<std::vector<float>>, 2> amplitude_lsb, tau_us;  // [channel][half][k]
  double posts_per_trigger = 0;  // mean spikes of a neuron per trigger (1 = clean pairs)
  int bad_columns = 0;           // column-passes whose spikes broke the pair order
};

// The trim code per value (0..2^bits−1, nominal 2^(bits−1), factor 1 + step·(code − nominal))
// that brings value·factor closest to a common target; the target is chosen so that the mean of
// the trimmed values is the design value. NaN values keep the nominal code. `clip_lo/hi` bound
// value·factor (τ is clipped into the circuit's range). Returns the target.
double choose_trims(const std::vector<double>& value, int bits, double step, double clip_lo,
                    double clip_hi, double design, std::vector<std::uint8_t>& code);

class SensorCalibrator {
 public:
  SensorCalibrator(Bench& bench, const ChipConfig& chip);
  void run(SensorCalibration& out);
  const SensorMeasurement& measured() const { return m_; }

 private:
  struct Pass {
    std::vector<int> trigger_drivers, measured_drivers;
  };
  // One block of repetitions: per half [row * cols + col] the stored charge per channel, and
  // per half and column the repetitions with a post spike and the effective post times.
  struct Block {
    double early_us = 0, late_us = 0;  // send offsets of the pre blocks from the trigger
    std::array<std::vector<std::vector<float>>, 2> stored;
    std::vector<std::vector<char>> clipped;
    std::vector<std::vector<double>> reps, u_causal, w_acausal;
    std::vector<std::vector<char>> bad;
  };
  void wire(const Pass& pass);
  Block measure_block(const Pass& pass, double early_us, double late_us);
  void read_rows(const Pass& pass, std::array<std::vector<std::vector<float>>, 2>& out,
                 std::vector<std::vector<char>>& clipped);
  void post_times(Block& b, const std::vector<std::vector<double>>& spikes, double t0);
  void solve(const Pass& pass, const Block& near_causal, const Block& near_acausal);
  double send_offset(int half, int driver_index) const;

  Bench& b_;
  const ChipConfig& chip_;
  int halves_, rows_, cols_, rpd_;
  int reps_ = 150, buses_ = 1;
  double period_us_ = 40.0, spacing_us_ = 0.01, span_us_ = 0;
  std::vector<int> order_;  // per driver: its index in the send order of a pre block
  SensorMeasurement m_;
  double posts_sum_ = 0, posts_n_ = 0;
};

}  // namespace salvo::calibration
