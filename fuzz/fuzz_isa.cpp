// libFuzzer: the RV32IMC decoder and the instruction-set simulator (hw/ppu/rv32_isa.*,
// processor_core.*). Every 16- and 32-bit word decodes (to an op or kIllegal) and
// disassembles; then the input runs as a program from RAM for a bounded number of cycles,
// with a bus that faults outside a small MMIO window: random code may trap, halt or spin,
// but never crash the host.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "hw/ppu/processor_core.hpp"
#include "hw/ppu/rv32_isa.hpp"

using namespace salvo::ppu;

namespace {

class FuzzBus : public CoreBus {
 public:
  bool read(std::uint32_t addr, void* data, unsigned len, Access, std::uint64_t& stall) override {
    stall = 1;
    if (addr < 0x10000000u || addr + len > 0x10000100u) return false;
    std::memset(data, 0x5a, len);
    return true;
  }
  bool write(std::uint32_t addr, const void*, unsigned len, std::uint64_t& stall) override {
    stall = 1;
    return addr >= 0x10000000u && addr + len <= 0x10000100u;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (std::size_t i = 0; i + 4 <= size; i += 2) {
    std::uint32_t w;
    std::memcpy(&w, data + i, 4);
    const DecodedInsn d = decode(w);
    (void)disassemble(d, 0x80000000u + static_cast<std::uint32_t>(i));
    (void)op_name(d.op);
    (void)expand_compressed(static_cast<std::uint16_t>(w));
  }
  std::vector<std::uint8_t> ram(4096, 0);
  std::memcpy(ram.data(), data, std::min(size, ram.size()));
  FuzzBus bus;
  ProcessorCore core(bus);
  core.map_ram(0x80000000u, ram.data(), static_cast<std::uint32_t>(ram.size()));
  core.reset(0x80000000u);
  core.set_store_watch(0x80000ff0u, 16);
  for (int round = 0; round < 4; ++round) {
    const StopReason r = core.run(core.cycles() + 4000);
    if (r == StopReason::kHalted) break;
    if (r == StopReason::kWaitForInterrupt) {
      const std::uint64_t wake = core.next_wakeup_cycle();
      if (wake == UINT64_MAX) break;
      core.sleep_until(std::min(wake, core.cycles() + 4000));
    }
  }
  return 0;
}
