// salvo ppu-run ELF [--max-instructions N] [--gdb PORT]: a bare-metal RV32 program on the
// plasticity processor alone (the same PlasticityProcessor module the chip uses, with its
// chip window unbound), RAM where the ELF's segments say. Ends like the Spike simulator: the
// program writes the HTIF tohost word (1 = pass -> exit 0, else exit tohost >> 1).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <systemc>

#include "emulator/cli/cli_util.hpp"
#include "emulator/cli/commands.hpp"
#include "emulator/session/session.hpp"
#include "hw/common/chip_config.hpp"
#include "hw/common/error.hpp"
#include "hw/ppu/gdb_server.hpp"
#include "hw/ppu/plasticity_processor.hpp"

namespace salvo::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* kUsage = "usage: salvo ppu-run ELF [--max-instructions N] [--gdb PORT]";
constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kDefaultMemoryKib = 256;    // the largest chip variant
constexpr std::uint64_t kMaxMemoryKib = 64 * 1024;  // what ppu-run is willing to allocate

// RAM placement: at 0x8000_0000 (as in Spike) when the program lives there, else at its
// lowest segment rounded down to 64 KiB; sized as the program was linked for (libppu's
// __ppu_memory_kib), else to hold every segment and at least 256 KiB.
struct RamLayout {
  std::uint32_t base = ppu::kSramBase;
  int memory_kib = 256;
};

RamLayout place_ram(const ppu::ElfImage& img, const po::variables_map& vm) {
  RamLayout r;
  for (const auto& s : img.segments()) {
    const std::uint64_t end = std::uint64_t{s.address} + s.size;
    if ((s.address < ppu::kPeripheralBase + ppu::periph::kBlockSize &&
         end > ppu::kPeripheralBase) ||
        (s.address < std::uint64_t{ppu::kChipWindowBase} + ppu::kChipWindowSize &&
         end > ppu::kChipWindowBase))
      throw UserError(fmt::format(
          "{}: segment 0x{:08x}..0x{:08x} overlaps the processor's peripherals "
          "(0x{:08x}..0x{:08x}) or chip window (0x{:08x}..0x{:08x}); link the program "
          "for RAM at 0x{:08x}",
          img.name(), s.address, end - 1, ppu::kPeripheralBase,
          ppu::kPeripheralBase + ppu::periph::kBlockSize - 1, ppu::kChipWindowBase,
          std::uint64_t{ppu::kChipWindowBase} + ppu::kChipWindowSize - 1, ppu::kSramBase));
  }
  const std::uint32_t lo = img.lowest_address();
  r.base = lo >= ppu::kSramBase ? ppu::kSramBase : (lo & ~0xFFFFu);
  const std::uint64_t need = img.end_address() - r.base;
  std::uint64_t kib =
      std::max<std::uint64_t>(kDefaultMemoryKib, (need + 64 * kKiB - 1) / (64 * kKiB) * 64);
  // libppu firmware records the SRAM size it was linked for: give it exactly that.
  if (const auto linked = img.symbol("__ppu_memory_kib");
      linked && *linked * kKiB >= need && *linked <= kMaxMemoryKib)
    kib = *linked;
  if (vm.count("memory-kib")) {
    const long requested = vm["memory-kib"].as<long>();
    if (requested < 1 || static_cast<std::uint64_t>(requested) > kMaxMemoryKib)
      throw UserError(
          fmt::format("salvo ppu-run: --memory-kib {}: allowed 1 .. {}", requested, kMaxMemoryKib));
    kib = static_cast<std::uint64_t>(requested);
    if (kib * kKiB < need)
      throw UserError(
          fmt::format("{}: the program needs {} bytes from 0x{:08x}; --memory-kib {} is too small",
                      img.name(), need, r.base, kib));
  }
  if (kib > kMaxMemoryKib || r.base + kib * kKiB > (std::uint64_t{1} << 32))
    throw UserError(
        fmt::format("{}: segments span 0x{:08x}..0x{:08x}; ppu-run provides at most {} MiB of RAM",
                    img.name(), r.base, img.end_address() - 1, kMaxMemoryKib / 1024));
  // RAM below a device block stops in front of it.
  for (const std::uint64_t device :
       {std::uint64_t{ppu::kPeripheralBase}, std::uint64_t{ppu::kChipWindowBase}}) {
    if (r.base < device && r.base + kib * kKiB > device) {
      if (img.end_address() > device)
        throw UserError(fmt::format(
            "{}: segments lie on both sides of the device block at 0x{:08x}", img.name(), device));
      kib = (device - r.base) / kKiB;
    }
  }
  r.memory_kib = static_cast<int>(kib);
  return r;
}

}  // namespace

int cmd_ppu_run(const Args& args) {
  po::options_description desc(
      "salvo ppu-run ELF [options]\n\n"
      "Runs a bare-metal RV32IMC program on the plasticity processor alone. The program ends by\n"
      "writing the HTIF tohost word (Spike convention): 1 = pass (exit 0), otherwise exit code\n"
      "tohost >> 1. An unhandled trap (mtvec = 0 or a double fault) or the watchdog exits 1.\n\n"
      "options");
  const ProcessorConfig defaults;
  desc.add_options()("help,h", "show this help")(
      "max-instructions", po::value<std::uint64_t>()->default_value(defaults.watchdog_instructions),
      "watchdog: stop with exit code 1 after N retired instructions")(
      "gdb", po::value<int>(),
      "serve the GDB remote protocol on 127.0.0.1:PORT and wait at reset for gdb to connect (0 = a "
      "free port, "
      "printed on stderr)")(
      "memory-kib", po::value<long>(),
      "RAM size in KiB at the program's load address (default: 256 or what the program needs)")(
      "clock-mhz", po::value<double>()->default_value(defaults.clock_mhz),
      "processor clock in MHz (mtime's rate)")("elf", po::value<std::string>(),
                                               "the program (positional)");
  po::positional_options_description pos;
  pos.add("elf", 1);
  const po::variables_map vm = parse_options("ppu-run", desc, args, &pos);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (!vm.count("elf"))
    throw UserError(fmt::format("salvo ppu-run: missing the ELF file ({})", kUsage));
  const std::string path = vm["elf"].as<std::string>();
  const std::uint64_t max_instructions = vm["max-instructions"].as<std::uint64_t>();
  if (max_instructions == 0)
    throw UserError("salvo ppu-run: --max-instructions 0: allowed 1 .. 2^64-1");
  const double clock_mhz = vm["clock-mhz"].as<double>();
  int gdb_port = -1;
  if (vm.count("gdb")) {
    gdb_port = vm["gdb"].as<int>();
    if (gdb_port < 0 || gdb_port > 65535)
      throw UserError(
          fmt::format("salvo ppu-run: --gdb {}: allowed 0 .. 65535 (0 = any free port)", gdb_port));
  }

  const ppu::ElfImage image = ppu::ElfImage::load(path);
  const RamLayout ram = place_ram(image, vm);

  ppu::PlasticityProcessorParams params;
  params.name = "ppu0";
  params.clock_mhz = clock_mhz;
  params.memory_kib = ram.memory_kib;
  params.sram_base = ram.base;
  // Alone, nothing else needs the kernel's attention: a long quantum keeps syncs rare.
  params.quantum_us = 10'000.0;
  params.watchdog_instructions = max_instructions;
  params.seed = 0;
  params.index = 0;

  auto processor = std::make_unique<ppu::PlasticityProcessor>("ppu0", params);
  processor->load_image(image);
  if (!image.symbol("tohost"))
    spdlog::warn(
        "{}: no `tohost` symbol: the program can end only by trapping or through the watchdog",
        path);

  std::unique_ptr<ppu::GdbServer> gdb;
  if (gdb_port >= 0) {
    gdb = std::make_unique<ppu::GdbServer>(*processor);
    const int port = gdb->listen(gdb_port);
    std::fprintf(stderr, "ppu-run: waiting for gdb on 127.0.0.1:%d\n", port);
    std::fflush(stderr);
    gdb->accept();
    processor->attach_debugger(gdb.get());
  }

  const auto t0 = std::chrono::steady_clock::now();
  session::run_until_idle();
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  int rc = 1;
  if (processor->ended()) {
    switch (processor->end_reason()) {
      case ppu::ProgramEnd::kExited:
        rc = processor->exit_code();
        std::fprintf(stderr, "ppu-run: %s\n", processor->end_message().c_str());
        break;
      case ppu::ProgramEnd::kTrapped:
        std::fputs(processor->trap_report().c_str(), stderr);
        rc = 1;
        break;
      default:
        std::fprintf(stderr, "ppu-run: %s\n", processor->end_message().c_str());
        rc = 1;
        break;
    }
  } else if (processor->asleep()) {
    std::fprintf(stderr,
                 "ppu-run: ppu0: the processor sleeps in WFI at pc 0x%08x with no interrupt that "
                 "could wake it "
                 "(no timer armed, nothing else can ring)\n",
                 processor->core().pc());
    rc = 1;
  } else {
    std::fprintf(stderr,
                 "ppu-run: ppu0: the simulation stopped before the program ended (pc 0x%08x)\n",
                 processor->core().pc());
    rc = 1;
  }
  const ppu::ProcessorStats st = processor->stats();
  const double mips = wall_s > 0 ? static_cast<double>(st.instructions) / wall_s / 1e6 : 0.0;
  std::fprintf(stderr, "ppu-run: %llu instructions, %.1f MIPS\n",
               static_cast<unsigned long long>(st.instructions), mips);
  std::fflush(stderr);
  return rc;
}

}  // namespace salvo::cli
