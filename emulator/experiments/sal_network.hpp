// Host-side set-up shared by the SAL experiments: neurons with recurrent signed synapses
// (one synapse driver per presynaptic neuron, its two rows an excitatory and an inhibitory
// copy: w = w_exc − w_inh), independent Poisson noise for every neuron from the on-chip
// background sources (random synapse addresses split one source into independent trains),
// the effective-weight oracle, and the plasticity executors: the firmware on the emulated
// processor, or the same C kernel called by the host at the same times (an ideal processor).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "emulator/config/schema.hpp"
#include "emulator/experiments/run_context.hpp"
#include "hw/chip/chip.hpp"

namespace salvo::experiments {

// Schema keys shared by sal-pair and sal-feedback.
std::vector<std::pair<std::string, config::SchemaNode>> sal_common_keys();

struct SalNetwork {
  int half = 0;
  std::vector<int> columns;  // neuron columns in use (index = network neuron id)
  int rows_per_driver = 2;
  // Network neuron k's outgoing synapses live on driver k: rows 2k (exc) and 2k+1 (inh).
  int exc_row(int pre) const { return rows_per_driver * pre; }
  int inh_row(int pre) const { return rows_per_driver * pre + 1; }
};

// Wires the network: neuron labels, drivers, noise rows and sources, neuron targets.
SalNetwork setup_sal_network(AnalogCore& core, const YAML::Node& exp, int neurons,
                             const std::string& file);

// Rate calibration with the rate counters: bisects each neuron's leak code until it fires at
// experiment.target_rate_hz under the noise (weights as they are). Runs the kernel; returns the
// rates of the last measurement.
std::vector<double> calibrate_rates(RunContext& ctx, Chip& chip, const SalNetwork& net,
                                    const YAML::Node& exp);

// Applies plasticity periodically while the kernel runs. `plastic` lists (pre, post) pairs
// that learn; the shadow weights start at the programmed codes.
struct PlasticSynapse {
  int pre, post;
};

// The distinct pre neurons of `plastic`, in order of first appearance (the kernel's row order).
std::vector<int> pre_neurons(const std::vector<PlasticSynapse>& plastic);

// Sensor-gain calibration of the plastic synapses, the way a host calibrates a chip: with the
// network's recurrent weights at zero (the caller's job), the neurons fire independently under
// their noise for window_us; every plastic pre neuron's two sensor rows are then read (averaged
// conversions minus the CADC zero) and compared with what ideal sensors would have stored for
// the same recorded spikes (the nearest-neighbour rule replayed with the nominal A and τ). The
// result per plastic synapse (in `plastic` order) is the acausal-to-causal gain ratio g: the SAL
// term a − g·c then weighs both directions alike despite the sensors' amplitude and τ mismatch.
// Replaying the recorded spikes removes the chance pairs' Poisson noise from the estimate; what
// is left is the CADC readout noise (≈ 1 LSB per read, averaged) against ≈ 50 LSB stored.
struct SensorGainCalibration {
  std::vector<double> gain;       // a/c ratio per plastic synapse
  std::vector<double> true_gain;  // the same ratio from the oracle's drawn A (for the report)
  double stored_lsb_mean = 0;     // mean stored charge per sensor at the read
};
SensorGainCalibration calibrate_sensor_gains(RunContext& ctx, Chip& chip, const SalNetwork& net,
                                             const std::vector<PlasticSynapse>& plastic,
                                             double window_us);

// Q6 byte of a gain ratio as the firmware stores it (sal_config.h: sal_gain).
std::uint8_t sal_gain_q6(double g);

// Programs the signed weight code w (−w_max..w_max) of synapse pre → post.
void set_signed_weight(AnalogCore& core, const SalNetwork& net, int pre, int post, int w);
int signed_weight(AnalogCore& core, const SalNetwork& net, int pre, int post);
// Oracle: PSP peak (mV) at post caused by one spike of pre, both rows included.
double effective_weight(AnalogCore& core, const SalNetwork& net, int pre, int post);

struct SalSchedule {
  double period_us;
  double eta;           // shadow codes per LSB of (a − c)
  double eta_decay_us;  // learning rate decays as 1/(1 + t/eta_decay_us); 0 = constant
  bool remove_common_mode;
  // Rate homeostasis with every update: leak-code change per spike of difference between
  // target_rate_hz · period and each network neuron's rate counter (0 = off).
  double homeostasis_gain = 0;
  double target_rate_hz = 0;
  int rule = 0;  // SAL_RULE_SAL or SAL_RULE_STDP (firmware/sal/sal_kernel.h)
  // Homeostasis in the processor's units, the same for both executors: target spikes per
  // update period, and the leak-code change per spike of error in Q8.
  std::int32_t homeostasis_target_count() const {
    return static_cast<std::int32_t>(std::lround(target_rate_hz * period_us * 1e-6));
  }
  std::int32_t homeostasis_gain_q8() const {
    return static_cast<std::int32_t>(std::lround(homeostasis_gain * 256));
  }
};

// The schedule from the experiment's keys (sal_common_keys()).
SalSchedule sal_schedule(const YAML::Node& exp);

// Host executor: calls the shared C kernel (firmware/sal/sal_kernel.h) at each period.
class HostPlasticity {
 public:
  HostPlasticity(AnalogCore& core, const SalNetwork& net, std::vector<PlasticSynapse> plastic,
                 const SalSchedule& schedule, std::uint64_t seed);
  // Calibrates the CADC zero (readings right after a reset), resets the sensors.
  void start(double t_us);
  // Shadow weights := the codes now on the chip (after the host programmed new ones).
  void load_shadow_from_chip();
  // Per-synapse gain ratios (plastic order), e.g. from calibrate_sensor_gains().
  void set_gains(const std::vector<double>& gains);
  // Runs one update at t_us (the core must be at t_us): plasticity, then homeostasis.
  void update(double t_us);
  std::uint64_t updates() const { return updates_; }
  // Accumulated (a − c) and (a + c) per pre neuron and plastic synapse (in kernel order).
  const std::vector<std::vector<double>>& d_sum() const { return d_sum_; }
  const std::vector<std::vector<double>>& s_sum() const { return s_sum_; }

 private:
  AnalogCore& core_;
  SalNetwork net_;
  std::vector<PlasticSynapse> plastic_;
  SalSchedule sched_;
  std::vector<int> pres_;                          // pre neurons with plastic synapses
  std::vector<std::vector<std::int32_t>> shadow_;  // [pre][column]
  std::vector<std::uint16_t> base_c_, base_a_;     // Q8
  std::uint32_t rng_;
  std::uint64_t updates_ = 0;
  std::vector<std::vector<double>> d_sum_, s_sum_;
  std::vector<std::int32_t> homeo_code_q8_;         // per network neuron
  std::vector<std::vector<std::uint16_t>> c_gain_;  // Q8 per [pre][column]
};

// Firmware executor: the SAL firmware (build/firmware/sal.elf) on half 0's plasticity
// processor, parameters written into its `sal_config` block before it starts.
class FirmwarePlasticity {
 public:
  // Elaboration time: creates the processor and binds it to the chip's window 0.
  // gdb_port >= 0: start() waits for gdb-multiarch there before the program runs.
  FirmwarePlasticity(Chip& chip, const ChipConfig& config, std::uint64_t seed,
                     const std::string& elf_path, int gdb_port = -1);
  ~FirmwarePlasticity();
  // Writes the parameter block and starts the program at the current time; it runs
  // `updates` updates and exits.
  void start(const SalNetwork& net, const std::vector<PlasticSynapse>& plastic,
             const SalSchedule& schedule, std::uint32_t updates, std::uint32_t baseline_samples,
             const std::vector<double>& gains = {});
  // Throws RunFailure if the firmware trapped, ran away or exited non-zero.
  void check() const;
  bool ended() const;
  // Run statistics for the summary (instructions, cycles, busy fraction, cycles per row update).
  void report(RunContext& ctx) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The learning phase with either executor: from now for `duration_us`, calling on_sample(t)
// every sample_period_us (and at the start). `gains`: sensor-gain ratios for the firmware
// (the host executor gets them through set_gains). Host: calls the kernel every period. Firmware:
// starts the program, which runs duration/period updates on its own timer; the kernel runs
// on until it exits (a trap or non-zero exit becomes a RunFailure).
void run_learning(RunContext& ctx, Chip& chip, HostPlasticity* host, FirmwarePlasticity* firmware,
                  const SalNetwork& net, const std::vector<PlasticSynapse>& plastic,
                  const SalSchedule& schedule, double duration_us, double sample_period_us,
                  const std::function<void(double)>& on_sample,
                  const std::vector<double>& gains = {});

// Default location of a firmware image built by the top-level build.
std::string firmware_image(const std::string& name);

// Runs the kernel to `until_us`, calling plasticity.update every period_us (0: no updates,
// the kernel advances in 100 µs steps) and then on_step(t) if given.
void run_updates(RunContext& ctx, Chip& chip, HostPlasticity* plasticity, double until_us,
                 double period_us, const std::function<void(double)>& on_step);

}  // namespace salvo::experiments
