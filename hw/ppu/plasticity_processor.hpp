// PlasticityProcessor: one plasticity processor of the chip (one per chip half) — an RV32IMC
// core with its local SRAM, local peripherals and a window onto the chip's registers. The
// core is the plain C++ ProcessorCore; this thin SystemC module owns one SC_THREAD that runs
// it a whole quantum at a time (TLM-2.0 loosely timed, tlm_quantumkeeper), serves the SRAM
// through DMI and syncs with the kernel before every chip-window access so chip timestamps
// stay causal. It abstracts away the pipeline (a cycle cost per instruction class) and
// bus arbitration (a fixed latency per target plus whatever the chip annotates).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>
#include <systemc>
#include <tlm>

#include "hw/chip/memory_map.hpp"
#include "hw/common/chip_config.hpp"
#include "hw/ppu/elf_image.hpp"
#include "hw/ppu/firmware_profiler.hpp"
#include "hw/ppu/processor_bus.hpp"
#include "hw/ppu/processor_core.hpp"
#include "hw/ppu/processor_peripherals.hpp"
#include "hw/ppu/processor_sram.hpp"
#include "hw/ppu/vector_unit.hpp"

namespace salvo::ppu {

// Address map of the processor (docs/memory-map.md).
// (One source: hw/chip/memory_map.hpp; tests/test_memory_map.cpp ties firmware's headers to it.)
using memory_map::kChipWindowBase;
using memory_map::kChipWindowSize;
using memory_map::kPeripheralBase;
using memory_map::kSramBase;

struct PlasticityProcessorParams {
  std::string name = "ppu0";  // prefix of console lines and reports
  double clock_mhz = 250.0;
  int memory_kib = 16;      // local SRAM
  double quantum_us = 1.0;  // how far the processor may run ahead of the kernel
  std::uint64_t watchdog_instructions = 2'000'000'000ULL;  // 0 = no watchdog
  std::uint64_t seed = 0;   // chip seed (random number generator stream)
  std::uint32_t index = 0;  // processor index on the chip: mhartid, RNG stream index
  std::uint32_t sram_base = kSramBase;
  std::uint32_t sram_latency_cycles = 0;  // extra cycles per data access (0 = zero wait states)
  bool use_dmi = true;                    // false: every access is a b_transport (for tests)
  CycleModel cycles;
  bool vector_enabled = false;  // a vector unit with `vector` (custom-0/1 instructions)
  VectorParams vector;

  // The processor of chip half `index` as a chip variant describes it.
  static PlasticityProcessorParams from_config(const ProcessorConfig& config, std::uint64_t seed,
                                               std::uint32_t index);
};

// How a program ended.
enum class ProgramEnd {
  kRunning,   // not ended (or never started)
  kExited,    // wrote tohost (or the HTIF exit syscall); exit_code() holds the code
  kTrapped,   // unhandled trap (mtvec = 0 or a double fault); trap_report() has the details
  kWatchdog,  // exceeded watchdog_instructions
  kKilled,    // the debugger killed it
};
const char* program_end_name(ProgramEnd e);

struct ProcessorStats {
  std::uint64_t instructions = 0;
  std::uint64_t cycles = 0;  // since the program started: busy + asleep
  std::uint64_t busy_cycles = 0;
  std::uint64_t sleep_cycles = 0;  // in WFI
  std::uint64_t chip_accesses = 0;
  std::uint64_t chip_stall_cycles = 0;  // latency the chip annotated on its accesses
  // Vector unit (zero without one).
  std::uint64_t vector_instructions = 0;
  std::uint64_t vector_lane_ops = 0;
  std::uint64_t vector_chip_accesses = 0;
  double busy_fraction() const {
    return cycles ? static_cast<double>(busy_cycles) / static_cast<double>(cycles) : 0.0;
  }
};

// A debugger (the GDB server) steering the processor from inside its thread.
class ProcessorDebugger {
 public:
  enum class Stop { kReset, kBreakpoint, kStep, kInterrupt, kTrap };
  enum class Resume { kContinue, kStep, kDetach, kKill };
  virtual ~ProcessorDebugger() = default;
  // The processor stopped; blocks until the user resumes.
  virtual Resume on_stop(Stop why) = 0;
  // Polled between run slices while the processor runs: true = the user asked to stop.
  virtual bool poll_interrupt() = 0;
  // The program ended (exit code or trap) while the debugger was attached.
  virtual void on_exit(ProgramEnd how, int exit_code) = 0;
};

// Sees what the processor does over time (tracing): each instruction with its start time and
// the cycles it stalled on the chip window, and each sleep in WFI.
class ProcessorTraceSink {
 public:
  virtual ~ProcessorTraceSink() = default;
  // The instruction at pc started at `start` and took `cycles` cycles of `cycle` each; the
  // last `stall_cycles` of them it waited for the chip (on the CADC when `cadc`).
  virtual void on_instruction(const sc_core::sc_time& start, const sc_core::sc_time& cycle,
                              std::uint32_t pc, std::uint64_t cycles, std::uint64_t stall_cycles,
                              bool cadc) = 0;
  virtual void on_sleep(const sc_core::sc_time& from, const sc_core::sc_time& to) = 0;
};

class PlasticityProcessor : public sc_core::sc_module,
                            private CoreBus,
                            private InstructionObserver {
 public:
  PlasticityProcessor(const sc_core::sc_module_name& name, const PlasticityProcessorParams& params);
  ~PlasticityProcessor() override;

  // The chip window (0x4000_0000-0x7FFF_FFFF), forwarded with addresses relative to its start.
  // Optional: unbound, accesses there fault.
  tlm_utils::simple_initiator_socket_tagged_optional<ProcessorBus>& chip_socket;

  // ---- host side -------------------------------------------------------------------------
  // Loads the program's segments into memory (UserError if one does not fit the SRAM), sets
  // the entry point and the HTIF tohost/fromhost words if the program defines them. The
  // program starts at the next start() — or at simulation start if loaded before it.
  const ElfImage& load_elf(const std::string& path);
  void load_image(const ElfImage& image);
  const ElfImage* image() const { return image_.get(); }
  std::optional<std::uint32_t> symbol(const std::string& name) const;

  // Memory as the processor sees it (SRAM, peripherals, chip window), without side effects on
  // timing. false if some byte is not mapped.
  bool write_memory(std::uint32_t addr, const void* data, std::size_t len);
  bool read_memory(std::uint32_t addr, void* data, std::size_t len);
  void write_word(std::uint32_t addr, std::uint32_t value);
  std::uint32_t read_word(std::uint32_t addr);

  // Starts (or restarts) the program at `entry` (default: the ELF entry).
  void start(std::optional<std::uint32_t> entry = std::nullopt);
  bool ended() const { return end_ != ProgramEnd::kRunning; }
  ProgramEnd end_reason() const { return end_; }
  int exit_code() const { return exit_code_; }
  const std::string& end_message() const { return end_message_; }
  // For a trapped program: cause, pc, instruction and registers, several lines.
  std::string trap_report() const;
  const sc_core::sc_event& ended_event() const { return ended_event_; }
  bool asleep() const { return asleep_; }  // waiting in WFI
  ProcessorStats stats() const;
  const std::string& console_output() const { return peripherals_.console_output(); }

  // Mailbox (host side).
  void mailbox_post(unsigned index, std::uint32_t value) { peripherals_.host_post(index, value); }
  void mailbox_ring() { peripherals_.host_ring(); }
  std::uint32_t mailbox_read(unsigned index) const { return peripherals_.host_read(index); }
  const sc_core::sc_event& mailbox_doorbell_event() const { return peripherals_.doorbell_event(); }

  void attach_debugger(ProcessorDebugger* debugger);
  // Profiling (nullptr = off): every instruction and chip-window stall goes to `profiler`.
  void attach_profiler(FirmwareProfiler* profiler);
  // Tracing (nullptr = off): every instruction and sleep goes to `sink`.
  void attach_trace(ProcessorTraceSink* sink);

  ProcessorCore& core() { return core_; }
  VectorUnit* vector_unit() { return vector_.get(); }
  ProcessorPeripherals& peripherals() { return peripherals_; }
  const PlasticityProcessorParams& params() const { return params_; }
  sc_core::sc_time cycle_time() const { return cycle_time_; }

 private:
  class QuantumKeeper : public tlm_utils::tlm_quantumkeeper {
   public:
    explicit QuantumKeeper(sc_core::sc_time quantum) : quantum_(quantum) {}
    sc_core::sc_time compute_local_quantum() override;
    sc_core::sc_time next_sync_point() const { return m_next_sync_point; }

   private:
    sc_core::sc_time quantum_;
  };

  void run_thread();
  void run_program();
  void sleep_in_wfi();
  bool handle_htif();  // true: the program ended
  void htif_syscall(std::uint32_t magic_mem);
  void end_program(ProgramEnd how, int code, const std::string& message);
  void refresh_dmi();
  void invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end);
  void sync_now();
  sc_core::sc_time time_of_cycle(std::uint64_t cycle) const;
  std::uint64_t cycle_at(const sc_core::sc_time& t) const;  // last cycle boundary at or before t
  sc_core::sc_time local_offset() const;
  std::uint64_t stall_cycles(const sc_core::sc_time& t) const;
  bool bus_access(tlm::tlm_command cmd, std::uint32_t addr, void* data, unsigned len, Access kind,
                  std::uint64_t& stall_cycles);

  // InstructionObserver (attached to the core while profiling or tracing)
  void on_instruction(std::uint32_t pc, std::uint64_t cycles, std::uint64_t retired) override;
  void update_observer();

  // CoreBus
  bool read(std::uint32_t addr, void* data, unsigned len, Access kind,
            std::uint64_t& stall_cycles) override;
  bool write(std::uint32_t addr, const void* data, unsigned len,
             std::uint64_t& stall_cycles) override;

  PlasticityProcessorParams params_;
  sc_core::sc_time cycle_time_;
  double clock_hz_;
  ProcessorCore core_;
  std::unique_ptr<VectorUnit> vector_;
  VectorUnit::Counters vector_start_;
  ProcessorSram sram_;
  ProcessorPeripherals peripherals_;
  ProcessorBus bus_;
  tlm_utils::simple_initiator_socket<PlasticityProcessor> core_socket_;
  QuantumKeeper qk_;
  tlm::tlm_generic_payload gp_;

  std::unique_ptr<ElfImage> image_;
  std::uint32_t entry_ = 0;
  bool have_entry_ = false;
  bool start_requested_ = false;
  sc_core::sc_event start_event_;
  std::optional<std::uint32_t> tohost_, fromhost_;

  // Time base: cycle `cycle_base_` of the core happened at `time_base_`.
  sc_core::sc_time time_base_;
  std::uint64_t cycle_base_ = 0;
  std::uint64_t start_instructions_ = 0, start_cycles_ = 0, start_sleep_cycles_ = 0;

  bool dmi_dirty_ = true;
  bool asleep_ = false;
  ProgramEnd end_ = ProgramEnd::kRunning;
  bool finished_ = false;  // the thread's own view; start() may reset end_ while it winds down
  int exit_code_ = 0;
  std::string end_message_;
  sc_core::sc_event ended_event_;
  std::uint64_t chip_accesses_ = 0, chip_stall_cycles_ = 0;
  ProcessorDebugger* debugger_ = nullptr;
  FirmwareProfiler* profiler_ = nullptr;
  ProcessorTraceSink* trace_ = nullptr;
  std::uint64_t trace_stall_ = 0;  // of the instruction in progress
  bool trace_cadc_ = false;
};

}  // namespace salvo::ppu
