// ElfImage: a bare-metal RV32 program as the plasticity processor loads it — the loadable
// segments (at their physical load addresses, as the Spike simulator loads them), the entry
// point and the symbol table (for HTIF tohost/fromhost, host parameter blocks, debugging).
// Only what a loader needs is parsed; every malformation is a UserError naming the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace salvo::ppu {

struct ElfSegment {
  std::uint32_t address = 0;  // p_paddr: where the bytes go
  std::uint32_t size = 0;     // p_memsz: bytes beyond data.size() are zero (.bss)
  bool executable = false;
  bool writable = false;
  std::vector<std::uint8_t> data;  // p_filesz bytes from the file
};

struct ElfSymbol {
  std::string name;
  std::uint32_t address = 0;
  std::uint32_t size = 0;
  bool function = false;
};

class ElfImage {
 public:
  // Reads and validates `path`: ELF32, little-endian, EM_RISCV, ET_EXEC, no hardware-float
  // ABI, segments inside the file and the 32-bit address space, entry inside a segment.
  static ElfImage load(const std::string& path);
  // Same checks on bytes already in memory; `name` is used in messages.
  static ElfImage parse(const std::vector<std::uint8_t>& bytes, const std::string& name);

  const std::string& name() const { return name_; }
  std::uint32_t entry() const { return entry_; }
  const std::vector<ElfSegment>& segments() const { return segments_; }
  // Lowest and one-past-highest address any loadable segment occupies.
  std::uint32_t lowest_address() const;
  std::uint64_t end_address() const;

  std::optional<std::uint32_t> symbol(const std::string& name) const;
  // The function or object symbol containing addr ("main+0x12"), empty if none.
  std::string describe_address(std::uint32_t addr) const;
  const std::vector<ElfSymbol>& symbols() const { return symbols_; }

 private:
  std::string name_;
  std::uint32_t entry_ = 0;
  std::vector<ElfSegment> segments_;
  std::vector<ElfSymbol> symbols_;
};

}  // namespace salvo::ppu
