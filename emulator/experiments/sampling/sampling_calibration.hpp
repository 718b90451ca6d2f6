// Neural sampling on the chip: the noise-driven operating point of the sampling neurons
// (refractory time = τ_on, synaptic τ ≈ τ_on, short membrane τ, all through the parameter
// memory), the per-neuron activation function (firing probability p = rate·τ_on versus the
// leak-voltage code under the background noise, fitted with a logistic σ((u − u0)/α)), and the
// mapping of a Boltzmann machine (W, b) onto leak codes and signed weight codes. The logistic
// is the LIF-sampling approximation (Petrovici et al. 2016); the mapping error it leaves is
// what the learning loop corrects.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "emulator/experiments/sal/sal_network.hpp"
#include "emulator/session/session.hpp"

namespace salvo::experiments {

// Least-squares fit of p ≈ σ((x − u0)/alpha) (plain math, testable without a chip).
struct LogisticFit {
  double u0 = 0;
  double alpha = 1;
  double rms_error = 0;  // of p − σ over the points
  double max_error = 0;  // largest |p − σ|
  bool ok = false;       // converged with alpha > 0 and a crossing inside the data
};
LogisticFit fit_logistic(const std::vector<double>& x, const std::vector<double>& p);
double logistic(double z);

// The sampling neurons' time constants, written through the parameter memory (ideal codes:
// every circuit's mismatch moves the true values).
struct SamplingNeuronParams {
  double tau_on_us = 20;  // refractory time: the "on" state z = 1 after a spike
  double tau_syn_us = 20;
  double tau_mem_us = 2.5;
};
void set_sampling_time_constants(AnalogCore& core, const SalNetwork& net,
                                 const SamplingNeuronParams& p);

struct ActivationOptions {
  double tau_on_us = 20;
  double read_period_us = 1000;    // rate counters read and reset this often (8-bit counters)
  double bisect_window_us = 2000;  // per bisection step (finds each neuron's p = ½ code)
  int bisect_iterations = 7;
  double window_us = 5000;  // per sweep point
  int points = 13;          // sweep points, centred on each neuron's p = ½ code
  double step_codes = 3;    // leak-code spacing of the sweep points
};

// One neuron's measured activation function and its logistic fit (u in leak codes).
struct NeuronActivation {
  std::vector<int> codes;
  std::vector<double> p;
  LogisticFit fit;
};

struct ActivationCalibration {
  std::string chip_name;
  std::uint64_t seed = 0;
  double tau_on_us = 0;
  double mV_per_code = 0;  // ideal leak-cell transfer (the host's view; cell gain unknown)
  std::vector<NeuronActivation> neurons;
  nlohmann::json to_json() const;
  static ActivationCalibration from_json(const nlohmann::json& j);
};

// Measures every network neuron at once (recurrent weights must be 0; neurons are independent
// under their own noise): bisection of the leak code to p = ½, then a sweep of `points` codes
// around it, p = counts·τ_on / window from the rate counters. Leaves each neuron's leak code
// at its p = ½ point.
ActivationCalibration measure_activation(session::Session& s, const SalNetwork& net,
                                         const ActivationOptions& opt);

// Boltzmann (W, b) ↔ chip. Bias: leak code u_i = u0_i + α_i·b_i. Weight W_ij (onto i from j):
// the PSP of j while it is on shifts i's free membrane potential by κ·PSP_peak on average over
// τ_on (κ from the nominal PSP shape), which must equal α_i·W_ij (in mV), so
// code_ij = W_ij · α_i[mV] / (κ · PSP_peak per code), PSP per code from the oracle (exc or inh
// row by the sign). Stands in for a measured probe of the PSP; the learning corrects the rest.
class BoltzmannMapping {
 public:
  BoltzmannMapping(AnalogCore& core, const SalNetwork& net, const ActivationCalibration& cal,
                   const SamplingNeuronParams& p);
  int n() const { return n_; }
  double kappa() const { return kappa_; }
  // Fractional leak code for bias b of neuron i, and its inverse.
  double bias_code(int i, double b) const;
  double bias_of_code(int i, double code) const;
  // Fractional signed weight code for W_ij (post i, pre j), and its inverse.
  double weight_code(int i, int j, double w) const;
  // The effective Boltzmann weight now on the chip, from the oracle PSP (all mismatch).
  double effective_weight(AnalogCore& core, int i, int j) const;
  double alpha_mV(int i) const { return alpha_mV_[i]; }

 private:
  int n_;
  SalNetwork net_;
  double kappa_;
  std::vector<double> u0_, alpha_code_, alpha_mV_;
  std::vector<double> psp_exc_, psp_inh_;  // mV per code, [i*n+j] (post i, pre j), signed
};

// κ = mean of the PSP over [0, τ_on] divided by its peak, for a current-based exponential
// synapse (τ_syn) on a leaky membrane (τ_mem).
double psp_kappa(double tau_syn_us, double tau_mem_us, double tau_on_us);

}  // namespace salvo::experiments
