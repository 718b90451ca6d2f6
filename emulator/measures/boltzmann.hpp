// Host-side Boltzmann-machine math for the `sampling` experiment: the exact distribution
// p*(z) ∝ exp(½ zᵀWz + bᵀz) over the 2^N binary states, its first and second moments, the
// Kullback–Leibler divergence to a sampled distribution, and the binary states read from
// recorded spikes (z_i = 1 for τ_on after each spike of neuron i, sampled on a time grid).
// Plain C++ (no SystemC), exact enumeration: meant for N ≤ 16.
#pragma once

#include <cstdint>
#include <vector>

namespace salvo::boltzmann {

// A Boltzmann machine over N binary units. State index s holds z_i in bit i.
struct Machine {
  int n = 0;
  std::vector<double> w;  // n*n row-major; W_ij = weight from unit j onto unit i (w[i*n+j])
  std::vector<double> b;  // n biases
  double weight(int i, int j) const { return w[static_cast<std::size_t>(i) * n + j]; }
  double& weight(int i, int j) { return w[static_cast<std::size_t>(i) * n + j]; }
};

Machine make_machine(int n);

// Energy term ½ zᵀWz + bᵀz of state s (W symmetrised: ½(W + Wᵀ) enters ½ zᵀWz identically).
double log_weight(const Machine& m, std::uint32_t s);

// The exact normalised distribution over the 2^n states.
std::vector<double> distribution(const Machine& m);

// First and second moments of a distribution over 2^n states: mean[i] = ⟨z_i⟩,
// corr[i*n+j] = ⟨z_i z_j⟩ (corr[i*n+i] = ⟨z_i⟩).
struct Moments {
  std::vector<double> mean;
  std::vector<double> corr;
};
Moments moments(const std::vector<double>& p, int n);

// Normalises state counts with an additive pseudo-count per state (Laplace smoothing):
// p(s) = (count(s) + pseudo) / (Σ count + 2^n · pseudo). With pseudo > 0 no state is empty, so
// D_KL(p* ‖ p) stays finite; a state never visited in K samples then costs p*(s)·log(p*(s)·(K +
// 2^n·pseudo)/pseudo) instead of infinity.
std::vector<double> normalise_counts(const std::vector<double>& counts, double pseudo_count);

// D_KL(p ‖ q) = Σ p log(p/q) in nats; terms with p = 0 contribute 0; q = 0 where p > 0 gives
// +infinity (smooth q first).
double kl_divergence(const std::vector<double>& p, const std::vector<double>& q);

// Binary states from spike times. spikes[i] are neuron i's spike times (µs, ascending).
// The grid samples t_k = t0 + (k + ½)·dt for t_k < t1; z_i(t_k) = 1 if some spike s of neuron i
// has s ≤ t_k < s + tau_on. Returns the count of grid samples per state (size 2^n).
std::vector<double> state_counts(const std::vector<std::vector<double>>& spikes, int n,
                                 double tau_on_us, double t0_us, double t1_us, double dt_us);

// Target machine: W*_ij = W*_ji and b*_i uniform in [−1, 1] from `seed`, zero diagonal.
Machine draw_target(int n, std::uint64_t seed, double w_range = 1.0, double b_range = 1.0);

// Initial weights as in the paper: a symmetric part N(0, sigma_sym²) plus i.i.d.
// N(0, sigma_init²) per direction (the asymmetry noise); biases 0; zero diagonal.
Machine draw_initial(int n, std::uint64_t seed, double sigma_sym, double sigma_init);

// Var over pairs i<j of (W_ij − W_ji) (population variance).
double asymmetry(const Machine& m);
double asymmetry(const std::vector<double>& w, int n);

}  // namespace salvo::boltzmann
