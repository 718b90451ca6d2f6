// The PlasticityProcessor SystemC module: chip-window forwarding with relative addresses at
// the processor's own time, stalls annotated by the chip, faults when unbound, DMI on/off
// equivalence, WFI sleep and the busy fraction, the mailbox waking a sleeping processor,
// reproducible random numbers, the quantum bounding how far the processor runs ahead,
// the watchdog, and the host API. Each TEST elaborates its own SystemC kernel (one process
// per test under ctest).
#include <gtest/gtest.h>
#include "salvo_paths.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "hw/common/error.hpp"
#include "hw/ppu/plasticity_processor.hpp"

namespace salvo::ppu {
namespace {

std::string fw(const std::string& name) { return std::string(SALVO_FIRMWARE_DIR) + "/" + name; }

PlasticityProcessorParams params(const std::string& name = "ppu0") {
  PlasticityProcessorParams p;
  p.name = name;
  return p;
}

// A stand-in for the chip's register target: plain memory over the chip-window offsets that
// logs every access with the kernel time it arrived at, and stalls reads of one address.
class FakeChip : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<FakeChip> socket{"socket"};
  struct Access {
    std::uint64_t address;
    bool write;
    unsigned length;
    sc_core::sc_time at;
    sc_core::sc_time processor_time;
  };
  std::vector<Access> log;
  std::vector<std::uint8_t> mem = std::vector<std::uint8_t>(0x60000, 0);
  std::uint64_t stall_address = ~0ull;
  sc_core::sc_time stall = sc_core::sc_time(1, sc_core::SC_US);
  PlasticityProcessor* processor = nullptr;

  explicit FakeChip(const sc_core::sc_module_name& n) : sc_core::sc_module(n) {
    socket.register_b_transport(this, &FakeChip::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    const std::uint64_t a = gp.get_address();
    const unsigned len = gp.get_data_length();
    const sc_core::sc_time ptime =
        processor ? processor->cycle_time() * static_cast<double>(processor->core().cycles())
                  : sc_core::SC_ZERO_TIME;
    log.push_back({a, gp.is_write(), len, sc_core::sc_time_stamp() + delay, ptime});
    if (a + len > mem.size()) {
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (gp.is_read())
      std::memcpy(gp.get_data_ptr(), mem.data() + a, len);
    else
      std::memcpy(mem.data() + a, gp.get_data_ptr(), len);
    if (a == stall_address && gp.is_read()) delay += stall;
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

TEST(PpuProcessor, ChipWindowIsRelativeCausalAndStallable) {
  PlasticityProcessor ppu("ppu0", params());
  FakeChip chip("chip");
  chip.processor = &ppu;
  ppu.chip_socket.bind(chip.socket);
  for (int c = 0; c < 256; ++c) chip.mem[c] = static_cast<std::uint8_t>(c & 63);  // row 0 weights
  chip.stall_address = 0x100;  // the first word of row 1 read back
  ppu.load_elf(fw("weight_copy.elf"));
  sc_core::sc_start();
  ASSERT_TRUE(ppu.ended());
  EXPECT_EQ(ppu.end_reason(), ProgramEnd::kExited) << ppu.end_message() << ppu.trap_report();
  EXPECT_EQ(ppu.exit_code(), 0);
  // Relative addresses: row 0 at 0x0, row 1 at 0x100, labels at 0x10000.
  ASSERT_FALSE(chip.log.empty());
  EXPECT_EQ(chip.log.front().address, 0u);
  EXPECT_FALSE(chip.log.front().write);
  EXPECT_EQ(chip.log.front().length, 4u);  // word accesses: 4 columns at a time
  for (int c = 0; c < 256; ++c) EXPECT_EQ(chip.mem[0x100 + c], c & 63) << c;
  // Causality: every access arrives at the processor's own time, in order.
  for (std::size_t i = 0; i < chip.log.size(); ++i) {
    EXPECT_EQ(chip.log[i].at, chip.log[i].processor_time) << i;
    if (i) {
      EXPECT_GE(chip.log[i].at, chip.log[i - 1].at);
    }
  }
  // The stalled read cost the processor 1 us = 250 cycles at 250 MHz.
  const ProcessorStats s = ppu.stats();
  EXPECT_EQ(s.chip_stall_cycles, 250u);
  EXPECT_EQ(s.chip_accesses, chip.log.size());
  EXPECT_EQ(ppu.mailbox_read(0), 1u);
  EXPECT_NE(ppu.console_output().find("copied row 0 to row 1"), std::string::npos);
}

TEST(PpuProcessor, UnboundChipWindowIsAnAccessFault) {
  PlasticityProcessor ppu("ppu0", params());
  ppu.load_elf(fw("weight_copy.elf"));
  sc_core::sc_start();
  ASSERT_EQ(ppu.end_reason(), ProgramEnd::kTrapped);
  EXPECT_EQ(ppu.core().halt_info().mcause, 5u);
  EXPECT_EQ(ppu.core().halt_info().mtval, 0x4000'0000u);
  EXPECT_NE(ppu.trap_report().find("load access fault"), std::string::npos);
}

TEST(PpuProcessor, DmiOnAndOffGiveIdenticalResults) {
  PlasticityProcessorParams a = params("fast"), b = params("slow");
  b.use_dmi = false;
  PlasticityProcessor with_dmi("fast", a), without_dmi("slow", b);
  with_dmi.load_elf(fw("compute_bench_short.elf"));
  without_dmi.load_elf(fw("compute_bench_short.elf"));
  sc_core::sc_start();
  ASSERT_EQ(with_dmi.end_reason(), ProgramEnd::kExited);
  ASSERT_EQ(without_dmi.end_reason(), ProgramEnd::kExited);
  EXPECT_EQ(with_dmi.exit_code(), 0);
  EXPECT_EQ(without_dmi.exit_code(), 0);
  EXPECT_EQ(with_dmi.stats().instructions, without_dmi.stats().instructions);
  EXPECT_EQ(with_dmi.stats().cycles, without_dmi.stats().cycles);
  EXPECT_EQ(with_dmi.console_output(), without_dmi.console_output());
  for (int r = 0; r < 32; ++r) EXPECT_EQ(with_dmi.core().reg(r), without_dmi.core().reg(r));
  EXPECT_TRUE(with_dmi.core().ram_mapped());
  EXPECT_FALSE(without_dmi.core().ram_mapped());
}

TEST(PpuProcessor, WfiSleepsAndTimeFollowsTheCycles) {
  PlasticityProcessor ppu("ppu0", params());
  ppu.load_elf(fw("timer_ticks.elf"));
  sc_core::sc_start();
  ASSERT_EQ(ppu.end_reason(), ProgramEnd::kExited) << ppu.end_message();
  EXPECT_EQ(ppu.exit_code(), 0) << ppu.console_output();
  const ProcessorStats s = ppu.stats();
  EXPECT_GT(s.sleep_cycles, 0u);
  EXPECT_EQ(s.busy_cycles + s.sleep_cycles, s.cycles);
  EXPECT_GT(s.busy_fraction(), 0.0);
  EXPECT_LT(s.busy_fraction(), 0.9);
  // The program ends at its own time: 5 ticks of 10 us, then the summary printf.
  EXPECT_EQ(sc_core::sc_time_stamp(), ppu.cycle_time() * static_cast<double>(s.cycles));
  EXPECT_GE(sc_core::sc_time_stamp(), sc_core::sc_time(50, sc_core::SC_US));
  EXPECT_LT(sc_core::sc_time_stamp(), sc_core::sc_time(90, sc_core::SC_US));
}

// The host side of a mailbox exchange, in its own SystemC thread.
class Host : public sc_core::sc_module {
 public:
  PlasticityProcessor& ppu;
  sc_core::sc_time answered_at;
  Host(const sc_core::sc_module_name& n, PlasticityProcessor& p) : sc_core::sc_module(n), ppu(p) {
    SC_HAS_PROCESS(Host);
    SC_THREAD(run);
  }
  void run() {
    wait(5, sc_core::SC_US);
    EXPECT_TRUE(ppu.asleep());
    ppu.mailbox_post(0, 41);
    ppu.mailbox_ring();
    wait(ppu.mailbox_doorbell_event());
    answered_at = sc_core::sc_time_stamp();
  }
};

TEST(PpuProcessor, MailboxRingWakesTheSleepingProcessor) {
  PlasticityProcessor ppu("ppu0", params());
  Host host("host", ppu);
  ppu.load_elf(fw("tests/mailbox_echo.elf"));
  sc_core::sc_start();
  ASSERT_EQ(ppu.end_reason(), ProgramEnd::kExited) << ppu.end_message();
  EXPECT_EQ(ppu.exit_code(), 0);
  EXPECT_EQ(ppu.mailbox_read(0), 42u);
  EXPECT_GT(host.answered_at, sc_core::sc_time(5, sc_core::SC_US));
  EXPECT_LT(host.answered_at, sc_core::sc_time(6, sc_core::SC_US));
  EXPECT_GT(ppu.stats().sleep_cycles, 1000u);  // asleep most of the 5 us
}

TEST(PpuProcessor, RandomNumbersAreReproducibleFromTheSeed) {
  PlasticityProcessorParams p1 = params("a"), p2 = params("b"), p3 = params("c");
  p1.seed = p2.seed = 1234;
  p3.seed = 1235;
  PlasticityProcessor a("a", p1), b("b", p2), c("c", p3);
  for (auto* p : {&a, &b, &c}) p->load_elf(fw("tests/random.elf"));
  sc_core::sc_start();
  for (auto* p : {&a, &b, &c}) ASSERT_EQ(p->exit_code(), 0);
  EXPECT_EQ(a.console_output(), b.console_output());
  EXPECT_NE(a.console_output(), c.console_output());
  EXPECT_EQ(std::count(a.console_output().begin(), a.console_output().end(), '\n'), 5);
}

// Samples how far the processor's local time runs ahead of the kernel.
class Sampler : public sc_core::sc_module {
 public:
  PlasticityProcessor& ppu;
  sc_core::sc_time max_ahead;
  int samples = 0;
  Sampler(const sc_core::sc_module_name& n, PlasticityProcessor& p)
      : sc_core::sc_module(n), ppu(p) {
    SC_HAS_PROCESS(Sampler);
    SC_THREAD(run);
  }
  void run() {
    while (!ppu.ended()) {
      wait(250, sc_core::SC_NS);
      const sc_core::sc_time local = ppu.cycle_time() * static_cast<double>(ppu.core().cycles());
      if (local > sc_core::sc_time_stamp())
        max_ahead = std::max(max_ahead, local - sc_core::sc_time_stamp());
      ++samples;
    }
  }
};

TEST(PpuProcessor, QuantumBoundsHowFarTheProcessorRunsAhead) {
  PlasticityProcessorParams p = params();
  p.quantum_us = 1.0;
  PlasticityProcessor ppu("ppu0", p);
  Sampler sampler("sampler", ppu);
  ppu.load_elf(fw("compute_bench_short.elf"));
  sc_core::sc_start();
  ASSERT_EQ(ppu.exit_code(), 0);
  EXPECT_GT(sampler.samples, 100);
  // At most one quantum plus the longest instruction (a 34-cycle division).
  EXPECT_LE(sampler.max_ahead, sc_core::sc_time(1, sc_core::SC_US) + ppu.cycle_time() * 40.0);
  EXPECT_GT(sampler.max_ahead, sc_core::SC_ZERO_TIME);
}

TEST(PpuProcessor, WatchdogEndsARunawayProgram) {
  PlasticityProcessorParams p = params();
  p.watchdog_instructions = 10'000;
  PlasticityProcessor ppu("ppu0", p);
  ppu.load_elf(fw("compute_bench_short.elf"));
  sc_core::sc_start();
  EXPECT_EQ(ppu.end_reason(), ProgramEnd::kWatchdog);
  EXPECT_EQ(ppu.stats().instructions, 10'000u);
  EXPECT_NE(ppu.end_message().find("watchdog"), std::string::npos);
}

// Reliability class 2: a budget near 2^64 wrapped the deadline (now + budget) into the past
// and the processor spun without ever running an instruction.
TEST(PpuProcessor, WatchdogDeadlineSaturates) {
  PlasticityProcessorParams p = params();
  p.watchdog_instructions = ~std::uint64_t{0};
  PlasticityProcessor ppu("ppu0", p);
  ppu.load_elf(fw("hello.elf"));
  sc_core::sc_start();
  EXPECT_EQ(ppu.end_reason(), ProgramEnd::kExited);
  EXPECT_EQ(ppu.exit_code(), 0);
}

// Reliability class 3: exit codes beyond int saturate instead of wrapping (2^32 read as 0).
TEST(PpuProcessor, ExitCodeOfMainReachesTheHostUnwrapped) {
  PlasticityProcessor ppu("ppu0", params());
  ppu.load_elf(fw("tests/exit_256.elf"));
  sc_core::sc_start();
  EXPECT_EQ(ppu.end_reason(), ProgramEnd::kExited);
  EXPECT_EQ(ppu.exit_code(), 256);
}

TEST(PpuProcessor, HostApiReadsWritesMemoryAndSymbols) {
  PlasticityProcessorParams p = params();
  p.index = 1;
  PlasticityProcessor ppu("ppu1", p);
  const ElfImage& img = ppu.load_elf(fw("hello.elf"));
  EXPECT_EQ(img.entry(), 0x8000'0000u);
  ASSERT_TRUE(ppu.symbol("main"));
  ASSERT_TRUE(ppu.symbol("tohost"));
  EXPECT_FALSE(ppu.symbol("no_such_symbol"));
  // The program's first instruction is in SRAM now.
  std::uint32_t first = 0;
  ASSERT_TRUE(ppu.read_memory(0x8000'0000, &first, 4));
  EXPECT_EQ(first, img.segments().front().data[0] | (img.segments().front().data[1] << 8) |
                       (img.segments().front().data[2] << 16) |
                       (img.segments().front().data[3] << 24));
  // A parameter block written by the host.
  ppu.write_word(0x8000'3000, 0xCAFEF00D);
  EXPECT_EQ(ppu.read_word(0x8000'3000), 0xCAFEF00Du);
  EXPECT_EQ(ppu.read_word(kPeripheralBase + periph::kPpuId), 1u);
  EXPECT_EQ(ppu.read_word(kPeripheralBase + periph::kMemorySize), 16u * 1024);
  std::uint32_t v = 0;
  EXPECT_FALSE(ppu.read_memory(0x2000'0000, &v, 4));      // unmapped
  EXPECT_FALSE(ppu.read_memory(kChipWindowBase, &v, 4));  // chip window unbound
  EXPECT_THROW(ppu.read_word(0x2000'0000), UserError);
  sc_core::sc_start();
  EXPECT_EQ(ppu.exit_code(), 0);
  EXPECT_NE(ppu.console_output().find("hello from the plasticity processor 1"), std::string::npos);
}

TEST(PpuProcessor, ProgramsThatDoNotFitAreRejected) {
  PlasticityProcessorParams p = params();
  p.memory_kib = 2;
  PlasticityProcessor ppu("ppu0", p);
  EXPECT_THROW(ppu.load_elf(fw("hello.elf")), UserError);
  EXPECT_THROW(ppu.load_elf(fw("does_not_exist.elf")), UserError);
}

TEST(PpuProcessor, ParametersAreValidated) {
  PlasticityProcessorParams p = params();
  p.clock_mhz = 0;
  EXPECT_THROW(PlasticityProcessor("a", p), UserError);
  p = params();
  p.sram_base = 0x4000'0000;  // on the chip window
  EXPECT_THROW(PlasticityProcessor("b", p), UserError);
  p = params();
  p.memory_kib = 0;
  EXPECT_THROW(PlasticityProcessor("c", p), UserError);
}

TEST(PpuProcessor, ParamsFromTheChipConfig) {
  ProcessorConfig c;
  c.clock_mhz = 125;
  c.memory_kib = 64;
  c.quantum_us = 0.5;
  c.watchdog_instructions = 77;
  const auto p = PlasticityProcessorParams::from_config(c, 99, 1);
  EXPECT_EQ(p.name, "ppu1");
  EXPECT_EQ(p.clock_mhz, 125);
  EXPECT_EQ(p.memory_kib, 64);
  EXPECT_EQ(p.quantum_us, 0.5);
  EXPECT_EQ(p.watchdog_instructions, 77u);
  EXPECT_EQ(p.seed, 99u);
  EXPECT_EQ(p.index, 1u);
}

}  // namespace
}  // namespace salvo::ppu
