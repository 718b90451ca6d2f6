// salvo ppu-run ELF [--max-instructions N] [--gdb PORT] [--profile]: a bare-metal RV32 program on
// the plasticity processor alone (the same PlasticityProcessor module the chip uses, with its chip
// window unbound), RAM where the ELF's segments say. Ends like the Spike simulator: the program
// writes the HTIF tohost word (1 = pass -> exit 0; any other exit code -> exit 1, the program's
// code printed).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <systemc>

#include "emulator/cli/cli_util.hpp"
#include "emulator/cli/commands.hpp"
#include "emulator/output/run_output.hpp"
#include "emulator/session/session.hpp"
#include "hw/common/chip_config.hpp"
#include "hw/common/error.hpp"
#include "hw/ppu/gdb_server.hpp"
#include "hw/ppu/plasticity_processor.hpp"

namespace salvo::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* kUsage =
    "usage: salvo ppu-run ELF [--max-instructions N] [--gdb PORT] [--profile [--profile-out CSV]]";
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
  if (const auto requested = number_option(
          vm, "ppu-run", "memory-kib", config::Int(256, 1, static_cast<long>(kMaxMemoryKib), ""))) {
    kib = static_cast<std::uint64_t>(*requested);
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

// Tells how the program ended (stderr) and returns the process exit code.
int report_end(ppu::PlasticityProcessor& p) {
  if (p.ended()) {
    switch (p.end_reason()) {
      case ppu::ProgramEnd::kExited:
        // Any non-zero code is a failed run (exit 1, the code in the message): passed through,
        // 2 would read as "bad input" and 256 as a pass once the OS keeps its low 8 bits.
        std::fprintf(stderr, "ppu-run: %s\n", p.end_message().c_str());
        return p.exit_code() == 0 ? 0 : 1;
      case ppu::ProgramEnd::kTrapped:
        std::fputs(p.trap_report().c_str(), stderr);
        return 1;
      default:
        std::fprintf(stderr, "ppu-run: %s\n", p.end_message().c_str());
        return 1;
    }
  }
  if (p.asleep())
    std::fprintf(stderr,
                 "ppu-run: ppu0: the processor sleeps in WFI at pc 0x%08x with no interrupt that "
                 "could wake it (no timer armed, nothing else can ring)\n",
                 p.core().pc());
  else
    std::fprintf(stderr,
                 "ppu-run: ppu0: the simulation stopped before the program ended (pc 0x%08x)\n",
                 p.core().pc());
  return 1;
}

void write_profile(const ppu::FirmwareProfiler& profiler, const ppu::ProcessorStats& st,
                   const std::string& csv) {
  std::fputs(profiler.format(st.busy_cycles, st.sleep_cycles).c_str(), stdout);
  std::fflush(stdout);
  output::write_file_atomic(csv, profiler.csv());
  const std::string stem = csv.size() > 4 && csv.compare(csv.size() - 4, 4, ".csv") == 0
                               ? csv.substr(0, csv.size() - 4)
                               : csv;
  output::write_file_atomic(stem + "_pc.csv", profiler.pc_csv());
  std::fprintf(stderr, "ppu-run: profile written to %s and %s_pc.csv\n", csv.c_str(), stem.c_str());
}

}  // namespace

int cmd_ppu_run(const Args& args) {
  po::options_description desc(
      "salvo ppu-run ELF [options]\n\n"
      "Runs a bare-metal RV32IMC program on the plasticity processor alone. The program ends by\n"
      "writing the HTIF tohost word (Spike convention): 1 = pass (exit 0); any other exit code\n"
      "(tohost >> 1, printed) exits 1, as do an unhandled trap (mtvec = 0 or a double fault)\n"
      "and the watchdog. Bad input (options, ELF) exits 2.\n\n"
      "options");
  const ProcessorConfig defaults;
  desc.add_options()("help,h", "show this help")(
      "max-instructions", po::value<std::string>(),
      "watchdog: stop with exit code 1 after N retired instructions, 1 .. 2^53 (default 2e9)")(
      "gdb", po::value<std::string>(),
      "serve the GDB remote protocol on 127.0.0.1:PORT and wait at reset for gdb to connect (0 = a "
      "free port, "
      "printed on stderr)")(
      "memory-kib", po::value<std::string>(),
      "RAM size in KiB at the program's load address (default: 256 or what the program needs)")(
      "clock-mhz", po::value<std::string>(),
      "processor clock in MHz (mtime's rate), 1 .. 5000 (default 250)")(
      "profile",
      "print a flat profile per function (instructions, cycles, calls, stalls) and write it as "
      "CSV; the processor runs several times slower")(
      "profile-out", po::value<std::string>()->default_value("profile.csv"),
      "where --profile writes its CSV (per instruction address: <name>_pc.csv beside it)")(
      "elf", po::value<std::string>(), "the program (positional)");
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
  const std::uint64_t max_instructions = static_cast<std::uint64_t>(
      number_option(vm, "ppu-run", "max-instructions", config::Int(1, 1, 1L << 53, ""))
          .value_or(static_cast<double>(defaults.watchdog_instructions)));
  const double clock_mhz = number_option(vm, "ppu-run", "clock-mhz", config::Float(1, 1, 5000, ""))
                               .value_or(defaults.clock_mhz);
  const int gdb_port = static_cast<int>(
      number_option(vm, "ppu-run", "gdb", config::Int(0, 0, 65535, "")).value_or(-1));

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

  std::unique_ptr<ppu::FirmwareProfiler> profiler;
  if (vm.count("profile")) {
    profiler = std::make_unique<ppu::FirmwareProfiler>(image);
    processor->attach_profiler(profiler.get());
  }

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

  const int rc = report_end(*processor);
  const ppu::ProcessorStats st = processor->stats();
  if (profiler) write_profile(*profiler, st, vm["profile-out"].as<std::string>());
  const double mips = wall_s > 0 ? static_cast<double>(st.instructions) / wall_s / 1e6 : 0.0;
  std::fprintf(stderr, "ppu-run: %llu instructions, %.1f MIPS\n",
               static_cast<unsigned long long>(st.instructions), mips);
  std::fflush(stderr);
  return rc;
}

}  // namespace salvo::cli
