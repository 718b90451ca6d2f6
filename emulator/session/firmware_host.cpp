#include "emulator/session/firmware_host.hpp"
#include "salvo_paths.hpp"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "hw/common/error.hpp"
#include "hw/ppu/firmware_profiler.hpp"
#include "hw/ppu/gdb_server.hpp"
#include "hw/ppu/plasticity_processor.hpp"

namespace salvo::session {

std::string firmware_image(const std::string& name) {
  return std::string(SALVO_FIRMWARE_DIR) + "/" + name;
}

std::string sal_image(const ChipConfig& chip) {
  if (!chip.processor.vector.enabled) return firmware_image("sal.elf");
  return firmware_image(fmt::format("sal_v{}.elf", chip.processor.vector.bytes));
}

FirmwareHost::FirmwareHost(Chip& chip, const ChipConfig& config, std::uint64_t seed, int half,
                           int gdb_port, bool profile)
    : half_(half), gdb_port_(gdb_port), profile_(profile) {
  auto params = ppu::PlasticityProcessorParams::from_config(config.processor, seed,
                                                            static_cast<unsigned>(half));
  ppu_ = std::make_unique<ppu::PlasticityProcessor>(fmt::format("ppu{}", half).c_str(), params);
  ppu_->chip_socket.bind(chip.window(half));
  // The program is loaded when it starts: loaded before the simulation it would run at once.
}

FirmwareHost::~FirmwareHost() = default;

void FirmwareHost::load(const std::string& elf_path) {
  if (!std::filesystem::exists(elf_path))
    throw UserError(
        fmt::format("{}: firmware image not found (build it with `cmake --build build`, or set "
                    "experiment.executor: host)",
                    elf_path));
  elf_ = elf_path;
  ppu_->load_elf(elf_path);
}

std::uint32_t FirmwareHost::block_address(const std::string& symbol, std::size_t len) const {
  const ppu::ElfImage* image = ppu_->image();
  if (!image) throw InternalError("FirmwareHost: parameter block access before load()");
  for (const auto& s : image->symbols()) {
    if (s.name != symbol) continue;
    if (s.size != 0 && s.size != len)
      throw UserError(fmt::format(
          "{}: parameter block '{}' is {} bytes, the host expects {} (firmware and emulator "
          "built from different sources? rebuild with `cmake --build build`)",
          elf_, symbol, s.size, len));
    return s.address;
  }
  throw UserError(
      fmt::format("{}: no symbol '{}' (not the firmware this experiment expects?)", elf_, symbol));
}

void FirmwareHost::write_bytes(const std::string& symbol, const void* data, std::size_t len) {
  const std::uint32_t addr = block_address(symbol, len);
  if (!ppu_->write_memory(addr, data, len))
    throw UserError(
        fmt::format("{}: cannot write the parameter block '{}' at 0x{:08x}", elf_, symbol, addr));
}

void FirmwareHost::read_bytes(const std::string& symbol, void* data, std::size_t len) const {
  const std::uint32_t addr = block_address(symbol, len);
  if (!ppu_->read_memory(addr, data, len))
    throw UserError(fmt::format("{}: cannot read the block '{}' at 0x{:08x}", elf_, symbol, addr));
}

void FirmwareHost::start() {
  if (profile_ && !profiler_ && ppu_->image()) {
    profiler_ = std::make_unique<ppu::FirmwareProfiler>(*ppu_->image());
    ppu_->attach_profiler(profiler_.get());
  }
  ppu_->start();
  if (gdb_port_ >= 0) {
    // The program sits at its entry point until gdb connects and continues.
    gdb_ = std::make_unique<ppu::GdbServer>(*ppu_);
    const int port = gdb_->listen(gdb_port_);
    std::fprintf(stderr, "salvo run: %s waits for gdb on 127.0.0.1:%d (target remote :%d)\n",
                 elf_.c_str(), port, port);
    std::fflush(stderr);
    gdb_->accept();
    ppu_->attach_debugger(gdb_.get());
  }
  started_ = true;
}

bool FirmwareHost::ended() const { return ppu_->ended(); }

void FirmwareHost::check() const {
  if (!started_ || !ppu_->ended()) return;
  if (ppu_->end_reason() == ppu::ProgramEnd::kExited && ppu_->exit_code() == 0) return;
  if (ppu_->end_reason() == ppu::ProgramEnd::kExited)
    throw RunFailure(fmt::format("firmware {} exited with code {}: {}", elf_, ppu_->exit_code(),
                                 ppu_->console_output()));
  // Only a trap has a trap report: after the watchdog or a debugger's kill the halt record is
  // empty (pc 0) and would describe a trap that never happened.
  const bool trapped = ppu_->end_reason() == ppu::ProgramEnd::kTrapped;
  throw RunFailure(fmt::format("firmware {} stopped: {}{}", elf_, ppu_->end_message(),
                               trapped ? " " + ppu_->trap_report() : std::string()));
}

void FirmwareHost::record_stats(RunContext& ctx) const {
  const auto st = ppu_->stats();
  ctx.stats.ppu_instructions = st.instructions;
  ctx.stats.ppu_cycles = st.cycles;
  ctx.stats.ppu_busy_fraction = st.busy_fraction();
  ctx.metrics["ppu_busy_fraction"] = st.busy_fraction();
  if (!profiler_) return;
  const std::string stem = half_ == 0 ? "profile" : fmt::format("profile_ppu{}", half_);
  output::write_file_atomic(ctx.out / (stem + ".csv"), profiler_->csv());
  output::write_file_atomic(ctx.out / (stem + "_pc.csv"), profiler_->pc_csv());
  ctx.profiles[half_] = fmt::format("ppu{} ({}): ", half_, elf_) +
                        profiler_->format(st.busy_cycles, st.sleep_cycles) +
                        fmt::format("  written to {}\n", (ctx.out / (stem + ".csv")).string());
}

}  // namespace salvo::session
