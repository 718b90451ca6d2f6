#include "emulator/session/session.hpp"

#include "emulator/session/cost_model.hpp"
#include "hw/ppu/plasticity_processor.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "emulator/calibration/calibration.hpp"
#include "hw/common/error.hpp"
#include "hw/ppu/plasticity_processor.hpp"

namespace salvo::session {

namespace {

// The kernel runs in chunks of at most this much hardware time, so the progress line moves
// and a firmware trap stops the run early; chunking does not change results (the analog core
// advances in whole steps, processor accesses catch it up to their own time).
constexpr double kChunkUs = 1000.0;

double kernel_now_us() { return sc_core::sc_time_stamp().to_seconds() * 1e6; }

}  // namespace

void run_until_idle() { sc_core::sc_start(); }

Session::Session(RunContext& ctx, int processors) : ctx_(ctx) {
  chip_ = std::make_unique<Chip>("chip", ctx.chip, ctx.seed, processors);
  if (ctx.calibration) ctx.calibration->apply(chip_->core());
  for (int h = 0; h < processors; ++h)
    firmware_.push_back(std::make_unique<FirmwareHost>(*chip_, ctx.chip, ctx.seed, h,
                                                       h == 0 ? ctx.gdb_port : -1, ctx.profile));
  if (ctx.trace.enabled()) {
    std::vector<ppu::PlasticityProcessor*> processors;
    for (auto& fw : firmware_) processors.push_back(&fw->processor());
    trace_ = std::make_unique<trace::ChipTrace>(*chip_, processors, ctx.trace);
  }
}

Session::~Session() = default;

FirmwareHost& Session::firmware(int half) {
  if (half < 0 || half >= static_cast<int>(firmware_.size()))
    throw InternalError(
        fmt::format("Session: no processor on half {} (created {})", half, firmware_.size()));
  return *firmware_[half];
}

void Session::advance_to(double t_us) {
  AnalogCore& core = chip_->core();
  for (;;) {
    const double now = kernel_now_us();
    const double target = std::min(t_us, now + kChunkUs);
    if (target > now) sc_core::sc_start(sc_core::sc_time(target - now, sc_core::SC_US));
    core.advance_to(target);
    ctx_.progress.update(target);
    for (const auto& fw : firmware_) {
      if (fw->gdb_attached()) ctx_.gdb_used = true;
      if (fw->started()) fw->check();
    }
    if (target >= t_us) break;
  }
}

void Session::run(double end_us, const std::vector<Periodic>& tasks) {
  const double start = now_us();
  std::vector<double> next;
  for (const auto& task : tasks) {
    if (!(task.period_us > 0)) throw InternalError("Session::run: a period must be > 0");
    next.push_back(start + task.period_us);
  }
  double reached = start;
  for (;;) {
    double t = 0;
    bool due = false;
    for (double n : next)
      if (n <= end_us + 1e-9 && (!due || n < t)) {
        t = n;
        due = true;
      }
    if (!due) break;
    advance_to(t);
    reached = t;
    for (std::size_t i = 0; i < tasks.size(); ++i)
      if (next[i] <= t + 1e-9) {
        tasks[i].fn(next[i]);
        next[i] += tasks[i].period_us;
      }
  }
  if (end_us > reached + 1e-9) advance_to(end_us);
}

bool Session::run_while(const std::function<bool()>& pending, double step_us, double limit_us) {
  for (double t = now_us() + step_us; pending() && t <= limit_us + 1e-9; t += step_us)
    advance_to(t);
  return !pending();
}

void Session::plan(double end_us) {
  planned_us_ = end_us;
  ctx_.progress.set_total(end_us);
}

void Session::collect_stats() {
  AnalogCore& core = chip_->core();
  ctx_.stats.emulated_time_us = core.now_us();
  ctx_.stats.spikes = core.spike_count();
  ctx_.stats.bus_events = core.bus_offered();
  ctx_.stats.bus_dropped = core.bus_dropped();
  ctx_.stats.steps = core.steps();
  ctx_.stats.parallel_steps = core.parallel_steps();
  ctx_.stats.threads = core.threads();
  ctx_.stats.block_steps = core.neurons().block_steps_total();
  ctx_.stats.block_steps_skipped = core.neurons().block_steps_skipped();
  ctx_.stats.block_steps_replayed = core.neurons().block_steps_replayed();
  for (const auto& fw : firmware_)
    if (fw->started()) fw->record_stats(ctx_);
  if (trace_) {
    const std::string line = trace_->write();
    if (!line.empty()) ctx_.summary_lines.push_back(line);
  }
  ActivityCounters a;
  a.time_us = core.now_us();
  a.spikes = core.spike_count();
  a.synaptic_events = core.synaptic_events();
  a.cadc_conversions = chip_->cadc_conversions();
  a.parameter_writes = core.parameter_writes();
  for (const auto& fw : firmware_) {
    if (!fw->started()) continue;
    const ppu::ProcessorStats st = fw->processor().stats();
    a.instructions += st.instructions;
    a.vector_instructions += st.vector_instructions;
    a.vector_lane_ops += st.vector_lane_ops;
  }
  ctx_.extra["cost"] = run_cost(ctx_.chip, a);
}

void Session::finish() {
  collect_stats();
  AnalogCore& core = chip_->core();
  {
    output::CsvWriter f(ctx_.out / "spikes.csv", {"time_us", "neuron"});
    for (const auto& s : core.spikes()) f.row(s.t_us, s.neuron);
    f.close();
  }
  if (!core.madc_samples().empty()) {
    output::CsvWriter f(ctx_.out / "membrane.csv", {"time_us", "code", "v_mV"});
    for (const auto& s : core.madc_samples()) f.row(s.t_us, s.code, s.v_mV);
    f.close();
  }
  output::CsvWriter f(ctx_.out / "rate_counters.csv", {"neuron", "count"});
  for (int n = 0; n < core.neurons_total(); ++n) f.row(n, core.rate_counter(n));
  f.close();
  if (core.now_us() + 1e-6 < planned_us_)
    throw RunFailure(
        fmt::format("emulated {} µs of the {} µs the run planned", core.now_us(), planned_us_));
}

}  // namespace salvo::session
