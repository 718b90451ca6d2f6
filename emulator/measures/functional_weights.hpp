// Functional weights: the spike-timing influence of a pre neuron j on a post neuron i under
// the experiment's own noise, measured from recorded spike trains (what the host link
// records; no hidden parameter). It is the excess of the cross-correlogram in a window
// after the pre spikes: extra post spikes per pre spike,
//
//     f_ij = (1/N_j) Σ_k  #{ post spikes of i in [t_k + d0, t_k + d1) }  −  chance,
//
// (optionally each post spike weighted by the sensors' kernel exp(−lag/τ), kernel_tau_us)
//
// over the N_j pre spikes t_k of j whose window lies inside the analysis interval. Chance is
// either the post neuron's mean rate over the interval times (d1 − d0), or the count in a
// control window shifted by `shift_us` (same length, far enough to be uncorrelated).
// Unlike the PSP (docs/alignment-measures.md), f includes the post neuron's sensitivity at
// its operating point: slope of its transfer function, its rate, τ_mem, distance to
// threshold. This is what spike-based alignment learning (SAL) can see and equalise.
//
// Standard error: conditional on the pre train, f is a sum over post spikes s of
// g(s) = (c(s) − c'(s)) / N, with c(s) the number of pre windows that contain s and c'(s) the
// chance term (rate: N·(d1 − d0)/T per post spike; shifted: the control windows containing
// s). Treating post spikes as a Poisson process gives Var f = Σ_s g(s)²; this is exact for
// Poisson post trains and conservative for sub-Poisson (refractory, Bernoulli-caused) ones.
//
// Typical use on the chip:
//   FunctionalOptions o;  o.d0_us = 0.5;  o.d1_us = 20;
//   auto f = functional_weight(core.spikes(), pre_neuron, post_neuron, t0, t1, o);
//   auto m = functional_matrix(core.spikes(), neuron_ids, t0, t1, o);  // m.at(j, i) = f_ij
// Neuron ids are those of RecordedSpike::neuron (chip-global neuron index).
#pragma once

#include <cstddef>
#include <vector>

#include "hw/chip/analog_core.hpp"

namespace salvo::measures {

struct FunctionalOptions {
  // Window after each pre spike, [t_pre + d0_us, t_pre + d1_us); d0_us > 0 (a spike cannot
  // cause another at the same instant; on the chip the bus latency is ≥ 0.5 µs).
  double d0_us = 0.5;
  double d1_us = 20.0;
  enum class Chance { kRate, kShiftedWindow };
  Chance chance = Chance::kRate;
  // Control window [t_pre + shift_us + d0_us, t_pre + shift_us + d1_us) for kShiftedWindow.
  double shift_us = 100.0;
  // 0: count post spikes. > 0: weight each by exp(−lag/kernel_tau_us) (chance likewise), the
  // correlation sensors' kernel: r_j·f_ij then is what SAL's causal sensor at j → i
  // accumulates beyond chance, and SAL's fixed point is r_j·f_ij = r_i·f_ji.
  double kernel_tau_us = 0.0;
};

struct FunctionalWeight {
  double extra_per_pre = 0.0;     // f: extra post spikes per pre spike (observed − chance)
  double stderr = 0.0;            // standard error of f (see above)
  double observed_per_pre = 0.0;  // post spikes in the window per pre spike (kernel-weighted)
  double chance_per_pre = 0.0;    // chance expectation per pre spike
  std::size_t n_pre = 0;          // pre spikes used (window inside the interval)
  std::size_t n_post = 0;         // post spikes in the interval
};

// f for one pair, from spikes (any order) in the analysis interval [t_begin_us, t_end_us).
// UserError for an empty interval or a window with d0 <= 0 or d1 <= d0.
FunctionalWeight functional_weight(const std::vector<RecordedSpike>& spikes, int pre, int post,
                                   double t_begin_us, double t_end_us,
                                   const FunctionalOptions& options = {});

// Every ordered pair of `neurons` in one pass over the time-sorted spikes (sorted copy made if
// needed): O(spikes × (spikes in a window + neurons)). Same numbers as functional_weight for
// each pair. The diagonal (j == i) is the autocorrelation excess (negative by refractoriness).
struct FunctionalMatrix {
  std::vector<int> neurons;               // index k ↔ neuron id neurons[k]
  std::vector<FunctionalWeight> entries;  // row-major [pre index][post index]
  int size() const { return static_cast<int>(neurons.size()); }
  const FunctionalWeight& at(int pre_index, int post_index) const {
    return entries[static_cast<std::size_t>(pre_index) * neurons.size() +
                   static_cast<std::size_t>(post_index)];
  }
  // f_ij as a row-major [pre][post] matrix of extra_per_pre.
  std::vector<double> extra_per_pre() const;
};
FunctionalMatrix functional_matrix(const std::vector<RecordedSpike>& spikes,
                                   const std::vector<int>& neurons, double t_begin_us,
                                   double t_end_us, const FunctionalOptions& options = {});
// Only the pairs whose two neurons lie in different groups (groups[k] in 0 ... 1023: the group of
// neurons[k], e.g. the layer), at the cost of those pairs alone: each such entry is the full
// matrix's, bit for bit. Pairs within a group are not measured: n_pre and n_post are set, the
// other fields are NaN. UserError for a groups list of another length or a group out of range.
FunctionalMatrix functional_matrix_between(const std::vector<RecordedSpike>& spikes,
                                           const std::vector<int>& neurons,
                                           const std::vector<int>& groups, double t_begin_us,
                                           double t_end_us, const FunctionalOptions& options = {});

// Cross-correlogram of post against pre over lags [−max_lag_us, max_lag_us) in bins of bin_us,
// as excess post spikes per pre spike per bin (observed − rate chance); pre spikes whose lag
// range leaves the interval are skipped. Element b covers lags [−max_lag + b·bin, … + bin).
std::vector<double> cross_correlogram(const std::vector<RecordedSpike>& spikes, int pre, int post,
                                      double t_begin_us, double t_end_us, double bin_us,
                                      double max_lag_us);

// |a − b| / mean(|a|, |b|) (0 when both are 0): the asymmetry of two reciprocal weights.
double asymmetry(double a, double b);
// Its standard error from those of a and b (first-order propagation, independent a and b).
double asymmetry_stderr(double a, double sa, double b, double sb);

}  // namespace salvo::measures
