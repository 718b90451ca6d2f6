// FirmwareHost: the host side of one plasticity processor running an experiment's firmware —
// the one place that checks and loads the ELF, writes and reads the program's typed parameter
// blocks by symbol, starts it (waiting for gdb-multiarch first under `salvo run --gdb`),
// checks how it ended and reports its statistics. Firmware executors (the SAL and sampling
// learning loops, calibration routines) are thin adapters that fill their blocks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "emulator/session/run_context.hpp"
#include "hw/chip/chip.hpp"
#include "hw/common/chip_config.hpp"

namespace salvo::ppu {
class PlasticityProcessor;
class GdbServer;
class FirmwareProfiler;
}  // namespace salvo::ppu

namespace salvo::session {

// build/firmware/<name>: where the top-level build puts the firmware images.
std::string firmware_image(const std::string& name);
// The SAL program for a chip variant: sal.elf, or on a variant with a vector unit the image
// whose update runs on it, sal_v<bytes>.elf (docs/processor.md, vector extension).
std::string sal_image(const ChipConfig& chip);

class FirmwareHost {
 public:
  // Elaboration time: creates half `half`'s processor and binds it to that half's chip window.
  // gdb_port >= 0: start() waits for gdb-multiarch on that port (0 = any free port).
  // profile: start() attaches a FirmwareProfiler; record_stats() writes and keeps its profile.
  FirmwareHost(Chip& chip, const ChipConfig& config, std::uint64_t seed, int half, int gdb_port,
               bool profile = false);
  ~FirmwareHost();
  FirmwareHost(const FirmwareHost&) = delete;
  FirmwareHost& operator=(const FirmwareHost&) = delete;

  // Loads the image into the processor's memory. A missing file or a malformed ELF is a
  // UserError naming the file (with the hint to build the firmware or use the host executor).
  void load(const std::string& elf_path);
  const std::string& elf() const { return elf_; }

  // The program's parameter block `symbol` (a global of type T in the firmware): the symbol
  // must exist and be sizeof(T) bytes, else a UserError says the image does not match.
  template <typename T>
  void write_block(const std::string& symbol, const T& block) {
    static_assert(std::is_trivially_copyable_v<T>, "parameter blocks are plain C structs");
    write_bytes(symbol, &block, sizeof(T));
  }
  template <typename T>
  T read_block(const std::string& symbol) const {
    static_assert(std::is_trivially_copyable_v<T>, "parameter blocks are plain C structs");
    T block{};
    read_bytes(symbol, &block, sizeof(T));
    return block;
  }

  // Starts the loaded program at its entry point at the current simulated time.
  void start();
  bool started() const { return started_; }
  bool ended() const;
  bool gdb_attached() const { return gdb_ != nullptr; }
  // Throws RunFailure if the started program ended other than by exit code 0: a trap, the
  // watchdog, or a non-zero exit code (printed with the firmware's console output).
  void check() const;
  // Instructions, cycles and busy fraction into ctx.stats and metrics.ppu_busy_fraction;
  // when profiling, the flat profile into ctx.profiles and profile[_ppu<h>][_pc].csv in ctx.out.
  void record_stats(RunContext& ctx) const;

  ppu::PlasticityProcessor& processor() { return *ppu_; }

 private:
  void write_bytes(const std::string& symbol, const void* data, std::size_t len);
  void read_bytes(const std::string& symbol, void* data, std::size_t len) const;
  std::uint32_t block_address(const std::string& symbol, std::size_t len) const;

  std::unique_ptr<ppu::PlasticityProcessor> ppu_;
  std::unique_ptr<ppu::GdbServer> gdb_;
  std::unique_ptr<ppu::FirmwareProfiler> profiler_;
  int half_;
  int gdb_port_;
  bool profile_;
  std::string elf_;
  bool started_ = false;
};

// The firmware's 64-bit cycle sums are kept as two 32-bit words.
inline double firmware_cycles(std::uint32_t lo, std::uint32_t hi) {
  return static_cast<double>((static_cast<std::uint64_t>(hi) << 32) | lo);
}

}  // namespace salvo::session
