// RV32IMC + Zicsr + Zifencei instruction set of the plasticity processor: encodings, CSR
// numbers, trap causes and the decoder that turns an instruction word (16- or 32-bit) into
// the predecoded form the instruction-set simulator executes. Plain C++, no SystemC.
// Compressed instructions are expanded to their 32-bit equivalents, so one executor
// serves both lengths; reserved and unsupported encodings decode to Op::kIllegal.
#pragma once

#include <cstdint>
#include <string>

namespace salvo::ppu {

// One value per instruction the executor distinguishes. kUndecoded (0) marks an empty
// decode-cache slot, so a zero-filled cache is an empty cache.
enum class Op : std::uint8_t {
  kUndecoded = 0,
  kIllegal,
  // RV32I
  kLui,
  kAuipc,
  kJal,
  kJalr,
  kBeq,
  kBne,
  kBlt,
  kBge,
  kBltu,
  kBgeu,
  kLb,
  kLh,
  kLw,
  kLbu,
  kLhu,
  kSb,
  kSh,
  kSw,
  kAddi,
  kSlti,
  kSltiu,
  kXori,
  kOri,
  kAndi,
  kSlli,
  kSrli,
  kSrai,
  kAdd,
  kSub,
  kSll,
  kSlt,
  kSltu,
  kXor,
  kSrl,
  kSra,
  kOr,
  kAnd,
  kFence,
  kFenceI,
  kEcall,
  kEbreak,
  kMret,
  kWfi,
  // Zicsr
  kCsrrw,
  kCsrrs,
  kCsrrc,
  kCsrrwi,
  kCsrrsi,
  kCsrrci,
  // M
  kMul,
  kMulh,
  kMulhsu,
  kMulhu,
  kDiv,
  kDivu,
  kRem,
  kRemu,
  // custom-0 / custom-1: the optional vector unit (hw/ppu/vector_unit.hpp)
  kVector,
  kCount
};

// Cost class of an instruction in the cycle model (see CycleModel).
enum class CostClass : std::uint8_t {
  kAlu,
  kBranch,
  kJump,
  kLoad,
  kStore,
  kMul,
  kDiv,
  kCsr,
  kSystem
};

// The register index that stands in for x0 as a destination: writes land in a sink slot
// so the executor never has to test rd == 0.
constexpr std::uint8_t kSinkRegister = 32;

// A predecoded instruction (16 bytes, one per halfword of cached code).
struct DecodedInsn {
  Op op = Op::kUndecoded;
  std::uint8_t rd = 0;   // kSinkRegister when the architectural rd is x0
  std::uint8_t rs1 = 0;  // also the 5-bit zero-extended immediate of CSR*I
  std::uint8_t rs2 = 0;
  std::int32_t imm = 0;     // sign-extended immediate; the CSR number for Zicsr
  std::uint32_t raw = 0;    // instruction bits as fetched (16 bits for compressed)
  std::uint8_t length = 4;  // 2 or 4 bytes
  std::uint8_t cycles = 1;  // base cost from the cycle model, filled by the core
  CostClass cost = CostClass::kAlu;
  std::uint8_t reserved = 0;
};
static_assert(sizeof(DecodedInsn) == 16, "decode-cache entries are meant to stay 16 bytes");

// True when the low halfword starts a 32-bit instruction (bits [1:0] == 11).
constexpr bool is_32bit(std::uint32_t low_halfword) { return (low_halfword & 3u) == 3u; }

// Decodes one 32-bit instruction. Anything outside RV32IM + Zicsr + Zifencei + the machine-mode
// system instructions (ECALL, EBREAK, MRET, WFI) decodes to Op::kIllegal.
DecodedInsn decode32(std::uint32_t insn);

// Expands one 16-bit RVC instruction to the equivalent 32-bit encoding; returns 0 (not a valid
// 32-bit instruction) for reserved encodings and for the F/D forms this core lacks.
std::uint32_t expand_compressed(std::uint16_t insn);

// Decodes either length: `bits` holds the instruction (upper half ignored when compressed).
DecodedInsn decode(std::uint32_t bits);

// Mnemonic of an op ("addi", "c.?" is not distinguished: compressed forms print as expanded).
const char* op_name(Op op);

// Disassembly good enough for trap reports and gdb-less debugging ("addi a0, a0, 1").
std::string disassemble(const DecodedInsn& d, std::uint32_t pc);

// ABI name of integer register i (0..31).
const char* register_abi_name(int i);

// Machine-mode CSR numbers.
namespace csr {
constexpr std::uint32_t kCycle = 0xC00, kTime = 0xC01, kInstret = 0xC02;
constexpr std::uint32_t kHpmCounter3 = 0xC03, kHpmCounter31 = 0xC1F;
constexpr std::uint32_t kCycleH = 0xC80, kTimeH = 0xC81, kInstretH = 0xC82;
constexpr std::uint32_t kHpmCounter3H = 0xC83, kHpmCounter31H = 0xC9F;
constexpr std::uint32_t kMvendorid = 0xF11, kMarchid = 0xF12, kMimpid = 0xF13, kMhartid = 0xF14;
constexpr std::uint32_t kMconfigptr = 0xF15;
constexpr std::uint32_t kMstatus = 0x300, kMisa = 0x301, kMie = 0x304, kMtvec = 0x305;
constexpr std::uint32_t kMstatush = 0x310;
constexpr std::uint32_t kMscratch = 0x340, kMepc = 0x341, kMcause = 0x342, kMtval = 0x343;
constexpr std::uint32_t kMip = 0x344;
constexpr std::uint32_t kPmpcfg0 = 0x3A0, kPmpcfg15 = 0x3AF, kPmpaddr0 = 0x3B0, kPmpaddr63 = 0x3EF;
constexpr std::uint32_t kMcycle = 0xB00, kMinstret = 0xB02;
constexpr std::uint32_t kMhpmcounter3 = 0xB03, kMhpmcounter31 = 0xB1F;
constexpr std::uint32_t kMcycleH = 0xB80, kMinstretH = 0xB82;
constexpr std::uint32_t kMhpmcounter3H = 0xB83, kMhpmcounter31H = 0xB9F;
constexpr std::uint32_t kMhpmevent3 = 0x323, kMhpmevent31 = 0x33F;
constexpr std::uint32_t kTselect = 0x7A0, kTdata1 = 0x7A1, kTdata2 = 0x7A2, kTdata3 = 0x7A3;
constexpr std::uint32_t kTinfo = 0x7A4;
}  // namespace csr

// mstatus / mie / mip bits used by a machine-mode-only hart.
constexpr std::uint32_t kMstatusMie = 1u << 3;
constexpr std::uint32_t kMstatusMpie = 1u << 7;
constexpr std::uint32_t kMstatusMpp = 3u << 11;  // hard-wired to M (11)
constexpr std::uint32_t kMipMsip = 1u << 3;
constexpr std::uint32_t kMipMtip = 1u << 7;
constexpr std::uint32_t kMipMeip = 1u << 11;

// misa: MXL = 1 (32-bit), extensions I, M, C.
constexpr std::uint32_t kMisaValue =
    (1u << 30) | (1u << ('I' - 'A')) | (1u << ('M' - 'A')) | (1u << ('C' - 'A'));

// mcause values.
enum class TrapCause : std::uint32_t {
  kInstructionMisaligned = 0,
  kInstructionAccessFault = 1,
  kIllegalInstruction = 2,
  kBreakpoint = 3,
  kLoadMisaligned = 4,
  kLoadAccessFault = 5,
  kStoreMisaligned = 6,
  kStoreAccessFault = 7,
  kEcallFromM = 11,
};
constexpr std::uint32_t kInterruptBit = 0x8000'0000u;
constexpr std::uint32_t kIrqMachineSoftware = 3;
constexpr std::uint32_t kIrqMachineTimer = 7;
constexpr std::uint32_t kIrqMachineExternal = 11;

// Human-readable mcause ("illegal instruction", "machine timer interrupt").
std::string describe_cause(std::uint32_t mcause);

}  // namespace salvo::ppu
