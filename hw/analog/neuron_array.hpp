// NeuronArray: the membrane, synaptic-input and adaptation state of every neuron circuit of
// the chip, advanced together one time step at a time (AdEx reducible to LIF, current-based
// exponential synapses, refractory reset, Ornstein–Uhlenbeck membrane noise). Abstracts away
// the transistor-level circuits: each neuron is its ideal ODE with the physical parameters
// (after mismatch) that NeuronCircuits derives from the parameter memory. Plain C++ (no
// SystemC); see docs/models/neurons.md for the equations, numerics and error bounds.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "hw/analog/normal_stream.hpp"
#include "hw/common/rng.hpp"

namespace salvo {

// The physical parameters of one neuron circuit (true values, mismatch included).
// Units: µs, mV, nA, pF, nS (nA = pF·mV/µs). A time constant may be +infinity (a bias
// current of zero: no leak, a synaptic current that never decays, endless refractoriness).
struct NeuronCircuitParams {
  double c_mem_pF = 2.2;
  double tau_mem_us = 10.0;
  double tau_syn_exc_us = 5.0;
  double tau_syn_inh_us = 5.0;
  double t_ref_us = 2.0;
  double v_leak_mV = 600.0;
  double v_reset_mV = 620.0;
  double v_threshold_mV = 800.0;
  // AdEx terms, each switchable (the LIF neuron has both off).
  bool adaptation = false;
  bool exponential = false;
  double v_exp_mV = 780.0;  // V_T
  double delta_t_mV = 10.0;
  double adapt_a_nS = 0.0;
  double adapt_b_nA = 0.0;
  double tau_adapt_us = 100.0;
  // A synaptic input jump of x nA raises I_exc by syn_gain_exc * x (likewise inhibitory).
  double syn_gain_exc = 1.0;
  double syn_gain_inh = 1.0;
  double i_offset_nA = 0.0;  // constant current stimulus
  double v_min_mV = 0.0;     // supply rails clamp the membrane
  double v_max_mV = 1200.0;
  // Membrane noise: an OU current with correlation time noise_tau_us whose amplitude makes
  // the free (leak-only) membrane fluctuate with noise_v_rms_mV. 0 switches it off.
  double noise_v_rms_mV = 0.0;
  double noise_tau_us = 1.0;
};

struct NeuronSpike {
  double time_us;  // resolved inside the step, not rounded to the step grid
  int neuron;
};

// The dynamic state of one neuron (for tests, checkpoints and the oracle).
struct NeuronState {
  double v_mV = 600.0;
  double w_nA = 0.0;
  double i_exc_nA = 0.0;
  double i_inh_nA = 0.0;
  double i_noise_nA = 0.0;
  // Held at v_reset until this time; -infinity when not refractory.
  double refractory_until_us = -std::numeric_limits<double>::infinity();
};

// Per-neuron numbers the OU noise update uses (exposed for tests and docs).
struct MembraneNoiseCoefficients {
  double sigma_i_nA = 0.0;      // stationary rms of the OU current
  double decay = 1.0;           // exp(-dt/τ_noise)
  double innovation_nA = 0.0;   // rms of the exact OU innovation over one step
  double v_share_mV = 0.0;      // V response to that innovation inside the step (regression)
  double v_residual_mV2 = 0.0;  // variance of the in-step V response the regression misses
  // v_residual as a fraction of the stationary sigma_V^2 it would remove; above
  // kNoiseResidualLimit a second normal draw per step carries it (exact again).
  double residual_fraction = 0.0;
  bool second_draw = false;
};

class NeuronArray {
 public:
  // `neurons` circuits with the default (reference target) parameters, at rest.
  NeuronArray(int neurons, double dt_us, std::uint64_t seed);
  // One circuit per element of `params`, at rest (V = v_leak, currents 0, not refractory).
  NeuronArray(const std::vector<NeuronCircuitParams>& params, double dt_us, std::uint64_t seed);

  int size() const { return n_; }
  double dt_us() const { return dt_us_; }

  // Changes one circuit and re-derives its propagators; the state is kept (a run-time
  // parameter write). Throws UserError for a parameter no circuit can have.
  void set_params(int neuron, const NeuronCircuitParams& p);
  const NeuronCircuitParams& params(int neuron) const { return params_[idx(neuron)]; }

  // Synaptic input: jumps of I_exc / I_inh (before the neuron's gain) that act at the start
  // of the next step. add_* accumulate; the raw buffers let a synapse array add a whole row
  // without a call per column (size() valid elements; the array clears them each step).
  void add_exc_input(int neuron, double i_nA) { exc_in_[idx(neuron)] += i_nA; }
  void add_inh_input(int neuron, double i_nA) { inh_in_[idx(neuron)] += i_nA; }
  double* exc_input() { return exc_in_.data(); }
  double* inh_input() { return inh_in_.data(); }

  // Advances every neuron from t_start_us to t_start_us + dt_us and appends the spikes of
  // that interval to `out`, ordered by time (then neuron).
  void step(double t_start_us, std::vector<NeuronSpike>& out);

  double v_mV(int neuron) const { return at(cur_, &StateBlock::v, neuron); }
  double w_nA(int neuron) const { return at(cur_, &StateBlock::w, neuron); }
  double i_exc_nA(int neuron) const { return at(cur_, &StateBlock::ie, neuron); }
  double i_inh_nA(int neuron) const { return at(cur_, &StateBlock::ii, neuron); }
  double i_noise_nA(int neuron) const { return at(cur_, &StateBlock::in, neuron); }
  double refractory_until_us(int neuron) const { return refr_[idx(neuron)]; }
  bool refractory(int neuron, double t_us) const { return refr_[idx(neuron)] > t_us; }
  NeuronState state(int neuron) const;
  void set_state(int neuron, const NeuronState& s);
  // Every neuron at rest; noise generator restarted from the seed.
  void reset();

  const MembraneNoiseCoefficients& noise_coefficients(int neuron) const {
    return noise_[idx(neuron)];
  }

  // Free-membrane rms of an OU current with stationary rms sigma_i filtered by the membrane:
  // sigma_V = sigma_I / C * sqrt(tau_m^2 tau_n / (tau_m + tau_n)), and its inverse.
  static double noise_current_for_v_rms(double v_rms_mV, double c_mem_pF, double tau_mem_us,
                                        double tau_noise_us);

  // Exponential-term integrator: RK4 with n equal substeps per interval h, n chosen so that
  // h/n * (fastest local rate) <= rate step (default kRk4RateStep). The error bound it gives
  // is in docs/models/neurons.md; a smaller rate step trades speed for accuracy (error ~ step^4).
  static constexpr double kRk4RateStep = 0.1;
  static constexpr double kNoiseResidualLimit = 1e-3;
  void set_rk4_rate_step(double rate_step);
  double rk4_rate_step() const { return rk4_rate_step_; }

 private:
  // Neurons are stored in blocks of kBlock (structure of arrays inside a block, one base
  // pointer per block for the hot loop); the last block is padded with inert neurons.
  static constexpr int kBlock = 8;
  static_assert(kBlock <= 8, "block_flag_ and block_exp_ hold one bit per neuron of a block");
  struct alignas(64) StateBlock {
    double v[kBlock], w[kBlock], ie[kBlock], ii[kBlock], in[kBlock];
  };
  // Exact one-step propagator of the linear part (rows V and w over the state and the
  // constant and noise inputs), current decays, noise innovation, and per-neuron constants.
  struct alignas(64) CoefBlock {
    double pvv[kBlock], pvw[kBlock], pve[kBlock], pvi[kBlock], pvn[kBlock], kv[kBlock], nv[kBlock],
        nv2[kBlock];
    double pwv[kBlock], pww[kBlock], pwe[kBlock], pwi[kBlock], pwn[kBlock], kw[kBlock], nw[kBlock],
        nw2[kBlock];
    double de[kBlock], di[kBlock], dn[kBlock], qn[kBlock];
    double ge[kBlock], gi[kBlock], vr[kBlock], vth[kBlock], vmin[kBlock], vmax[kBlock];
    std::int64_t exp_mask[kBlock], adapt_mask[kBlock];  // all ones when that term is on
  };
  // y' = A y + c for y = (V, w, I_exc, I_inh, I_noise): the neuron without the exponential term.
  struct Linear {
    double g_m, inv_c, adapt, a_w, g_w, g_e, g_i, g_n;
    double rate_bound;  // bounds |eigenvalues| of A (sets the Taylor piece length)
    double half_step_decay_e, half_step_decay_i, half_step_decay_n;  // exp(-g dt / 2)
  };

  int idx(int neuron) const;
  double at(const std::vector<StateBlock>& s, double (StateBlock::*f)[kBlock], int neuron) const {
    const int i = idx(neuron);
    return (s[i / kBlock].*f)[i % kBlock];
  }
  void init(const std::vector<NeuronCircuitParams>& params);
  void derive(int i);
  void sync_constant_w();
  // Affine term c of y' = A y + c with an extra constant current (the in-step noise).
  void constants(int i, double i_extra_nA, double* c) const;
  // kNoise: 0 no noise, 1 one draw per step, 2 two draws (the second term is skipped when no
  // neuron needs it: it would only add exact zeros).
  template <bool kAdaptation, int kNoise>
  void common_path(double t0, double t_end);
  void advance_slow(int i, double t0, std::vector<NeuronSpike>& out);
  bool free_linear(int i, double i_extra_nA, double* y, double h, double* s_spike);
  bool free_exponential(int i, double i_extra_nA, double* y, double h, double* s_spike);
  void refractory_segment(int i, double* y, double r);

  int n_ = 0;
  int n_pad_ = 0;
  double dt_us_ = 0.1;
  std::uint64_t seed_ = 0;
  std::vector<NeuronCircuitParams> params_;
  std::vector<MembraneNoiseCoefficients> noise_;
  std::vector<Linear> lin_;
  std::vector<StateBlock> cur_, nxt_;
  std::vector<CoefBlock> coef_;
  std::vector<double> refr_;  // refractory until (µs), -inf when free
  std::vector<double> exc_in_, inh_in_, xi_, xi2_;
  // In-step noise as a constant current per unit normal draw (first and second draw).
  std::vector<double> kappa_, kappa2_;
  // One bit per neuron of a block (kBlock = 8): needs the rare path this step / has the
  // exponential term (always needs it).
  std::vector<std::uint8_t> block_flag_;
  std::vector<std::uint8_t> block_exp_;
  std::vector<std::uint8_t> kind_;  // bit 0: exponential on, bit 1: adaptation on
  double rk4_rate_step_ = kRk4RateStep;
  bool any_adaptation_ = false;
  bool noise_on_ = false;
  bool noise_second_draw_ = false;
  StandardNormalStream noise_normals_;
  std::vector<int> second_draw_neurons_;  // ascending: the neurons with a second noise draw
};

}  // namespace salvo
