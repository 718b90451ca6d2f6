// Fitting of measured correlation-sensor windows for the `stdp-window` experiment: per synapse
// and channel, A and τ of A·exp(−|Δt|/τ) from baseline-subtracted CADC readouts, the way a
// calibration lab would, plus the summary figures the experiment reports.
//
// Plain C++ (no SystemC, no chip model): tests feed it synthetic data with known A and τ.
#pragma once

#include <limits>
#include <vector>

namespace salvo::measures {

struct WindowFitOptions {
  // Points at or above this value are saturated (capacitor at its range floor, or the CADC at
  // code 0) and carry no information about A: they are excluded.
  double saturation_level = std::numeric_limits<double>::infinity();
  // Only points above this value seed the log-linear start (log of noise around 0 is useless);
  // the least-squares refinement uses every unsaturated point (small values are unbiased data).
  double noise_floor = 0.0;
  // τ of an accepted fit lies within these bounds (µs).
  double tau_min_us = 1e-3;
  double tau_max_us = 1e4;
  int max_iterations = 100;
};

// One exponential fit. `amplitude` is in the units of the values given (LSB, or LSB per pair if
// the caller divided by the number of pairs per point).
struct ExpWindowFit {
  double amplitude = 0.0;
  double tau_us = 0.0;
  int points = 0;             // points used by the refinement
  double rms_residual = 0.0;  // of the refined fit, value units
  int iterations = 0;         // Levenberg–Marquardt iterations
  bool ok = false;  // converged, A > 0, τ within bounds, ≥ 3 points, ≥ 2 usable for the start
};

// Fits value ≈ A·exp(−x/τ) over x = |Δt| > 0. Steps: (1) weighted log-linear least squares on
// the points above noise_floor (weights value², the inverse variance of ln value for additive
// noise) gives the start; (2) Levenberg–Marquardt on the unweighted residuals of all
// unsaturated points refines A and k = 1/τ.
ExpWindowFit fit_exp_window(const std::vector<double>& abs_dt_us, const std::vector<double>& value,
                            const WindowFitOptions& options = {});

// One synapse's measurement: at every Δt = t_post − t_pre the baseline-subtracted readout of both
// channels (baseline − readout: positive when the pair pulled the capacitor down).
struct SynapseWindow {
  std::vector<double> dt_us;
  std::vector<double> causal;
  std::vector<double> acausal;
};

struct SynapseWindowFit {
  ExpWindowFit causal;   // from the causal channel at Δt > 0
  ExpWindowFit acausal;  // from the acausal channel at Δt < 0
};

std::vector<SynapseWindowFit> fit_synapse_windows(const std::vector<SynapseWindow>& synapses,
                                                  const WindowFitOptions& options = {});

// Across the synapses whose fit is ok (per channel). Spreads are relative σ (sample standard
// deviation / mean); NaN where fewer than 2 fits are ok.
struct WindowFitSummary {
  double tau_causal_us = 0.0;
  double tau_acausal_us = 0.0;
  double tau_causal_spread = 0.0;
  double tau_acausal_spread = 0.0;
  double amplitude_causal = 0.0;  // mean A
  double amplitude_acausal = 0.0;
  double amplitude_causal_spread = 0.0;
  double amplitude_acausal_spread = 0.0;
  int fitted_causal = 0;  // ok fits
  int fitted_acausal = 0;
  int failed_causal = 0;
  int failed_acausal = 0;
};

WindowFitSummary summarize_window_fits(const std::vector<SynapseWindowFit>& fits);

// window.csv rows: mean and standard deviation across synapses at every Δt. All synapses must
// share one Δt grid (InternalError otherwise).
struct WindowRow {
  double dt_us = 0.0;
  double causal_mean = 0.0;
  double causal_std = 0.0;
  double acausal_mean = 0.0;
  double acausal_std = 0.0;
};

std::vector<WindowRow> window_table(const std::vector<SynapseWindow>& synapses);

}  // namespace salvo::measures
