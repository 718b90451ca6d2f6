// ProcessorPeripherals: the plasticity processor's local I/O block at 0x1000_0000 — console
// (character output to the emulator log), CLINT-like timer, hardware random number
// generator, cycle counter, host mailbox and identification registers. On the chip these are
// a handful of flip-flops next to the core; here each register is a named member and the
// block answers TLM-2.0 transactions with zero wait states (one bus cycle of latency).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "hw/common/rng.hpp"
#include "hw/ppu/mmio_register.hpp"
#include "hw/ppu/processor_core.hpp"

namespace salvo::ppu {

// Register offsets from kPeripheralBase (docs/memory-map.md, firmware/libppu/include/ppu/regs.h).
namespace periph {
constexpr std::uint32_t kConsoleTx = 0x000;      // W: one character
constexpr std::uint32_t kConsoleStatus = 0x004;  // R: bit 0 ready (always 1)
constexpr std::uint32_t kMtimeLo = 0x100;        // RW
constexpr std::uint32_t kMtimeHi = 0x104;        // RW
constexpr std::uint32_t kMtimecmpLo = 0x108;     // RW
constexpr std::uint32_t kMtimecmpHi = 0x10C;     // RW
constexpr std::uint32_t kMsip = 0x110;           // RW: bit 0 -> mip.MSIP
constexpr std::uint32_t kTimerFreqHz = 0x114;    // R: mtime ticks per second
constexpr std::uint32_t kRngValue = 0x200;       // R: 32 fresh random bits per read
constexpr std::uint32_t kCycleLo = 0x300;        // R: clock cycles since reset (busy + asleep)
constexpr std::uint32_t kCycleHi = 0x304;        // R
constexpr std::uint32_t kSleepCycleLo = 0x308;   // R: cycles spent asleep in WFI
constexpr std::uint32_t kSleepCycleHi = 0x30C;   // R
constexpr std::uint32_t kMboxStatus =
    0x400;  // R: bit 0 host message pending, bit 1 ppu message unread
constexpr std::uint32_t kMboxDoorbell = 0x404;  // W: ring the host (sets status bit 1)
constexpr std::uint32_t kMboxAck = 0x408;  // W: acknowledge the host message (clears bit 0 / MEIP)
constexpr std::uint32_t kMboxToPpu = 0x480;    // R: + 4*i, i < kMailboxWords (written by the host)
constexpr std::uint32_t kMboxFromPpu = 0x4C0;  // RW: + 4*i, i < kMailboxWords (read by the host)
constexpr std::uint32_t kPpuId = 0x500;        // R: processor index (= mhartid)
constexpr std::uint32_t kMemorySize = 0x504;   // R: local SRAM bytes
constexpr std::uint32_t kClockHz = 0x508;      // R: processor clock
constexpr std::uint32_t kBlockSize = 0x1000;
constexpr unsigned kMailboxWords = 16;
}  // namespace periph

class ProcessorPeripherals : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ProcessorPeripherals> socket;

  struct Params {
    std::string processor_name = "ppu0";
    std::uint32_t ppu_id = 0;
    std::uint32_t memory_bytes = 16 * 1024;
    std::uint32_t clock_hz = 250'000'000;
    std::uint64_t seed = 0;
  };

  ProcessorPeripherals(const sc_core::sc_module_name& name, ProcessorCore& core,
                       const Params& params);

  // Console: complete lines go to spdlog ("[info] ppu0: hello"); everything is kept here too.
  const std::string& console_output() const { return console_all_; }
  void flush_console();
  void console_write(char c);  // also used by the HTIF syscall proxy

  // Mailbox, host side. post() fills a word the firmware reads; ring() raises the external
  // interrupt (mip.MEIP) until the firmware acknowledges.
  void host_post(unsigned index, std::uint32_t value);
  std::uint32_t host_read(unsigned index) const;  // a word the firmware wrote
  void host_ring();
  bool host_message_pending() const { return mbox_status.value & 1u; }
  bool ppu_message_pending() const { return mbox_status.value & 2u; }
  void host_take_ppu_message() { mbox_status.value &= ~2u; }
  // Notified when the firmware rings the host.
  const sc_core::sc_event& doorbell_event() const { return doorbell_event_; }
  // Notified whenever an interrupt source changes (a sleeping processor re-checks WFI).
  const sc_core::sc_event& wake_event() const { return wake_event_; }

  // Registers (offsets in namespace periph).
  MmioRegister console_tx{"CONSOLE_TX", periph::kConsoleTx, MmioRegister::Access::kWriteOnly};
  MmioRegister console_status{"CONSOLE_STATUS", periph::kConsoleStatus,
                              MmioRegister::Access::kReadOnly, 1};
  MmioRegister mtime_lo{"MTIME_LO", periph::kMtimeLo, MmioRegister::Access::kReadWrite};
  MmioRegister mtime_hi{"MTIME_HI", periph::kMtimeHi, MmioRegister::Access::kReadWrite};
  MmioRegister mtimecmp_lo{"MTIMECMP_LO", periph::kMtimecmpLo, MmioRegister::Access::kReadWrite,
                           ~0u};
  MmioRegister mtimecmp_hi{"MTIMECMP_HI", periph::kMtimecmpHi, MmioRegister::Access::kReadWrite,
                           ~0u};
  MmioRegister msip{"MSIP", periph::kMsip, MmioRegister::Access::kReadWrite};
  MmioRegister timer_freq_hz{"TIMER_FREQ_HZ", periph::kTimerFreqHz,
                             MmioRegister::Access::kReadOnly};
  MmioRegister rng_value{"RNG_VALUE", periph::kRngValue, MmioRegister::Access::kReadOnly};
  MmioRegister cycle_lo{"CYCLE_LO", periph::kCycleLo, MmioRegister::Access::kReadOnly};
  MmioRegister cycle_hi{"CYCLE_HI", periph::kCycleHi, MmioRegister::Access::kReadOnly};
  MmioRegister sleep_cycle_lo{"SLEEP_CYCLE_LO", periph::kSleepCycleLo,
                              MmioRegister::Access::kReadOnly};
  MmioRegister sleep_cycle_hi{"SLEEP_CYCLE_HI", periph::kSleepCycleHi,
                              MmioRegister::Access::kReadOnly};
  MmioRegister mbox_status{"MBOX_STATUS", periph::kMboxStatus, MmioRegister::Access::kReadOnly};
  MmioRegister mbox_doorbell{"MBOX_DOORBELL", periph::kMboxDoorbell,
                             MmioRegister::Access::kWriteOnly};
  MmioRegister mbox_ack{"MBOX_ACK", periph::kMboxAck, MmioRegister::Access::kWriteOnly};
  std::vector<MmioRegister> mbox_to_ppu;
  std::vector<MmioRegister> mbox_from_ppu;
  MmioRegister ppu_id{"PPU_ID", periph::kPpuId, MmioRegister::Access::kReadOnly};
  MmioRegister memory_size{"MEMORY_SIZE", periph::kMemorySize, MmioRegister::Access::kReadOnly};
  MmioRegister clock_hz{"CLOCK_HZ", periph::kClockHz, MmioRegister::Access::kReadOnly};

  // The next number of the hardware generator (RNG_VALUE reads and the vector unit's vsrnd
  // share this one stream).
  std::uint32_t draw_random();

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);

  ProcessorCore& core_;
  Params params_;
  sc_core::sc_time cycle_time_;
  RegisterBank bank_;
  Engine rng_;
  std::string console_line_;
  std::string console_all_;
  sc_core::sc_time access_delay_;  // annotated time of the access being served
  sc_core::sc_event doorbell_event_;
  sc_core::sc_event wake_event_;
};

}  // namespace salvo::ppu
