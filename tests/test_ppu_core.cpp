// Unit tests of the plasticity processor's instruction-set simulator (ProcessorCore), driven
// directly without SystemC: decoding (every compressed form against the GNU assembler's own
// expansion), M-extension edge cases, CSR semantics, trap flow, vectored mtvec, the timer
// interrupt and WFI, access faults, misaligned accesses, the decode cache, and DMI vs bus.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "hw/ppu/processor_core.hpp"
#include "hw/ppu/rv32_isa.hpp"

namespace salvo::ppu {
namespace {

// ---- a minimal encoder for the instructions the tests need -----------------------------------
constexpr std::uint32_t enc_r(std::uint32_t f7, std::uint32_t rs2, std::uint32_t rs1,
                              std::uint32_t f3, std::uint32_t rd, std::uint32_t opc) {
  return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc;
}
constexpr std::uint32_t enc_i(std::int32_t imm, std::uint32_t rs1, std::uint32_t f3,
                              std::uint32_t rd, std::uint32_t opc) {
  return (static_cast<std::uint32_t>(imm & 0xFFF) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) |
         opc;
}
constexpr std::uint32_t enc_s(std::int32_t imm, std::uint32_t rs2, std::uint32_t rs1,
                              std::uint32_t f3) {
  const auto u = static_cast<std::uint32_t>(imm) & 0xFFF;
  return ((u >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((u & 31) << 7) | 0x23;
}
constexpr std::uint32_t enc_b(std::int32_t imm, std::uint32_t rs2, std::uint32_t rs1,
                              std::uint32_t f3) {
  const auto u = static_cast<std::uint32_t>(imm) & 0x1FFF;
  return (((u >> 12) & 1) << 31) | (((u >> 5) & 63) << 25) | (rs2 << 20) | (rs1 << 15) |
         (f3 << 12) | (((u >> 1) & 15) << 8) | (((u >> 11) & 1) << 7) | 0x63;
}
constexpr std::uint32_t enc_j(std::int32_t imm, std::uint32_t rd) {
  const auto u = static_cast<std::uint32_t>(imm) & 0x1FFFFF;
  return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3FF) << 21) | (((u >> 11) & 1) << 20) |
         (((u >> 12) & 0xFF) << 12) | (rd << 7) | 0x6F;
}
constexpr std::uint32_t ADDI(int rd, int rs1, int imm) { return enc_i(imm, rs1, 0, rd, 0x13); }
constexpr std::uint32_t LUI(int rd, std::uint32_t imm20) {
  return (imm20 << 12) | (rd << 7) | 0x37;
}
constexpr std::uint32_t ADD(int rd, int rs1, int rs2) { return enc_r(0, rs2, rs1, 0, rd, 0x33); }
constexpr std::uint32_t MOP(int f3, int rd, int rs1, int rs2) {
  return enc_r(1, rs2, rs1, f3, rd, 0x33);
}
constexpr std::uint32_t LW(int rd, int rs1, int imm) { return enc_i(imm, rs1, 2, rd, 0x03); }
constexpr std::uint32_t LH(int rd, int rs1, int imm) { return enc_i(imm, rs1, 1, rd, 0x03); }
constexpr std::uint32_t LBU(int rd, int rs1, int imm) { return enc_i(imm, rs1, 4, rd, 0x03); }
constexpr std::uint32_t SW(int rs2, int rs1, int imm) { return enc_s(imm, rs2, rs1, 2); }
constexpr std::uint32_t SH(int rs2, int rs1, int imm) { return enc_s(imm, rs2, rs1, 1); }
constexpr std::uint32_t BNE(int rs1, int rs2, int off) { return enc_b(off, rs2, rs1, 1); }
constexpr std::uint32_t BEQ(int rs1, int rs2, int off) { return enc_b(off, rs2, rs1, 0); }
constexpr std::uint32_t JAL(int rd, int off) { return enc_j(off, rd); }
constexpr std::uint32_t JALR(int rd, int rs1, int imm) { return enc_i(imm, rs1, 0, rd, 0x67); }
constexpr std::uint32_t CSRRW(int rd, std::uint32_t c, int rs1) {
  return enc_i(static_cast<int>(c), rs1, 1, rd, 0x73);
}
constexpr std::uint32_t CSRRS(int rd, std::uint32_t c, int rs1) {
  return enc_i(static_cast<int>(c), rs1, 2, rd, 0x73);
}
constexpr std::uint32_t CSRRC(int rd, std::uint32_t c, int rs1) {
  return enc_i(static_cast<int>(c), rs1, 3, rd, 0x73);
}
constexpr std::uint32_t CSRRWI(int rd, std::uint32_t c, int u) {
  return enc_i(static_cast<int>(c), u, 5, rd, 0x73);
}
constexpr std::uint32_t CSRRSI(int rd, std::uint32_t c, int u) {
  return enc_i(static_cast<int>(c), u, 6, rd, 0x73);
}
constexpr std::uint32_t CSRRCI(int rd, std::uint32_t c, int u) {
  return enc_i(static_cast<int>(c), u, 7, rd, 0x73);
}
constexpr std::uint32_t ECALL = 0x00000073, EBREAK = 0x00100073, MRET = 0x30200073,
                        WFI = 0x10500073;
constexpr std::uint32_t NOP = 0x00000013, FENCE_I = 0x0000100F;

enum : int { zero, ra, sp, gp, tp, t0, t1, t2, s0, s1, a0, a1, a2, a3, a4, a5, a6, a7 };

// ---- harness: 64 KiB RAM at 0x8000_0000 (DMI or over the bus) and a small MMIO block --------
class Harness : public CoreBus {
 public:
  static constexpr std::uint32_t kRamBase = 0x8000'0000, kRamSize = 0x1'0000;
  static constexpr std::uint32_t kMmioBase = 0x1000'0000, kMmioSize = 0x100;
  static constexpr std::uint32_t kHandler = kRamBase + 0x1000;

  explicit Harness(bool dmi = true, const CoreParams& p = {}) : core(*this, p) {
    if (dmi) core.map_ram(kRamBase, ram.data(), kRamSize);
    ram_via_bus = !dmi;
    core.reset(kRamBase);
  }

  bool read(std::uint32_t addr, void* data, unsigned len, Access kind,
            std::uint64_t& stall) override {
    ++bus_reads;
    if (addr - kMmioBase < kMmioSize && kind != Access::kFetch) {
      std::memcpy(data, mmio.data() + (addr - kMmioBase), len);
      stall = mmio_latency;
      return true;
    }
    if (ram_via_bus && addr - kRamBase <= kRamSize - len) {
      std::memcpy(data, ram.data() + (addr - kRamBase), len);
      return true;
    }
    return false;
  }
  bool write(std::uint32_t addr, const void* data, unsigned len, std::uint64_t& stall) override {
    ++bus_writes;
    if (addr - kMmioBase < kMmioSize) {
      std::memcpy(mmio.data() + (addr - kMmioBase), data, len);
      stall = mmio_latency;
      return true;
    }
    if (ram_via_bus && addr - kRamBase <= kRamSize - len) {
      std::memcpy(ram.data() + (addr - kRamBase), data, len);
      return true;
    }
    return false;
  }

  void load(std::uint32_t addr, const std::vector<std::uint32_t>& words) {
    std::memcpy(ram.data() + (addr - kRamBase), words.data(), words.size() * 4);
    core.invalidate_code(addr, static_cast<std::uint32_t>(words.size() * 4));
  }
  void load16(std::uint32_t addr, const std::vector<std::uint16_t>& halves) {
    std::memcpy(ram.data() + (addr - kRamBase), halves.data(), halves.size() * 2);
    core.invalidate_code(addr, static_cast<std::uint32_t>(halves.size() * 2));
  }
  std::uint32_t word(std::uint32_t addr) const {
    std::uint32_t v;
    std::memcpy(&v, ram.data() + (addr - kRamBase), 4);
    return v;
  }
  // Points mtvec at a handler that skips the trapping instruction (mepc += 4) and returns.
  void install_skip_handler() {
    load(kHandler,
         {CSRRS(31, csr::kMepc, zero), ADDI(31, 31, 4), CSRRW(zero, csr::kMepc, 31), MRET});
    core.write_csr(csr::kMtvec, kHandler);
  }
  StopReason run(std::uint64_t budget = 100000) { return core.run(core.cycles() + budget); }
  // Runs until the program's final ECALL halts the core (mtvec = 0 means "no handler").
  void run_to_ecall() {
    ASSERT_EQ(run(), StopReason::kHalted) << core.format_state();
    ASSERT_EQ(core.halt_info().mcause, 11u) << core.halt_info().reason;
  }

  std::vector<std::uint8_t> ram = std::vector<std::uint8_t>(kRamSize);
  std::vector<std::uint8_t> mmio = std::vector<std::uint8_t>(kMmioSize);
  bool ram_via_bus = false;
  std::uint64_t mmio_latency = 0;
  int bus_reads = 0, bus_writes = 0;
  ProcessorCore core;
};

// Runs one instruction with the given source registers and returns the destination.
std::uint32_t exec1(std::uint32_t insn, std::uint32_t v1, std::uint32_t v2) {
  Harness h;
  h.load(Harness::kRamBase, {insn, ECALL});
  h.core.set_reg(a1, v1);
  h.core.set_reg(a2, v2);
  h.run_to_ecall();
  return h.core.reg(a0);
}

// ---- decoding --------------------------------------------------------------------------------

TEST(PpuDecode, CompressedFormsExpandLikeTheAssembler) {
  // (16-bit encoding, 32-bit encoding) pairs produced by riscv64-unknown-elf-as for the same
  // instruction written compressed and uncompressed.
  struct Pair {
    std::uint16_t c;
    std::uint32_t full;
  };
  static const Pair table[] = {
      {0x0040, 0x00410413},  // c.addi4spn s0, sp, 4
      {0x1ffc, 0x3fc10793},  // c.addi4spn a5, sp, 1020
      {0x4188, 0x0005a503},  // c.lw a0, 0(a1)
      {0x5fe4, 0x07c7a483},  // c.lw s1, 124(a5)
      {0xc030, 0x04c42023},  // c.sw a2, 64(s0)
      {0xdf7c, 0x06f72e23},  // c.sw a5, 124(a4)
      {0x0001, 0x00000013},  // c.nop
      {0x1501, 0xfe050513},  // c.addi a0, -32
      {0x0ffd, 0x01ff8f93},  // c.addi t6, 31
      {0x2ffd, 0x7fe000ef},  // c.jal .+2046
      {0x3001, 0x801ff0ef},  // c.jal .-2048
      {0x55fd, 0xfff00593},  // c.li a1, -1
      {0x4dc5, 0x01100d93},  // c.li s11, 17
      {0x7101, 0xe0010113},  // c.addi16sp sp, -512
      {0x617d, 0x1f010113},  // c.addi16sp sp, 496
      {0x6141, 0x01010113},  // c.addi16sp sp, 16
      {0x6685, 0x000016b7},  // c.lui a3, 1
      {0x7681, 0xfffe06b7},  // c.lui a3, 0xfffe0
      {0x62fd, 0x0001f2b7},  // c.lui t0, 31
      {0x8105, 0x00155513},  // c.srli a0, 1
      {0x80fd, 0x01f4d493},  // c.srli s1, 31
      {0x861d, 0x40765613},  // c.srai a2, 7
      {0x9afd, 0xfff6f693},  // c.andi a3, -1
      {0x883d, 0x00f47413},  // c.andi s0, 15
      {0x8d0d, 0x40b50533},  // c.sub a0, a1
      {0x8cbd, 0x00f4c4b3},  // c.xor s1, a5
      {0x8f41, 0x00876733},  // c.or a4, s0
      {0x8ffd, 0x00f7f7b3},  // c.and a5, a5
      {0xa009, 0x0020006f},  // c.j .+2
      {0xb001, 0x801ff06f},  // c.j .-2048
      {0xaffd, 0x7fe0006f},  // c.j .+2046
      {0xcd7d, 0x0e050f63},  // c.beqz a0, .+254
      {0xd081, 0xf00480e3},  // c.beqz s1, .-256
      {0xe389, 0x00079163},  // c.bnez a5, .+2
      {0xfc7d, 0xfe041fe3},  // c.bnez s0, .-2
      {0x0506, 0x00151513},  // c.slli a0, 1
      {0x0ffe, 0x01ff9f93},  // c.slli t6, 31
      {0x4082, 0x00012083},  // c.lwsp ra, 0(sp)
      {0x557e, 0x0fc12503},  // c.lwsp a0, 252(sp)
      {0x8082, 0x00008067},  // c.jr ra
      {0x8f82, 0x000f8067},  // c.jr t6
      {0x852e, 0x00b00533},  // c.mv a0, a1
      {0x8f8a, 0x00200fb3},  // c.mv t6, sp
      {0x9002, 0x00100073},  // c.ebreak
      {0x9502, 0x000500e7},  // c.jalr a0
      {0x9082, 0x000080e7},  // c.jalr ra
      {0x952e, 0x00b50533},  // c.add a0, a1
      {0x917e, 0x01f10133},  // c.add sp, t6
      {0xc006, 0x00112023},  // c.swsp ra, 0(sp)
      {0xdffe, 0x0ff12e23},  // c.swsp t6, 252(sp)
  };
  for (const auto& p : table) {
    EXPECT_EQ(expand_compressed(p.c), p.full) << std::hex << "c = 0x" << p.c;
    const DecodedInsn dc = decode(p.c);
    const DecodedInsn df = decode(p.full);
    EXPECT_EQ(dc.op, df.op) << std::hex << p.c;
    EXPECT_EQ(dc.rd, df.rd);
    EXPECT_EQ(dc.rs1, df.rs1);
    EXPECT_EQ(dc.imm, df.imm);
    EXPECT_EQ(dc.length, 2);
    EXPECT_EQ(dc.raw, p.c);
  }
}

TEST(PpuDecode, ReservedCompressedEncodingsAreIllegal) {
  const std::uint16_t reserved[] = {
      0x0000,  // all zeros (C.ADDI4SPN with nzuimm = 0)
      0x0010,  // C.ADDI4SPN rd'=a2, nzuimm = 0
      0x2000,  // C.FLD
      0x6000,  // C.FLW (RV32)
      0x8000,  // quadrant 0, funct3 = 100
      0xA000,  // C.FSD
      0xE000,  // C.FSW
      0x6101,  // C.ADDI16SP with nzimm = 0
      0x6281,  // C.LUI t0, 0
      0x9001,  // C.SRLI with shamt[5] = 1
      0x9401,  // C.SRAI with shamt[5] = 1
      0x9C01,  // C.SUBW (RV64)
      0x9C21,  // C.ADDW (RV64)
      0x9C41,  // reserved
      0x1002,  // C.SLLI with shamt[5] = 1
      0x2002,  // C.FLDSP
      0x4002,  // C.LWSP with rd = 0
      0x6002,  // C.FLWSP
      0x8002,  // C.JR with rs1 = 0
      0xA002,  // C.FSDSP
      0xE002,  // C.FSWSP
  };
  for (auto c : reserved) {
    EXPECT_EQ(expand_compressed(c), 0u) << std::hex << c;
    const DecodedInsn d = decode(c);
    EXPECT_EQ(d.op, Op::kIllegal) << std::hex << c;
    EXPECT_EQ(d.length, 2);
    EXPECT_EQ(d.raw, c);
  }
  // HINTs are legal and execute as no-ops on their architectural effect.
  EXPECT_EQ(decode(0x0001).op, Op::kAddi);  // c.nop
  EXPECT_EQ(decode(0x0005).op, Op::kAddi);  // c.addi x0, 1 (HINT)
  EXPECT_EQ(decode(0x8006).op, Op::kAdd);   // c.mv x0, ra (HINT)
}

TEST(PpuDecode, Illegal32BitEncodings) {
  const std::uint32_t illegal[] = {
      0xFFFFFFFF,               // bits [4:2] = 111: longer than 32 bits
      0x02051513,               // slli a0, a0, 32 (shamt[5] reserved on RV32)
      0x42055513,               // srai with funct7 = 0x21
      0x10200073,               // sret (no S-mode)
      0x00200073,               // uret
      0x7B200073,               // dret outside debug mode
      0x12000073,               // sfence.vma
      0x000000F3,               // ecall with rd != 0
      0x00004073,               // SYSTEM funct3 = 100
      0x0005B503,               // ld (RV64)
      0x0005E503,               // lwu (RV64)
      0x00B53023,               // sd (RV64)
      0x40B51533,               // funct7 0x20 with sll
      0x02B57553 & 0xFFFFFF7F,  // OP-FP family (opcode 0x53)
      0x0C05A52F,               // amoswap.w (no A)
      0x000510E7,               // jalr with funct3 = 1
      0x00B52463,               // branch funct3 = 010
      0x0000200F,               // MISC-MEM funct3 = 010
      0x0000001B,               // OP-IMM-32 (RV64)
  };
  for (auto i : illegal) {
    const DecodedInsn d = decode(i);
    EXPECT_EQ(d.op, Op::kIllegal) << std::hex << "0x" << i;
    EXPECT_EQ(d.length, 4);
    EXPECT_EQ(d.raw, i);
  }
}

TEST(PpuDecode, ImmediatesAndFields) {
  EXPECT_EQ(decode(BEQ(a0, a1, -4096)).imm, -4096);
  EXPECT_EQ(decode(BNE(a0, a1, 4094)).imm, 4094);
  EXPECT_EQ(decode(JAL(ra, -1048576)).imm, -1048576);
  EXPECT_EQ(decode(JAL(ra, 1048574)).imm, 1048574);
  EXPECT_EQ(decode(SW(a0, sp, -2048)).imm, -2048);
  EXPECT_EQ(decode(SW(a0, sp, 2047)).imm, 2047);
  EXPECT_EQ(decode(LUI(a0, 0xFFFFF)).imm, static_cast<std::int32_t>(0xFFFFF000u));
  const DecodedInsn d = decode(ADDI(zero, a0, 5));
  EXPECT_EQ(d.rd, kSinkRegister);  // writes to x0 land in the sink slot
  EXPECT_EQ(decode(CSRRW(a0, 0xFFF, a1)).imm, 0xFFF);
  EXPECT_EQ(decode(FENCE_I).op, Op::kFenceI);
  EXPECT_EQ(decode(0x0FF0000F).op, Op::kFence);  // fence iorw, iorw
  EXPECT_EQ(decode(0x8330000F).op, Op::kFence);  // fence.tso
}

// ---- RV32I / M execution ---------------------------------------------------------------------

TEST(PpuExecute, ZeroRegisterIgnoresWrites) {
  Harness h;
  h.load(Harness::kRamBase, {ADDI(zero, zero, 5), ADD(a0, zero, zero), ECALL});
  h.core.set_reg(a0, 99);
  h.run_to_ecall();
  EXPECT_EQ(h.core.reg(0), 0u);
  EXPECT_EQ(h.core.reg(a0), 0u);
}

TEST(PpuExecute, DivisionEdgeCasesFollowTheSpec) {
  const std::uint32_t kMin = 0x8000'0000u, kM1 = 0xFFFF'FFFFu;
  const int DIV = 4, DIVU = 5, REM = 6, REMU = 7;
  EXPECT_EQ(exec1(MOP(DIV, a0, a1, a2), 7, 0), kM1);   // x / 0 = -1
  EXPECT_EQ(exec1(MOP(DIVU, a0, a1, a2), 7, 0), kM1);  // x / 0 = 2^32 - 1
  EXPECT_EQ(exec1(MOP(REM, a0, a1, a2), 7, 0), 7u);    // x % 0 = x
  EXPECT_EQ(exec1(MOP(REMU, a0, a1, a2), 7, 0), 7u);
  EXPECT_EQ(exec1(MOP(REM, a0, a1, a2), kMin, 0), kMin);
  EXPECT_EQ(exec1(MOP(DIV, a0, a1, a2), kMin, kM1), kMin);  // overflow: INT_MIN / -1 = INT_MIN
  EXPECT_EQ(exec1(MOP(REM, a0, a1, a2), kMin, kM1), 0u);    // and the remainder is 0
  EXPECT_EQ(exec1(MOP(DIV, a0, a1, a2), static_cast<std::uint32_t>(-7), 2),
            static_cast<std::uint32_t>(-3));
  EXPECT_EQ(exec1(MOP(REM, a0, a1, a2), static_cast<std::uint32_t>(-7), 2),
            static_cast<std::uint32_t>(-1));
  EXPECT_EQ(exec1(MOP(REM, a0, a1, a2), 7, static_cast<std::uint32_t>(-2)),
            1u);  // sign of the dividend
  EXPECT_EQ(exec1(MOP(DIVU, a0, a1, a2), kM1, 2), 0x7FFF'FFFFu);
  EXPECT_EQ(exec1(MOP(REMU, a0, a1, a2), kM1, 10), 5u);
}

TEST(PpuExecute, MultiplyHighHalvesHonourSignedness) {
  const std::uint32_t kMin = 0x8000'0000u, kM1 = 0xFFFF'FFFFu;
  const int MUL = 0, MULH = 1, MULHSU = 2, MULHU = 3;
  EXPECT_EQ(exec1(MOP(MUL, a0, a1, a2), 0x10000, 0x10000), 0u);  // low half wraps
  EXPECT_EQ(exec1(MOP(MUL, a0, a1, a2), kM1, kM1), 1u);
  EXPECT_EQ(exec1(MOP(MULH, a0, a1, a2), kM1, kM1), 0u);  // (-1)(-1) = 1
  EXPECT_EQ(exec1(MOP(MULH, a0, a1, a2), kMin, kMin), 0x4000'0000u);
  EXPECT_EQ(exec1(MOP(MULH, a0, a1, a2), kMin, 1), kM1);  // -2^31 -> high = -1
  EXPECT_EQ(exec1(MOP(MULHU, a0, a1, a2), kM1, kM1), 0xFFFF'FFFEu);
  EXPECT_EQ(exec1(MOP(MULHU, a0, a1, a2), kMin, 2), 1u);
  EXPECT_EQ(exec1(MOP(MULHSU, a0, a1, a2), kM1, kM1), kM1);  // (-1) * (2^32 - 1)
  EXPECT_EQ(exec1(MOP(MULHSU, a0, a1, a2), kMin, kM1), 0x8000'0000u);
  EXPECT_EQ(exec1(MOP(MULHSU, a0, a1, a2), 1, kM1), 0u);
}

TEST(PpuExecute, CompressedProgramRuns) {
  Harness h;
  // c.li a0, 5; c.addi a0, -1; c.bnez a0, -2 (loop to the c.addi); c.mv a1, sp;
  // then a 32-bit ecall that straddles nothing special.
  h.load16(Harness::kRamBase, {0x4515, 0x157d, 0xfd7d, 0x858a, 0x0073, 0x0000});
  h.core.set_reg(sp, 0x1234);
  h.run_to_ecall();
  EXPECT_EQ(h.core.reg(a0), 0u);
  EXPECT_EQ(h.core.reg(a1), 0x1234u);
  EXPECT_EQ(h.core.instructions(), 1u + 5 * 2 + 1);
}

TEST(PpuExecute, JalrClearsBitZeroAndLinksBeforeJumping) {
  Harness h;
  // jalr a0, 1(a0) with a0 = target: link written after the target is computed from old a0.
  h.load(Harness::kRamBase, {JALR(a0, a0, 1), ECALL, ECALL, ECALL});
  h.core.set_reg(a0, Harness::kRamBase + 8);
  h.run_to_ecall();
  EXPECT_EQ(h.core.pc(), Harness::kRamBase + 8);
  EXPECT_EQ(h.core.reg(a0), Harness::kRamBase + 4);
}

TEST(PpuExecute, MisalignedRamAccessesCompleteInHardware) {
  Harness h;
  const std::uint32_t data = Harness::kRamBase + 0x800;
  h.load(data, {0x44332211, 0x88776655});
  h.load(Harness::kRamBase, {LW(a0, a1, 1), LH(a2, a1, 3), SW(a3, a1, 5), ECALL});
  h.core.set_reg(a1, data);
  h.core.set_reg(a3, 0xAABBCCDD);
  h.run_to_ecall();
  EXPECT_EQ(h.core.reg(a0), 0x55443322u);
  EXPECT_EQ(h.core.reg(a2), 0x00005544u);
  EXPECT_EQ(h.word(data + 4), 0xBBCCDD55u);
  EXPECT_EQ(h.word(data + 8) & 0xFF, 0xAAu);
}

TEST(PpuExecute, SelfModifyingCodeSeesItsOwnStores) {
  Harness h;
  const std::uint32_t base = Harness::kRamBase;
  // Loop twice over the instruction at +12: the first pass stores a new instruction over it.
  h.load(base, {
                   ADDI(a2, zero, 2),   // 0: a2 = 2 (passes)
                   LUI(a3, 0),          // 4: placeholder for nothing
                   NOP,                 // 8
                   ADDI(a0, a0, 1),     // 12: patched to addi a0, a0, 100
                   SW(a4, a5, 0),       // 16: store new instruction at +12
                   ADDI(a2, a2, -1),    // 20
                   BNE(a2, zero, -12),  // 24: back to +12
                   ECALL,               // 28
               });
  h.core.set_reg(a4, ADDI(a0, a0, 100));
  h.core.set_reg(a5, base + 12);
  h.run_to_ecall();
  EXPECT_EQ(h.core.reg(a0), 101u);
}

TEST(PpuExecute, DmiAndBusGiveIdenticalResults) {
  auto program = [](Harness& h) {
    // sum of 1..50 with a memory round trip per step
    h.load(Harness::kRamBase,
           {ADDI(a0, zero, 0), ADDI(a1, zero, 50), LUI(a2, 0x80008), ADD(a0, a0, a1), SW(a0, a2, 0),
            LW(a3, a2, 0), ADDI(a1, a1, -1), BNE(a1, zero, -16), MOP(0, a4, a3, a3), ECALL});
  };
  Harness dmi(true), bus(false);
  program(dmi);
  program(bus);
  dmi.run_to_ecall();
  bus.run_to_ecall();
  EXPECT_EQ(dmi.core.reg(a0), 1275u);
  for (int r = 0; r < 32; ++r) EXPECT_EQ(dmi.core.reg(r), bus.core.reg(r)) << "x" << r;
  EXPECT_EQ(dmi.core.cycles(), bus.core.cycles());
  EXPECT_EQ(dmi.core.instructions(), bus.core.instructions());
  EXPECT_EQ(dmi.bus_reads + dmi.bus_writes, 0);  // DMI never touched the bus
  EXPECT_GT(bus.bus_reads, 0);
}

TEST(PpuExecute, CycleModelCountsPerClass) {
  CoreParams p;
  p.cycles.alu = 1;
  p.cycles.branch_not_taken = 1;
  p.cycles.branch_taken = 3;
  p.cycles.load = 2;
  p.cycles.store = 1;
  p.cycles.mul = 3;
  p.cycles.div = 34;
  Harness h(true, p);
  h.load(Harness::kRamBase, {ADDI(a1, zero, 3),  // alu            1
                             ADDI(a1, a1, -1),   // 3x alu         3
                             BNE(a1, zero, -4),  // 2 taken + 1    2*3 + 1
                             LUI(a2, 0x80008), SW(a1, a2, 0), LW(a3, a2, 0),  // 1 + 1 + 2
                             MOP(0, a4, a3, a3), MOP(4, a4, a3, a2),          // 3 + 34
                             ECALL});
  h.run_to_ecall();
  const std::uint64_t expected = 1 + 3 + (2 * 3 + 1) + 1 + 1 + 2 + 3 + 34;
  EXPECT_EQ(h.core.instructions(), 1u + 3 + 3 + 3 + 2);
  // The final ECALL costs its class plus trap entry before the core halts.
  EXPECT_EQ(h.core.cycles(), expected + p.cycles.system);
}

// ---- CSRs ------------------------------------------------------------------------------------

TEST(PpuCsr, ReadWriteSetClearSemantics) {
  Harness h;
  h.load(Harness::kRamBase, {
                                CSRRW(a0, csr::kMscratch, a1),    // a0 = 0, mscratch = 0xF0F0
                                CSRRS(a2, csr::kMscratch, a3),    // a2 = 0xF0F0, |= 0x000F
                                CSRRC(a4, csr::kMscratch, a5),    // a4 = 0xF0FF, &= ~0xF000
                                CSRRWI(a6, csr::kMscratch, 31),   // a6 = 0x00FF, = 31
                                CSRRSI(a7, csr::kMscratch, 0),    // read only
                                CSRRCI(s0, csr::kMscratch, 3),    // s0 = 31, = 28
                                CSRRS(s1, csr::kMscratch, zero),  // s1 = 28
                                ECALL,
                            });
  h.core.set_reg(a1, 0xF0F0);
  h.core.set_reg(a3, 0x000F);
  h.core.set_reg(a5, 0xF000);
  h.run_to_ecall();
  EXPECT_EQ(h.core.reg(a0), 0u);
  EXPECT_EQ(h.core.reg(a2), 0xF0F0u);
  EXPECT_EQ(h.core.reg(a4), 0xF0FFu);
  EXPECT_EQ(h.core.reg(a6), 0x00FFu);
  EXPECT_EQ(h.core.reg(a7), 31u);
  EXPECT_EQ(h.core.reg(s0), 31u);
  EXPECT_EQ(h.core.reg(s1), 28u);
}

TEST(PpuCsr, ReadOnlyAndMissingCsrsTrapAsIllegal) {
  struct Case {
    std::uint32_t insn;
    bool traps;
  };
  const Case cases[] = {
      {CSRRS(a0, csr::kMhartid, zero), false},  // reading a read-only CSR is fine
      {CSRRSI(a0, csr::kMvendorid, 0), false},
      {CSRRC(a0, csr::kCycle, zero), false},
      {CSRRW(a0, csr::kMhartid, a1), true},  // writing one is illegal ...
      {CSRRW(zero, csr::kCycle, a1), true},  // ... also without reading
      {CSRRS(a0, csr::kInstret, a1), true},  // set with rs1 != x0 is a write
      {CSRRSI(a0, csr::kTime, 1), true},
      {CSRRS(a0, 0x180, zero), true},   // satp: no S-mode
      {CSRRS(a0, 0x302, zero), true},   // medeleg: no S-mode
      {CSRRS(a0, 0x306, zero), true},   // mcounteren: no U-mode
      {CSRRS(a0, 0x7B0, zero), true},   // dcsr: debug mode only
      {CSRRS(a0, 0x001, zero), true},   // fflags: no F
      {CSRRS(a0, 0x3A0, zero), false},  // pmpcfg0 exists (read-only zero)
      {CSRRS(a0, csr::kMconfigptr, zero), false},
  };
  for (const auto& c : cases) {
    Harness h;
    h.install_skip_handler();
    h.load(Harness::kRamBase, {c.insn, ECALL});
    h.core.set_reg(a1, 0x55);
    h.core.write_csr(csr::kMcause, 0);
    h.core.write_csr(csr::kMtvec, 0);  // trap straight into a halt to observe it
    const StopReason r = h.run();
    ASSERT_EQ(r, StopReason::kHalted);
    if (c.traps) {
      EXPECT_EQ(h.core.halt_info().mcause, 2u) << std::hex << c.insn;
      EXPECT_EQ(h.core.halt_info().mtval, c.insn);
      EXPECT_EQ(h.core.halt_info().pc, Harness::kRamBase);
    } else {
      EXPECT_EQ(h.core.halt_info().mcause, 11u) << std::hex << c.insn;
    }
  }
}

TEST(PpuCsr, WarlFieldsAndConstants) {
  Harness h;
  std::uint32_t v = 0;
  ASSERT_TRUE(h.core.read_csr(csr::kMisa, v));
  EXPECT_EQ(v, 0x4000'1104u);  // MXL = 32, I, M, C
  ASSERT_TRUE(h.core.read_csr(csr::kMstatus, v));
  EXPECT_EQ(v & kMstatusMpp, kMstatusMpp);  // M-only: MPP reads 11
  h.core.write_csr(csr::kMstatus, 0xFFFF'FFFF);
  h.core.read_csr(csr::kMstatus, v);
  EXPECT_EQ(v, kMstatusMie | kMstatusMpie | kMstatusMpp);
  h.core.write_csr(csr::kMstatus, 0);
  h.core.read_csr(csr::kMstatus, v);
  EXPECT_EQ(v, kMstatusMpp);
  h.core.write_csr(csr::kMtvec, 0x8000'0103);  // mode 3 is reserved -> vectored
  h.core.read_csr(csr::kMtvec, v);
  EXPECT_EQ(v, 0x8000'0101u);
  h.core.write_csr(csr::kMepc, 0x8000'0003);
  h.core.read_csr(csr::kMepc, v);
  EXPECT_EQ(v, 0x8000'0002u);  // IALIGN = 16: only bit 0 is cleared
  h.core.write_csr(csr::kMie, 0xFFFF'FFFF);
  h.core.read_csr(csr::kMie, v);
  EXPECT_EQ(v, kMipMsip | kMipMtip | kMipMeip);
  h.core.write_csr(csr::kMip, 0xFFFF'FFFF);
  h.core.read_csr(csr::kMip, v);
  EXPECT_EQ(v, 0u);  // all three bits are read-only views
  h.core.set_meip(true);
  h.core.set_msip(true);
  h.core.read_csr(csr::kMip, v);
  EXPECT_EQ(v, kMipMsip | kMipMeip);
}

TEST(PpuCsr, CounterWritesAreSeenByTheNextInstruction) {
  Harness h;
  h.load(Harness::kRamBase, {
                                CSRRW(zero, csr::kMinstret, a1),   // minstret = 1000
                                CSRRS(a0, csr::kMinstret, zero),   // reads 1000
                                CSRRS(a2, csr::kInstret, zero),    // 1001 through the user alias
                                CSRRW(zero, csr::kMinstretH, a3),  // high half = 7
                                CSRRS(a4, csr::kMinstretH, zero),
                                CSRRS(a5, csr::kMinstret, zero),  // low half kept counting: 1003
                                ECALL,
                            });
  h.core.set_reg(a1, 1000);
  h.core.set_reg(a3, 7);
  h.run_to_ecall();
  EXPECT_EQ(h.core.reg(a0), 1000u);
  EXPECT_EQ(h.core.reg(a2), 1001u);
  EXPECT_EQ(h.core.reg(a4), 7u);
  EXPECT_EQ(h.core.reg(a5), 1003u);  // the write of minstreth suppressed one increment
}

TEST(PpuCsr, McountinhibitFreezesCounters) {
  Harness h;
  h.load(Harness::kRamBase, {
                                CSRRWI(zero, 0x320, 5),  // inhibit CY and IR
                                CSRRS(a0, csr::kMinstret, zero),
                                NOP,
                                NOP,
                                NOP,
                                CSRRS(a1, csr::kMinstret, zero),  // unchanged
                                CSRRS(a2, csr::kMcycle, zero),
                                NOP,
                                CSRRS(a3, csr::kMcycle, zero),  // unchanged
                                CSRRWI(zero, 0x320, 0),
                                NOP,
                                CSRRS(a4, csr::kMinstret, zero),  // counting again
                                ECALL,
                            });
  h.run_to_ecall();
  EXPECT_EQ(h.core.reg(a0), h.core.reg(a1));
  EXPECT_EQ(h.core.reg(a2), h.core.reg(a3));
  EXPECT_EQ(h.core.reg(a4), h.core.reg(a1) + 1);
}

// ---- traps -----------------------------------------------------------------------------------

TEST(PpuTrap, EcallAndMretFlow) {
  Harness h;
  const std::uint32_t base = Harness::kRamBase;
  // Handler: record mcause, mepc, mtval, mstatus; return past the ECALL.
  h.load(Harness::kHandler,
         {CSRRS(s0, csr::kMcause, zero), CSRRS(s1, csr::kMepc, zero), CSRRS(a2, csr::kMtval, zero),
          CSRRS(a3, csr::kMstatus, zero), ADDI(a4, s1, 4), CSRRW(zero, csr::kMepc, a4), MRET});
  h.load(base, {CSRRSI(zero, csr::kMstatus, 8),  // MIE = 1
                ECALL,                           // -> handler
                CSRRS(a5, csr::kMstatus, zero),  // after mret
                LUI(t0, 0x80009), SW(zero, t0, 0)});
  h.core.write_csr(csr::kMtvec, Harness::kHandler);
  h.core.set_store_watch(0x8000'9000, 4);
  h.core.set_reg(a2, 0xDEAD);
  ASSERT_EQ(h.run(), StopReason::kStoreWatch);
  EXPECT_EQ(h.core.reg(s0), 11u);
  EXPECT_EQ(h.core.reg(s1), base + 4);
  EXPECT_EQ(h.core.reg(a2), 0u);
  EXPECT_EQ(h.core.reg(a3), kMstatusMpie | kMstatusMpp);                // in the handler
  EXPECT_EQ(h.core.reg(a5), kMstatusMie | kMstatusMpie | kMstatusMpp);  // after mret
  // ECALL does not retire; every other instruction does.
  EXPECT_EQ(h.core.instructions(), 4u + 7u);
}

TEST(PpuTrap, VectoredModeSendsExceptionsToBase) {
  Harness h;
  h.load(Harness::kHandler, {CSRRS(s0, csr::kMcause, zero), LUI(t0, 0x80009), SW(zero, t0, 0)});
  h.load(Harness::kRamBase, {ECALL});
  h.core.write_csr(csr::kMtvec, Harness::kHandler | 1);
  h.core.set_store_watch(0x8000'9000, 4);
  ASSERT_EQ(h.run(), StopReason::kStoreWatch);
  EXPECT_EQ(h.core.reg(s0), 11u);
}

TEST(PpuTrap, ExceptionRecordsMepcMcauseMtvalAndMstatus) {
  Harness h;
  const std::uint32_t base = Harness::kRamBase;
  // Handler stores the trap CSRs to memory at 0x8000_8000 and halts via a watched store.
  const std::uint32_t rec = 0x8000'8000;
  h.load(Harness::kHandler,
         {LUI(t0, 0x80008), CSRRS(t1, csr::kMcause, zero), SW(t1, t0, 0),
          CSRRS(t1, csr::kMepc, zero), SW(t1, t0, 4), CSRRS(t1, csr::kMtval, zero), SW(t1, t0, 8),
          CSRRS(t1, csr::kMstatus, zero), SW(t1, t0, 12), SW(zero, t0, 16)});  // watched
  h.core.write_csr(csr::kMtvec, Harness::kHandler);
  h.core.set_store_watch(rec + 16, 4);

  struct Case {
    std::vector<std::uint32_t> prog;
    std::uint32_t cause, tval_offset_or_value;
    bool tval_is_pc;
  };
  // (1) ebreak: mtval = pc; (2) illegal 32-bit: mtval = bits; (3) load fault: mtval = address
  {
    h.load(base, {CSRRSI(zero, csr::kMstatus, 8), EBREAK});
    h.core.reset(base);
    h.core.write_csr(csr::kMtvec, Harness::kHandler);
    ASSERT_EQ(h.run(), StopReason::kStoreWatch);
    EXPECT_EQ(h.word(rec), 3u);
    EXPECT_EQ(h.word(rec + 4), base + 4);
    EXPECT_EQ(h.word(rec + 8), base + 4);
    EXPECT_EQ(h.word(rec + 12), kMstatusMpie | kMstatusMpp);  // MIE -> MPIE, MIE cleared
  }
  {
    h.load(base, {0xFFFFFFFFu});
    h.core.reset(base);
    h.core.write_csr(csr::kMtvec, Harness::kHandler);
    ASSERT_EQ(h.run(), StopReason::kStoreWatch);
    EXPECT_EQ(h.word(rec), 2u);
    EXPECT_EQ(h.word(rec + 4), base);
    EXPECT_EQ(h.word(rec + 8), 0xFFFFFFFFu);
    EXPECT_EQ(h.word(rec + 12), kMstatusMpp);  // MIE was 0 -> MPIE = 0
  }
  {
    h.load16(base, {0x6000});  // c.flw: illegal compressed -> mtval holds the 16 bits
    h.core.reset(base);
    h.core.write_csr(csr::kMtvec, Harness::kHandler);
    ASSERT_EQ(h.run(), StopReason::kStoreWatch);
    EXPECT_EQ(h.word(rec), 2u);
    EXPECT_EQ(h.word(rec + 8), 0x6000u);
  }
  {
    h.load(base, {LUI(a1, 0x20000), LW(a0, a1, 4)});
    h.core.reset(base);
    h.core.write_csr(csr::kMtvec, Harness::kHandler);
    ASSERT_EQ(h.run(), StopReason::kStoreWatch);
    EXPECT_EQ(h.word(rec), 5u);
    EXPECT_EQ(h.word(rec + 4), base + 4);
    EXPECT_EQ(h.word(rec + 8), 0x2000'0004u);
  }
  {
    h.load(base, {LUI(a1, 0x20000), SH(a0, a1, 2)});
    h.core.reset(base);
    h.core.write_csr(csr::kMtvec, Harness::kHandler);
    ASSERT_EQ(h.run(), StopReason::kStoreWatch);
    EXPECT_EQ(h.word(rec), 7u);
    EXPECT_EQ(h.word(rec + 8), 0x2000'0002u);
  }
  {
    // Misaligned access to a device: load-address-misaligned with the address in mtval.
    h.load(base, {LUI(a1, 0x10000), LW(a0, a1, 2)});
    h.core.reset(base);
    h.core.write_csr(csr::kMtvec, Harness::kHandler);
    ASSERT_EQ(h.run(), StopReason::kStoreWatch);
    EXPECT_EQ(h.word(rec), 4u);
    EXPECT_EQ(h.word(rec + 8), 0x1000'0002u);
  }
  {
    h.load(base, {LUI(a1, 0x10000), SW(a0, a1, 1)});
    h.core.reset(base);
    h.core.write_csr(csr::kMtvec, Harness::kHandler);
    ASSERT_EQ(h.run(), StopReason::kStoreWatch);
    EXPECT_EQ(h.word(rec), 6u);
    EXPECT_EQ(h.word(rec + 8), 0x1000'0001u);
  }
  {
    // Fetch fault after a jump: the jump retires (writes rd), mepc = mtval = target.
    h.load(base, {LUI(a1, 0x20000), JALR(a2, a1, 0x10)});
    h.core.reset(base);
    h.core.write_csr(csr::kMtvec, Harness::kHandler);
    ASSERT_EQ(h.run(), StopReason::kStoreWatch);
    EXPECT_EQ(h.word(rec), 1u);
    EXPECT_EQ(h.word(rec + 4), 0x2000'0010u);
    EXPECT_EQ(h.word(rec + 8), 0x2000'0010u);
    EXPECT_EQ(h.core.reg(a2), base + 8);
  }
  {
    // A 32-bit instruction whose upper half lies outside RAM: mtval names that half.
    const std::uint32_t last = Harness::kRamBase + Harness::kRamSize - 2;
    h.load16(last, {0x0013});  // low half of an addi
    h.load(base, {LUI(a1, 0x80010), ADDI(a1, a1, -2), JALR(zero, a1, 0)});
    h.core.reset(base);
    h.core.write_csr(csr::kMtvec, Harness::kHandler);
    ASSERT_EQ(h.run(), StopReason::kStoreWatch);
    EXPECT_EQ(h.word(rec), 1u);
    EXPECT_EQ(h.word(rec + 4), last);
    EXPECT_EQ(h.word(rec + 8), last + 2);
  }
}

TEST(PpuTrap, UnhandledTrapHaltsWithReport) {
  Harness h;
  h.load(Harness::kRamBase, {NOP, 0x0000'0000});  // 0x0000 is the defined illegal instruction
  EXPECT_EQ(h.run(), StopReason::kHalted);
  EXPECT_TRUE(h.core.halted());
  EXPECT_EQ(h.core.halt_info().mcause, 2u);
  EXPECT_EQ(h.core.halt_info().pc, Harness::kRamBase + 4);
  EXPECT_FALSE(h.core.halt_info().double_fault);
  EXPECT_NE(h.core.halt_info().reason.find("mtvec = 0"), std::string::npos);
  EXPECT_EQ(h.run(), StopReason::kHalted);  // stays halted
  EXPECT_NE(h.core.format_state().find("mcause"), std::string::npos);
}

TEST(PpuTrap, FaultingHandlerIsADoubleFault) {
  Harness h;
  h.core.write_csr(csr::kMtvec, 0x2000'0000);  // nothing mapped there
  h.load(Harness::kRamBase, {ECALL});
  EXPECT_EQ(h.run(), StopReason::kHalted);
  EXPECT_TRUE(h.core.halt_info().double_fault);
  EXPECT_EQ(h.core.halt_info().mcause, 1u);
  EXPECT_EQ(h.core.halt_info().pc, 0x2000'0000u);
}

// ---- interrupts --------------------------------------------------------------------------------

TEST(PpuInterrupt, TimerInterruptVectoredAndDirect) {
  for (bool vectored : {false, true}) {
    Harness h;
    const std::uint32_t base = Harness::kRamBase;
    // Direct mode enters at BASE, vectored mode at BASE + 4 * 7; the other slots hold
    // illegal instructions so a wrong vector shows up as a halt.
    const std::uint32_t entry = Harness::kHandler + (vectored ? 4 * 7 : 0);
    h.load(Harness::kHandler, std::vector<std::uint32_t>(16, 0xFFFFFFFFu));
    h.load(entry, {CSRRS(s0, csr::kMcause, zero), CSRRS(s1, csr::kMepc, zero), LUI(t0, 0x80009),
                   SW(zero, t0, 0)});
    h.load(base, {CSRRS(zero, csr::kMie, a1), CSRRSI(zero, csr::kMstatus, 8), ADDI(a0, a0, 1),
                  JAL(zero, -4)});
    h.core.set_reg(a1, kMipMtip);
    h.core.write_csr(csr::kMtvec, Harness::kHandler | (vectored ? 1 : 0));
    h.core.set_store_watch(0x8000'9000, 4);
    h.core.set_mtimecmp(h.core.mtime() + 500);
    const std::uint64_t deadline = h.core.cycles() + 500;
    ASSERT_EQ(h.run(10000), StopReason::kStoreWatch) << h.core.format_state();
    EXPECT_EQ(h.core.reg(s0), kInterruptBit | 7u);
    const std::uint32_t mepc = h.core.reg(s1);
    EXPECT_TRUE(mepc == base + 8 || mepc == base + 12) << std::hex << mepc;
    EXPECT_GT(h.core.reg(a0), 100u);
    // Taken at the first instruction boundary at or after the deadline.
    EXPECT_GE(h.core.cycles(), deadline);
    EXPECT_LT(h.core.cycles(), deadline + 40);
  }
}

TEST(PpuInterrupt, WfiSleepsUntilTheTimer) {
  Harness h;
  const std::uint32_t base = Harness::kRamBase;
  h.load(base, {CSRRS(zero, csr::kMie, a1), WFI, ADDI(a0, zero, 42), ECALL});
  h.core.set_reg(a1, kMipMtip);  // enabled in mie, but MIE = 0: WFI wakes without trapping
  h.core.set_mtimecmp(h.core.mtime() + 10'000);
  ASSERT_EQ(h.run(), StopReason::kWaitForInterrupt);
  EXPECT_EQ(h.core.pc(), base + 8);  // WFI retired; resumes after it
  const std::uint64_t wake = h.core.next_wakeup_cycle();
  EXPECT_EQ(h.core.mtime() + (wake - h.core.cycles()), h.core.mtimecmp());
  const std::uint64_t busy_before = h.core.busy_cycles();
  h.core.sleep_until(wake);
  EXPECT_EQ(h.core.busy_cycles(), busy_before);
  EXPECT_GE(h.core.sleep_cycles(), 9'000u);
  h.run_to_ecall();
  EXPECT_EQ(h.core.reg(a0), 42u);
}

TEST(PpuInterrupt, WfiWithNothingEnabledNeverWakes) {
  Harness h;
  h.load(Harness::kRamBase, {WFI, ECALL});
  ASSERT_EQ(h.run(), StopReason::kWaitForInterrupt);
  EXPECT_EQ(h.core.next_wakeup_cycle(), ~std::uint64_t{0});
}

TEST(PpuInterrupt, PriorityExternalOverSoftwareOverTimer) {
  const std::uint32_t expected[] = {11, 3, 7};
  for (int n = 0; n < 3; ++n) {
    Harness h;
    h.load(Harness::kHandler, {CSRRS(s0, csr::kMcause, zero), LUI(t0, 0x80009), SW(zero, t0, 0)});
    h.load(Harness::kRamBase,
           {CSRRS(zero, csr::kMie, a1), CSRRSI(zero, csr::kMstatus, 8), NOP, NOP});
    h.core.set_reg(a1, kMipMtip | kMipMsip | kMipMeip);
    h.core.write_csr(csr::kMtvec, Harness::kHandler);
    h.core.set_store_watch(0x8000'9000, 4);
    h.core.set_mtimecmp(0);   // timer always pending
    h.core.set_msip(n <= 1);  // software pending in the first two rounds
    h.core.set_meip(n == 0);  // external only in the first
    ASSERT_EQ(h.run(), StopReason::kStoreWatch);
    EXPECT_EQ(h.core.reg(s0), kInterruptBit | expected[n]) << n;
  }
}

TEST(PpuInterrupt, DisabledInterruptsStayPending) {
  Harness h;
  h.load(Harness::kRamBase, {CSRRS(zero, csr::kMie, a1), NOP, CSRRS(a0, csr::kMip, zero), ECALL});
  h.core.set_reg(a1, kMipMtip);
  h.core.set_mtimecmp(0);  // pending from the start, but mstatus.MIE = 0
  h.run_to_ecall();
  EXPECT_EQ(h.core.reg(a0), kMipMtip);
}

TEST(PpuExecute, StoreWatchStopsAfterTheStore) {
  Harness h;
  const std::uint32_t tohost = 0x8000'9000;
  h.core.set_store_watch(tohost, 8);
  h.load(Harness::kRamBase,
         {LUI(a1, 0x80009), ADDI(a0, zero, 1), SW(a0, a1, 4), ADDI(a2, zero, 7), ECALL});
  ASSERT_EQ(h.run(), StopReason::kStoreWatch);
  EXPECT_EQ(h.word(tohost + 4), 1u);
  EXPECT_EQ(h.core.pc(), Harness::kRamBase + 12);
  EXPECT_EQ(h.core.instructions(), 3u);
  h.run_to_ecall();
  EXPECT_EQ(h.core.reg(a2), 7u);
}

TEST(PpuExecute, BusLatencyAddsStallCycles) {
  Harness h;
  h.mmio_latency = 10;
  h.load(Harness::kRamBase, {LUI(a1, 0x10000), LW(a0, a1, 0), SW(a0, a1, 4), ECALL});
  h.run_to_ecall();
  const CycleModel m;
  EXPECT_EQ(h.core.cycles(), m.alu + m.load + 10 + m.store + 10 + m.system);
}

}  // namespace
}  // namespace salvo::ppu
