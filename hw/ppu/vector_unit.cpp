#include "hw/ppu/vector_unit.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "hw/common/error.hpp"

namespace salvo::ppu {
namespace {

constexpr std::uint32_t field(std::uint32_t i, unsigned hi, unsigned lo) {
  return (i >> lo) & ((1u << (hi - lo + 1)) - 1u);
}

std::int64_t sat(std::int64_t v, unsigned w) {
  const unsigned b = 8u << w;
  const std::int64_t hi = (std::int64_t{1} << (b - 1)) - 1, lo = -(std::int64_t{1} << (b - 1));
  return std::clamp(v, lo, hi);
}

}  // namespace

VectorUnit::VectorUnit(const VectorParams& params) : p_(params) {
  if (p_.bytes < 16 || p_.bytes > 256 || (p_.bytes & (p_.bytes - 1)) != 0)
    throw InternalError(
        fmt::format("VectorUnit: bytes = {} (allowed 16..256, a power of two)", p_.bytes));
  regs_.assign(std::size_t{vec::kRegisters} * p_.bytes, 0);
}

void VectorUnit::reset() {
  std::fill(regs_.begin(), regs_.end(), 0);
  vl_ = 0;
}

std::int64_t VectorUnit::lane(unsigned v, unsigned w, unsigned i) const {
  const std::uint8_t* p = reg(v) + (i << w);
  switch (w) {
    case 0:
      return static_cast<std::int8_t>(p[0]);
    case 1: {
      std::int16_t t;
      std::memcpy(&t, p, 2);
      return t;
    }
    default: {
      std::int32_t t;
      std::memcpy(&t, p, 4);
      return t;
    }
  }
}

void VectorUnit::set_lane(unsigned v, unsigned w, unsigned i, std::int64_t value) {
  const auto u = static_cast<std::uint32_t>(static_cast<std::uint64_t>(value));
  std::memcpy(reg(v) + (i << w), &u, 1u << w);  // little-endian host: the low bytes
}

VectorUnit::Result VectorUnit::execute(std::uint32_t insn, std::uint32_t* x, VectorMemory& memory) {
  Result r = (insn & 0x7Fu) == vec::kOpcodeAlu ? execute_alu(insn) : execute_mem(insn, x, memory);
  if (!r.ok) {
    if (r.cause == TrapCause::kIllegalInstruction) r.tval = insn;
    return r;
  }
  ++counters_.instructions;
  r.cycles = std::max<std::uint64_t>(r.cycles, 1);
  return r;
}

VectorUnit::Result VectorUnit::execute_alu(std::uint32_t insn) {
  using namespace vec;
  Result r;
  const unsigned w = field(insn, 14, 12), op = field(insn, 31, 25);
  const unsigned vd = field(insn, 11, 7), vs1 = field(insn, 19, 15), vs2 = field(insn, 24, 20);
  if (w > 2 || op >= kOpCount || op == 15) {
    r.ok = false;
    return r;
  }
  const unsigned bitsw = 8u << w;
  const std::uint64_t mask = bitsw == 64 ? ~0ull : ((std::uint64_t{1} << bitsw) - 1);
  const unsigned n = std::min(vl_, lanes(w));
  const unsigned sh = vs2 % bitsw;  // shift immediates
  r.cycles = p_.cycles.alu;
  if (op == kMul || op == kMulFrac || op == kMulHalf) r.cycles = p_.cycles.mul;
  if (op == kRound) r.cycles = p_.cycles.round;
  if (op == kRound && (vs2 == 0 || vs2 > 31)) {
    r.ok = false;
    return r;
  }
  for (unsigned i = 0; i < n; ++i) {
    const std::int64_t a = lane(vs1, w, i), b = lane(vs2, w, i);
    const std::uint64_t ua = static_cast<std::uint64_t>(a) & mask;
    std::int64_t v = 0;
    switch (op) {
      case kAdd:
        v = a + b;
        break;
      case kSub:
        v = a - b;
        break;
      case kAddSat:
        v = sat(a + b, w);
        break;
      case kSubSat:
        v = sat(a - b, w);
        break;
      case kMul:
        v = a * b;
        break;
      case kMulFrac:
        v = sat((a * b) >> (bitsw - 1), w);
        break;
      case kMulHalf:
        v = sat((a * b) >> (bitsw / 2), w);
        break;
      case kMin:
        v = std::min(a, b);
        break;
      case kMax:
        v = std::max(a, b);
        break;
      case kAnd:
        v = a & b;
        break;
      case kOr:
        v = a | b;
        break;
      case kXor:
        v = a ^ b;
        break;
      case kSlt:
        v = a < b ? -1 : 0;
        break;
      case kSeq:
        v = a == b ? -1 : 0;
        break;
      case kSelect:
        v = lane(0, w, i) != 0 ? a : b;
        break;
      case kAbs:
        v = sat(a < 0 ? -a : a, w);
        break;
      case kSll:
        v = static_cast<std::int64_t>(ua << sh);
        break;
      case kSrl:
        v = static_cast<std::int64_t>(ua >> sh);
        break;
      case kSra:
        v = a >> sh;
        break;
      case kRound: {
        const std::uint32_t rnd = random_ ? random_() : 0u;
        const std::uint64_t frac = ua & ((std::uint64_t{1} << vs2) - 1);
        v = (a >> vs2) + ((std::uint64_t{rnd} >> (32 - vs2)) < frac ? 1 : 0);
        break;
      }
      default:
        break;
    }
    set_lane(vd, w, i, v);
  }
  counters_.lane_ops += n;
  return r;
}

VectorUnit::Result VectorUnit::execute_mem(std::uint32_t insn, std::uint32_t* x,
                                           VectorMemory& memory) {
  using namespace vec;
  Result r;
  const unsigned kind = field(insn, 14, 12), f7 = field(insn, 31, 25);
  const unsigned rd = field(insn, 11, 7), rs1 = field(insn, 19, 15), rs2 = field(insn, 24, 20);
  const unsigned w = f7 & 3u;
  std::uint32_t* const xd = &x[rd == 0 ? kSinkRegister : rd];
  if (w > 2) {
    r.ok = false;
    return r;
  }
  r.cycles = p_.cycles.alu;
  switch (kind) {
    case kSetvl:
      if (f7 > 2) break;
      vl_ = std::min(x[rs1], lanes(w));
      *xd = vl_;
      r.cycles = p_.cycles.config;
      return r;
    case kLoad:
    case kStore:
      return load_store(insn, x, memory);
    case kRedsum: {
      if (f7 > 2) break;
      std::int64_t s = 0;
      const unsigned n = std::min(vl_, lanes(w));
      for (unsigned i = 0; i < n; ++i) s += lane(rs1, w, i);
      *xd = static_cast<std::uint32_t>(static_cast<std::uint64_t>(s));
      counters_.lane_ops += n;
      r.cycles = p_.cycles.reduce;
      return r;
    }
    case kSplat:
      if (f7 > 2) break;
      for (unsigned i = 0; i < lanes(w); ++i) set_lane(rd, w, i, x[rs1]);
      return r;
    case kExtract:
      if (f7 > 2) break;
      *xd = static_cast<std::uint32_t>(lane(rs1, w, x[rs2] % lanes(w)));
      return r;
    default:
      break;
  }
  r.ok = false;
  return r;
}

VectorUnit::Result VectorUnit::load_store(std::uint32_t insn, std::uint32_t* x,
                                          VectorMemory& memory) {
  Result r;
  const bool store = field(insn, 14, 12) == vec::kStore;
  const unsigned f7 = field(insn, 31, 25);
  const unsigned w = f7 & 3u, m = (f7 >> 2) & 3u;
  const bool sign = (f7 >> 4) & 1u;
  const unsigned v = field(insn, 11, 7);
  if (m > w || (f7 >> 5) != 0 || (store && sign)) {
    r.ok = false;
    return r;
  }
  const std::uint32_t addr = x[field(insn, 19, 15)] + x[field(insn, 24, 20)];
  const unsigned n = std::min(vl_, lanes(w));
  const std::uint32_t len = n << m;
  std::uint8_t buf[256 * 4];
  bool outside = false;
  std::uint64_t extra = 0;
  if (store) {
    for (unsigned i = 0; i < n; ++i) std::memcpy(buf + (i << m), reg(v) + (i << w), 1u << m);
    if (len && !memory.vector_write(addr, buf, len, outside, extra)) {
      r.ok = false;
      r.cause = TrapCause::kStoreAccessFault;
      r.tval = addr;
      return r;
    }
  } else {
    if (len && !memory.vector_read(addr, buf, len, outside, extra)) {
      r.ok = false;
      r.cause = TrapCause::kLoadAccessFault;
      r.tval = addr;
      return r;
    }
    for (unsigned i = 0; i < n; ++i) {
      std::uint32_t u = 0;
      std::memcpy(&u, buf + (i << m), 1u << m);
      std::int64_t e = u;
      if (sign && m < 2) {
        const unsigned b = 8u << m;
        e = static_cast<std::int64_t>(u ^ (1u << (b - 1))) - (std::int64_t{1} << (b - 1));
      }
      set_lane(v, w, i, e);
    }
  }
  const VectorCycles& c = p_.cycles;
  if (outside) {
    r.cycles = c.chip_access + extra;
    ++counters_.chip_accesses;
    counters_.chip_bytes += len;
  } else {
    r.cycles = c.sram_access + (len + c.sram_bytes_per_cycle - 1) / c.sram_bytes_per_cycle + extra;
    counters_.sram_bytes += len;
  }
  r.left_sram = outside;
  return r;
}

std::string VectorUnit::disassemble(std::uint32_t insn) {
  using namespace vec;
  if (!is_vector_opcode(insn)) return {};
  static constexpr const char* kWidth[4] = {"b", "h", "w", "?"};
  const unsigned f3 = field(insn, 14, 12), f7 = field(insn, 31, 25);
  const unsigned rd = field(insn, 11, 7), rs1 = field(insn, 19, 15), rs2 = field(insn, 24, 20);
  if ((insn & 0x7Fu) == kOpcodeAlu) {
    static constexpr const char* kNames[kOpCount] = {
        "vadd", "vsub", "vadds", "vsubs", "vmul", "vmulf", "vmin", "vmax", "vand",  "vor",  "vxor",
        "vslt", "vseq", "vsel",  "vabs",  "?",    "vsll",  "vsrl", "vsra", "vmulh", "vsrnd"};
    if (f7 >= kOpCount || f3 > 2) return fmt::format("<vector 0x{:08x}>", insn);
    if (f7 == kSll || f7 == kSrl || f7 == kSra || f7 == kRound)
      return fmt::format("{}.{} v{}, v{}, {}", kNames[f7], kWidth[f3], rd, rs1, rs2);
    if (f7 == kAbs) return fmt::format("vabs.{} v{}, v{}", kWidth[f3], rd, rs1);
    return fmt::format("{}.{} v{}, v{}, v{}", kNames[f7], kWidth[f3], rd, rs1, rs2);
  }
  const char* w = kWidth[f7 & 3u];
  auto x = [](unsigned i) { return register_abi_name(static_cast<int>(i)); };
  switch (f3) {
    case kSetvl:
      return fmt::format("vsetvl.{} {}, {}", w, x(rd), x(rs1));
    case kLoad:
    case kStore:
      return fmt::format("{}.{}{}{} v{}, ({}+{})", f3 == kLoad ? "vld" : "vst", w,
                         kWidth[(f7 >> 2) & 3u], ((f7 >> 4) & 1u) ? "s" : "", rd, x(rs1), x(rs2));
    case kRedsum:
      return fmt::format("vredsum.{} {}, v{}", w, x(rd), rs1);
    case kSplat:
      return fmt::format("vsplat.{} v{}, {}", w, rd, x(rs1));
    case kExtract:
      return fmt::format("vext.{} {}, v{}, {}", w, x(rd), rs1, x(rs2));
    default:
      return fmt::format("<vector 0x{:08x}>", insn);
  }
}

}  // namespace salvo::ppu
