// Experiment `sampling` (configs/experiments/sampling.yaml): a spiking Boltzmann machine on the
// chip (LIF neural sampling under background noise) learns a target distribution with the
// wake-sleep rule from the correlation sensors and rate counters, with or without the SAL term
// that removes the asymmetry of the effective weights (the paper's figs 4–5).
//
// N neurons (default 7), all-to-all signed synapses (exc/inh row pairs), each neuron driven by
// its own Poisson noise from the background sources, with refractory time τ_on so that z_i = 1
// for τ_on after each spike. The host maps a Boltzmann machine onto the chip (per-neuron
// activation functions, sampling_calibration.hpp) and runs the learning loop: per iteration the
// network samples for sample_us while the correlation sensors and the rate counters are read
// every read_period_us; then
//   ΔW_ij = η_W (⟨z_i z_j⟩* − S_ij) + η_SAL·D_ij,   Δb_i = η_b (⟨z_i⟩* − r_i τ_on)
// with S_ij = k·(a_ij + c_ij)/T and D_ij = k·(a_ij − c_ij)/T from synapse j → i's sensors, k
// calibrated against the spike-derived ⟨z_i z_j⟩ of the initial validation run. Shadow weights
// and biases are kept in Boltzmann units on the host; the chip gets stochastically rounded
// signed codes and nearest leak codes. executor: firmware runs the same loop on the processor.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emulator/experiments/experiment.hpp"
#include "emulator/experiments/sal/sal_network.hpp"
#include "emulator/experiments/sal/sal_params.hpp"
#include "emulator/experiments/sampling/sampling_calibration.hpp"
#include "emulator/experiments/sampling/sensor_reader.hpp"
#include "emulator/measures/boltzmann.hpp"
#include "emulator/output/run_output.hpp"
#include "hw/common/rng.hpp"

namespace salvo::experiments {

struct SamplingParams : NeuronDrive {
  SamplingParams() {
    v_leak_mV = 800.0;
    v_reset_mV = 720.0;
  }
  double duration_us = 1.0;
  int neurons = 7;
  std::string sal = "on";
  std::string executor = "host";
  double sigma_init = 0.4;
  double sigma_sym = 0.2;
  std::uint64_t target_seed = 1;
  double eta_w = 0.1, eta_b = 0.1, eta_sal = 0.1;
  int iterations = 100;
  double sample_us = 5000.0;
  double read_period_us = 1000.0;
  double validation_us = 100000.0;
  int dkl_every = 10;
  double grid_us = 1.0;
  double pseudo_count = 1.0;
  double tau_on_us = 20.0;
  double tau_syn_us = 20.0;
  double tau_mem_us = 2.5;
  std::string sensor_calibration = "full";  // none, gain, full
  double sensor_calibration_us = 100000.0;
  std::string activation_file;
  double activation_window_us = 5000.0;
  int activation_points = 15;
  double activation_step_codes = 5.0;
};

class Sampling : public Experiment {
 public:
  using Params = SamplingParams;
  static constexpr const char* kName = "sampling";
  static constexpr const char* kSummary =
      "spiking Boltzmann machine (LIF sampling under noise) learns a target distribution; "
      "Hebbian rule from the correlation sensors with or without SAL";
  static const config::Fields<Params>& fields();
  static void check(const Params& p, const Checker& check);

  explicit Sampling(Params p) : p_(std::move(p)) {}
  void run(RunContext& ctx) override;

 private:
  bool on_firmware() const { return p_.executor == "firmware"; }
  double read_us() const { return std::min(p_.read_period_us, p_.sample_us); }
  int n() const { return p_.neurons; }
  void wire(session::Session& s);
  void activation(session::Session& s);
  void init_machine(session::Session& s);
  void calibrate_sensors(session::Session& s);
  void validate_initial(session::Session& s);
  void learn_on_host(session::Session& s);
  void learn_on_firmware(session::Session& s);
  void validate_final(session::Session& s);
  void write_metrics(session::Session& s);

  // Programs the shadow machine onto the chip (stochastically rounded codes, nearest leaks).
  void program(AnalogCore& core);
  std::vector<double> effective(AnalogCore& core) const;
  double code_asymmetry() const;
  // Samples for `duration`, reading sensors and counters every read period; returns [t0, t1].
  std::pair<double, double> sample(session::Session& s, double duration);
  double dkl_of(AnalogCore& core, double t0, double t1, std::vector<double>* p_out) const;

  Params p_;
  SalNetwork net_;
  ActivationCalibration cal_;
  std::unique_ptr<BoltzmannMapping> map_;
  boltzmann::Machine target_, model_;
  std::vector<double> p_star_;
  boltzmann::Moments mom_star_;
  std::optional<Engine> round_eng_;
  std::vector<int> codes_;
  std::unique_ptr<SensorReader> reader_;
  std::vector<double> g_, k_syn_;  // per synapse: sensor gain ratio, coincidence scale
  double dkl0_ = 0, asym0_ = 0, asym_codes0_ = 0;
  std::vector<double> w_eff0_, p_initial_;
  boltzmann::Moments mom0_;
  double window_start_ = 0;
  std::unique_ptr<output::CsvWriter> dkl_csv_, asym_csv_;
};

}  // namespace salvo::experiments
