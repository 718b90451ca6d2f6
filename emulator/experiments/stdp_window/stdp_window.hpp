// Experiment `stdp-window`: measures the correlation sensors the way a calibration lab
// would. Trigger rows make the measured neurons fire at known times; the measured rows get
// one pre spike per repetition at a chosen offset (their weights are 0, so they do not
// disturb the neurons — the sensors pair every pre spike of a row regardless). After a
// block of repetitions at one offset the CADC reads every measured row; the host then fits
// A·exp(−|Δt|/τ) per synapse and channel, with Δt taken from the recorded spike times.
#pragma once

#include <vector>

#include "emulator/experiments/experiment.hpp"
#include "emulator/session/session.hpp"

namespace salvo::experiments {

struct StdpWindowParams {
  int half = 0;
  int rows = 32;
  int columns = 32;
  int trigger_rows = 8;
  int trigger_weight = 63;
  int pairs_per_point = 40;
  double period_us = 150.0;
  std::vector<double> dt_us = {-50, -40, -30, -20, -15, -10, -8, -6, -4, -2, -1,
                               1,   2,   4,   6,   8,   10,  15, 20, 30, 40, 50};
};

class StdpWindow : public Experiment {
 public:
  using Params = StdpWindowParams;
  static constexpr const char* kName = "stdp-window";
  static constexpr const char* kSummary =
      "measures the correlation sensors' STDP window with isolated pre/post pairs and fits A, τ "
      "per synapse";
  static const config::Fields<Params>& fields();
  static void check(const Params& p, const Checker& check);

  explicit StdpWindow(Params p) : p_(std::move(p)) {}
  void run(RunContext& ctx) override;

  // One offset's readout: per (row, col) the LSB below the post-reset reading, and the pairs.
  struct PointResult {
    double dt_nominal_us;
    double dt_measured_us;  // mean Δt of the pairs the sensors saw (latency and rise included)
    std::vector<double> causal, acausal;
    std::vector<double> dt_causal, dt_acausal;  // mean Δt of the pairs per column
    std::vector<int> n_causal, n_acausal;       // pairs per column
    std::vector<std::vector<double>> pairs_causal, pairs_acausal;  // |Δt| of every pair, per column
  };

 private:
  void wire(session::Session& s);
  PointResult measure_point(session::Session& s, std::size_t p);
  void write_window(RunContext& ctx) const;
  void fit_and_write(RunContext& ctx, AnalogCore& core) const;

  Params p_;
  double max_abs_dt_ = 0;  // largest |Δt| of the offsets
  double point_len_ = 0;   // lead-in + repetitions
  std::vector<double> point_start_;
  std::vector<std::vector<double>> pre_times_;  // per point: when pre spikes reach the sensors
  std::vector<PointResult> results_;
};

}  // namespace salvo::experiments
