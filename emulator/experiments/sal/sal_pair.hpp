// Experiment `sal-pair`: the SAL principle on two neurons with reciprocal synapses whose
// codes start 3:1 (the paper's 1.5 / 0.5), both driven by independent Poisson noise from the
// on-chip background sources. Modes: both synapses learn, only the weaker one learns, or
// none. Success is judged on the *effective* weights (PSP at the post neuron, all mismatch
// included), not on the codes. Next to them, the *functional* weights (extra post spikes per
// pre spike from the recorded spike trains, emulator/measures/functional_weights.hpp) over
// the first and the last part of the learning run: what SAL actually equalises
// (docs/alignment-measures.md).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "emulator/experiments/experiment.hpp"
#include "emulator/experiments/sal/sal_executors.hpp"
#include "emulator/experiments/sal/sal_network.hpp"
#include "emulator/experiments/sal/sal_params.hpp"

namespace salvo::experiments {

struct SalPairParams : SalParams {
  double duration_us = 100000.0;
  std::string plastic = "both";  // both, one, none
  int w_strong = 30;
  int w_weak = 10;
  double functional_d0_us = 0.5;
  double functional_d1_us = 10.0;
  double functional_part = 0.25;
};

class SalPair : public Experiment {
 public:
  using Params = SalPairParams;
  static constexpr const char* kName = "sal-pair";
  static constexpr const char* kSummary =
      "two neurons with reciprocal synapses (codes 3:1) under Poisson noise; SAL aligns their "
      "effective weights";
  static const config::Fields<Params>& fields();
  static void check(const Params& p, const Checker& check);

  explicit SalPair(Params p) : p_(std::move(p)) {}
  void run(RunContext& ctx) override;

 private:
  bool on_firmware() const { return p_.executor == "firmware"; }
  void wire(session::Session& s);
  void calibrate(session::Session& s);
  void learn(session::Session& s);
  void write_results(session::Session& s);
  void functional_metrics(session::Session& s);

  Params p_;
  SalNetwork net_;
  std::vector<PlasticSynapse> plastic_;
  SalSchedule sched_{};
  std::unique_ptr<HostPlasticity> host_;
  std::vector<double> gains_;
  double e01_0_ = 0, e10_0_ = 0;  // effective weights before learning
  double t_learn_ = 0;
  // Mean effective weights over the first and the last part of learning (from the samples).
  double eff_first_[2] = {0, 0}, eff_last_[2] = {0, 0};
  int n_first_ = 0, n_last_ = 0;
};

}  // namespace salvo::experiments
