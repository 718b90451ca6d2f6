// Plasticity processor throughput: the instruction-set simulator alone, and the SystemC module
// with a long quantum (as `salvo ppu-run` uses it), the chip's default 1 us quantum, and the
// 1 us quantum next to a process waking every 0.1 us (the analog core's integration step)
// while the processor computes. All run the compute-bound firmware compute_bench_short.elf;
// items/s = retired instructions per second of CPU time.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <spdlog/spdlog.h>
#include <systemc>

#include "hw/ppu/elf_image.hpp"
#include "hw/ppu/plasticity_processor.hpp"
#include "hw/ppu/processor_core.hpp"

namespace {

using namespace salvo::ppu;

std::string program_path() {
  // SALVO_PPU_BENCH_ELF picks another program; by default the benchmark binary in <build>/bin
  // finds the firmware in <build>/firmware.
  if (const char* env = std::getenv("SALVO_PPU_BENCH_ELF")) return env;
  char exe[4096] = {0};
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  std::string dir = n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : std::string();
  dir = dir.substr(0, dir.find_last_of('/'));
  return dir + "/../firmware/compute_bench_short.elf";
}

// RAM through DMI, every device access answered with zeros, tohost watched.
class NullBus : public CoreBus {
 public:
  bool read(std::uint32_t addr, void* data, unsigned len, Access kind, std::uint64_t&) override {
    if (kind == Access::kFetch || addr < 0x1000'0000 || addr >= 0x1000'1000) return false;
    std::memset(data, 0, len);
    return true;
  }
  bool write(std::uint32_t addr, const void*, unsigned, std::uint64_t&) override {
    return addr >= 0x1000'0000 && addr < 0x1000'1000;
  }
};

void BM_InstructionSetSimulator(benchmark::State& state) {
  const ElfImage img = ElfImage::load(program_path());
  std::vector<std::uint8_t> ram(16 * 1024);
  NullBus bus;
  ProcessorCore core(bus);
  core.map_ram(kSramBase, ram.data(), static_cast<std::uint32_t>(ram.size()));
  core.set_store_watch(*img.symbol("tohost"), 8);
  std::uint64_t instructions = 0;
  for (auto _ : state) {
    std::fill(ram.begin(), ram.end(), 0);
    for (const auto& s : img.segments())
      std::memcpy(ram.data() + (s.address - kSramBase), s.data.data(), s.data.size());
    core.invalidate_all_code();
    core.reset(img.entry());
    const std::uint64_t before = core.instructions();
    StopReason r;
    do {
      r = core.run(~std::uint64_t{0});
    } while (r == StopReason::kWaitForInterrupt);
    if (r != StopReason::kStoreWatch) state.SkipWithError("program did not finish");
    instructions += core.instructions() - before;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(instructions));
}
BENCHMARK(BM_InstructionSetSimulator)->Unit(benchmark::kMillisecond);

// Wakes every 100 ns while the processor runs, like the analog core's integration loop.
class Ticker : public sc_core::sc_module {
 public:
  bool active = false;
  explicit Ticker(const sc_core::sc_module_name& n) : sc_core::sc_module(n) {
    SC_HAS_PROCESS(Ticker);
    SC_THREAD(run);
  }
  sc_core::sc_event go;
  void run() {
    for (;;) {
      wait(go);
      while (active) wait(100, sc_core::SC_NS);
    }
  }
};

// The modules are elaborated once (SystemC allows one elaboration per process) and restarted
// for every iteration.
struct Bench {
  std::unique_ptr<PlasticityProcessor> long_quantum, short_quantum, busy_kernel;
  std::unique_ptr<Ticker> ticker;
  Bench() {
    spdlog::set_level(spdlog::level::warn);  // keep the firmware's console lines out of the table
    PlasticityProcessorParams p;
    p.quantum_us = 10'000.0;
    long_quantum = std::make_unique<PlasticityProcessor>("long_quantum", p);
    p.quantum_us = 1.0;
    short_quantum = std::make_unique<PlasticityProcessor>("short_quantum", p);
    busy_kernel = std::make_unique<PlasticityProcessor>("busy_kernel", p);
    ticker = std::make_unique<Ticker>("ticker");
  }
  static Bench& get() {
    static Bench b;
    return b;
  }
};

void run_module(benchmark::State& state, PlasticityProcessor& ppu, bool with_ticker) {
  Bench& b = Bench::get();
  std::uint64_t instructions = 0;
  for (auto _ : state) {
    ppu.load_elf(program_path());
    ppu.start();
    if (with_ticker) {
      b.ticker->active = true;
      b.ticker->go.notify(sc_core::SC_ZERO_TIME);
    }
    // Run until this program ends (the others have ended or wait for start()).
    while (!ppu.ended()) {
      sc_core::sc_start(sc_core::sc_time(100, sc_core::SC_US));
      if (ppu.ended()) b.ticker->active = false;
    }
    b.ticker->active = false;
    sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_US));  // let the ticker settle
    if (ppu.exit_code() != 0) state.SkipWithError("program failed");
    instructions += ppu.stats().instructions;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(instructions));
}

void BM_ModuleLongQuantum(benchmark::State& state) {
  run_module(state, *Bench::get().long_quantum, false);
}
BENCHMARK(BM_ModuleLongQuantum)->Unit(benchmark::kMillisecond);

void BM_ModuleOneMicrosecondQuantum(benchmark::State& state) {
  run_module(state, *Bench::get().short_quantum, false);
}
BENCHMARK(BM_ModuleOneMicrosecondQuantum)->Unit(benchmark::kMillisecond);

void BM_ModuleOneMicrosecondQuantumWithKernelActivity(benchmark::State& state) {
  run_module(state, *Bench::get().busy_kernel, true);
}
BENCHMARK(BM_ModuleOneMicrosecondQuantumWithKernelActivity)->Unit(benchmark::kMillisecond);

}  // namespace
