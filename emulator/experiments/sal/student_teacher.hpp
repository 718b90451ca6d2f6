// Experiment `student-teacher`: the task-level test of SAL. A hierarchy on the chip — input
// rows driven by the host with Poisson trains at a pattern's rates, a hidden and an output
// layer of chip neurons, signed forward weights W1 (input → hidden) and W2 (hidden → output),
// physical feedback synapses B (output → hidden) — learns the mapping of a teacher network of
// the same shape with fixed random weights (its own seed key, programmed on the same chip and
// measured once: the targets are output rates the student can reach).
//
// Learning per training pattern: a free phase (inputs only) and a nudged phase (each output
// neuron gets extra excitatory or inhibitory input ∝ its error target − free rate). A hidden
// neuron's error is the change of its rate between the two phases, which can only arrive
// through B. The forward weights change by the local rule of firmware/student_teacher/
// st_kernel.h: ΔW2 ∝ (target − free count)·hidden count, ΔW1 ∝ (nudged − free hidden count)·
// input count (equilibrium-propagation style; with B = W2ᵀ the contrastive estimate of the
// gradient). The forward rule runs on the plasticity processor (forward_executor: firmware,
// build/firmware/st.elf: it counts the hidden and output spikes itself and updates W1, W2; the
// host sequences the phases through the mailbox and checks after every update that it computes
// the same codes from the firmware's counts) or on the host executor (an ideal processor
// calling the same C kernel at the same point of the schedule); B: `feedback` sal (learned by SAL,
// executor host or firmware, concurrently with the task), fa (fixed random), bp (the host sets B to
// the effective transpose of W2 after every update: the reference), none (fixed random B, W1 does
// not learn).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "emulator/experiments/experiment.hpp"
#include "emulator/experiments/sal/sal_executors.hpp"
#include "emulator/experiments/sal/sal_network.hpp"
#include "emulator/experiments/sal/sal_params.hpp"
#include "emulator/experiments/sal/sensor_gain.hpp"
#include "hw/common/rng.hpp"

namespace salvo::experiments {

struct StudentTeacherParams : SalParams {
  // SAL on B: the host executor by default (the firmware one is executor: firmware).
  StudentTeacherParams() {
    executor = "host";
    update_period_us = 1000.0;
    eta = 0.4;
  }
  int inputs = 20;
  int hidden = 10;
  int outputs = 10;
  std::string feedback = "sal";           // sal, fa, bp, none
  std::string forward_executor = "host";  // host, firmware
  int epochs = 20;
  int w1_freeze_epochs = 0;  // W1 not updated in the first k epochs
  int train_patterns = 16;
  int val_patterns = 8;
  std::uint64_t teacher_seed = 1;
  int teacher_w = 24;
  bool teacher_centered = true;
  int w_init = 4;
  int w2_init = -1;                     // -1: w_init
  std::string student_init = "random";  // random, teacher
  int b_init = 16;
  double feedback_scale = 1.0;
  double input_rate_max_hz = 50000.0;
  double settle_us = 200.0;
  double sal_phase_us = 20000.0;
  double sal_pre_us = 0.0;
  bool sal_during_task = false;
  double window_us = 2000.0;
  double val_window_us = 5000.0;
  double teacher_window_us = 20000.0;
  double nudge_gain = 2.0;
  int nudge_weight = 20;
  bool frozen_inputs = false;
  bool frozen_noise = false;
  std::string hidden_error = "free";  // free, reference, symmetric
  double eta_hidden = 0.0002;
  double eta_output = 0.001;
};

class StudentTeacher : public Experiment {
 public:
  using Params = StudentTeacherParams;
  static constexpr const char* kName = "student-teacher";
  static constexpr const char* kSummary =
      "input -> hidden -> output on the chip learns a teacher's rates by a local rule, hidden "
      "errors through feedback B (sal / fa / bp / none); validation loss per epoch";
  static const config::Fields<Params>& fields();
  static void check(const Params& p, const Checker& check);

  explicit StudentTeacher(Params p) : p_(std::move(p)) {}
  void run(RunContext& ctx) override;

  // Time of the task (initial validation and every epoch), hardware µs.
  static double task_us(const Params& p);

 private:
  struct Pattern {
    std::vector<double> rate_hz;  // per input
    std::vector<double> target;   // teacher output rates (Hz)
  };
  int hid_id(int h) const { return h; }
  int out_id(int k) const { return p_.hidden + k; }
  int in_driver(int i) const { return p_.hidden + p_.outputs + i; }
  int nudge_driver() const { return p_.hidden + p_.outputs + p_.inputs; }
  bool sal() const { return p_.feedback == "sal"; }
  bool on_firmware() const { return sal() && p_.executor == "firmware"; }
  bool forward_on_firmware() const { return p_.forward_executor == "firmware"; }
  // hidden_error reference / symmetric: B carries the outputs' spikes only in the two phases
  // whose difference is the hidden error (and in SAL's quiet phase); otherwise it is gated off.
  bool gated() const { return p_.hidden_error != "free"; }
  // A hidden error count difference in Q8: half of it with the symmetric phases.
  int hidden_err_scale() const;
  // Routes (on) or stops (off) the output neurons' spikes onto their feedback rows B.
  void set_feedback_routed(AnalogCore& core, bool on);
  // The phases after the free one that give the hidden error (Q8 counts per hidden neuron;
  // empty with feedback: none, which idles through the same time).
  std::vector<std::int32_t> hidden_error(session::Session& s, const Pattern& pat,
                                         const std::vector<int>& free,
                                         const std::vector<double>& nudge, const Engine& trains,
                                         const std::function<void()>& freeze_noise);

  void wire(session::Session& s);
  void calibrate(session::Session& s);
  void make_task(session::Session& s);
  void target_metrics(session::Session& s, const std::vector<double>& hsum,
                      const std::vector<double>& hsq);
  void train(session::Session& s);
  void write_results(session::Session& s);

  // Advances to t_us, running the host SAL executor's updates on their own schedule.
  void advance(session::Session& s, double t_us);
  // Plays the inputs of `rates` (and nudge rates, signed Hz per output) on [now, now + dur),
  // measures the rate counters over the last `window` µs (in 1 ms pieces): counts per
  // network neuron.
  // counted_by: -1 the host counts, 0/1 the forward-rule firmware counts as that phase.
  std::vector<int> phase(session::Session& s, const std::vector<double>& rates,
                         const std::vector<double>& nudge_hz, double window_us,
                         Engine* input_trains = nullptr, int counted_by = -1);
  // Forward-rule firmware: loads and starts it (after the student's codes are programmed),
  // sends one mailbox command and waits for its answer, stops it at the end.
  void start_forward_firmware(session::Session& s);
  void command(session::Session& s, std::uint32_t cmd, std::uint32_t arg = 0);
  // The forward update from the phases' counts with the shared kernel on the host's shadow
  // weights: writes the codes (host executor) or counts the chip's codes that differ (firmware).
  std::int32_t target_q8(const Pattern& pat, int k) const;    // over window_us, Q8
  std::int32_t input_count(const Pattern& pat, int i) const;  // over window_us
  void forward_update(AnalogCore& core, const Pattern& pat, const std::vector<int>& free,
                      const std::vector<std::int32_t>& err1_q8, bool write);
  // Validation MSE ((kHz)²) of the current student over `patterns`.
  double loss(session::Session& s, const std::vector<Pattern>& patterns);
  // One training pattern: free and nudged phase, then the forward update. Returns the
  // free-phase squared error (kHz²).
  double train_pattern(session::Session& s, const Pattern& pat);
  void program_forward(AnalogCore& core, const std::vector<int>& w1, const std::vector<int>& w2);
  void set_feedback_to_transpose(AnalogCore& core);
  double angle_deg(AnalogCore& core) const;
  std::vector<double> sal_gains() const;

  Params p_;
  SalNetwork net_;
  std::vector<Pattern> train_, val_;
  std::vector<int> w1_init_, w2_init_, b_init_codes_;  // student codes
  std::vector<int> teacher1_, teacher2_;               // teacher codes
  std::vector<std::int32_t> shadow1_, shadow2_;        // Q16.16 [i][h], [h][k]
  std::vector<double> gain_exc_b_, gain_inh_b_;        // B: mV per code [k][h]
  std::vector<double> gain_exc_w2_, gain_inh_w2_;      // W2: mV per code [h][k]
  std::vector<PlasticSynapse> plastic_;                // B synapses (SAL)
  SensorGainCalibration gains_;
  std::unique_ptr<HostPlasticity> host_sal_;
  double next_update_ = 0;
  std::uint64_t presentations_ = 0;  // training-pattern presentations (frozen_inputs' streams)
  bool sal_active_ = false;          // host SAL executor: updating now
  // Host SAL executor: starts (sensors of the B rows reset) or stops updating.
  void set_sal_active(session::Session& s, bool on);
  void quiet_phase(session::Session& s, double duration_us);
  Engine input_eng_;
  static constexpr std::uint32_t kRoundingSeed = 0x9E3779B9u;
  std::uint32_t rng_ = kRoundingSeed;  // stochastic rounding of the forward rule
  std::uint32_t seq_ = 0;              // forward firmware: last mailbox command
  std::uint64_t fw_mismatches_ = 0;
  bool w1_frozen_ = false;  // during the first w1_freeze_epochs epochs
  double diff_sq_ = 0, diff_n_ = 0,
         hidden_sum_ = 0;  // hidden error (nudged − free) statistics    // codes the firmware wrote
                           // that the host's kernel did not
};

}  // namespace salvo::experiments
