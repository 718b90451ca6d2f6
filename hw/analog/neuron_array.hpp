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
  // group_size > 0 splits the neurons into groups of that many (the chip's halves; the last
  // group may be shorter) that step independently — step_group() on different threads. 0: one
  // group. Membrane noise comes from one stream per block of 8 neurons of a group (see
  // docs/models/neurons.md), so neither the grouping, the thread count nor idle blocks being
  // skipped changes any neuron's draws.
  NeuronArray(const std::vector<NeuronCircuitParams>& params, double dt_us, std::uint64_t seed,
              int group_size = 0);

  int size() const { return n_; }
  double dt_us() const { return dt_us_; }
  int groups() const { return groups_; }
  int group_size() const { return group_size_; }

  // Changes one circuit and re-derives its propagators; the state is kept (a run-time
  // parameter write). Throws UserError for a parameter no circuit can have.
  void set_params(int neuron, const NeuronCircuitParams& p);
  const NeuronCircuitParams& params(int neuron) const { return params_[idx(neuron)]; }

  // Synaptic input: jumps of I_exc / I_inh (before the neuron's gain) that act at the start
  // of the next step. add_* accumulate. add_inputs() adds a whole group at once (the synapse
  // arrays' per-column sums: exc[k], inh[k] for neuron group * group_size() + k) and sets
  // what it consumed back to 0.
  void add_exc_input(int neuron, double i_nA) { exc_in_[awake_idx(neuron)] += i_nA; }
  void add_inh_input(int neuron, double i_nA) { inh_in_[awake_idx(neuron)] += i_nA; }
  void add_inputs(int group, float* exc, float* inh);

  // Advances every neuron from t_start_us to t_start_us + dt_us and appends the spikes of
  // that interval to `out`, ordered by time (then neuron).
  void step(double t_start_us, std::vector<NeuronSpike>& out);
  // The same split in two: step_group() advances one group's neurons (groups may run on
  // different threads at once; each touches only its own neurons and noise stream) and
  // appends its spikes to `out` ordered by time (then neuron); once every group of the step
  // is done, end_step() makes the new state current. step() == all groups, then end_step().
  // end_step(group) does it for one group only: a group may run several steps in a row
  // (step_group, end_step(group), step_group, ...) while the other groups run theirs.
  void step_group(int group, double t_start_us, std::vector<NeuronSpike>& out);
  void end_step();
  void end_step(int group) { cur_buf_[static_cast<std::size_t>(group)] ^= 1; }

  // Idle blocks: a block of 8 neurons with no input, not refractory, without adaptation or
  // exponential term, and whose membrane cannot come within kSleepMarginSigma noise σ of
  // threshold before new input arrives is not stepped ("asleep"). Reading or changing any of
  // its neurons, or input to one of them, first replays the skipped steps with the block's
  // own noise draws — so every observable value is bit-identical to stepping it all along.
  // The one thing a sleeping block cannot do is spike: a replay that finds a threshold
  // crossing (probability < 1e-30 per neuron-step at the margin) counts it in late_spikes()
  // and drops it. set_sleep(false) steps every block every step.
  static constexpr double kSleepMarginSigma = 12.0;
  static constexpr std::uint64_t kSleepCheckSteps = 16;
  void set_sleep(bool on);
  std::uint64_t late_spikes() const { return sum(&SleepStats::late_spikes); }
  // Block-steps skipped while asleep, and how many of them were replayed on demand so far.
  std::uint64_t block_steps_skipped() const { return sum(&SleepStats::skipped); }
  std::uint64_t block_steps_replayed() const { return sum(&SleepStats::replayed); }
  // Block-steps in all (stepped, skipped or not): every block of every group, every step.
  std::uint64_t block_steps_total() const {
    std::uint64_t n = 0;
    for (std::uint64_t s : group_steps_)
      n += s * static_cast<std::uint64_t>(group_stride_ / kBlock);
    return n;
  }
  // Noise drawn ahead by another thread (BlockNormalStreams): an idle thread may call
  // produce_noise() at any time, also while blocks step; every neuron gets the same draws
  // either way. Whoever calls produce_noise() must stop before the array is destroyed.
  bool produce_noise() { return noise_normals_.produce(); }
  // Chunks of noise the stepping threads had to draw themselves (the producer not keeping up
  // or not running); read between steps.
  std::uint64_t noise_consumer_fills() const { return noise_normals_.consumer_fills(); }

  // Blocks of 8 neurons of a group that are stepped (not asleep).
  int awake_blocks(int group) const {
    return group_stride_ / kBlock - asleep_count_[static_cast<std::size_t>(group)];
  }

  double v_mV(int neuron) const { return at(&StateBlock::v, neuron); }
  double w_nA(int neuron) const { return at(&StateBlock::w, neuron); }
  double i_exc_nA(int neuron) const { return at(&StateBlock::ie, neuron); }
  double i_inh_nA(int neuron) const { return at(&StateBlock::ii, neuron); }
  double i_noise_nA(int neuron) const { return at(&StateBlock::in, neuron); }
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

  // Neuron → storage slot: each group is padded to whole blocks, so groups never share one.
  int idx(int neuron) const;
  // idx() after bringing the neuron's block up to date (replays a sleeping block); for
  // accessors, which stay logically const.
  int awake_idx(int neuron) const {
    const int i = idx(neuron);
    if (asleep_[static_cast<std::size_t>(i / kBlock)])
      const_cast<NeuronArray*>(this)->wake(i / kBlock);
    return i;
  }
  int neuron_of(int slot) const {
    return slot / group_stride_ * group_size_ + slot % group_stride_;
  }
  bool real_slot(int slot) const {
    return slot % group_stride_ < group_size_ && neuron_of(slot) < n_;
  }
  int group_base(int group) const { return group * group_stride_; }
  double at(double (StateBlock::*f)[kBlock], int neuron) const {
    const int i = awake_idx(neuron);
    return (cur(i / kBlock).*f)[i % kBlock];
  }
  void init(const std::vector<NeuronCircuitParams>& params);
  void derive(int i);
  void update_flags(int i);
  void sync_constant_w();
  // Affine term c of y' = A y + c with an extra constant current (the in-step noise).
  void constants(int i, double i_extra_nA, double* c) const;
  // kNoise: 0 no noise, 1 one draw per step, 2 two draws (the second term is skipped when no
  // neuron needs it: it would only add exact zeros).
  template <bool kAdaptation, int kNoise>
  void common_path(double t0, double t_end, const int* blocks, int count);
  // Its body on vectors VD (VI: the matching integer vector), and that body built for AVX2.
  template <class VD, class VI, bool kAdaptation, int kNoise>
  void common_path_body(double t0, double t_end, const int* blocks, int count);
  template <bool kAdaptation, int kNoise>
  void common_path_avx2(double t0, double t_end, const int* blocks, int count);
  void advance_slow(int i, double t0, std::vector<NeuronSpike>& out);
  // The membrane-noise draws of one step for block b (xi_, xi2_), from its own stream.
  void draw_noise(int b);
  std::vector<std::uint64_t> noise_seeds() const;  // of every block's stream
  // The common path of one step for blocks [first, end), with the template the array's
  // configuration selects.
  void common_step(double t0, double t_end, const int* blocks, int count);
  void wake(int b);
  bool may_sleep(int b, double t_end) const;
  bool free_linear(int i, double i_extra_nA, double* y, double h, double* s_spike);
  bool free_exponential(int i, double i_extra_nA, double* y, double h, double* s_spike);
  void refractory_segment(int i, double* y, double r);

  int n_ = 0;
  int n_pad_ = 0;
  int group_size_ = 0;    // neurons per group
  int group_stride_ = 0;  // slots per group (group_size_ rounded up to whole blocks)
  int groups_ = 1;
  double dt_us_ = 0.1;
  std::uint64_t seed_ = 0;
  std::vector<NeuronCircuitParams> params_;
  std::vector<MembraneNoiseCoefficients> noise_;
  std::vector<Linear> lin_;
  // The decay factors of the last refractory segment per slot, by its length r (NaN: none
  // yet). A neuron held at reset above its threshold (large mismatch) spends whole steps in
  // refractory_segment, and (t0 + dt) − t0 takes the same value step after step.
  struct RefractoryDecay {
    double r, e, i, n, w;  // exp(−g r) of the excitatory, inhibitory, noise and adaptation terms
  };
  std::vector<RefractoryDecay> refr_decay_;
  // Two state buffers per block: state_[block_state(p, b)] is buffer p of block b; buffer
  // cur_buf_[g] of the blocks of group g holds their current state, the other one receives
  // the next step's (end_step flips it per group).
  std::vector<StateBlock> state_;
  std::vector<std::uint8_t> cur_buf_;
  std::size_t blocks_ = 0;
  std::size_t block_state(unsigned buf, int b) const {
    return buf * blocks_ + static_cast<std::size_t>(b);
  }
  int group_of_block(int b) const { return b * kBlock / group_stride_; }
  // Index in state_ of block b's current (next = 0) or next (next = 1) state.
  std::size_t state_of(int b, unsigned next) const {
    return block_state(cur_buf_[static_cast<std::size_t>(group_of_block(b))] ^ next, b);
  }
  StateBlock& cur(int b) { return state_[state_of(b, 0)]; }
  const StateBlock& cur(int b) const { return state_[state_of(b, 0)]; }
  StateBlock& nxt(int b) { return state_[state_of(b, 1)]; }
  const StateBlock& nxt(int b) const { return state_[state_of(b, 1)]; }
  std::vector<CoefBlock> coef_;
  std::vector<double> refr_;  // refractory until (µs), -inf when free
  std::vector<double> exc_in_, inh_in_, xi_, xi2_;
  // In-step noise as a constant current per unit normal draw (first and second draw).
  std::vector<double> kappa_, kappa2_;
  // One bit per neuron of a block (kBlock = 8): needs the rare path this step / has the
  // exponential term (always needs it).
  std::vector<std::uint8_t> block_flag_;
  std::vector<std::uint8_t> block_exp_;
  std::vector<std::uint8_t> block_second_draw_;  // one bit per neuron with a second draw
  std::vector<std::uint8_t> kind_;               // bit 0: exponential on, bit 1: adaptation on
  double rk4_rate_step_ = kRk4RateStep;
  bool any_adaptation_ = false;
  bool noise_on_ = false;
  bool noise_second_draw_ = false;
  BlockNormalStreams noise_normals_;  // per block
  // Sleeping blocks (see set_sleep): the group step count when each fell asleep, and the
  // time the first skipped step started.
  bool sleep_on_ = true;
  std::vector<std::uint8_t> asleep_;
  std::vector<int> asleep_count_;  // per group
  // Per group, its blocks that are awake, in ascending order: what a step visits.
  std::vector<std::vector<int>> awake_list_;
  void wake_all_lists();  // every block awake (lists only)
  std::vector<std::uint64_t> asleep_from_step_;
  std::vector<double> asleep_from_us_;
  std::vector<std::uint64_t> group_steps_;
  struct SleepStats {  // per group (groups step on different threads)
    std::uint64_t late_spikes = 0, skipped = 0, replayed = 0;
    std::vector<NeuronSpike> late_scratch;
  };
  std::vector<SleepStats> sleep_stats_;
  std::uint64_t sum(std::uint64_t SleepStats::*f) const {
    std::uint64_t n = 0;
    for (const auto& s : sleep_stats_) n += s.*f;
    return n;
  }
  std::vector<std::uint8_t> block_real_;  // real (non-padding) neurons per block
};

namespace detail {
// Test/benchmark hook: the common path runs its AVX2 body when the CPU has it (selected at
// start-up); use_wide_common_path(false) forces the 2-lane body. Both give identical results.
// Returns whether the AVX2 body is now in use.
bool use_wide_common_path(bool allow);
}  // namespace detail

}  // namespace salvo
