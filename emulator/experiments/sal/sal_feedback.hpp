// Experiment `sal-feedback` (the default): layer A → layer B through fixed random signed
// forward weights W, feedback weights B from B back to A learned by SAL on the plasticity
// processor, forward plasticity off, every neuron driven by independent Poisson noise from
// the on-chip background sources. The measure is the angle between the effective feedback
// matrix and the effective transposed forward matrix (PSP amplitudes, mismatch included).
// The feedback-alignment baseline (experiment.feedback_plasticity: none) keeps B random.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "emulator/experiments/experiment.hpp"
#include "emulator/experiments/sal/sal_executors.hpp"
#include "emulator/experiments/sal/sal_network.hpp"
#include "emulator/experiments/sal/sal_params.hpp"
#include "emulator/experiments/sal/sensor_gain.hpp"

namespace salvo::experiments {

struct SalFeedbackParams : SalParams {
  double duration_us = 150000.0;
  int layer_a = 32;
  int layer_b = 32;
  std::string feedback_plasticity = "sal";  // sal, stdp, none
  int w_init = 8;
  int b_init = 8;
  double functional_window_us = 100000.0;
};

class SalFeedback : public Experiment {
 public:
  using Params = SalFeedbackParams;
  static constexpr const char* kName = "sal-feedback";
  static constexpr const char* kSummary =
      "layer A -> B through fixed random signed W; feedback B learned by SAL on the processor; "
      "angle of B vs Wᵀ";
  static const config::Fields<Params>& fields();
  static void check(const Params& p, const Checker& check);

  explicit SalFeedback(Params p) : p_(std::move(p)) {}
  void run(RunContext& ctx) override;

  // Wᵀ and B flattened as [a][b], effective (oracle, mV) and as codes.
  struct Matrices {
    std::vector<double> w_eff, b_eff, w_code, b_code;
  };

 private:
  bool learns() const { return p_.feedback_plasticity != "none"; }
  bool on_firmware() const { return p_.executor == "firmware" && learns(); }
  int a_id(int a) const { return a; }
  int b_id(int b) const { return p_.layer_a + b; }
  void wire(session::Session& s);
  void calibrate(session::Session& s);
  void learn(session::Session& s);
  void measure_functional(session::Session& s);
  void write_results(session::Session& s);
  Matrices matrices(AnalogCore& core) const;

  Params p_;
  SalNetwork net_;
  std::vector<int> w_codes_, b_codes_;
  std::vector<PlasticSynapse> plastic_;
  SensorGainCalibration gains_;
  double eff0_ = 0, codes0_ = 0;  // angles before learning
  double t_learn_ = 0;            // hardware time learning started
  SalSchedule sched_{};
};

}  // namespace salvo::experiments
