// The two executors of the SAL learning rule: the firmware (build/firmware/sal.elf or
// stdp.elf) on half 0's plasticity processor, or the host calling the same C kernel
// (firmware/sal/sal_kernel.h) at the same times — an ideal processor. Both read the sensors
// through the CADC minus its zero, update shadow weights and write codes, and optionally run
// rate homeostasis on the leak codes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "emulator/experiments/sal/sal_network.hpp"
#include "emulator/experiments/sal/sal_params.hpp"
#include "emulator/session/session.hpp"

namespace salvo::experiments {

// Host executor: calls the shared C kernel at each period.
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
  void homeostasis();

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

// Firmware executor: fills the SAL firmware's parameter blocks (sal_config, sal_gain) on the
// session's FirmwareHost and reads its statistics (sal_stats) back.
class FirmwarePlasticity {
 public:
  FirmwarePlasticity(session::FirmwareHost& host, const ChipConfig& config, std::string elf_path);
  // Loads the program, writes its parameter blocks and starts it at the current time; it runs
  // `updates` updates on its own timer and exits.
  void start(const SalNetwork& net, const std::vector<PlasticSynapse>& plastic,
             const SalSchedule& schedule, std::uint32_t updates, std::uint32_t baseline_samples,
             const std::vector<double>& gains = {});
  bool ended() const { return host_.ended(); }
  // Run statistics (instructions, cycles, busy fraction, cycles per row update, overruns).
  void report(RunContext& ctx) const;

 private:
  session::FirmwareHost& host_;
  std::string elf_;
  int param_code_max_;
  int weight_bits_;
  std::uint32_t homeo_count_ = 0;  // neurons under the firmware's homeostasis
};

// The SAL firmware's limits, checked at config load for the firmware executor.
void check_sal_firmware(int plastic_pre, int plastic_post_per_pre, const std::string& key,
                        const Checker& check);

// The learning phase with either executor: from now for `duration_us`, calling on_sample(t)
// at the start and every sample_period_us (t: the scheduled time). `gains`: sensor-gain ratios for the firmware
// (the host executor gets them through set_gains). Host: calls the kernel every period.
// Firmware: starts the program, which runs duration/period updates on its own timer; the kernel
// runs on until it exits (a trap or non-zero exit becomes a RunFailure).
void run_learning(session::Session& s, HostPlasticity* host, FirmwarePlasticity* firmware,
                  const SalNetwork& net, const std::vector<PlasticSynapse>& plastic,
                  const SalSchedule& schedule, double duration_us, double sample_period_us,
                  const std::function<void(double)>& on_sample,
                  const std::vector<double>& gains = {});

}  // namespace salvo::experiments
