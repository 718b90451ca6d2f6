#include "hw/ppu/rv32_isa.hpp"

#include <fmt/format.h>

#include "hw/ppu/vector_unit.hpp"

namespace salvo::ppu {
namespace {

constexpr std::uint32_t bits(std::uint32_t v, int hi, int lo) {
  return (v >> lo) & ((1u << (hi - lo + 1)) - 1u);
}
constexpr std::uint32_t bit(std::uint32_t v, int b) { return (v >> b) & 1u; }
constexpr std::int32_t sext(std::uint32_t v, int width) {
  const std::uint32_t m = 1u << (width - 1);
  return static_cast<std::int32_t>((v ^ m) - m);
}

constexpr std::int32_t imm_i(std::uint32_t i) { return sext(bits(i, 31, 20), 12); }
constexpr std::int32_t imm_s(std::uint32_t i) {
  return sext((bits(i, 31, 25) << 5) | bits(i, 11, 7), 12);
}
constexpr std::int32_t imm_b(std::uint32_t i) {
  return sext(
      (bit(i, 31) << 12) | (bit(i, 7) << 11) | (bits(i, 30, 25) << 5) | (bits(i, 11, 8) << 1), 13);
}
constexpr std::int32_t imm_u(std::uint32_t i) { return static_cast<std::int32_t>(i & 0xFFFFF000u); }
constexpr std::int32_t imm_j(std::uint32_t i) {
  return sext(
      (bit(i, 31) << 20) | (bits(i, 19, 12) << 12) | (bit(i, 20) << 11) | (bits(i, 30, 21) << 1),
      21);
}

DecodedInsn make(Op op, std::uint32_t insn, CostClass cost) {
  DecodedInsn d;
  d.op = op;
  const std::uint32_t rd = bits(insn, 11, 7);
  d.rd = static_cast<std::uint8_t>(rd == 0 ? kSinkRegister : rd);
  d.rs1 = static_cast<std::uint8_t>(bits(insn, 19, 15));
  d.rs2 = static_cast<std::uint8_t>(bits(insn, 24, 20));
  d.raw = insn;
  d.length = 4;
  d.cost = cost;
  return d;
}

DecodedInsn illegal(std::uint32_t insn) {
  DecodedInsn d;
  d.op = Op::kIllegal;
  d.raw = insn;
  d.length = 4;
  d.cost = CostClass::kSystem;
  return d;
}

// 32-bit encodings of the expansion targets (R/I/S/B/U/J formats).
constexpr std::uint32_t enc_i(std::uint32_t opc, std::uint32_t f3, std::uint32_t rd,
                              std::uint32_t rs1, std::int32_t imm) {
  return (static_cast<std::uint32_t>(imm & 0xFFF) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) |
         opc;
}
constexpr std::uint32_t enc_r(std::uint32_t opc, std::uint32_t f3, std::uint32_t f7,
                              std::uint32_t rd, std::uint32_t rs1, std::uint32_t rs2) {
  return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc;
}
constexpr std::uint32_t enc_s(std::uint32_t opc, std::uint32_t f3, std::uint32_t rs1,
                              std::uint32_t rs2, std::int32_t imm) {
  const std::uint32_t u = static_cast<std::uint32_t>(imm) & 0xFFF;
  return (bits(u, 11, 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (bits(u, 4, 0) << 7) |
         opc;
}
constexpr std::uint32_t enc_b(std::uint32_t f3, std::uint32_t rs1, std::uint32_t rs2,
                              std::int32_t imm) {
  const std::uint32_t u = static_cast<std::uint32_t>(imm) & 0x1FFF;
  return (bit(u, 12) << 31) | (bits(u, 10, 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
         (bits(u, 4, 1) << 8) | (bit(u, 11) << 7) | 0x63;
}
constexpr std::uint32_t enc_j(std::uint32_t rd, std::int32_t imm) {
  const std::uint32_t u = static_cast<std::uint32_t>(imm) & 0x1FFFFF;
  return (bit(u, 20) << 31) | (bits(u, 10, 1) << 21) | (bit(u, 11) << 20) |
         (bits(u, 19, 12) << 12) | (rd << 7) | 0x6F;
}
constexpr std::uint32_t enc_u(std::uint32_t opc, std::uint32_t rd, std::uint32_t imm20) {
  return (imm20 << 12) | (rd << 7) | opc;
}

constexpr std::uint32_t kOpLoad = 0x03, kOpMiscMem = 0x0F, kOpImm = 0x13, kOpAuipc = 0x17,
                        kOpStore = 0x23, kOpOp = 0x33, kOpLui = 0x37, kOpBranch = 0x63,
                        kOpJalr = 0x67, kOpJal = 0x6F, kOpSystem = 0x73;

}  // namespace

DecodedInsn decode32(std::uint32_t i) {
  if ((i & 3u) != 3u || bits(i, 4, 2) == 7u) return illegal(i);  // 16-bit or >32-bit encodings
  const std::uint32_t opc = bits(i, 6, 0);
  const std::uint32_t f3 = bits(i, 14, 12);
  const std::uint32_t f7 = bits(i, 31, 25);
  DecodedInsn d;
  switch (opc) {
    case kOpLui:
      d = make(Op::kLui, i, CostClass::kAlu);
      d.imm = imm_u(i);
      return d;
    case kOpAuipc:
      d = make(Op::kAuipc, i, CostClass::kAlu);
      d.imm = imm_u(i);
      return d;
    case kOpJal:
      d = make(Op::kJal, i, CostClass::kJump);
      d.imm = imm_j(i);
      return d;
    case kOpJalr:
      if (f3 != 0) return illegal(i);
      d = make(Op::kJalr, i, CostClass::kJump);
      d.imm = imm_i(i);
      return d;
    case kOpBranch: {
      static constexpr Op ops[8] = {Op::kBeq, Op::kBne, Op::kIllegal, Op::kIllegal,
                                    Op::kBlt, Op::kBge, Op::kBltu,    Op::kBgeu};
      if (ops[f3] == Op::kIllegal) return illegal(i);
      d = make(ops[f3], i, CostClass::kBranch);
      d.imm = imm_b(i);
      return d;
    }
    case kOpLoad: {
      static constexpr Op ops[8] = {Op::kLb,  Op::kLh,  Op::kLw,      Op::kIllegal,
                                    Op::kLbu, Op::kLhu, Op::kIllegal, Op::kIllegal};
      if (ops[f3] == Op::kIllegal) return illegal(i);
      d = make(ops[f3], i, CostClass::kLoad);
      d.imm = imm_i(i);
      return d;
    }
    case kOpStore: {
      static constexpr Op ops[8] = {Op::kSb,      Op::kSh,      Op::kSw,      Op::kIllegal,
                                    Op::kIllegal, Op::kIllegal, Op::kIllegal, Op::kIllegal};
      if (ops[f3] == Op::kIllegal) return illegal(i);
      d = make(ops[f3], i, CostClass::kStore);
      d.imm = imm_s(i);
      return d;
    }
    case kOpImm: {
      switch (f3) {
        case 0:
          d = make(Op::kAddi, i, CostClass::kAlu);
          break;
        case 2:
          d = make(Op::kSlti, i, CostClass::kAlu);
          break;
        case 3:
          d = make(Op::kSltiu, i, CostClass::kAlu);
          break;
        case 4:
          d = make(Op::kXori, i, CostClass::kAlu);
          break;
        case 6:
          d = make(Op::kOri, i, CostClass::kAlu);
          break;
        case 7:
          d = make(Op::kAndi, i, CostClass::kAlu);
          break;
        case 1:  // shamt[5] (bit 25) set is reserved on RV32
          if (f7 != 0) return illegal(i);
          d = make(Op::kSlli, i, CostClass::kAlu);
          d.imm = static_cast<std::int32_t>(bits(i, 24, 20));
          return d;
        case 5:
          if (f7 == 0x00)
            d = make(Op::kSrli, i, CostClass::kAlu);
          else if (f7 == 0x20)
            d = make(Op::kSrai, i, CostClass::kAlu);
          else
            return illegal(i);
          d.imm = static_cast<std::int32_t>(bits(i, 24, 20));
          return d;
      }
      d.imm = imm_i(i);
      return d;
    }
    case kOpOp: {
      if (f7 == 0x00) {
        static constexpr Op ops[8] = {Op::kAdd, Op::kSll, Op::kSlt, Op::kSltu,
                                      Op::kXor, Op::kSrl, Op::kOr,  Op::kAnd};
        return make(ops[f3], i, CostClass::kAlu);
      }
      if (f7 == 0x20) {
        if (f3 == 0) return make(Op::kSub, i, CostClass::kAlu);
        if (f3 == 5) return make(Op::kSra, i, CostClass::kAlu);
        return illegal(i);
      }
      if (f7 == 0x01) {
        static constexpr Op ops[8] = {Op::kMul, Op::kMulh, Op::kMulhsu, Op::kMulhu,
                                      Op::kDiv, Op::kDivu, Op::kRem,    Op::kRemu};
        return make(ops[f3], i, f3 < 4 ? CostClass::kMul : CostClass::kDiv);
      }
      return illegal(i);
    }
    case kOpMiscMem:
      // FENCE ignores fm/pred/succ and the reserved rd/rs1 fields (the spec asks
      // implementations to treat unknown variants as a plain FENCE); FENCE.I likewise.
      if (f3 == 0) return make(Op::kFence, i, CostClass::kSystem);
      if (f3 == 1) return make(Op::kFenceI, i, CostClass::kSystem);
      return illegal(i);
    case kOpSystem: {
      if (f3 == 0) {
        switch (i) {
          case 0x00000073:
            return make(Op::kEcall, i, CostClass::kSystem);
          case 0x00100073:
            return make(Op::kEbreak, i, CostClass::kSystem);
          case 0x30200073:
            return make(Op::kMret, i, CostClass::kSystem);
          case 0x10500073:
            return make(Op::kWfi, i, CostClass::kSystem);
          default:
            return illegal(i);
        }
      }
      static constexpr Op ops[8] = {Op::kIllegal, Op::kCsrrw,  Op::kCsrrs,  Op::kCsrrc,
                                    Op::kIllegal, Op::kCsrrwi, Op::kCsrrsi, Op::kCsrrci};
      if (ops[f3] == Op::kIllegal) return illegal(i);
      d = make(ops[f3], i, CostClass::kCsr);
      d.imm = static_cast<std::int32_t>(bits(i, 31, 20));
      return d;
    }
    case 0x0B:  // custom-0
    case 0x2B:  // custom-1: the vector unit decides (illegal when the variant has none)
      return make(Op::kVector, i, CostClass::kAlu);
    default:
      return illegal(i);
  }
}

std::uint32_t expand_compressed(std::uint16_t ci) {
  const std::uint32_t c = ci;
  const std::uint32_t q = bits(c, 1, 0);
  const std::uint32_t f3 = bits(c, 15, 13);
  const std::uint32_t rdp = bits(c, 4, 2) + 8;   // rd' / rs2'
  const std::uint32_t rs1p = bits(c, 9, 7) + 8;  // rs1' / rd'
  const std::uint32_t rd = bits(c, 11, 7);
  const std::uint32_t rs2 = bits(c, 6, 2);
  if (q == 0) {
    switch (f3) {
      case 0: {  // C.ADDI4SPN
        const std::uint32_t nzuimm =
            (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bit(c, 6) << 2) | (bit(c, 5) << 3);
        if (nzuimm == 0) return 0;  // includes the all-zero illegal instruction
        return enc_i(kOpImm, 0, rdp, 2, static_cast<std::int32_t>(nzuimm));
      }
      case 2: {  // C.LW
        const std::uint32_t uimm = (bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6);
        return enc_i(kOpLoad, 2, rdp, rs1p, static_cast<std::int32_t>(uimm));
      }
      case 6: {  // C.SW
        const std::uint32_t uimm = (bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6);
        return enc_s(kOpStore, 2, rs1p, rdp, static_cast<std::int32_t>(uimm));
      }
      default:  // C.FLD, C.FLW, C.FSD, C.FSW (no F/D) and the reserved funct3 = 100
        return 0;
    }
  }
  if (q == 1) {
    const std::int32_t imm6 = sext((bit(c, 12) << 5) | bits(c, 6, 2), 6);
    switch (f3) {
      case 0:  // C.ADDI (C.NOP and the HINTs with rd = 0 or imm = 0 execute as written)
        return enc_i(kOpImm, 0, rd, rd, imm6);
      case 1:    // C.JAL (RV32 only)
      case 5: {  // C.J
        const std::uint32_t off = (bit(c, 12) << 11) | (bit(c, 11) << 4) | (bits(c, 10, 9) << 8) |
                                  (bit(c, 8) << 10) | (bit(c, 7) << 6) | (bit(c, 6) << 7) |
                                  (bits(c, 5, 3) << 1) | (bit(c, 2) << 5);
        return enc_j(f3 == 1 ? 1 : 0, sext(off, 12));
      }
      case 2:  // C.LI
        return enc_i(kOpImm, 0, rd, 0, imm6);
      case 3: {
        if (rd == 2) {  // C.ADDI16SP
          const std::uint32_t nz = (bit(c, 12) << 9) | (bit(c, 6) << 4) | (bit(c, 5) << 6) |
                                   (bits(c, 4, 3) << 7) | (bit(c, 2) << 5);
          if (nz == 0) return 0;
          return enc_i(kOpImm, 0, 2, 2, sext(nz, 10));
        }
        // C.LUI
        if (imm6 == 0) return 0;
        return enc_u(kOpLui, rd, static_cast<std::uint32_t>(imm6) & 0xFFFFF);
      }
      case 4: {
        const std::uint32_t f2 = bits(c, 11, 10);
        if (f2 == 0 || f2 == 1) {  // C.SRLI / C.SRAI; shamt[5] = 1 is reserved on RV32
          if (bit(c, 12)) return 0;
          return enc_r(kOpImm, 5, f2 == 0 ? 0x00 : 0x20, rs1p, rs1p, bits(c, 6, 2));
        }
        if (f2 == 2) return enc_i(kOpImm, 7, rs1p, rs1p, imm6);  // C.ANDI
        if (bit(c, 12)) return 0;  // C.SUBW / C.ADDW (RV64) and reserved
        switch (bits(c, 6, 5)) {
          case 0:
            return enc_r(kOpOp, 0, 0x20, rs1p, rs1p, rdp);  // C.SUB
          case 1:
            return enc_r(kOpOp, 4, 0x00, rs1p, rs1p, rdp);  // C.XOR
          case 2:
            return enc_r(kOpOp, 6, 0x00, rs1p, rs1p, rdp);  // C.OR
          default:
            return enc_r(kOpOp, 7, 0x00, rs1p, rs1p, rdp);  // C.AND
        }
      }
      case 6:
      case 7: {  // C.BEQZ / C.BNEZ
        const std::uint32_t off = (bit(c, 12) << 8) | (bits(c, 11, 10) << 3) |
                                  (bits(c, 6, 5) << 6) | (bits(c, 4, 3) << 1) | (bit(c, 2) << 5);
        return enc_b(f3 == 6 ? 0 : 1, rs1p, 0, sext(off, 9));
      }
    }
    return 0;
  }
  if (q == 2) {
    switch (f3) {
      case 0:  // C.SLLI; shamt[5] = 1 is reserved on RV32
        if (bit(c, 12)) return 0;
        return enc_r(kOpImm, 1, 0x00, rd, rd, bits(c, 6, 2));
      case 2: {  // C.LWSP
        if (rd == 0) return 0;
        const std::uint32_t uimm = (bit(c, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6);
        return enc_i(kOpLoad, 2, rd, 2, static_cast<std::int32_t>(uimm));
      }
      case 4:
        if (bit(c, 12) == 0) {
          if (rs2 == 0) {  // C.JR
            if (rd == 0) return 0;
            return enc_i(kOpJalr, 0, 0, rd, 0);
          }
          return enc_r(kOpOp, 0, 0x00, rd, 0, rs2);  // C.MV
        }
        if (rs2 == 0) {
          if (rd == 0) return 0x00100073;      // C.EBREAK
          return enc_i(kOpJalr, 0, 1, rd, 0);  // C.JALR
        }
        return enc_r(kOpOp, 0, 0x00, rd, rd, rs2);  // C.ADD
      case 6: {                                     // C.SWSP
        const std::uint32_t uimm = (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6);
        return enc_s(kOpStore, 2, 2, rs2, static_cast<std::int32_t>(uimm));
      }
      default:  // C.FLDSP, C.FLWSP, C.FSDSP, C.FSWSP
        return 0;
    }
  }
  return 0;  // q == 3 is not a compressed instruction
}

DecodedInsn decode(std::uint32_t b) {
  if (is_32bit(b)) return decode32(b);
  const std::uint16_t half = static_cast<std::uint16_t>(b & 0xFFFF);
  const std::uint32_t expanded = expand_compressed(half);
  DecodedInsn d = expanded ? decode32(expanded) : illegal(half);
  d.raw = half;  // mtval reports the instruction as fetched
  d.length = 2;
  return d;
}

const char* op_name(Op op) {
  static constexpr const char* names[] = {
      "<undecoded>", "<illegal>", "lui",    "auipc",   "jal",  "jalr",   "beq",   "bne",
      "blt",         "bge",       "bltu",   "bgeu",    "lb",   "lh",     "lw",    "lbu",
      "lhu",         "sb",        "sh",     "sw",      "addi", "slti",   "sltiu", "xori",
      "ori",         "andi",      "slli",   "srli",    "srai", "add",    "sub",   "sll",
      "slt",         "sltu",      "xor",    "srl",     "sra",  "or",     "and",   "fence",
      "fence.i",     "ecall",     "ebreak", "mret",    "wfi",  "csrrw",  "csrrs", "csrrc",
      "csrrwi",      "csrrsi",    "csrrci", "mul",     "mulh", "mulhsu", "mulhu", "div",
      "divu",        "rem",       "remu",   "<vector>"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<std::size_t>(Op::kCount),
                "op_name table");
  const auto i = static_cast<std::size_t>(op);
  return i < static_cast<std::size_t>(Op::kCount) ? names[i] : "<?>";
}

const char* register_abi_name(int i) {
  static constexpr const char* names[32] = {"zero", "ra", "sp",  "gp",  "tp", "t0", "t1", "t2",
                                            "s0",   "s1", "a0",  "a1",  "a2", "a3", "a4", "a5",
                                            "a6",   "a7", "s2",  "s3",  "s4", "s5", "s6", "s7",
                                            "s8",   "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  return (i >= 0 && i < 32) ? names[i] : "?";
}

std::string disassemble(const DecodedInsn& d, std::uint32_t pc) {
  auto r = [](int i) { return register_abi_name(i == kSinkRegister ? 0 : i); };
  const char* n = op_name(d.op);
  switch (d.op) {
    case Op::kVector:
      return VectorUnit::disassemble(d.raw);
    case Op::kUndecoded:
    case Op::kIllegal:
      return fmt::format("<illegal 0x{:0{}x}>", d.raw, d.length == 2 ? 4 : 8);
    case Op::kLui:
    case Op::kAuipc:
      return fmt::format("{} {}, 0x{:x}", n, r(d.rd), static_cast<std::uint32_t>(d.imm) >> 12);
    case Op::kJal:
      return fmt::format("jal {}, 0x{:x}", r(d.rd), pc + static_cast<std::uint32_t>(d.imm));
    case Op::kJalr:
    case Op::kLb:
    case Op::kLh:
    case Op::kLw:
    case Op::kLbu:
    case Op::kLhu:
      return fmt::format("{} {}, {}({})", n, r(d.rd), d.imm, r(d.rs1));
    case Op::kSb:
    case Op::kSh:
    case Op::kSw:
      return fmt::format("{} {}, {}({})", n, r(d.rs2), d.imm, r(d.rs1));
    case Op::kBeq:
    case Op::kBne:
    case Op::kBlt:
    case Op::kBge:
    case Op::kBltu:
    case Op::kBgeu:
      return fmt::format("{} {}, {}, 0x{:x}", n, r(d.rs1), r(d.rs2),
                         pc + static_cast<std::uint32_t>(d.imm));
    case Op::kAddi:
    case Op::kSlti:
    case Op::kSltiu:
    case Op::kXori:
    case Op::kOri:
    case Op::kAndi:
    case Op::kSlli:
    case Op::kSrli:
    case Op::kSrai:
      return fmt::format("{} {}, {}, {}", n, r(d.rd), r(d.rs1), d.imm);
    case Op::kFence:
    case Op::kFenceI:
    case Op::kEcall:
    case Op::kEbreak:
    case Op::kMret:
    case Op::kWfi:
      return n;
    case Op::kCsrrw:
    case Op::kCsrrs:
    case Op::kCsrrc:
      return fmt::format("{} {}, 0x{:03x}, {}", n, r(d.rd), d.imm, r(d.rs1));
    case Op::kCsrrwi:
    case Op::kCsrrsi:
    case Op::kCsrrci:
      return fmt::format("{} {}, 0x{:03x}, {}", n, r(d.rd), d.imm, d.rs1);
    default:
      return fmt::format("{} {}, {}, {}", n, r(d.rd), r(d.rs1), r(d.rs2));
  }
}

std::string describe_cause(std::uint32_t mcause) {
  if (mcause & kInterruptBit) {
    switch (mcause & ~kInterruptBit) {
      case kIrqMachineSoftware:
        return "machine software interrupt";
      case kIrqMachineTimer:
        return "machine timer interrupt";
      case kIrqMachineExternal:
        return "machine external interrupt";
      default:
        return fmt::format("interrupt {}", mcause & ~kInterruptBit);
    }
  }
  switch (static_cast<TrapCause>(mcause)) {
    case TrapCause::kInstructionMisaligned:
      return "instruction address misaligned";
    case TrapCause::kInstructionAccessFault:
      return "instruction access fault";
    case TrapCause::kIllegalInstruction:
      return "illegal instruction";
    case TrapCause::kBreakpoint:
      return "breakpoint";
    case TrapCause::kLoadMisaligned:
      return "load address misaligned";
    case TrapCause::kLoadAccessFault:
      return "load access fault";
    case TrapCause::kStoreMisaligned:
      return "store address misaligned";
    case TrapCause::kStoreAccessFault:
      return "store access fault";
    case TrapCause::kEcallFromM:
      return "environment call from M-mode";
  }
  return fmt::format("exception {}", mcause);
}

}  // namespace salvo::ppu
