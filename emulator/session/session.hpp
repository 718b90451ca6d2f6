// Session: one experiment's chip and its hardware time. It elaborates the Chip and the
// plasticity processors the experiment asks for (one FirmwareHost each), is the only place in
// emulator/ that runs the SystemC kernel (advance_to), runs periodic work — plasticity
// updates, measurements — on a schedule while time passes (run: Arbor's sampler on a
// schedule), and ends with the run's statistics and standard recordings (finish).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "emulator/session/firmware_host.hpp"
#include "emulator/session/run_context.hpp"
#include "hw/chip/chip.hpp"

namespace salvo::session {

// Work done every period_us while time passes: fn(t) with t its scheduled time (start + k·period,
// accumulated); Session::now_us() is the analog core's time, on its step grid.
struct Periodic {
  double period_us;
  std::function<void(double t_us)> fn;
};

class Session {
 public:
  // processors: plasticity processors on halves 0 .. processors-1, each with a FirmwareHost
  // (ctx.gdb_port goes to half 0's). Both are elaboration-time decisions in SystemC.
  explicit Session(RunContext& ctx, int processors = 0);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  RunContext& ctx() { return ctx_; }
  const ChipConfig& chip_config() const { return ctx_.chip; }
  std::uint64_t seed() const { return ctx_.seed; }
  Chip& chip() { return *chip_; }
  AnalogCore& core() { return chip_->core(); }
  FirmwareHost& firmware(int half = 0);

  double now_us() const { return chip_->core().now_us(); }
  // Runs the kernel to t_us (no-op for t_us <= now): every block, every processor. Checks the
  // started firmware on the way (a trap becomes a RunFailure at once) and moves the progress
  // line.
  void advance_to(double t_us);
  // Advances to end_us, calling every task at now + k·period (k = 1, 2, … while <= end_us; tasks
  // due at the same time in list order).
  void run(double end_us, const std::vector<Periodic>& tasks);
  // Advances in steps of step_us while pending() and now < limit_us; true if pending() cleared.
  bool run_while(const std::function<bool()>& pending, double step_us, double limit_us);

  // The hardware time the run plans to reach (sets the progress total; finish() checks it).
  void plan(double end_us);
  double planned_us() const { return planned_us_; }

  // The end of the run: ctx.stats (emulated time, spikes, bus, processors), the standard
  // recordings spikes.csv, membrane.csv (when the MADC recorded), rate_counters.csv. A run that
  // emulated less than planned is a RunFailure.
  void finish();
  // Only the statistics (for runs that stop early with a RunFailure of their own).
  void collect_stats();

 private:
  RunContext& ctx_;
  std::unique_ptr<Chip> chip_;
  std::vector<std::unique_ptr<FirmwareHost>> firmware_;
  std::unique_ptr<trace::ChipTrace> trace_;  // ctx.trace enabled
  double planned_us_ = 0;
};

// Runs the kernel until nothing is left to do (no pending event or timed notification): for a
// processor alone (salvo ppu-run), which stops the kernel itself when its program ends. The
// only other place in emulator/ that starts the kernel besides Session::advance_to.
void run_until_idle();

}  // namespace salvo::session
