#include "hw/ppu/plasticity_processor.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "hw/common/error.hpp"

namespace salvo::ppu {
namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
// While a debugger is attached and the program runs, poll for Ctrl-C this often.
constexpr std::uint64_t kDebugPollCycles = 1'000'000;

ProcessorBus::Map make_map(const PlasticityProcessorParams& p) {
  ProcessorBus::Map m;
  m.sram_base = p.sram_base;
  m.sram_size = static_cast<std::uint32_t>(p.memory_kib) * 1024u;
  m.peripheral_base = kPeripheralBase;
  m.peripheral_size = periph::kBlockSize;
  m.chip_base = kChipWindowBase;
  m.chip_size = kChipWindowSize;
  return m;
}

CoreParams make_core_params(const PlasticityProcessorParams& p) {
  CoreParams c;
  c.hart_id = p.index;
  c.cycles = p.cycles;
  c.mtime_divider = 1;
  return c;
}

ProcessorPeripherals::Params make_periph_params(const PlasticityProcessorParams& p) {
  ProcessorPeripherals::Params q;
  q.processor_name = p.name;
  q.ppu_id = p.index;
  q.memory_bytes = static_cast<std::uint32_t>(p.memory_kib) * 1024u;
  q.clock_hz = static_cast<std::uint32_t>(std::llround(p.clock_mhz * 1e6));
  q.seed = p.seed;
  return q;
}

const PlasticityProcessorParams& validated(const PlasticityProcessorParams& p) {
  if (!(p.clock_mhz > 0.0 && p.clock_mhz <= 10'000.0))
    throw UserError(
        fmt::format("processor.clock_mhz = {}: allowed 0 < clock_mhz <= 10000", p.clock_mhz));
  if (p.memory_kib < 1 || p.memory_kib > 1024 * 1024)
    throw UserError(fmt::format("processor.memory_kib = {}: allowed 1 .. 1048576", p.memory_kib));
  if (!(p.quantum_us >= 1e-6))
    throw UserError(
        fmt::format("processor.quantum_us = {}: allowed >= 1e-6 (one picosecond)", p.quantum_us));
  const std::uint64_t end = std::uint64_t{p.sram_base} + std::uint64_t(p.memory_kib) * 1024u;
  auto overlaps = [&](std::uint64_t b, std::uint64_t s) { return p.sram_base < b + s && b < end; };
  if (end > (std::uint64_t{1} << 32) || overlaps(kPeripheralBase, periph::kBlockSize) ||
      overlaps(kChipWindowBase, kChipWindowSize))
    throw UserError(fmt::format(
        "processor SRAM 0x{:08x}..0x{:08x} overlaps the peripherals (0x{:08x}) or the chip "
        "window (0x{:08x}..0x{:08x})",
        p.sram_base, end - 1, kPeripheralBase, kChipWindowBase,
        kChipWindowBase + kChipWindowSize - 1));
  return p;
}

}  // namespace

const char* program_end_name(ProgramEnd e) {
  switch (e) {
    case ProgramEnd::kRunning:
      return "running";
    case ProgramEnd::kExited:
      return "exited";
    case ProgramEnd::kTrapped:
      return "trapped";
    case ProgramEnd::kWatchdog:
      return "watchdog";
    case ProgramEnd::kKilled:
      return "killed";
  }
  return "?";
}

PlasticityProcessorParams PlasticityProcessorParams::from_config(const ProcessorConfig& c,
                                                                 std::uint64_t seed,
                                                                 std::uint32_t index) {
  PlasticityProcessorParams p;
  p.name = fmt::format("ppu{}", index);
  p.clock_mhz = c.clock_mhz;
  p.memory_kib = c.memory_kib;
  p.quantum_us = c.quantum_us;
  p.watchdog_instructions = c.watchdog_instructions;
  p.seed = seed;
  p.index = index;
  p.vector_enabled = c.vector.enabled;
  p.vector.bytes = static_cast<std::uint32_t>(c.vector.bytes);
  auto u = [](int v) { return static_cast<std::uint32_t>(v); };
  p.vector.cycles.alu = u(c.vector.alu_cycles);
  p.vector.cycles.mul = u(c.vector.mul_cycles);
  p.vector.cycles.round = u(c.vector.round_cycles);
  p.vector.cycles.reduce = u(c.vector.reduce_cycles);
  p.vector.cycles.sram_access = u(c.vector.sram_access_cycles);
  p.vector.cycles.sram_bytes_per_cycle = u(c.vector.sram_bytes_per_cycle);
  p.vector.cycles.chip_access = u(c.vector.chip_access_cycles);
  return p;
}

sc_core::sc_time PlasticityProcessor::QuantumKeeper::compute_local_quantum() {
  // Like the global quantum, but per processor: sync points fall on multiples of quantum_.
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time into = sc_core::sc_time::from_value(now.value() % quantum_.value());
  return quantum_ - into;
}

PlasticityProcessor::PlasticityProcessor(const sc_core::sc_module_name& name,
                                         const PlasticityProcessorParams& params)
    : sc_core::sc_module(name),
      chip_socket(bus_.chip_socket),
      params_(validated(params)),
      cycle_time_(sc_core::sc_time(1e6 / params.clock_mhz, sc_core::SC_PS)),
      clock_hz_(params.clock_mhz * 1e6),
      core_(*this, make_core_params(params)),
      sram_("sram", static_cast<std::uint32_t>(params.memory_kib) * 1024u,
            cycle_time_ * static_cast<double>(params.sram_latency_cycles)),
      peripherals_("peripherals", core_, make_periph_params(params)),
      bus_("bus", make_map(params)),
      core_socket_("core_socket"),
      qk_(sc_core::sc_time(params.quantum_us, sc_core::SC_US)) {
  if (params.vector_enabled) {
    vector_ = std::make_unique<VectorUnit>(params.vector);
    vector_->set_random_source([this] { return peripherals_.draw_random(); });
    core_.set_vector_unit(vector_.get());
  }
  core_socket_.bind(bus_.target_socket);
  bus_.sram_socket.bind(sram_.socket);
  bus_.peripheral_socket.bind(peripherals_.socket);
  core_socket_.register_invalidate_direct_mem_ptr(this, &PlasticityProcessor::invalidate_dmi);
  SC_HAS_PROCESS(PlasticityProcessor);
  SC_THREAD(run_thread);
}

PlasticityProcessor::~PlasticityProcessor() = default;

// ---- host side ---------------------------------------------------------------------------------

const ElfImage& PlasticityProcessor::load_elf(const std::string& path) {
  load_image(ElfImage::load(path));
  return *image_;
}

void PlasticityProcessor::load_image(const ElfImage& image) {
  const std::uint64_t sram_end = std::uint64_t{params_.sram_base} + sram_.size();
  for (const auto& s : image.segments()) {
    if (s.address < params_.sram_base || std::uint64_t{s.address} + s.size > sram_end)
      throw UserError(
          fmt::format("{}: segment 0x{:08x}..0x{:08x} ({} bytes) does not fit the processor memory "
                      "(SRAM 0x{:08x}..0x{:08x}, {} KiB)",
                      image.name(), s.address, std::uint64_t{s.address} + s.size - 1, s.size,
                      params_.sram_base, sram_end - 1, sram_.size() / 1024));
  }
  for (const auto& s : image.segments()) {
    std::vector<std::uint8_t> bytes(s.size, 0);
    std::copy(s.data.begin(), s.data.end(), bytes.begin());
    write_memory(s.address, bytes.data(), bytes.size());
  }
  image_ = std::make_unique<ElfImage>(image);
  entry_ = image.entry();
  have_entry_ = true;
  tohost_ = image.symbol("tohost");
  fromhost_ = image.symbol("fromhost");
  if (tohost_)
    core_.set_store_watch(*tohost_, 8);
  else
    core_.clear_store_watch();
  // Loaded before the simulation runs: start with it at time zero.
  if (sc_core::sc_get_status() < sc_core::SC_RUNNING) start_requested_ = true;
}

std::optional<std::uint32_t> PlasticityProcessor::symbol(const std::string& name) const {
  return image_ ? image_->symbol(name) : std::nullopt;
}

bool PlasticityProcessor::write_memory(std::uint32_t addr, const void* data, std::size_t len) {
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_WRITE_COMMAND);
  gp.set_address(addr);
  gp.set_data_ptr(const_cast<unsigned char*>(static_cast<const unsigned char*>(data)));
  gp.set_data_length(static_cast<unsigned>(len));
  gp.set_streaming_width(static_cast<unsigned>(len));
  const unsigned n = core_socket_->transport_dbg(gp);
  core_.invalidate_code(addr, static_cast<std::uint32_t>(len));
  return n == len;
}

bool PlasticityProcessor::read_memory(std::uint32_t addr, void* data, std::size_t len) {
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_READ_COMMAND);
  gp.set_address(addr);
  gp.set_data_ptr(static_cast<unsigned char*>(data));
  gp.set_data_length(static_cast<unsigned>(len));
  gp.set_streaming_width(static_cast<unsigned>(len));
  return core_socket_->transport_dbg(gp) == len;
}

void PlasticityProcessor::write_word(std::uint32_t addr, std::uint32_t value) {
  if (!write_memory(addr, &value, 4))
    throw UserError(fmt::format("{}: no memory at 0x{:08x} to write", params_.name, addr));
}

std::uint32_t PlasticityProcessor::read_word(std::uint32_t addr) {
  std::uint32_t v = 0;
  if (!read_memory(addr, &v, 4))
    throw UserError(fmt::format("{}: no memory at 0x{:08x} to read", params_.name, addr));
  return v;
}

void PlasticityProcessor::start(std::optional<std::uint32_t> entry) {
  if (entry) {
    entry_ = *entry;
    have_entry_ = true;
  }
  if (!have_entry_)
    throw UserError(fmt::format("{}: start() without a program (load_elf first)", params_.name));
  start_requested_ = true;
  end_ = ProgramEnd::kRunning;  // ended() is false from now until this run ends
  exit_code_ = 0;
  end_message_.clear();
  // Before the simulation runs, the thread sees the request when it first starts.
  if (sc_core::sc_get_status() >= sc_core::SC_RUNNING) start_event_.notify(sc_core::SC_ZERO_TIME);
}

void PlasticityProcessor::attach_debugger(ProcessorDebugger* debugger) {
  debugger_ = debugger;
  core_.set_debug_breakpoints(debugger != nullptr);
}

void PlasticityProcessor::attach_profiler(FirmwareProfiler* profiler) {
  profiler_ = profiler;
  update_observer();
}

void PlasticityProcessor::attach_trace(ProcessorTraceSink* sink) {
  trace_ = sink;
  update_observer();
}

void PlasticityProcessor::update_observer() {
  core_.set_observer(profiler_ || trace_ ? this : nullptr);
}

void PlasticityProcessor::on_instruction(std::uint32_t pc, std::uint64_t cycles,
                                         std::uint64_t retired) {
  if (profiler_) profiler_->on_instruction(pc, cycles, retired);
  if (trace_) {
    trace_->on_instruction(time_of_cycle(core_.cycles() - cycles), cycle_time_, pc, cycles,
                           trace_stall_, trace_cadc_);
    trace_stall_ = 0;
    trace_cadc_ = false;
  }
}

ProcessorStats PlasticityProcessor::stats() const {
  ProcessorStats s;
  s.instructions = core_.instructions() - start_instructions_;
  s.cycles = core_.cycles() - start_cycles_;
  s.sleep_cycles = core_.sleep_cycles() - start_sleep_cycles_;
  s.busy_cycles = s.cycles - s.sleep_cycles;
  s.chip_accesses = chip_accesses_;
  s.chip_stall_cycles = chip_stall_cycles_;
  if (vector_) {
    const VectorUnit::Counters& c = vector_->counters();
    s.vector_instructions = c.instructions - vector_start_.instructions;
    s.vector_lane_ops = c.lane_ops - vector_start_.lane_ops;
    s.vector_chip_accesses = c.chip_accesses - vector_start_.chip_accesses;
  }
  return s;
}

std::string PlasticityProcessor::trap_report() const {
  const HaltInfo& h = core_.halt_info();
  std::string where = image_ ? image_->describe_address(h.pc) : std::string();
  std::string insn = "(not fetchable)";
  if (h.instruction_length) {
    const DecodedInsn d = decode(h.instruction);
    insn = fmt::format("0x{:0{}x}  {}", h.instruction, h.instruction_length == 2 ? 4 : 8,
                       disassemble(d, h.pc));
  }
  std::string s = fmt::format("{}: unhandled trap: {}\n", params_.name, h.reason);
  s += fmt::format("  cause  mcause = 0x{:08x} ({}), mtval = 0x{:08x}\n", h.mcause,
                   describe_cause(h.mcause), h.mtval);
  s += fmt::format("  pc     0x{:08x}{}\n", h.pc, where.empty() ? "" : " <" + where + ">");
  s += fmt::format("  insn   {}\n", insn);
  s += "  registers:\n";
  std::string regs = core_.format_state();
  std::size_t pos = 0;
  while (pos < regs.size()) {
    const std::size_t nl = regs.find('\n', pos);
    s += "    " + regs.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos) + "\n";
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return s;
}

// ---- time --------------------------------------------------------------------------------------

sc_core::sc_time PlasticityProcessor::time_of_cycle(std::uint64_t cycle) const {
  const double cycles = static_cast<double>(cycle - cycle_base_);
  return time_base_ + sc_core::sc_time(cycles / clock_hz_, sc_core::SC_SEC);
}

std::uint64_t PlasticityProcessor::cycle_at(const sc_core::sc_time& t) const {
  if (t <= time_base_) return cycle_base_;
  // A hair of slack so that time_of_cycle(n) maps back to n despite rounding to picoseconds.
  const double c = (t - time_base_).to_seconds() * clock_hz_ + 1e-6;
  return cycle_base_ + static_cast<std::uint64_t>(std::floor(c));
}

sc_core::sc_time PlasticityProcessor::local_offset() const {
  const sc_core::sc_time t = time_of_cycle(core_.cycles());
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  return t > now ? t - now : sc_core::SC_ZERO_TIME;
}

std::uint64_t PlasticityProcessor::stall_cycles(const sc_core::sc_time& t) const {
  if (t == sc_core::SC_ZERO_TIME) return 0;
  return static_cast<std::uint64_t>(std::ceil(t.to_seconds() * clock_hz_ - 1e-6));
}

void PlasticityProcessor::sync_now() {
  qk_.set(local_offset());
  qk_.sync();
}

// ---- bus ---------------------------------------------------------------------------------------

bool PlasticityProcessor::bus_access(tlm::tlm_command cmd, std::uint32_t addr, void* data,
                                     unsigned len, Access kind, std::uint64_t& stall) {
  const ProcessorBus::Target target = bus_.decode(addr);
  if (kind == Access::kFetch && target != ProcessorBus::Target::kSram)
    return false;  // only SRAM is executable
  sc_core::sc_time offset = sc_core::SC_ZERO_TIME;
  if (target == ProcessorBus::Target::kChip && bus_.chip_bound()) {
    // The chip must see this access at the processor's own time: catch the kernel up first.
    sync_now();
    ++chip_accesses_;
  } else {
    offset = local_offset();  // loosely timed: local targets get the annotated time
  }
  gp_.set_command(cmd);
  gp_.set_address(addr);
  gp_.set_data_ptr(static_cast<unsigned char*>(data));
  gp_.set_data_length(len);
  gp_.set_streaming_width(len);
  gp_.set_byte_enable_ptr(nullptr);
  gp_.set_dmi_allowed(false);
  gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = offset;
  core_socket_->b_transport(gp_, delay);
  if (gp_.is_response_error()) return false;
  stall = stall_cycles(delay > offset ? delay - offset : sc_core::SC_ZERO_TIME);
  if (target == ProcessorBus::Target::kChip) {
    chip_stall_cycles_ += stall;
    if ((profiler_ || trace_) && stall) {
      const std::uint32_t off = addr - kChipWindowBase;
      const bool cadc = off >= memory_map::kCadcCtrl && off < memory_map::kParameters;
      if (profiler_)
        profiler_->add_stall(cadc ? FirmwareProfiler::Stall::kCadc : FirmwareProfiler::Stall::kChip,
                             stall);
      trace_stall_ += stall;
      trace_cadc_ = cadc;
    }
  }
  if (gp_.is_dmi_allowed() && params_.use_dmi && !core_.ram_mapped()) dmi_dirty_ = true;
  return true;
}

bool PlasticityProcessor::read(std::uint32_t addr, void* data, unsigned len, Access kind,
                               std::uint64_t& stall) {
  return bus_access(tlm::TLM_READ_COMMAND, addr, data, len, kind, stall);
}

bool PlasticityProcessor::write(std::uint32_t addr, const void* data, unsigned len,
                                std::uint64_t& stall) {
  return bus_access(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(data), len, Access::kStore,
                    stall);
}

void PlasticityProcessor::refresh_dmi() {
  dmi_dirty_ = false;
  if (!params_.use_dmi) return;
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_READ_COMMAND);
  gp.set_address(params_.sram_base);
  tlm::tlm_dmi dmi;
  if (!core_socket_->get_direct_mem_ptr(gp, dmi) || !dmi.is_read_write_allowed()) return;
  if (dmi.get_start_address() != params_.sram_base || dmi.get_end_address() < params_.sram_base + 3)
    return;
  const auto size = static_cast<std::uint32_t>(dmi.get_end_address() - dmi.get_start_address() + 1);
  core_.map_ram(params_.sram_base, dmi.get_dmi_ptr(), size,
                static_cast<std::uint32_t>(stall_cycles(dmi.get_read_latency())),
                static_cast<std::uint32_t>(stall_cycles(dmi.get_write_latency())));
  if (tohost_) core_.set_store_watch(*tohost_, 8);
}

void PlasticityProcessor::invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end) {
  if (!core_.ram_mapped()) return;
  const std::uint64_t lo = core_.ram_base(), hi = lo + core_.ram_size() - 1;
  if (end < lo || start > hi) return;
  // The core may be inside run(): unmap between runs, never under its feet.
  dmi_dirty_ = true;
  core_.request_stop();
}

// ---- the processor thread
// ------------------------------------------------------------------------

void PlasticityProcessor::run_thread() {
  for (;;) {
    while (!start_requested_) wait(start_event_);
    start_requested_ = false;
    finished_ = false;
    end_ = ProgramEnd::kRunning;
    exit_code_ = 0;
    end_message_.clear();
    asleep_ = false;
    if (core_.ram_mapped()) core_.unmap_ram();
    dmi_dirty_ = true;
    refresh_dmi();
    core_.reset(entry_);
    time_base_ = sc_core::sc_time_stamp();
    cycle_base_ = core_.cycles();
    start_instructions_ = core_.instructions();
    start_cycles_ = core_.cycles();
    start_sleep_cycles_ = core_.sleep_cycles();
    chip_accesses_ = chip_stall_cycles_ = 0;
    if (vector_) {
      vector_->reset();
      vector_start_ = vector_->counters();
    }
    qk_.reset();
    run_program();
  }
}

void PlasticityProcessor::run_program() {
  using Resume = ProcessorDebugger::Resume;
  using Stop = ProcessorDebugger::Stop;
  Resume mode = Resume::kContinue;
  auto apply = [&](Resume r) {
    mode = r;
    if (r == Resume::kDetach) {
      attach_debugger(nullptr);
      mode = Resume::kContinue;
    } else if (r == Resume::kKill) {
      end_program(ProgramEnd::kKilled, 1, fmt::format("{}: killed by the debugger", params_.name));
    }
  };
  if (debugger_) apply(debugger_->on_stop(Stop::kReset));

  while (!finished_) {
    if (dmi_dirty_) {
      if (core_.ram_mapped()) core_.unmap_ram();
      refresh_dmi();
    }
    const std::uint64_t now = core_.cycles();
    std::uint64_t limit = cycle_at(qk_.next_sync_point());
    if (limit <= now) limit = now + 1;
    const std::uint64_t watchdog = params_.watchdog_instructions;
    if (watchdog) {
      const std::uint64_t done = core_.instructions() - start_instructions_;
      if (done >= watchdog) {
        end_program(
            ProgramEnd::kWatchdog, 1,
            fmt::format(
                "{}: watchdog: the program did not end within {} instructions (pc 0x{:08x})",
                params_.name, watchdog, core_.pc()));
        break;
      }
      // Every instruction costs at least one cycle, so this bounds the instructions too.
      // Saturating: a budget near 2^64 must not wrap the deadline into the past.
      const std::uint64_t left = watchdog - done;
      limit = std::min(limit, left > UINT64_MAX - now ? UINT64_MAX : now + left);
    }
    if (debugger_)
      limit = mode == Resume::kStep ? now + 1 : std::min(limit, now + kDebugPollCycles);

    const StopReason why = core_.run(limit);
    bool stopped_for_debugger = false;
    switch (why) {
      case StopReason::kNone:
      case StopReason::kCycleLimit:
      case StopReason::kStopRequested:
        break;
      case StopReason::kStoreWatch:
        handle_htif();
        break;
      case StopReason::kWaitForInterrupt:
        sleep_in_wfi();
        break;
      case StopReason::kHalted:
        // A debugger gets to inspect the state first; the program cannot go on afterwards.
        if (debugger_) apply(debugger_->on_stop(Stop::kTrap));
        if (!finished_)
          end_program(ProgramEnd::kTrapped, 1,
                      fmt::format("{}: {}", params_.name, core_.halt_info().reason));
        break;
      case StopReason::kBreakpoint:
        if (debugger_) {
          stopped_for_debugger = true;
          apply(debugger_->on_stop(Stop::kBreakpoint));
        }
        break;
    }
    if (finished_) break;
    if (debugger_ && !stopped_for_debugger) {
      if (mode == Resume::kStep)
        apply(debugger_->on_stop(Stop::kStep));
      else if (debugger_->poll_interrupt())
        apply(debugger_->on_stop(Stop::kInterrupt));
      if (finished_) break;
    }
    qk_.set(local_offset());
    if (qk_.need_sync()) qk_.sync();
  }
}

void PlasticityProcessor::sleep_in_wfi() {
  asleep_ = true;
  const sc_core::sc_time from = time_of_cycle(core_.cycles());
  sync_now();
  for (;;) {
    const std::uint64_t wake = core_.next_wakeup_cycle();
    if (wake <= core_.cycles()) break;
    if (wake == kNever) {
      wait(peripherals_.wake_event());
    } else {
      const sc_core::sc_time at = time_of_cycle(wake);
      const sc_core::sc_time now = sc_core::sc_time_stamp();
      wait(at > now ? at - now : sc_core::SC_ZERO_TIME, peripherals_.wake_event());
      if (sc_core::sc_time_stamp() >= at) {
        core_.sleep_until(wake);
        break;
      }
    }
    core_.sleep_until(cycle_at(sc_core::sc_time_stamp()));
    if (core_.interrupt_pending()) break;
  }
  asleep_ = false;
  if (trace_) trace_->on_sleep(from, time_of_cycle(core_.cycles()));
  qk_.reset();
}

// ---- HTIF (Spike's host-target interface) -------------------------------------------------------

namespace {

// A program's exit code as an int that is 0 only when the program's code was 0 (codes beyond
// int saturate instead of wrapping; 2^32 must not read as a pass).
int exit_code_of(std::int64_t code) {
  if (code > INT_MAX) return INT_MAX;
  if (code < INT_MIN) return INT_MIN;
  return static_cast<int>(code);
}

}  // namespace

bool PlasticityProcessor::handle_htif() {
  if (!tohost_) return false;
  std::uint32_t w[2] = {0, 0};
  read_memory(*tohost_, w, 8);
  if (w[0] == 0 && w[1] == 0) return false;  // the program clearing tohost
  const std::uint32_t device = w[1] >> 24, command = (w[1] >> 16) & 0xFF;
  const std::uint64_t payload = (std::uint64_t{w[1] & 0xFFFF} << 32) | w[0];
  const std::uint64_t zero = 0;
  if (device == 0 && command == 0) {
    if (payload & 1) {
      const std::uint64_t code = payload >> 1;
      end_program(ProgramEnd::kExited, exit_code_of(static_cast<std::int64_t>(code)),
                  code == 0 ? fmt::format("{}: passed (tohost = 1)", params_.name)
                            : fmt::format("{}: exit code {} (tohost = 0x{:x})", params_.name, code,
                                          payload));
      return true;
    }
    write_memory(*tohost_, &zero, 8);
    htif_syscall(static_cast<std::uint32_t>(payload));
    return finished_;
  }
  write_memory(*tohost_, &zero, 8);
  if (device == 1 && command == 1) {  // console: putchar
    peripherals_.console_write(static_cast<char>(payload & 0xFF));
    if (fromhost_) {
      const std::uint64_t resp =
          (std::uint64_t{1} << 56) | (std::uint64_t{1} << 48) | 0x100 | (payload & 0xFF);
      write_memory(*fromhost_, &resp, 8);
    }
  }
  return false;
}

void PlasticityProcessor::htif_syscall(std::uint32_t magic_mem) {
  // Spike's proxy syscalls: magic_mem holds [which, arg0, arg1, arg2, ...] as 64-bit words;
  // the result goes back into magic_mem[0] and fromhost signals completion.
  std::uint64_t mm[4] = {0, 0, 0, 0};
  if (!read_memory(magic_mem, mm, sizeof mm)) return;
  constexpr std::uint64_t kSysWrite = 64, kSysExit = 93;
  std::int64_t ret = -38;  // ENOSYS
  if (mm[0] == kSysExit) {
    const auto code = static_cast<std::int64_t>(mm[1]);
    end_program(ProgramEnd::kExited, exit_code_of(code),
                fmt::format("{}: exit({}) via HTIF syscall", params_.name, code));
    return;
  }
  if (mm[0] == kSysWrite && (mm[1] == 1 || mm[1] == 2)) {
    std::vector<char> buf(static_cast<std::size_t>(std::min<std::uint64_t>(mm[3], 1u << 20)));
    if (read_memory(static_cast<std::uint32_t>(mm[2]), buf.data(), buf.size())) {
      for (char c : buf) peripherals_.console_write(c);
      ret = static_cast<std::int64_t>(buf.size());
    } else {
      ret = -14;  // EFAULT
    }
  }
  write_memory(magic_mem, &ret, 8);
  if (fromhost_) {
    const std::uint64_t one = 1;
    write_memory(*fromhost_, &one, 8);
  }
}

void PlasticityProcessor::end_program(ProgramEnd how, int code, const std::string& message) {
  peripherals_.flush_console();
  end_ = how;
  exit_code_ = code;
  end_message_ = message;
  finished_ = true;
  sync_now();  // the program ends at its own time
  ended_event_.notify(sc_core::SC_ZERO_TIME);
  spdlog::debug("{} ({} instructions, {} cycles)", message, stats().instructions, stats().cycles);
  if (debugger_) debugger_->on_exit(how, code);
}

}  // namespace salvo::ppu
