// ProcessorCore: the instruction-set simulator of the plasticity processor — one RV32IMC +
// Zicsr + Zifencei hart in machine mode, with a CLINT-like timer (mtime/mtimecmp/msip).
// It abstracts the pipeline into a cycle cost per instruction class plus memory latency per
// region; the local SRAM is reached through a raw host pointer (TLM DMI style) and decoded
// once into a per-halfword cache, everything else goes through the CoreBus callback.
// Plain C++ (no SystemC): PlasticityProcessor wraps it into a loosely-timed SC_THREAD.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "hw/ppu/rv32_isa.hpp"
#include "hw/ppu/vector_unit.hpp"

namespace salvo::ppu {

// Cycles each instruction class costs when its memory access hits zero-wait SRAM. A
// two-stage in-order microcontroller core (the class the PowerPC-based original belongs to)
// with a bit-serial divider is the default.
struct CycleModel {
  std::uint32_t alu = 1;
  std::uint32_t branch_not_taken = 1;
  std::uint32_t branch_taken = 3;  // total, includes the refetch
  std::uint32_t jump = 3;          // jal / jalr
  std::uint32_t load = 2;
  std::uint32_t store = 1;
  std::uint32_t mul = 3;
  std::uint32_t div = 34;
  std::uint32_t csr = 2;
  std::uint32_t system = 3;      // ecall, ebreak, mret, fence, fence.i, wfi, illegal
  std::uint32_t trap_entry = 4;  // extra cycles to redirect to mtvec
};

// What the core sees of everything outside its DMI-mapped RAM. Implementations report the
// extra cycles the access took (bus latency, a target's stall) in `stall_cycles`.
class CoreBus {
 public:
  enum class Access { kFetch, kLoad, kStore };
  virtual ~CoreBus() = default;
  // false = access fault (nothing mapped, or the target refused).
  virtual bool read(std::uint32_t addr, void* data, unsigned len, Access kind,
                    std::uint64_t& stall_cycles) = 0;
  virtual bool write(std::uint32_t addr, const void* data, unsigned len,
                     std::uint64_t& stall_cycles) = 0;
};

// Sees every instruction when attached (profiling, tracing): run() then executes one
// instruction per block, which keeps results identical but the core several times slower.
// cycles: what the instruction cost, its stalls and a trap entry included; retired: 0 or 1.
class InstructionObserver {
 public:
  virtual ~InstructionObserver() = default;
  virtual void on_instruction(std::uint32_t pc, std::uint64_t cycles, std::uint64_t retired) = 0;
};

enum class StopReason {
  kNone,
  kCycleLimit,        // the cycle budget of this run() call is used up
  kWaitForInterrupt,  // WFI with no enabled interrupt pending: the caller lets time pass
  kStoreWatch,        // a store touched the watched range (HTIF tohost); the store completed
  kBreakpoint,        // EBREAK while a debugger owns breakpoints; pc points at the EBREAK
  kHalted,            // unhandled trap (see halt_info); the core stays halted until reset
  kStopRequested,     // request_stop() from a bus callback
};

const char* stop_reason_name(StopReason r);

// Why the core halted: an unhandled trap. A trap is unhandled when mtvec's BASE is 0 (no
// handler installed — the reset value) or when a second exception is raised before any
// instruction retired after the previous one (the handler itself faults: a double fault).
struct HaltInfo {
  std::uint32_t mcause = 0;
  std::uint32_t mtval = 0;
  std::uint32_t pc = 0;
  std::uint32_t instruction = 0;  // bits at pc (0 if they could not be fetched)
  std::uint8_t instruction_length = 0;
  bool double_fault = false;
  std::string reason;  // one line, e.g. "illegal instruction with mtvec = 0 (no trap handler)"
};

struct CoreParams {
  std::uint32_t hart_id = 0;
  CycleModel cycles;
  // mtime advances once every `mtime_divider` processor clock cycles (1 = the core clock).
  std::uint32_t mtime_divider = 1;
};

class ProcessorCore : private VectorMemory {
 public:
  explicit ProcessorCore(CoreBus& bus, const CoreParams& params = {});
  ~ProcessorCore() override;
  ProcessorCore(const ProcessorCore&) = delete;
  ProcessorCore& operator=(const ProcessorCore&) = delete;

  // Architectural reset: registers zero, pc = reset_pc, CSRs at reset values. Counters and
  // the time base keep running (they belong to the platform, not the hart state).
  void reset(std::uint32_t reset_pc);

  // Maps host memory as RAM at [base, base + size): loads, stores and fetches there bypass
  // the bus (TLM DMI); latencies are extra cycles per access on top of the class cost.
  void map_ram(std::uint32_t base, std::uint8_t* host, std::uint32_t size,
               std::uint32_t read_latency_cycles = 0, std::uint32_t write_latency_cycles = 0);
  void unmap_ram();
  bool ram_mapped() const { return ram_ != nullptr; }
  std::uint32_t ram_base() const { return ram_base_; }
  std::uint32_t ram_size() const { return ram_size_; }

  // Drops predecoded instructions after memory changed behind the core's back (host or
  // debugger writes). Stores by the core itself keep the cache coherent on their own.
  void invalidate_code(std::uint32_t addr, std::uint32_t len);
  void invalidate_all_code();

  // A store overlapping [addr, addr + len) stops run() with kStoreWatch after it completes.
  void set_store_watch(std::uint32_t addr, std::uint32_t len);
  void clear_store_watch();

  // Runs until the total cycle count reaches cycle_limit or something in StopReason happens.
  StopReason run(std::uint64_t cycle_limit);
  // Bus callbacks may ask run() to return after the current instruction.
  void request_stop() { stop_requested_ = true; }

  // WFI support: the cycle at which an interrupt enabled in mie becomes pending through the
  // timer (UINT64_MAX if none will), and letting time pass while asleep.
  std::uint64_t next_wakeup_cycle() const;
  void sleep_until(std::uint64_t cycle);
  bool interrupt_pending() const { return (mip() & mie_) != 0; }  // wakes WFI

  // nullptr = none (the default; costs one test per block).
  void set_observer(InstructionObserver* observer) { observer_ = observer; }
  // The vector unit of a variant that has one (custom-0/1 instructions); nullptr: they raise
  // an illegal-instruction trap. Not owned.
  void set_vector_unit(VectorUnit* unit) { vector_ = unit; }
  VectorUnit* vector_unit() const { return vector_; }

  // Debugger support: EBREAK stops run() with kBreakpoint instead of trapping.
  void set_debug_breakpoints(bool on) { debug_breakpoints_ = on; }

  // Architectural state.
  std::uint32_t pc() const { return pc_; }
  void set_pc(std::uint32_t pc) { pc_ = pc & ~1u; }
  std::uint32_t reg(int i) const { return i == 0 ? 0 : x_[i & 31]; }
  void set_reg(int i, std::uint32_t v) {
    if (i != 0) x_[i & 31] = v;
  }
  // Host/debugger CSR access: same rules as the instructions (false = no such CSR / read-only).
  bool read_csr(std::uint32_t csr, std::uint32_t& value) const;
  bool write_csr(std::uint32_t csr, std::uint32_t value);
  bool halted() const { return halted_; }
  const HaltInfo& halt_info() const { return halt_info_; }

  // Platform time base and statistics.
  std::uint64_t cycles() const { return cycle_; }  // since construction, incl. sleep
  std::uint64_t sleep_cycles() const { return sleep_cycles_; }
  std::uint64_t busy_cycles() const { return cycle_ - sleep_cycles_; }
  std::uint64_t instructions() const { return instret_; }  // retired since construction
  void add_stall_cycles(std::uint64_t n) { cycle_ += n; }

  // CLINT-like timer, shared with the memory-mapped timer registers.
  std::uint64_t mtime() const { return cycle_ / mtime_divider_ + mtime_offset_; }
  void set_mtime(std::uint64_t v) { mtime_offset_ = v - cycle_ / mtime_divider_; }
  std::uint64_t mtimecmp() const { return mtimecmp_; }
  void set_mtimecmp(std::uint64_t v) { mtimecmp_ = v; }
  bool msip() const { return msip_; }
  void set_msip(bool v) { msip_ = v; }
  bool meip() const { return meip_; }
  void set_meip(bool v) { meip_ = v; }

  const CycleModel& cycle_model() const { return params_.cycles; }

  // Fetches and decodes the instruction at addr without side effects (for reports).
  bool peek_instruction(std::uint32_t addr, DecodedInsn& out);

  // "pc 0x80000010  ra 0x... sp ..." — registers and the trap CSRs, several lines.
  std::string format_state() const;

 private:
  struct ExecState;
  static constexpr unsigned kPageShift = 8;  // granularity of code/watch page flags
  static constexpr std::uint8_t kPageHasCode = 1, kPageWatched = 2;

  void execute_block(std::uint64_t limit);
  const DecodedInsn* decode_at(std::uint32_t pc, DecodedInsn& scratch);
  void finish_decode(DecodedInsn& d) const;
  void mark_pages(std::uint32_t off, std::uint32_t len, std::uint8_t flag);
  void on_flagged_ram_store(std::uint32_t off, std::uint32_t len);
  bool load_slow(std::uint32_t addr, unsigned len, std::uint32_t& value);
  bool store_slow(std::uint32_t addr, unsigned len, std::uint32_t value);
  void take_exception(TrapCause cause, std::uint32_t tval);
  void take_interrupt(std::uint32_t code);
  bool check_interrupts();  // takes the highest-priority enabled pending interrupt
  std::uint64_t interrupt_deadline() const;
  bool execute_csr(const DecodedInsn& d);  // false: it trapped
  // A custom-0/1 instruction; false: it trapped or went over the bus (leave the block).
  bool execute_vector(const DecodedInsn& d);
  bool vector_read(std::uint32_t addr, void* data, std::uint32_t len, bool& outside_sram,
                   std::uint64_t& extra_cycles) override;
  bool vector_write(std::uint32_t addr, const void* data, std::uint32_t len, bool& outside_sram,
                    std::uint64_t& extra_cycles) override;
  void set_mcycle(std::uint64_t value);
  // pending_increment: 1 when the writing instruction is about to retire (its own increment
  // is suppressed, so the next instruction reads `value`).
  void set_minstret(std::uint64_t value, unsigned pending_increment);
  bool csr_read_internal(std::uint32_t csr, std::uint32_t& value) const;
  bool csr_write_internal(std::uint32_t csr, std::uint32_t value);
  std::uint32_t mip() const;
  std::uint64_t mcycle() const {
    return (mcountinhibit_ & 1u) ? frozen_mcycle_ : busy_cycles() + mcycle_offset_;
  }
  std::uint64_t minstret() const {
    return (mcountinhibit_ & 4u) ? frozen_minstret_ : instret_ + minstret_offset_;
  }
  void halt(std::uint32_t mcause, std::uint32_t tval, bool double_fault, const std::string& reason);

  CoreBus& bus_;
  CoreParams params_;
  std::uint32_t mtime_divider_;

  // Architectural state. x_[32] is the sink for writes to x0.
  std::array<std::uint32_t, 33> x_{};
  std::uint32_t pc_ = 0;
  std::uint32_t mstatus_ = kMstatusMpp;  // MPP hard-wired to M
  std::uint32_t mie_ = 0;
  std::uint32_t mtvec_ = 0;
  std::uint32_t mscratch_ = 0, mepc_ = 0, mcause_ = 0, mtval_ = 0;
  std::uint64_t mcycle_offset_ = 0, minstret_offset_ = 0;
  std::uint32_t mcountinhibit_ = 0;
  std::uint64_t frozen_mcycle_ = 0, frozen_minstret_ = 0;
  std::uint64_t mtime_offset_ = 0;
  std::uint64_t mtimecmp_ = ~std::uint64_t{0};
  bool msip_ = false, meip_ = false;

  // Time base and statistics.
  std::uint64_t cycle_ = 0;
  std::uint64_t sleep_cycles_ = 0;
  std::uint64_t instret_ = 0;

  // DMI-mapped RAM and its decode cache (one slot per halfword, lazily zero pages).
  std::uint8_t* ram_ = nullptr;
  std::uint32_t ram_base_ = 0, ram_size_ = 0;
  std::uint32_t ram_lim1_ = 0, ram_lim2_ = 0, ram_lim4_ = 0;  // offset bounds per access size
  std::uint32_t ram_read_latency_ = 0, ram_write_latency_ = 0;
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  std::unique_ptr<DecodedInsn, FreeDeleter> cache_;
  std::unique_ptr<std::uint8_t, FreeDeleter> page_flags_;
  std::uint32_t cache_lo_ = ~0u, cache_hi_ = 0;  // slot range ever filled, for cheap flushes

  std::uint32_t watch_addr_ = 0, watch_len_ = 0;

  // Run control.
  bool halted_ = false;
  HaltInfo halt_info_;
  bool stop_requested_ = false;
  StopReason stop_ = StopReason::kNone;
  bool debug_breakpoints_ = false;
  InstructionObserver* observer_ = nullptr;
  VectorUnit* vector_ = nullptr;
  // Double-fault detection: instret when the last exception was taken.
  bool have_exception_ = false;
  std::uint64_t instret_at_exception_ = 0;
};

}  // namespace salvo::ppu
