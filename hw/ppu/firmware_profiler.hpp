// FirmwareProfiler: a flat profile of a firmware run on the plasticity processor — per function
// of the ELF's symbol table, the instructions retired, the cycles they took (stalls included),
// how often the function was entered, and how many of its cycles were stalls on the CADC and
// on the rest of the chip window. It watches every instruction (InstructionObserver); the
// PlasticityProcessor reports chip-window stalls to it. Attached only when asked for
// (`--profile`): without it the core runs its normal blocks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/ppu/elf_image.hpp"
#include "hw/ppu/processor_core.hpp"

namespace salvo::ppu {

struct ProfileRow {
  std::string function;  // symbol name, or "[unknown]" for code outside every symbol
  std::uint32_t address = 0;
  std::uint32_t size = 0;
  std::uint64_t instructions = 0;
  std::uint64_t cycles = 0;  // busy cycles, stalls included
  std::uint64_t calls = 0;   // entries at the function's first instruction from elsewhere
  std::uint64_t cadc_stall_cycles = 0;
  std::uint64_t chip_stall_cycles = 0;  // chip window outside the CADC
};

// Per instruction address (for source-line attribution with addr2line).
struct ProfilePcRow {
  std::uint32_t pc = 0;
  std::string where;  // "function+0x12"
  std::uint64_t instructions = 0;
  std::uint64_t cycles = 0;
  std::uint64_t stall_cycles = 0;
};

class FirmwareProfiler : public InstructionObserver {
 public:
  enum class Stall { kCadc, kChip };
  explicit FirmwareProfiler(const ElfImage& image);

  void on_instruction(std::uint32_t pc, std::uint64_t cycles, std::uint64_t retired) override;
  // A chip-window access of the instruction in progress stalled `cycles` cycles.
  void add_stall(Stall kind, std::uint64_t cycles) {
    (kind == Stall::kCadc ? pending_cadc_ : pending_chip_) += cycles;
  }

  // Functions that ran, most cycles first.
  std::vector<ProfileRow> rows() const;
  std::vector<ProfilePcRow> pc_rows() const;
  std::uint64_t cycles() const { return total_cycles_; }  // attributed busy cycles
  std::uint64_t instructions() const { return total_instructions_; }

  // The flat profile as text; busy/sleep are the processor's own totals (cycles outside any
  // observed instruction — interrupt entries — show as unattributed).
  std::string format(std::uint64_t busy_cycles, std::uint64_t sleep_cycles,
                     std::size_t max_rows = 25) const;
  // profile.csv: function,address,size,instructions,cycles,percent,calls,cycles_per_call,
  // cadc_stall_cycles,chip_stall_cycles — rows() in order.
  std::string csv() const;
  // profile_pc.csv: pc,where,instructions,cycles,stall_cycles — every executed address.
  std::string pc_csv() const;

 private:
  struct Function {
    std::string name;
    std::uint32_t address = 0, size = 0;
    ProfileRow stats;
  };
  struct PcStats {
    std::uint64_t instructions = 0, cycles = 0, stall = 0;
  };
  int lookup(std::uint32_t pc) const;  // index into functions_ (the last one is [unknown])
  int function_of(std::uint32_t pc);

  std::vector<Function> functions_;
  // Code span covered by the executable segments: one slot per halfword.
  std::uint32_t span_base_ = 0, span_size_ = 0;
  std::vector<int> slot_function_;  // -1 = not resolved yet
  std::vector<PcStats> slot_stats_;
  std::vector<std::pair<std::uint32_t, PcStats>> outside_;  // pcs outside the span (rare)
  int last_function_ = -1;
  std::uint64_t pending_cadc_ = 0, pending_chip_ = 0;
  std::uint64_t total_cycles_ = 0, total_instructions_ = 0;
};

}  // namespace salvo::ppu
