// VectorUnit: the optional SIMD extension of the plasticity processor (chip variant option
// processor.vector), in the RISC-V custom-0 / custom-1 opcode spaces. 32 vector registers of
// `bytes` bytes each, split into lanes of 8, 16 or 32 bits per instruction; a vector length
// register `vl` (lanes in use, set by vsetvl) bounds every instruction. Loads and stores go
// anywhere the core can address — SRAM, or a row segment of weights, labels or CADC results
// straight from the chip window (one burst access). Arithmetic is lane-wise: modular and
// saturating add/sub, low, fractional and shifted multiplies, min/max, compare and select,
// shifts, absolute value, stochastic rounding with the processor's hardware random number
// generator, a sum reduction into an integer register. Encodings: docs/processor.md.
// Plain C++: the core calls execute() for every custom-0/1 instruction; without a unit the
// core raises an illegal-instruction trap.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hw/ppu/rv32_isa.hpp"

namespace salvo::ppu {

// Cycle costs of the unit's instructions (zero-wait SRAM; chip-window accesses add whatever
// the chip annotates, e.g. a CADC conversion still running).
struct VectorCycles {
  std::uint32_t alu = 1;                    // add/sub/min/max/logic/compare/select/shift/abs/splat
  std::uint32_t mul = 2;                    // vmul, vmulf, vmulsh
  std::uint32_t round = 2;                  // vsrnd (random draw + compare + add)
  std::uint32_t reduce = 4;                 // vredsum
  std::uint32_t sram_access = 2;            // vld/vst to SRAM: fixed part ...
  std::uint32_t sram_bytes_per_cycle = 16;  // ... plus ceil(bytes / this)
  std::uint32_t chip_access = 20;           // vld/vst through the chip window (one row segment)
  std::uint32_t config = 1;                 // vsetvl
};

struct VectorParams {
  std::uint32_t bytes = 128;  // register width: 16..256, a power of two
  VectorCycles cycles;
};

// Encoding fields of the extension (docs/processor.md, "Vector extension").
namespace vec {
constexpr std::uint32_t kOpcodeAlu = 0x0B;  // custom-0: lane-wise arithmetic, funct3 = width
constexpr std::uint32_t kOpcodeMem = 0x2B;  // custom-1: vl, memory, moves, funct3 = kind
constexpr unsigned kRegisters = 32;
// custom-1 funct3
enum MemKind : std::uint32_t {
  kSetvl = 0,    // x[rd] = vl = min(x[rs1], lanes(w))           funct7[1:0] = w
  kLoad = 1,     // vd = mem[x[rs1] + x[rs2] ...]                  funct7 = s:m:w (below)
  kStore = 2,    // mem[x[rs1] + x[rs2] ...] = vs(rd field)
  kRedsum = 3,   // x[rd] = sum of lanes 0..vl-1 of vs1 (signed, w)
  kSplat = 4,    // vd lanes 0..lanes(w)-1 = x[rs1] (truncated to w)
  kExtract = 5,  // x[rd] = lane x[rs2] of vs1 (sign-extended, w)
};
// custom-0 funct7 (funct3 = lane width code w: 0 = 8, 1 = 16, 2 = 32 bit)
enum AluOp : std::uint32_t {
  kAdd = 0,
  kSub = 1,
  kAddSat = 2,  // signed saturating
  kSubSat = 3,
  kMul = 4,      // low w bits of a * b
  kMulFrac = 5,  // saturate((a * b) >> (w - 1)): signed fractional Q(w-1) multiply
  kMin = 6,      // signed
  kMax = 7,
  kAnd = 8,
  kOr = 9,
  kXor = 10,
  kSlt = 11,     // lane = a < b (signed) ? all ones : 0
  kSeq = 12,     // lane = a == b ? all ones : 0
  kSelect = 13,  // lane = v0 lane != 0 ? a : b
  kAbs = 14,     // saturate(|a|)
  kSll = 16,     // rs2 field = shift amount (immediate 0..31, taken modulo w)
  kSrl = 17,
  kSra = 18,
  kMulHalf = 19,  // saturate((a * b) >> (w / 2)): Q(w/2) fixed-point multiply, 64-bit product
  kRound = 20,    // stochastic rounding, sh = rs2 field (1..31): (a >> sh) + 1 with probability
                  // frac / 2^sh, i.e. when (r >> (32 - sh)) < (a & (2^sh - 1)), r = a fresh
                  // 32-bit hardware random number per lane (lanes in order 0..vl-1)
  kOpCount = 21,
};
}  // namespace vec

// Where the unit's loads and stores go: the core's memory (SRAM directly, everything else over
// its bus). false = access fault; extra_cycles = bus and device latency beyond the unit's cost.
class VectorMemory {
 public:
  virtual ~VectorMemory() = default;
  virtual bool vector_read(std::uint32_t addr, void* data, std::uint32_t len, bool& outside_sram,
                           std::uint64_t& extra_cycles) = 0;
  virtual bool vector_write(std::uint32_t addr, const void* data, std::uint32_t len,
                            bool& outside_sram, std::uint64_t& extra_cycles) = 0;
};

class VectorUnit {
 public:
  explicit VectorUnit(const VectorParams& params);

  // Random numbers for vsrnd (the processor's hardware generator). Unset: zeros.
  void set_random_source(std::function<std::uint32_t()> source) { random_ = std::move(source); }

  struct Result {
    bool ok = true;  // false: trap with `cause` and `tval`
    TrapCause cause = TrapCause::kIllegalInstruction;
    std::uint32_t tval = 0;
    std::uint64_t cycles = 0;  // cost of the instruction including memory latency
    bool left_sram = false;    // the access went over the bus (the core leaves its block)
  };
  // Executes one custom-0/1 instruction. x: the integer registers (x[0] reads 0; writes to
  // x0 must go to index kSinkRegister).
  Result execute(std::uint32_t insn, std::uint32_t* x, VectorMemory& memory);

  void reset();
  std::uint32_t bytes() const { return p_.bytes; }
  std::uint32_t vl() const { return vl_; }
  void set_vl(std::uint32_t v) { vl_ = v; }
  // Register v (0..31) as bytes, little-endian lanes (debugger, tests).
  std::uint8_t* reg(unsigned v) { return regs_.data() + (v % vec::kRegisters) * p_.bytes; }
  const std::uint8_t* reg(unsigned v) const {
    return regs_.data() + (v % vec::kRegisters) * p_.bytes;
  }

  // Statistics: instructions executed, lane operations (lanes x instructions), bytes moved
  // to and from the chip window and SRAM.
  struct Counters {
    std::uint64_t instructions = 0;
    std::uint64_t lane_ops = 0;
    std::uint64_t chip_accesses = 0;
    std::uint64_t chip_bytes = 0;
    std::uint64_t sram_bytes = 0;
  };
  const Counters& counters() const { return counters_; }
  const VectorParams& params() const { return p_; }

  // "vadd.w v1, v2, v3" (empty when `insn` is no vector instruction).
  static std::string disassemble(std::uint32_t insn);
  static bool is_vector_opcode(std::uint32_t insn) {
    const std::uint32_t opc = insn & 0x7Fu;
    return opc == vec::kOpcodeAlu || opc == vec::kOpcodeMem;
  }

 private:
  Result execute_alu(std::uint32_t insn);
  Result execute_mem(std::uint32_t insn, std::uint32_t* x, VectorMemory& memory);
  Result load_store(std::uint32_t insn, std::uint32_t* x, VectorMemory& memory);
  std::int64_t lane(unsigned v, unsigned w, unsigned i) const;            // sign-extended
  void set_lane(unsigned v, unsigned w, unsigned i, std::int64_t value);  // truncating
  std::uint32_t lanes(unsigned w) const { return p_.bytes >> w; }

  VectorParams p_;
  std::vector<std::uint8_t> regs_;
  std::uint32_t vl_ = 0;
  std::function<std::uint32_t()> random_;
  Counters counters_;
};

}  // namespace salvo::ppu
