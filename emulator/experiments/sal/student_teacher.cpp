#include "emulator/experiments/sal/student_teacher.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "emulator/calibration/rate_calibration.hpp"
#include "emulator/measures/angles.hpp"
#include "emulator/session/session.hpp"
#include "firmware/sal/sal_kernel.h"
#include "firmware/student_teacher/st_config.h"
#include "firmware/student_teacher/st_kernel.h"
#include "hw/common/error.hpp"
#include "hw/ppu/plasticity_processor.hpp"

namespace salvo::experiments {

using namespace config;

const Fields<StudentTeacherParams>& StudentTeacher::fields() {
  using P = StudentTeacherParams;
  static const Fields<P> f = [] {
    Fields<P> f = {
        field("inputs", &P::inputs, 1, 63, "input rows (host-driven Poisson trains)"),
        field("hidden", &P::hidden, 1, 63, "hidden-layer neurons"),
        field("outputs", &P::outputs, 1, 32, "output-layer neurons"),
        choice("feedback", &P::feedback, {"sal", "fa", "bp", "none"},
               "feedback B (output -> hidden): sal = learned by SAL during the task; fa = fixed "
               "random (feedback alignment); bp = set by the host to the effective transpose of "
               "W2 after every update (the reference); none = fixed random and W1 does not learn "
               "(output layer only)"),
        choice("forward_executor", &P::forward_executor, {"host", "firmware"},
               "who runs the forward rule (W1, W2): firmware = build/firmware/st.elf on the "
               "plasticity processor, counting the spikes itself (the host plays inputs and "
               "nudge and sequences the phases through the mailbox); host = the same C kernel "
               "called by the host at the same point of the schedule"),
        field("epochs", &P::epochs, 0, 100000, "passes over the training patterns"),
        field("w1_freeze_epochs", &P::w1_freeze_epochs, 0, 100000,
              "W1 (input -> hidden) is not updated during the first k epochs (W2 and, with "
              "feedback: sal, B keep learning; the hidden error is still measured), so that a "
              "large initial W2 does not send large errors into W1 early (both forward "
              "executors)"),
        field("train_patterns", &P::train_patterns, 1, 10000, "training input patterns"),
        field("val_patterns", &P::val_patterns, 1, 10000, "held-out validation patterns"),
        field("teacher_seed", &P::teacher_seed, 0, std::numeric_limits<int>::max(),
              "seed of the task: teacher weights and input patterns"),
        field("teacher_w", &P::teacher_w, 0, 255,
              "teacher forward codes drawn uniformly in [-teacher_w, teacher_w]"),
        field("teacher_centered", &P::teacher_centered,
              "every teacher neuron's incoming codes are shifted to sum to ~0, so its rate "
              "depends on the pattern rather than on a large per-neuron bias"),
        field("w_init", &P::w_init, 0, 255,
              "student forward codes drawn uniformly in [-w_init, w_init]"),
        field("w2_init", &P::w2_init, -1, 255,
              "if >= 0: the student's W2 (hidden -> output) codes drawn uniformly in "
              "[-w2_init, w2_init] instead (W1 keeps w_init; -1: w_init), so that SAL has a W2 "
              "to align B to while W1 stays small"),
        choice("student_init", &P::student_init, {"random", "teacher"},
               "the student's forward codes: random (±w_init), or the teacher's (a perfect "
               "student: its loss is the floor the measurement can reach)"),
        field("b_init", &P::b_init, 0, 255,
              "initial feedback codes drawn uniformly in [-b_init, b_init]"),
        field("feedback_scale", &P::feedback_scale, 0.0, 4.0,
              "feedback strength relative to W2ᵀ (effective): bp sets B = scale · W2ᵀ, the "
              "teacher's B is scale · its W2ᵀ, SAL weighs its causal term by 1/scale so that it "
              "converges to B = scale · W2ᵀ (0: no feedback for the teacher and bp)"),
        field("input_rate_max_hz", &P::input_rate_max_hz, 0.0, 1e7,
              "pattern rates drawn uniformly in [0, input_rate_max_hz] per input row"),
        field("settle_us", &P::settle_us, 0.0, 1e6,
              "each phase: time before the rate counters start counting"),
        field("sal_phase_us", &P::sal_phase_us, 0.0, 1e7,
              "per epoch, after the training patterns: a quiet phase (no input, no nudge; "
              "the neurons under their noise only) in which SAL's correlations are not faked by "
              "the patterns' common input (every feedback mode runs it: same schedule)"),
        field("sal_pre_us", &P::sal_pre_us, 0.0, 1e7,
              "before the first epoch: one quiet phase of this length (as sal_phase_us; every "
              "feedback mode runs it), so that SAL's B is aligned before the hidden layer first "
              "learns (0 = none)"),
        field("sal_during_task", &P::sal_during_task,
              "SAL (feedback: sal) updates B during the whole task, not only in the quiet "
              "phases (the firmware executor runs on its own timer: it needs true)"),
        field("window_us", &P::window_us, 1.0, 1e6,
              "counting window of the free and the nudged phase"),
        field("val_window_us", &P::val_window_us, 1.0, 1e7,
              "counting window per pattern of the loss measurement"),
        field("teacher_window_us", &P::teacher_window_us, 1.0, 1e7,
              "counting window per pattern of the teacher's target rates"),
        field("nudge_gain", &P::nudge_gain, 0.0, 1000.0,
              "nudged phase: nudge input rate per Hz of output error (target - free rate)"),
        field("nudge_weight", &P::nudge_weight, 0, 255, "weight code of the nudge synapses"),
        field(
            "frozen_inputs", &P::frozen_inputs,
            "every phase of a pattern's presentation (free, nudged, reference) gets the same input "
            "spike trains"),
        field("frozen_noise", &P::frozen_noise,
              "every phase of a pattern's presentation restarts the chip's background "
              "generators from the same seed (one per presentation; the chip's generators have "
              "a seed register): both phases get the same noise trains, so the hidden neurons' "
              "count difference is the nudge's effect (plus membrane noise)"),
        choice("hidden_error", &P::hidden_error, {"free", "reference", "symmetric"},
               "how a hidden neuron's error is measured: free = nudged - free phase count, B "
               "always on (the output -> hidden -> output loop is closed in every phase); "
               "reference = B gated off (the output neurons' spikes not routed to the feedback "
               "rows) in the free phase, the validation and the teacher's measurement, on in a "
               "nudged and a reference phase (no nudge) whose count difference is the error; "
               "symmetric = as reference, the second phase nudged by minus the nudge, error = "
               "half the difference (twice the signal for the same noise)"),
        field("eta_hidden", &P::eta_hidden, 0.0, 1000.0,
              "W1 rate: codes per (hidden count change x input count)"),
        field("eta_output", &P::eta_output, 0.0, 1000.0,
              "W2 rate: codes per (output count error x hidden count)"),
    };
    // The SAL keys except those this experiment has no use for (its phases own the rate
    // counters, so no homeostasis; the time series is per epoch).
    for (auto& k : sal_fields<P>())
      if (k.name != "homeostasis_gain" && k.name != "sample_period_us") f.push_back(std::move(k));
    return f;
  }();
  return f;
}

void StudentTeacher::check(const Params& p, const Checker& check) {
  const ChipConfig& cfg = check.chip;
  const int rpd = cfg.drivers.rows_per_driver;
  const int rows = cfg.synapses.rows_per_half;
  const int neurons = p.hidden + p.outputs;
  const int drivers = neurons + p.inputs + 1 + 2;  // + nudge + two noise drivers
  if (rpd < 2)
    check.fail("hidden", fmt::format("chip.drivers.rows_per_driver is {}", rpd),
               "chip.drivers.rows_per_driver >= 2 (exc/inh row pairs)");
  if (neurons > cfg.neurons.per_half || neurons > 64 || drivers * rpd > rows)
    check.fail("hidden",
               fmt::format("{} inputs + {} hidden + {} outputs need {} neurons and {} synapse rows "
                           "(a driver each, one nudge and two noise drivers) but chip '{}' has {} "
                           "neurons and {} rows per half",
                           p.inputs, p.hidden, p.outputs, neurons, drivers * rpd, cfg.name,
                           cfg.neurons.per_half, rows),
               fmt::format("hidden + outputs <= {} and inputs + hidden + outputs <= {}",
                           std::min(64, cfg.neurons.per_half), rows / rpd - 3));
  check.require(2 * p.outputs <= (1 << cfg.synapses.label_bits), "outputs",
                fmt::format("the nudge driver needs 2 synapse addresses per output, {} exist",
                            1 << cfg.synapses.label_bits),
                fmt::format("<= {}", (1 << cfg.synapses.label_bits) / 2));
  const int wmax = (1 << cfg.synapses.weight_bits) - 1;
  for (const auto& [key, v] : {std::pair<const char*, int>{"teacher_w", p.teacher_w},
                               {"w_init", p.w_init},
                               {"b_init", p.b_init},
                               {"nudge_weight", p.nudge_weight}})
    check.require(v <= wmax, key,
                  fmt::format("{} exceeds the {}-bit weight range", v, cfg.synapses.weight_bits),
                  fmt::format("0..{}", wmax));
  check.require(
      p.w2_init <= wmax, "w2_init",
      fmt::format("{} exceeds the {}-bit weight range", p.w2_init, cfg.synapses.weight_bits),
      fmt::format("-1 (w_init) or 0..{}", wmax));
  if (p.feedback == "sal" && p.executor == "firmware")
    check_sal_firmware(p.outputs, p.hidden, "hidden", check);
  if (p.forward_executor == "firmware") {
    for (const auto& [key, v, max] :
         {std::tuple<const char*, int, int>{"inputs", p.inputs, ST_MAX_IN},
          {"hidden", p.hidden, ST_MAX_HID},
          {"outputs", p.outputs, ST_MAX_OUT}})
      check.require(v <= max, key,
                    fmt::format("{}: the forward-rule firmware (st.elf) holds at most {}", v, max),
                    fmt::format("<= {} with forward_executor: firmware", max));
    check.require(!(p.feedback == "sal" && p.executor == "firmware"), "forward_executor",
                  "firmware, and SAL on B with executor: firmware: one processor runs one program",
                  "host, or executor: host");
    check.require(p.window_us <= 200000.0 && p.input_rate_max_hz * p.window_us * 1e-6 < 65535.0,
                  "window_us",
                  fmt::format("{} µs: the firmware keeps counts in 16 bits", p.window_us),
                  "<= 200000 with forward_executor: firmware (and input counts < 65535)");
  }
  if (p.feedback == "sal")
    check.require(
        p.feedback_scale >= 0.26, "feedback_scale",
        fmt::format("{}: SAL's causal weight 1/scale is stored in Q6 up to 3.98", p.feedback_scale),
        ">= 0.26 with feedback: sal");
  if (p.feedback == "sal" && p.executor == "firmware")
    check.require(p.sal_during_task, "sal_during_task",
                  "the SAL firmware updates on its own timer from start to end of the task",
                  "true with executor: firmware, or executor: host");
  if (p.feedback == "sal" && p.executor == "firmware")
    check.require(task_us(p) >= p.update_period_us, "update_period_us",
                  fmt::format("the task lasts {} µs, shorter than one update period", task_us(p)),
                  "update_period_us <= the task's duration (epochs x patterns x phases)");
}

double StudentTeacher::task_us(const Params& p) {
  const double val = (p.settle_us + p.val_window_us) * p.val_patterns;
  const int phases = p.hidden_error == "free" ? 2 : 3;
  const double epoch =
      phases * (p.settle_us + p.window_us) * p.train_patterns + p.sal_phase_us + val;
  // Before training: the loss over the training and the validation patterns.
  return (p.settle_us + p.val_window_us) * p.train_patterns + val + p.sal_pre_us + p.epochs * epoch;
}

void StudentTeacher::run(RunContext& ctx) {
  session::Session s(ctx, on_firmware() || forward_on_firmware() ? 1 : 0);
  wire(s);
  calibrate(s);
  make_task(s);
  if (forward_on_firmware()) start_forward_firmware(s);
  train(s);
  if (forward_on_firmware()) {
    command(s, ST_CMD_STOP);
    if (!s.run_while([&] { return !s.firmware().ended(); }, 1.0, s.now_us() + 1000.0))
      throw RunFailure("student-teacher firmware did not exit after its stop command");
    s.firmware().check();
    s.firmware().record_stats(ctx);
    const auto st = s.firmware().read_block<st_stats_t>("st_stats");
    ctx.metrics["forward_updates"] = st.updates;
    ctx.metrics["forward_update_cycles_mean"] =
        st.updates ? session::firmware_cycles(st.update_cycles_lo, st.update_cycles_hi) / st.updates
                   : 0.0;
    ctx.metrics["forward_update_cycles_max"] = st.max_update_cycles;
    ctx.metrics["forward_firmware_host_mismatches"] = fw_mismatches_;
  }
  s.finish();
  write_results(s);
}

void StudentTeacher::wire(session::Session& s) {
  AnalogCore& core = s.core();
  const int nh = p_.hidden, no = p_.outputs, ni = p_.inputs;
  net_ = setup_sal_network(core, p_, nh + no);
  core.set_record_spikes(false);  // long runs: the rate counters are the measurement
  auto& syn = core.synapses(net_.half);
  for (int i = 0; i < ni; ++i) {
    syn.set_row_sign(net_.exc_row(in_driver(i)), SynapseArray::RowSign::kExcitatory);
    syn.set_row_sign(net_.inh_row(in_driver(i)), SynapseArray::RowSign::kInhibitory);
    for (int h = 0; h < nh; ++h) {
      syn.set_label(net_.exc_row(in_driver(i)), net_.columns[hid_id(h)], 0);
      syn.set_label(net_.inh_row(in_driver(i)), net_.columns[hid_id(h)], 0);
    }
  }
  // Nudge driver: output k's excitatory synapse answers address k, its inhibitory one
  // address outputs + k, so one driver carries a signed nudge per output.
  const int ne = net_.exc_row(nudge_driver()), nin = net_.inh_row(nudge_driver());
  syn.set_row_sign(ne, SynapseArray::RowSign::kExcitatory);
  syn.set_row_sign(nin, SynapseArray::RowSign::kInhibitory);
  for (int k = 0; k < no; ++k) {
    const int c = net_.columns[out_id(k)];
    syn.set_label(ne, c, k);
    syn.set_weight(ne, c, std::min(p_.nudge_weight, syn.weight_max()));
    syn.set_label(nin, c, no + k);
    syn.set_weight(nin, c, std::min(p_.nudge_weight, syn.weight_max()));
  }
  // Student initial codes (run seed); the teacher has its own seed (make_task).
  Engine eng = make_engine(s.seed(), Stream::kExperiment, 31);
  auto draw = [&](int m) {
    return static_cast<int>(std::floor(draw_uniform01(eng) * (2 * m + 1))) - m;
  };
  for (int k = 0; k < ni * nh; ++k) w1_init_.push_back(draw(p_.w_init));
  for (int k = 0; k < nh * no; ++k)
    w2_init_.push_back(draw(p_.w2_init < 0 ? p_.w_init : p_.w2_init));
  for (int k = 0; k < no * nh; ++k) b_init_codes_.push_back(draw(p_.b_init));
  if (sal())
    for (int k = 0; k < no; ++k)
      for (int h = 0; h < nh; ++h) plastic_.push_back({out_id(k), hid_id(h)});
  input_eng_ = make_engine(s.seed(), Stream::kHostInput, 15);
  // The whole schedule, so that the progress line's ETA holds from the start.
  s.plan(p_.calibration_window_us * (p_.calibration_iterations + 1) * (p_.target_rate_hz > 0) +
         (sal() ? p_.sensor_gain_calibration_us : 0.0) +
         (p_.train_patterns + p_.val_patterns) * (p_.settle_us + p_.teacher_window_us) +
         task_us(p_));
}

void StudentTeacher::calibrate(session::Session& s) {
  RunContext& ctx = s.ctx();
  AnalogCore& core = s.core();
  // Rate calibration with every synapse of the task off (all weights are still zero).
  std::vector<int> neurons;
  for (int k = 0; k < p_.hidden + p_.outputs; ++k) neurons.push_back(net_.neuron(core, k));
  const auto rates = calibration::calibrate_rates(
      s, neurons, {p_.target_rate_hz, p_.calibration_window_us, p_.calibration_iterations});
  double mean = 0;
  for (double r : rates) mean += r / rates.size();
  ctx.metrics["calibrated_rate_mean_hz"] = mean;
  if (sal() && p_.sensor_gain_calibration_us > 0)
    gains_ = calibrate_sensor_gains(s, net_, plastic_, p_.sensor_gain_calibration_us);
  // Effective weight per code of every W2 and B synapse (the oracle), for bp's transpose.
  auto& syn = core.synapses(net_.half);
  const int wm = syn.weight_max();
  auto per_code = [&](int row, int col) {
    syn.set_weight(row, col, wm);
    const double g = core.effective_weight_mV(net_.half, row, col) / wm;
    syn.set_weight(row, col, 0);
    return g;
  };
  for (int k = 0; k < p_.outputs; ++k)
    for (int h = 0; h < p_.hidden; ++h) {
      gain_exc_b_.push_back(per_code(net_.exc_row(out_id(k)), net_.columns[hid_id(h)]));
      gain_inh_b_.push_back(per_code(net_.inh_row(out_id(k)), net_.columns[hid_id(h)]));
    }
  for (int h = 0; h < p_.hidden; ++h)
    for (int k = 0; k < p_.outputs; ++k) {
      gain_exc_w2_.push_back(per_code(net_.exc_row(hid_id(h)), net_.columns[out_id(k)]));
      gain_inh_w2_.push_back(per_code(net_.inh_row(hid_id(h)), net_.columns[out_id(k)]));
    }
}

void StudentTeacher::program_forward(AnalogCore& core, const std::vector<int>& w1,
                                     const std::vector<int>& w2) {
  const int nh = p_.hidden, no = p_.outputs;
  for (int i = 0; i < p_.inputs; ++i)
    for (int h = 0; h < nh; ++h) set_signed_weight(core, net_, in_driver(i), h, w1[i * nh + h]);
  for (int h = 0; h < nh; ++h)
    for (int k = 0; k < no; ++k)
      set_signed_weight(core, net_, hid_id(h), out_id(k), w2[h * no + k]);
}

void StudentTeacher::set_feedback_to_transpose(AnalogCore& core) {
  const int nh = p_.hidden, no = p_.outputs;
  for (int k = 0; k < no; ++k)
    for (int h = 0; h < nh; ++h) {
      const int w2 = signed_weight(core, net_, hid_id(h), out_id(k));
      // Effective W2 (mV at output k), then the B code with the same effect at hidden h.
      const double e = p_.feedback_scale *
                       (w2 >= 0 ? w2 * gain_exc_w2_[h * no + k] : -w2 * gain_inh_w2_[h * no + k]);
      const double g = e >= 0 ? gain_exc_b_[k * nh + h] : -gain_inh_b_[k * nh + h];
      const int code = g > 0 ? static_cast<int>(std::lround(e / g)) : 0;
      set_signed_weight(core, net_, out_id(k), hid_id(h), code);
    }
}

double StudentTeacher::angle_deg(AnalogCore& core) const {
  std::vector<double> w, b;
  for (int h = 0; h < p_.hidden; ++h)
    for (int k = 0; k < p_.outputs; ++k) {
      w.push_back(effective_weight(core, net_, hid_id(h), out_id(k)));
      b.push_back(effective_weight(core, net_, out_id(k), hid_id(h)));
    }
  return measures::angle_deg(w, b);
}

// No input, no nudge, B routed: SAL (feedback: sal) updates B; the other modes idle alike.
void StudentTeacher::quiet_phase(session::Session& s, double duration_us) {
  if (gated()) set_feedback_routed(s.core(), true);
  set_sal_active(s, true);
  advance(s, s.now_us() + duration_us);
  set_sal_active(s, false);
  if (gated()) set_feedback_routed(s.core(), false);
}

void StudentTeacher::advance(session::Session& s, double t_us) {
  if (host_sal_ && sal_active_)
    while (next_update_ <= t_us + 1e-9) {
      s.advance_to(next_update_);
      host_sal_->update(s.now_us());
      next_update_ += p_.update_period_us;
    }
  s.advance_to(t_us);
}

void StudentTeacher::set_sal_active(session::Session& s, bool on) {
  if (!host_sal_ || p_.sal_during_task || on == sal_active_) return;
  sal_active_ = on;
  if (!on) return;
  // Correlations collected during the task are dropped; updates from now on the period grid.
  auto& sens = s.core().sensors(net_.half);
  for (int k = 0; k < p_.outputs; ++k) {
    sens.reset_row(net_.exc_row(out_id(k)), s.now_us());
    sens.reset_row(net_.inh_row(out_id(k)), s.now_us());
  }
  next_update_ = s.now_us() + p_.update_period_us;
}

std::vector<int> StudentTeacher::phase(session::Session& s, const std::vector<double>& rates,
                                       const std::vector<double>& nudge_hz, double window_us,
                                       Engine* input_trains, int counted_by) {
  AnalogCore& core = s.core();
  const int rpd = net_.rows_per_driver;
  const double t0 = s.now_us(), t1 = t0 + p_.settle_us + window_us;
  std::vector<Event> ev;
  auto poisson = [&](double rate_hz, int row, int address, Engine& eng) {
    if (!(rate_hz > 0)) return;
    const auto label = AnalogCore::row_label(net_.half, row, rpd, address);
    for (double t = t0;;) {
      t += -std::log(1.0 - draw_uniform01(eng)) / (rate_hz * 1e-6);
      if (t >= t1) break;
      ev.push_back({t, label});
    }
  };
  Engine& in_eng = input_trains ? *input_trains : input_eng_;
  for (int i = 0; i < p_.inputs; ++i) poisson(rates[i], net_.exc_row(in_driver(i)), 0, in_eng);
  for (int k = 0; k < p_.outputs && !nudge_hz.empty(); ++k)
    poisson(std::fabs(nudge_hz[k]), net_.exc_row(nudge_driver()),
            nudge_hz[k] > 0 ? k : p_.outputs + k, input_eng_);
  core.add_playback(std::move(ev));
  const int n = p_.hidden + p_.outputs;
  std::vector<int> counts(n, 0);
  if (counted_by >= 0) {  // the firmware resets, reads and sums the counters itself
    const auto ph = static_cast<std::uint32_t>(counted_by);
    advance(s, t0 + p_.settle_us);
    command(s, ST_CMD_COUNT_START, ph);
    for (double t = t0 + p_.settle_us; t < t1 - 1e-9;) {
      t = std::min(t + 1000.0, t1);
      advance(s, t);
      command(s, ST_CMD_COUNT_ADD, ph);
    }
    const auto st = s.firmware().read_block<st_stats_t>("st_stats");
    for (int k = 0; k < n; ++k) counts[k] = st.count[ph][k];
    return counts;
  }
  // The 8-bit counters are read and reset every 1 ms, as a processor would.
  for (double t = t0 + p_.settle_us; t < t1 - 1e-9;) {
    advance(s, t);
    for (int k = 0; k < n; ++k) core.reset_rate_counter(net_.neuron(core, k));
    t = std::min(t + 1000.0, t1);
    advance(s, t);
    for (int k = 0; k < n; ++k) counts[k] += core.rate_counter(net_.neuron(core, k));
  }
  return counts;
}

double StudentTeacher::loss(session::Session& s, const std::vector<Pattern>& patterns) {
  double se = 0;
  for (const auto& pat : patterns) {
    const auto c = phase(s, pat.rate_hz, {}, p_.val_window_us);
    for (int k = 0; k < p_.outputs; ++k)
      se += std::pow((c[out_id(k)] / (p_.val_window_us * 1e-6) - pat.target[k]) * 1e-3, 2);
  }
  return se / (patterns.size() * p_.outputs);
}

// The teacher's targets and hidden rates as metrics: mean and variance of the targets, the
// part that depends on the input pattern, and the hidden layer's pattern variance.
void StudentTeacher::target_metrics(session::Session& s, const std::vector<double>& hsum,
                                    const std::vector<double>& hsq) {
  const int nh = p_.hidden, no = p_.outputs;
  double mean = 0, spread = 0;
  const int n = (p_.train_patterns + p_.val_patterns) * no;
  for (auto* set : {&train_, &val_})
    for (auto& pat : *set)
      for (double r : pat.target) mean += r / n;
  for (auto* set : {&train_, &val_})
    for (auto& pat : *set)
      for (double r : pat.target) spread += std::pow((r - mean) * 1e-3, 2) / n;
  // The part of the targets that depends on the input: variance over patterns per output.
  double pattern_var = 0;
  for (int k = 0; k < no; ++k) {
    double m = 0, v = 0;
    const int np = p_.train_patterns + p_.val_patterns;
    for (auto* set : {&train_, &val_})
      for (auto& pat : *set) m += pat.target[k] / np;
    for (auto* set : {&train_, &val_})
      for (auto& pat : *set) v += std::pow((pat.target[k] - m) * 1e-3, 2) / np;
    pattern_var += v / no;
  }
  s.ctx().metrics["target_pattern_variance_khz2"] = pattern_var;
  {
    const int np = p_.train_patterns + p_.val_patterns;
    double v = 0, m = 0;
    for (int h = 0; h < nh; ++h) {
      v += (hsq[h] / np - std::pow(hsum[h] / np, 2)) / nh;
      m += hsum[h] / np / nh;
    }
    s.ctx().metrics["teacher_hidden_pattern_variance_khz2"] = v;
    s.ctx().metrics["teacher_hidden_rate_mean_khz"] = m;
  }
  s.ctx().metrics["target_rate_mean_hz"] = mean;
  s.ctx().metrics["target_variance_khz2"] = spread;
}

void StudentTeacher::make_task(session::Session& s) {
  AnalogCore& core = s.core();
  const int nh = p_.hidden, no = p_.outputs, ni = p_.inputs;
  Engine eng = make_engine(p_.teacher_seed, Stream::kExperiment, 1001);
  auto draw = [&](int m) {
    return static_cast<int>(std::floor(draw_uniform01(eng) * (2 * m + 1))) - m;
  };
  std::vector<int> t1(ni * nh), t2(nh * no);
  for (auto& w : t1) w = draw(p_.teacher_w);
  for (auto& w : t2) w = draw(p_.teacher_w);
  // Every post neuron's teacher weights sum to ~0: its rate then depends on how the pattern
  // differs from the average one, not on a large per-neuron bias (which the output layer
  // alone would learn in one epoch).
  auto center = [](std::vector<int>& w, int pres, int posts, int m) {
    for (int q = 0; q < posts; ++q) {
      double mean = 0;
      for (int j = 0; j < pres; ++j) mean += static_cast<double>(w[j * posts + q]) / pres;
      for (int j = 0; j < pres; ++j)
        w[j * posts + q] =
            std::clamp(w[j * posts + q] - static_cast<int>(std::lround(mean)), -m, m);
    }
  };
  if (p_.teacher_centered) {
    center(t1, ni, nh, p_.teacher_w);
    center(t2, nh, no, p_.teacher_w);
  }
  auto patterns = [&](int count) {
    std::vector<Pattern> out(count);
    for (auto& pat : out)
      for (int i = 0; i < ni; ++i)
        pat.rate_hz.push_back(draw_uniform01(eng) * p_.input_rate_max_hz);
    return out;
  };
  train_ = patterns(p_.train_patterns);
  val_ = patterns(p_.val_patterns);
  // The teacher: the same network with its feedback the effective transpose of its W2 (the
  // state a bp student reaches at the teacher's weights), measured on this chip.
  program_forward(core, t1, t2);
  set_feedback_to_transpose(core);
  if (gated()) set_feedback_routed(core, false);  // the teacher too is measured without B
  teacher1_ = t1;
  teacher2_ = t2;
  std::vector<double> hsum(nh, 0), hsq(nh, 0);
  for (auto* set : {&train_, &val_})
    for (auto& pat : *set) {
      const auto c = phase(s, pat.rate_hz, {}, p_.teacher_window_us);
      for (int h = 0; h < nh; ++h) {
        const double r = c[hid_id(h)] / (p_.teacher_window_us * 1e-3);  // kHz
        hsum[h] += r;
        hsq[h] += r * r;
      }
      for (int k = 0; k < no; ++k)
        pat.target.push_back(c[out_id(k)] / (p_.teacher_window_us * 1e-6));
    }
  target_metrics(s, hsum, hsq);
  // The student.
  if (p_.student_init == "teacher") {
    w1_init_ = t1;
    w2_init_ = t2;
  }
  program_forward(core, w1_init_, w2_init_);
  if (p_.feedback == "bp") {
    set_feedback_to_transpose(core);
  } else {
    for (int k = 0; k < no; ++k)
      for (int h = 0; h < nh; ++h)
        set_signed_weight(core, net_, out_id(k), hid_id(h), b_init_codes_[k * nh + h]);
  }
  shadow1_.clear();
  shadow2_.clear();
  for (int w : w1_init_) shadow1_.push_back(w * SAL_ONE);
  for (int w : w2_init_) shadow2_.push_back(w * SAL_ONE);
}

double StudentTeacher::train_pattern(session::Session& s, const Pattern& pat) {
  AnalogCore& core = s.core();
  const int no = p_.outputs;
  const double win = p_.window_us * 1e-6;
  const bool fw = forward_on_firmware();
  // frozen_inputs: every phase of a presentation gets the same input spike trains (a copy of
  // one engine state), so the count difference holds only what the nudge changed and the
  // chip's own noise.
  const std::uint64_t presentation = presentations_++;
  Engine trains = make_engine(s.seed(), Stream::kHostInput, 1000 + presentation);
  const Engine first = trains;
  const auto freeze_noise = [&] {
    if (p_.frozen_noise)
      for (int b = 0; b < core.background_count(); ++b)
        core.background(b).reseed(presentation, s.now_us());
  };
  freeze_noise();
  const auto free =
      phase(s, pat.rate_hz, {}, p_.window_us, p_.frozen_inputs ? &trains : nullptr, fw ? 0 : -1);
  double se = 0;
  std::vector<double> nudge(no);
  for (int k = 0; k < no; ++k) {
    const double e = pat.target[k] - free[out_id(k)] / win;
    se += std::pow(e * 1e-3, 2);
    nudge[k] = p_.nudge_gain * e;
  }
  const auto err1 = hidden_error(s, pat, free, nudge, first, freeze_noise);
  for (std::int32_t e : err1) {
    diff_sq_ += std::pow(e / double(1 << ST_ERR_Q), 2);
    diff_n_ += 1;
  }
  for (int h = 0; h < p_.hidden && !err1.empty(); ++h) hidden_sum_ += free[hid_id(h)];
  if (fw) {
    // The host plays the pattern: the firmware gets its target and input counts.
    st_task_t task{};
    for (int k = 0; k < no; ++k) task.target_q8[k] = target_q8(pat, k);
    for (int i = 0; i < p_.inputs; ++i)
      task.input_count[i] = static_cast<std::uint16_t>(input_count(pat, i));
    s.firmware().write_block("st_task", task);
    command(s, ST_CMD_UPDATE, w1_frozen_ ? 1u : 0u);
  }
  forward_update(core, pat, free, err1, !fw);
  if (p_.feedback == "bp") set_feedback_to_transpose(core);
  return se / no;
}

std::vector<std::int32_t> StudentTeacher::hidden_error(session::Session& s, const Pattern& pat,
                                                       const std::vector<int>& free,
                                                       const std::vector<double>& nudge,
                                                       const Engine& trains,
                                                       const std::function<void()>& freeze_noise) {
  const int phases = gated() ? 2 : 1;
  if (p_.feedback == "none") {  // same schedule for every mode: idle time
    advance(s, s.now_us() + phases * (p_.settle_us + p_.window_us));
    return {};
  }
  Engine replay = trains, replay2 = trains;
  Engine* in = p_.frozen_inputs ? &replay : nullptr;
  const int fw = forward_on_firmware() ? 1 : -1;
  std::vector<std::int32_t> err(p_.hidden);
  if (!gated()) {
    freeze_noise();
    const auto nudged = phase(s, pat.rate_hz, nudge, p_.window_us, in, fw);
    for (int h = 0; h < p_.hidden; ++h)
      err[h] = (nudged[hid_id(h)] - free[hid_id(h)]) * (1 << ST_ERR_Q);
    return err;
  }
  // B on for both phases: their difference is what the nudge sent back through B, with the
  // loop output -> hidden -> output closed in both alike.
  set_feedback_routed(s.core(), true);
  freeze_noise();
  const auto a = phase(s, pat.rate_hz, nudge, p_.window_us, in, fw);
  std::vector<double> second;
  if (p_.hidden_error == "symmetric")
    for (double n : nudge) second.push_back(-n);
  freeze_noise();
  const auto b = phase(s, pat.rate_hz, second, p_.window_us, p_.frozen_inputs ? &replay2 : nullptr,
                       fw > 0 ? 2 : -1);
  set_feedback_routed(s.core(), false);
  const int scale = hidden_err_scale();
  for (int h = 0; h < p_.hidden; ++h) err[h] = (a[hid_id(h)] - b[hid_id(h)]) * scale;
  return err;
}

int StudentTeacher::hidden_err_scale() const {
  return p_.hidden_error == "symmetric" ? (1 << ST_ERR_Q) / 2 : (1 << ST_ERR_Q);
}

void StudentTeacher::set_feedback_routed(AnalogCore& core, bool on) {
  for (int k = 0; k < p_.outputs; ++k)
    core.set_neuron_label(
        net_.neuron(core, out_id(k)),
        AnalogCore::row_label(net_.half, net_.exc_row(out_id(k)), net_.rows_per_driver, 0), on);
}

std::int32_t StudentTeacher::target_q8(const Pattern& pat, int k) const {
  return static_cast<std::int32_t>(
      std::lround(pat.target[k] * p_.window_us * 1e-6 * (1 << ST_ERR_Q)));
}

std::int32_t StudentTeacher::input_count(const Pattern& pat, int i) const {
  return static_cast<std::int32_t>(std::lround(pat.rate_hz[i] * p_.window_us * 1e-6));
}

void StudentTeacher::forward_update(AnalogCore& core, const Pattern& pat,
                                    const std::vector<int>& free,
                                    const std::vector<std::int32_t>& err1, bool write) {
  auto& syn = core.synapses(net_.half);
  const int nh = p_.hidden, no = p_.outputs;
  std::vector<std::uint8_t> exc(std::max(nh, no)), inh(std::max(nh, no));
  std::vector<std::uint32_t> random(2 * std::max(nh, no));
  // One pre row onto n posts: draws, kernel, then the codes written or compared.
  auto row = [&](const st_params_t& p, int pre_driver, int first_post, int n, std::int32_t pre,
                 const std::vector<std::int32_t>& err, std::int32_t* shadow) {
    for (int j = 0; j < 2 * n; ++j) random[j] = sal_xorshift32(&rng_);
    st_update_row(&p, n, pre, err.data(), shadow, exc.data(), inh.data(), random.data());
    for (int j = 0; j < n; ++j) {
      const int re = net_.exc_row(pre_driver), ri = net_.inh_row(pre_driver);
      const int c = net_.columns[first_post + j];
      if (write) {
        syn.set_weight(re, c, exc[j]);
        syn.set_weight(ri, c, inh[j]);
      } else {
        fw_mismatches_ += (syn.weight(re, c) != exc[j]) + (syn.weight(ri, c) != inh[j]);
      }
    }
  };
  // Output layer: error = target count − free count (Q8), pre = hidden free count.
  const st_params_t p2{static_cast<std::int32_t>(std::lround(p_.eta_output * SAL_ONE)),
                       syn.weight_max()};
  std::vector<std::int32_t> err2(no);
  for (int k = 0; k < no; ++k) err2[k] = target_q8(pat, k) - free[out_id(k)] * (1 << ST_ERR_Q);
  for (int h = 0; h < nh; ++h)
    row(p2, hid_id(h), out_id(0), no, free[hid_id(h)], err2, &shadow2_[h * no]);
  // Hidden layer: error = what the nudge changed through B (hidden_error), pre = input count.
  if (err1.empty() || w1_frozen_) return;
  const st_params_t p1{static_cast<std::int32_t>(std::lround(p_.eta_hidden * SAL_ONE)),
                       syn.weight_max()};
  for (int i = 0; i < p_.inputs; ++i)
    row(p1, in_driver(i), hid_id(0), nh, input_count(pat, i), err1, &shadow1_[i * nh]);
}

void StudentTeacher::start_forward_firmware(session::Session& s) {
  auto& fw = s.firmware();
  st_config_t cfg{};
  cfg.magic = ST_CONFIG_MAGIC;
  cfg.n_in = static_cast<std::uint32_t>(p_.inputs);
  cfg.n_hid = static_cast<std::uint32_t>(p_.hidden);
  cfg.n_out = static_cast<std::uint32_t>(p_.outputs);
  cfg.hidden_learns = p_.feedback != "none";
  cfg.eta_hidden_q16 = static_cast<std::int32_t>(std::lround(p_.eta_hidden * SAL_ONE));
  cfg.eta_output_q16 = static_cast<std::int32_t>(std::lround(p_.eta_output * SAL_ONE));
  cfg.w_max = static_cast<std::uint32_t>(s.core().synapses(net_.half).weight_max());
  cfg.rng_seed = kRoundingSeed;
  cfg.hidden_ref_phase = gated() ? 2 : 0;  // the phase the nudged one is compared with
  cfg.hidden_err_scale = hidden_err_scale();
  for (int i = 0; i < p_.inputs; ++i)
    cfg.in_exc_row[i] = static_cast<std::uint8_t>(net_.exc_row(in_driver(i)));
  for (int h = 0; h < p_.hidden; ++h) {
    cfg.hid_exc_row[h] = static_cast<std::uint8_t>(net_.exc_row(hid_id(h)));
    cfg.hid_column[h] = static_cast<std::uint8_t>(net_.columns[hid_id(h)]);
  }
  for (int k = 0; k < p_.outputs; ++k)
    cfg.out_column[k] = static_cast<std::uint8_t>(net_.columns[out_id(k)]);
  fw.load(session::firmware_image("st.elf"));
  fw.write_block("st_config", cfg);
  fw.start();
}

void StudentTeacher::command(session::Session& s, std::uint32_t cmd, std::uint32_t arg) {
  auto& ppu = s.firmware().processor();
  const std::uint32_t seq = ++seq_;
  ppu.mailbox_post(0, cmd);
  ppu.mailbox_post(1, arg);
  ppu.mailbox_post(2, seq);
  ppu.mailbox_ring();
  // A count takes ~1 µs, an update of the defaults' 300 synapses ~100 µs.
  if (!s.run_while([&] { return ppu.mailbox_read(0) != seq; }, 0.5, s.now_us() + 20000.0))
    throw RunFailure(fmt::format(
        "student-teacher firmware did not answer command {} within 20 ms of hardware time", cmd));
}

std::vector<double> StudentTeacher::sal_gains() const {
  // SAL's fixed point has g · (causal) = (acausal): a causal weight 1/scale makes it
  // B = scale · W2ᵀ; times the measured sensor-gain ratios when calibrated.
  if (p_.feedback_scale == 1.0) return gains_.gain;
  std::vector<double> g(plastic_.size(), 1.0 / p_.feedback_scale);
  for (std::size_t k = 0; k < gains_.gain.size(); ++k) g[k] *= gains_.gain[k];
  return g;
}

void StudentTeacher::train(session::Session& s) {
  AnalogCore& core = s.core();
  RunContext& ctx = s.ctx();
  const SalSchedule sched = sal_schedule(p_);
  std::unique_ptr<FirmwarePlasticity> firmware;
  if (sal() && !on_firmware()) {
    host_sal_ = std::make_unique<HostPlasticity>(core, net_, plastic_, sched, s.seed());
    if (!sal_gains().empty()) host_sal_->set_gains(sal_gains());
    host_sal_->start(s.now_us());
    host_sal_->load_shadow_from_chip();
    next_update_ = s.now_us() + sched.period_us;
    sal_active_ = p_.sal_during_task;
  }
  if (on_firmware()) {
    firmware = std::make_unique<FirmwarePlasticity>(s.firmware(), s.chip_config(),
                                                    session::sal_image(s.chip_config()));
    const auto updates = static_cast<std::uint32_t>(std::floor(task_us(p_) / sched.period_us));
    firmware->start(net_, plastic_, sched, updates, 256, sal_gains());
  }
  output::CsvWriter csv(ctx.out / "loss.csv",
                        {"epoch", "train_mse_khz2", "val_mse_khz2", "angle_b_w2t_deg"});
  const double angle0 = angle_deg(core);  // before SAL's first update
  const double train0 = loss(s, train_);
  const double val0 = loss(s, val_);
  csv.row(0, train0, val0, angle0);
  ctx.metrics["loss_initial"] = val0;
  ctx.metrics["loss_train_initial"] = train0;
  ctx.metrics["angle_initial_deg"] = angle0;
  Engine order_eng = make_engine(s.seed(), Stream::kExperiment, 47);
  std::vector<int> order(train_.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int>(k);
  if (p_.sal_pre_us > 0) {
    quiet_phase(s, p_.sal_pre_us);
    ctx.metrics["angle_after_sal_pre_deg"] = angle_deg(core);
  }
  double train_mse = train0, val = val0, angle = angle0, last5 = p_.epochs > 0 ? 0 : val0;
  for (int e = 1; e <= p_.epochs; ++e) {
    w1_frozen_ = e <= p_.w1_freeze_epochs;
    for (std::size_t k = order.size(); k > 1; --k)  // Fisher–Yates with the experiment's engine
      std::swap(order[k - 1], order[static_cast<std::size_t>(draw_uniform01(order_eng) * k)]);
    train_mse = 0;
    for (int k : order) train_mse += train_pattern(s, train_[k]) / train_.size();
    if (p_.sal_phase_us > 0) quiet_phase(s, p_.sal_phase_us);
    val = loss(s, val_);
    angle = angle_deg(core);
    csv.row(e, train_mse, val, angle);
    if (e > p_.epochs - 5) last5 += val / std::min(5, p_.epochs);
  }
  csv.close();
  if (firmware) {
    if (!s.run_while([&] { return !firmware->ended(); }, 100.0, s.now_us() + task_us(p_)))
      throw RunFailure("sal firmware did not finish its updates in the task's time");
    firmware->report(ctx);
  }
  ctx.metrics["loss_final"] = val;
  if (diff_n_ > 0) {
    // The hidden error's size against the counts it is the difference of.
    ctx.metrics["hidden_error_rms_spikes"] = std::sqrt(diff_sq_ / diff_n_);
    ctx.metrics["hidden_free_count_mean"] = hidden_sum_ / diff_n_;
  }
  // The last epochs' mean: one validation pass is noisy (counting noise, and the rule's steps).
  ctx.metrics["loss_final_last5_mean"] = last5;
  ctx.metrics["loss_train_final"] = train_mse;
  ctx.metrics["angle_final_deg"] = angle;
}

void StudentTeacher::write_results(session::Session& s) {
  AnalogCore& core = s.core();
  RunContext& ctx = s.ctx();
  const int nh = p_.hidden, no = p_.outputs;
  output::CsvWriter w(
      ctx.out / "weights_final.csv",
      {"layer", "pre", "post", "code", "effective_mV", "initial_code", "teacher_code"});
  int w1_changed = 0;
  for (int i = 0; i < p_.inputs; ++i)
    for (int h = 0; h < nh; ++h) {
      const int c = signed_weight(core, net_, in_driver(i), hid_id(h));
      w1_changed += c != w1_init_[i * nh + h];
      w.raw_row(fmt::format("W1,{},{},{},{},{},{}", i, h, c,
                            effective_weight(core, net_, in_driver(i), hid_id(h)),
                            w1_init_[i * nh + h], teacher1_[i * nh + h]));
    }
  for (int h = 0; h < nh; ++h)
    for (int k = 0; k < no; ++k)
      w.raw_row(fmt::format("W2,{},{},{},{},{},{}", h, k,
                            signed_weight(core, net_, hid_id(h), out_id(k)),
                            effective_weight(core, net_, hid_id(h), out_id(k)),
                            w2_init_[h * no + k], teacher2_[h * no + k]));
  for (int k = 0; k < no; ++k)
    for (int h = 0; h < nh; ++h)
      w.raw_row(fmt::format(
          "B,{},{},{},{},{},", k, h, signed_weight(core, net_, out_id(k), hid_id(h)),
          effective_weight(core, net_, out_id(k), hid_id(h)), b_init_codes_[k * nh + h]));
  w.close();
  ctx.metrics["w1_codes_changed"] = w1_changed;
  const double l0 = ctx.metrics["loss_initial"].get<double>();
  const double l1 = ctx.metrics["loss_final"].get<double>();
  ctx.summary_lines.push_back(fmt::format(
      "{} -> {} -> {}, feedback {}: validation MSE {:.2f} -> {:.2f} kHz² ({:.1f}x) over {} "
      "epochs; angle B vs W2ᵀ {:.1f}° -> {:.1f}°",
      p_.inputs, nh, no, p_.feedback, l0, l1, l1 > 0 ? l0 / l1 : 0.0, p_.epochs,
      ctx.metrics["angle_initial_deg"].get<double>(),
      ctx.metrics["angle_final_deg"].get<double>()));
  ctx.summary_lines.push_back(fmt::format(
      "targets: mean {:.1f} kHz, variance {:.2f} kHz² (the loss of always answering the mean), "
      "over patterns {:.2f} kHz² (of answering each output's mean)",
      ctx.metrics["target_rate_mean_hz"].get<double>() * 1e-3,
      ctx.metrics["target_variance_khz2"].get<double>(),
      ctx.metrics["target_pattern_variance_khz2"].get<double>()));
}

}  // namespace salvo::experiments
