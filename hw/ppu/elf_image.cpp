#include "hw/ppu/elf_image.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "hw/common/error.hpp"

namespace salvo::ppu {
namespace {

constexpr std::uint16_t kEmRiscv = 243;
constexpr std::uint16_t kEtExec = 2;
constexpr std::uint32_t kPtLoad = 1;
constexpr std::uint32_t kPfX = 1, kPfW = 2;
constexpr std::uint32_t kShtSymtab = 2;
constexpr std::uint32_t kEfRiscvFloatAbi = 0x6;

struct Reader {
  const std::vector<std::uint8_t>& b;
  bool has(std::uint64_t off, std::uint64_t len) const {
    return off <= b.size() && len <= b.size() - off;
  }
  std::uint16_t u16(std::uint64_t off) const {
    return static_cast<std::uint16_t>(b[off] | (b[off + 1] << 8));
  }
  std::uint32_t u32(std::uint64_t off) const {
    return std::uint32_t{b[off]} | (std::uint32_t{b[off + 1]} << 8) |
           (std::uint32_t{b[off + 2]} << 16) | (std::uint32_t{b[off + 3]} << 24);
  }
};

}  // namespace

ElfImage ElfImage::load(const std::string& path) {
  // An ifstream opens a directory and then throws from inside libstdc++ on the first read.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw UserError(
        fmt::format("{}: is a directory (allowed: a 32-bit RISC-V ELF executable)", path));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw UserError(fmt::format("{}: cannot open the ELF file ({})", path, std::strerror(errno)));
  std::vector<std::uint8_t> bytes;
  try {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure& e) {
    throw UserError(fmt::format("{}: cannot read the ELF file ({})", path, e.what()));
  }
  return parse(bytes, path);
}

ElfImage ElfImage::parse(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  const Reader r{bytes};
  auto fail = [&](const std::string& what) { return UserError(fmt::format("{}: {}", name, what)); };
  if (!r.has(0, 16) || std::memcmp(bytes.data(),
                                   "\x7f"
                                   "ELF",
                                   4) != 0)
    throw fail("not an ELF file (no \\x7fELF magic); ppu-run needs a 32-bit RISC-V ELF executable");
  if (bytes[4] == 2)
    throw fail(
        "64-bit ELF (ELFCLASS64); the processor runs 32-bit RISC-V ELF files (ELFCLASS32, "
        "-march=rv32imc)");
  if (bytes[4] != 1)
    throw fail(fmt::format("unknown ELF class {} (allowed: ELFCLASS32)", bytes[4]));
  if (bytes[5] != 1)
    throw fail("big-endian ELF; the processor is little-endian (allowed: ELFDATA2LSB)");
  if (!r.has(0, 52)) throw fail("truncated ELF header");
  const std::uint16_t type = r.u16(16), machine = r.u16(18);
  if (machine != kEmRiscv)
    throw fail(fmt::format("e_machine {} is not RISC-V (allowed: EM_RISCV = 243)", machine));
  if (type != kEtExec)
    throw fail(
        fmt::format("ELF type {} is not an executable (allowed: ET_EXEC, a linked program)", type));
  const std::uint32_t flags = r.u32(36);
  if (flags & kEfRiscvFloatAbi)
    throw fail(fmt::format(
        "built for a hardware floating-point ABI (e_flags 0x{:x}); the processor has no F/D "
        "extension (allowed: -mabi=ilp32)",
        flags));

  ElfImage img;
  img.name_ = name;
  img.entry_ = r.u32(24);
  const std::uint32_t phoff = r.u32(28), shoff = r.u32(32);
  const std::uint16_t phentsize = r.u16(42), phnum = r.u16(44), shentsize = r.u16(46),
                      shnum = r.u16(48);
  if (phnum == 0) throw fail("no program headers (nothing to load)");
  if (phentsize < 32 || !r.has(phoff, std::uint64_t{phnum} * phentsize))
    throw fail("program header table lies outside the file");
  for (unsigned i = 0; i < phnum; ++i) {
    const std::uint64_t p = phoff + std::uint64_t{i} * phentsize;
    if (r.u32(p) != kPtLoad) continue;
    const std::uint32_t off = r.u32(p + 4), paddr = r.u32(p + 12), filesz = r.u32(p + 16),
                        memsz = r.u32(p + 20), pflags = r.u32(p + 24);
    if (memsz == 0) continue;
    if (filesz > memsz)
      throw fail(fmt::format("segment {} has p_filesz {} > p_memsz {}", i, filesz, memsz));
    if (!r.has(off, filesz))
      throw fail(fmt::format("segment {} (offset 0x{:x}, {} bytes) lies outside the file", i, off,
                             filesz));
    if (std::uint64_t{paddr} + memsz > (std::uint64_t{1} << 32))
      throw fail(
          fmt::format("segment {} at 0x{:08x} ({} bytes) wraps past the 32-bit address space", i,
                      paddr, memsz));
    ElfSegment s;
    s.address = paddr;
    s.size = memsz;
    s.executable = pflags & kPfX;
    s.writable = pflags & kPfW;
    s.data.assign(bytes.begin() + off, bytes.begin() + off + filesz);
    img.segments_.push_back(std::move(s));
  }
  if (img.segments_.empty()) throw fail("no loadable (PT_LOAD) segment");
  std::sort(img.segments_.begin(), img.segments_.end(),
            [](const auto& a, const auto& b) { return a.address < b.address; });
  for (std::size_t i = 1; i < img.segments_.size(); ++i) {
    const auto& a = img.segments_[i - 1];
    if (std::uint64_t{a.address} + a.size > img.segments_[i].address)
      throw fail(fmt::format("segments at 0x{:08x} and 0x{:08x} overlap", a.address,
                             img.segments_[i].address));
  }
  const bool entry_ok =
      std::any_of(img.segments_.begin(), img.segments_.end(), [&](const ElfSegment& s) {
        return img.entry_ >= s.address && img.entry_ - s.address < s.size;
      });
  if (!entry_ok)
    throw fail(fmt::format("entry point 0x{:08x} lies outside every loadable segment", img.entry_));
  if (img.entry_ & 1)
    throw fail(fmt::format("entry point 0x{:08x} is not 2-byte aligned", img.entry_));

  // Symbols are optional (a stripped program still runs, just without HTIF).
  if (shoff && shentsize >= 40 && r.has(shoff, std::uint64_t{shnum} * shentsize)) {
    for (unsigned i = 0; i < shnum; ++i) {
      const std::uint64_t sh = shoff + std::uint64_t{i} * shentsize;
      if (r.u32(sh + 4) != kShtSymtab) continue;
      const std::uint32_t symoff = r.u32(sh + 16), symsize = r.u32(sh + 20), link = r.u32(sh + 24),
                          entsize = r.u32(sh + 36);
      if (link >= shnum || entsize < 16 || !r.has(symoff, symsize)) continue;
      const std::uint64_t strsh = shoff + std::uint64_t{link} * shentsize;
      const std::uint32_t stroff = r.u32(strsh + 16), strsize = r.u32(strsh + 20);
      if (!r.has(stroff, strsize)) continue;
      for (std::uint32_t s = 0; s + entsize <= symsize; s += entsize) {
        const std::uint64_t e = symoff + s;
        const std::uint32_t nameoff = r.u32(e), value = r.u32(e + 4), size = r.u32(e + 8);
        const std::uint8_t info = bytes[e + 12];
        const std::uint16_t shndx = r.u16(e + 14);
        const unsigned stype = info & 0xF;
        if (nameoff == 0 || nameoff >= strsize || shndx == 0) continue;
        if (stype != 0 && stype != 1 && stype != 2) continue;  // NOTYPE, OBJECT, FUNC
        const char* start = reinterpret_cast<const char*>(bytes.data() + stroff + nameoff);
        const std::size_t len = strnlen(start, strsize - nameoff);
        img.symbols_.push_back(ElfSymbol{std::string(start, len), value, size, stype == 2});
      }
      break;
    }
  }
  return img;
}

std::uint32_t ElfImage::lowest_address() const { return segments_.front().address; }

std::uint64_t ElfImage::end_address() const {
  std::uint64_t end = 0;
  for (const auto& s : segments_) end = std::max(end, std::uint64_t{s.address} + s.size);
  return end;
}

std::optional<std::uint32_t> ElfImage::symbol(const std::string& n) const {
  for (const auto& s : symbols_)
    if (s.name == n) return s.address;
  return std::nullopt;
}

std::string ElfImage::describe_address(std::uint32_t addr) const {
  const ElfSymbol* best = nullptr;
  for (const auto& s : symbols_) {
    if (s.address > addr || s.name.empty() || s.name[0] == '.' || s.name[0] == '$') continue;
    const bool inside = s.size ? addr - s.address < s.size : true;
    if (!inside) continue;
    if (!best || s.address > best->address ||
        (s.address == best->address && s.function && !best->function))
      best = &s;
  }
  if (!best) return {};
  return addr == best->address ? best->name
                               : fmt::format("{}+0x{:x}", best->name, addr - best->address);
}

}  // namespace salvo::ppu
