// Parameters shared by the SAL experiments (sal-pair, sal-feedback) and, for the network's
// operating point and noise, by `sampling`: plain structs whose member initialisers are the
// defaults, declared once as field tables (emulator/config/fields.hpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "emulator/config/fields.hpp"

namespace salvo::experiments {

// Operating point of the network neurons and their Poisson noise (setup_sal_network).
struct NeuronDrive {
  double v_leak_mV = 750.0;
  double v_reset_mV = 700.0;
  double v_threshold_mV = 800.0;
  double noise_rate_exc_hz = 60000.0;
  double noise_rate_inh_hz = 60000.0;
  int noise_weight_exc = 20;
  int noise_weight_inh = 20;
};

// Everything sal-pair and sal-feedback share: executor, rate calibration, noise, learning rule.
struct SalParams : NeuronDrive {
  std::string executor = "firmware";  // firmware, host
  double target_rate_hz = 15000.0;
  double calibration_window_us = 2000.0;
  int calibration_iterations = 10;
  double update_period_us = 100.0;
  double eta = 4.0;
  double eta_decay_us = 0.0;
  double sensor_gain_calibration_us = 0.0;
  bool remove_common_mode = false;
  double homeostasis_gain = 0.0;
  double sample_period_us = 1000.0;
};

// The noise-drive keys of NeuronDrive, in the schema's order after `head` (v_leak/reset/
// threshold come first, then whatever `head` holds, then the noise keys): the SAL experiments
// put their rate-calibration keys between them.
template <typename P>
config::Fields<P> neuron_drive_fields(
    config::Fields<P> middle,
    std::string leak_doc =
        "leak target of the network neurons (noise-driven "
        "regime near threshold)",
    std::string reset_doc = "reset target of the network neurons") {
  using config::field;
  config::Fields<P> f = {
      field<P>("v_leak_mV", &P::v_leak_mV, 0.0, 1200.0, std::move(leak_doc)),
      field<P>("v_reset_mV", &P::v_reset_mV, 0.0, 1200.0, std::move(reset_doc)),
      field<P>("v_threshold_mV", &P::v_threshold_mV, 0.0, 1200.0,
               "threshold target of the network neurons"),
  };
  for (auto& m : middle) f.push_back(std::move(m));
  f.push_back(field<P>("noise_rate_exc_hz", &P::noise_rate_exc_hz, 0.0, 1e8,
                       "excitatory Poisson noise per neuron (hardware time)"));
  f.push_back(field<P>("noise_rate_inh_hz", &P::noise_rate_inh_hz, 0.0, 1e8,
                       "inhibitory Poisson noise per neuron"));
  f.push_back(field<P>("noise_weight_exc", &P::noise_weight_exc, 0, 63,
                       "weight code of the excitatory noise synapses"));
  f.push_back(field<P>("noise_weight_inh", &P::noise_weight_inh, 0, 63,
                       "weight code of the inhibitory noise synapses"));
  return f;
}

// The keys of SalParams, in the schema's order.
template <typename P>
config::Fields<P> sal_fields() {
  using config::choice;
  using config::field;
  config::Fields<P> f = {choice<P>(
      "executor", &P::executor, {"firmware", "host"},
      "who runs the plasticity rule: the firmware on the emulated processor, or the host calling "
      "the same C kernel at the same times (an ideal processor)")};
  for (auto& d : neuron_drive_fields<P>({
           field<P>("target_rate_hz", &P::target_rate_hz, 0.0, 1e6,
                    "rate calibration: each neuron's leak code is tuned until it fires at this "
                    "rate under the noise (0 = off, the uncalibrated leak targets stay)"),
           field<P>("calibration_window_us", &P::calibration_window_us, 10.0, 1e6,
                    "measurement window per calibration iteration"),
           field<P>("calibration_iterations", &P::calibration_iterations, 1, 50,
                    "bisection steps of the rate calibration"),
       }))
    f.push_back(std::move(d));
  for (auto& x : config::Fields<P>{
           field<P>("update_period_us", &P::update_period_us, 1.0, 1e6,
                    "time between plasticity updates"),
           field<P>("eta", &P::eta, 0.0, 1000.0,
                    "learning rate: shadow-weight codes per LSB of (acausal − causal)"),
           field<P>("eta_decay_us", &P::eta_decay_us, 0.0, 1e9,
                    "learning rate decays as 1/(1 + t/eta_decay_us); 0 = constant"),
           field<P>("sensor_gain_calibration_us", &P::sensor_gain_calibration_us, 0.0, 1e9,
                    "before learning, with the neurons uncoupled for this long: measure each "
                    "plastic synapse's acausal/causal sensor-gain ratio against the recorded "
                    "spikes and divide it out of the updates (0 = off)"),
           field<P>("remove_common_mode", &P::remove_common_mode,
                    "subtract each row's mean (a − c) before the update"),
           field<P>("homeostasis_gain", &P::homeostasis_gain, 0.0, 64.0,
                    "rate homeostasis during learning, run with every update: leak-code change "
                    "per spike of difference between target_rate_hz · update_period_us and each "
                    "neuron's rate counter (0 = off)"),
           field<P>("sample_period_us", &P::sample_period_us, 1.0, 1e9,
                    "how often weights are written to the time series"),
       })
    f.push_back(std::move(x));
  return f;
}

// The learning schedule of a SAL run, as both executors apply it.
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

inline SalSchedule sal_schedule(const SalParams& p, int rule = 0) {
  SalSchedule s{p.update_period_us, p.eta, p.eta_decay_us, p.remove_common_mode};
  s.homeostasis_gain = p.homeostasis_gain;
  s.target_rate_hz = p.target_rate_hz;
  s.rule = rule;
  return s;
}

}  // namespace salvo::experiments

namespace salvo::experiments {

class Checker;

// A learning run is a whole number (>= 1) of update periods: the executors run
// floor(duration / period) updates, so anything else would learn less than the summary says.
void check_learning_duration(double duration_us, double update_period_us, const Checker& check);

}  // namespace salvo::experiments
