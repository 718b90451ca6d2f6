// The vector unit (hw/ppu/vector_unit.hpp) driven through the instruction-set simulator: every
// lane-wise instruction against a scalar reference on random data for 8-, 16- and 32-bit lanes
// (wrap-around, saturation, rounding), loads and stores with widening, sign extension and
// truncation, to SRAM and over the bus (the chip window), vl, reductions, stochastic rounding
// with a known random stream, cycle costs, and the illegal-instruction trap without a unit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>

#include "hw/ppu/processor_core.hpp"
#include "hw/ppu/vector_unit.hpp"

namespace salvo::ppu {
namespace {

constexpr std::uint32_t ECALL = 0x00000073;
constexpr std::uint32_t enc(std::uint32_t f7, std::uint32_t rs2, std::uint32_t rs1,
                            std::uint32_t f3, std::uint32_t rd, std::uint32_t opc) {
  return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc;
}
std::uint32_t valu(vec::AluOp op, unsigned w, unsigned vd, unsigned vs1, unsigned vs2) {
  return enc(op, vs2, vs1, w, vd, vec::kOpcodeAlu);
}
std::uint32_t vmem(vec::MemKind k, unsigned f7, unsigned rd, unsigned rs1, unsigned rs2) {
  return enc(f7, rs2, rs1, k, rd, vec::kOpcodeMem);
}
std::uint32_t ldst_f7(unsigned w, unsigned m, bool sign) { return w | (m << 2) | (sign << 4); }

// 64 KiB RAM at 0x8000_0000 mapped directly; a 1 KiB "chip window" at 0x4000_0000 over the bus.
class Harness : public CoreBus {
 public:
  static constexpr std::uint32_t kRam = 0x8000'0000, kRamSize = 0x1'0000;
  static constexpr std::uint32_t kChip = 0x4000'0000, kChipSize = 0x400;
  explicit Harness(std::uint32_t bytes = 64, bool with_unit = true) {
    VectorParams p;
    p.bytes = bytes;
    unit = std::make_unique<VectorUnit>(p);
    unit->set_random_source([this] { return random_draw(); });
    core.map_ram(kRam, ram.data(), kRamSize);
    if (with_unit) core.set_vector_unit(unit.get());
    core.reset(kRam);
  }
  bool read(std::uint32_t addr, void* data, unsigned len, Access kind,
            std::uint64_t& stall) override {
    if (kind == Access::kFetch || addr - kChip > kChipSize - len) return false;
    std::memcpy(data, chip.data() + (addr - kChip), len);
    stall = chip_latency;
    ++bus_accesses;
    return true;
  }
  bool write(std::uint32_t addr, const void* data, unsigned len, std::uint64_t& stall) override {
    if (addr - kChip > kChipSize - len) return false;
    std::memcpy(chip.data() + (addr - kChip), data, len);
    stall = chip_latency;
    ++bus_accesses;
    return true;
  }
  std::uint32_t random_draw() {
    boost::random::uniform_int_distribution<std::uint32_t> d(0, 0xFFFF'FFFFu);
    const std::uint32_t r = d(rng);
    drawn.push_back(r);
    return r;
  }
  // Loads `words` + ECALL at the reset address and resets the core, keeping x1..x31.
  void program(std::vector<std::uint32_t> words) {
    words.push_back(ECALL);
    std::memcpy(ram.data(), words.data(), words.size() * 4);
    core.invalidate_all_code();
    std::uint32_t x[32];
    for (int i = 0; i < 32; ++i) x[i] = core.reg(i);
    core.reset(kRam);
    for (int i = 1; i < 32; ++i) core.set_reg(i, x[i]);
  }
  // Runs to the final ECALL; returns the cycles it took (without the ECALL).
  std::uint64_t run() {
    const std::uint64_t c0 = core.cycles();
    EXPECT_EQ(core.run(c0 + 1'000'000), StopReason::kHalted);
    EXPECT_EQ(core.halt_info().mcause, 11u) << core.halt_info().reason;
    return core.cycles() - c0 - core.cycle_model().system;
  }
  std::int64_t lane(unsigned v, unsigned w, unsigned i) const {
    std::int32_t t = 0;
    std::memcpy(&t, unit->reg(v) + (i << w), 1u << w);
    if (w == 0) return static_cast<std::int8_t>(t);
    if (w == 1) return static_cast<std::int16_t>(t);
    return t;
  }
  void set_lane(unsigned v, unsigned w, unsigned i, std::int64_t x) {
    const auto u = static_cast<std::uint32_t>(x);
    std::memcpy(unit->reg(v) + (i << w), &u, 1u << w);
  }

  std::vector<std::uint8_t> ram = std::vector<std::uint8_t>(kRamSize);
  std::vector<std::uint8_t> chip = std::vector<std::uint8_t>(kChipSize);
  std::uint64_t chip_latency = 0;
  int bus_accesses = 0;
  boost::random::mt19937 rng{7};
  std::vector<std::uint32_t> drawn;
  std::unique_ptr<VectorUnit> unit;
  ProcessorCore core{*this};
};

// Scalar reference of one lane, written from the documented semantics (docs/processor.md).
std::int64_t wrap(std::int64_t v, unsigned w) {
  const unsigned b = 8u << w;
  const std::uint64_t m = (std::uint64_t{1} << b) - 1;
  std::uint64_t u = static_cast<std::uint64_t>(v) & m;
  if (u >> (b - 1)) return static_cast<std::int64_t>(u) - (std::int64_t{1} << b);
  return static_cast<std::int64_t>(u);
}
std::int64_t saturate(std::int64_t v, unsigned w) {
  const unsigned b = 8u << w;
  const std::int64_t hi = (std::int64_t{1} << (b - 1)) - 1;
  return v > hi ? hi : (v < -hi - 1 ? -hi - 1 : v);
}
std::int64_t reference(vec::AluOp op, unsigned w, std::int64_t a, std::int64_t b, std::int64_t mask,
                       unsigned imm) {
  const unsigned bits = 8u << w;
  const std::uint64_t ua = static_cast<std::uint64_t>(a) & ((std::uint64_t{1} << bits) - 1);
  switch (op) {
    case vec::kAdd:
      return wrap(a + b, w);
    case vec::kSub:
      return wrap(a - b, w);
    case vec::kAddSat:
      return saturate(a + b, w);
    case vec::kSubSat:
      return saturate(a - b, w);
    case vec::kMul:
      return wrap(a * b, w);
    case vec::kMulFrac: {
      // Q(bits-1) × Q(bits-1): floor division by 2^(bits-1), then saturate (only -1 × -1).
      const std::int64_t p = a * b, d = std::int64_t{1} << (bits - 1);
      const std::int64_t q = p >= 0 ? p / d : -((-p + d - 1) / d);
      return saturate(q, w);
    }
    case vec::kMulHalf: {
      const std::int64_t p = a * b, d = std::int64_t{1} << (bits / 2);
      const std::int64_t q = p >= 0 ? p / d : -((-p + d - 1) / d);
      return saturate(q, w);
    }
    case vec::kMin:
      return a < b ? a : b;
    case vec::kMax:
      return a > b ? a : b;
    case vec::kAnd:
      return wrap(a & b, w);
    case vec::kOr:
      return wrap(a | b, w);
    case vec::kXor:
      return wrap(a ^ b, w);
    case vec::kSlt:
      return a < b ? -1 : 0;
    case vec::kSeq:
      return a == b ? -1 : 0;
    case vec::kSelect:
      return mask != 0 ? a : b;
    case vec::kAbs:
      return saturate(a < 0 ? -a : a, w);
    case vec::kSll:
      return wrap(static_cast<std::int64_t>(ua * (std::uint64_t{1} << imm)), w);
    case vec::kSrl:
      return wrap(static_cast<std::int64_t>(ua / (std::uint64_t{1} << imm)), w);
    case vec::kSra: {
      const std::int64_t d = std::int64_t{1} << imm;
      return a >= 0 ? a / d : -((-a + d - 1) / d);
    }
    default:
      return 0;
  }
}

struct AluCase {
  vec::AluOp op;
  bool imm;  // rs2 field is a shift amount
};

TEST(PpuVector, EveryLaneOpMatchesTheScalarReferenceOnRandomData) {
  const AluCase cases[] = {
      {vec::kAdd, false}, {vec::kSub, false},     {vec::kAddSat, false},  {vec::kSubSat, false},
      {vec::kMul, false}, {vec::kMulFrac, false}, {vec::kMulHalf, false}, {vec::kMin, false},
      {vec::kMax, false}, {vec::kAnd, false},     {vec::kOr, false},      {vec::kXor, false},
      {vec::kSlt, false}, {vec::kSeq, false},     {vec::kSelect, false},  {vec::kAbs, false},
      {vec::kSll, true},  {vec::kSrl, true},      {vec::kSra, true}};
  boost::random::mt19937 rng(42);
  for (unsigned bytes : {16u, 64u, 256u}) {
    for (unsigned w = 0; w < 3; ++w) {
      const unsigned bits = 8u << w, lanes = bytes >> w;
      const std::int64_t lo = -(std::int64_t{1} << (bits - 1)), hi = -lo - 1;
      boost::random::uniform_int_distribution<std::int64_t> val(lo, hi), small(-3, 3);
      for (const AluCase& c : cases) {
        for (unsigned imm :
             c.imm ? std::vector<unsigned>{0, 1, 5, bits - 1} : std::vector<unsigned>{0}) {
          Harness h(bytes);
          std::vector<std::int64_t> a(lanes), b(lanes), m(lanes);
          for (unsigned i = 0; i < lanes; ++i) {
            // Extremes and small values too: saturation and equality need them.
            a[i] = i % 7 == 0 ? (i % 2 ? hi : lo) : (i % 5 == 0 ? small(rng) : val(rng));
            b[i] = i % 11 == 0 ? a[i] : (i % 3 == 0 ? (i % 2 ? lo : -1) : val(rng));
            m[i] = (i * 7919) % 3 == 0 ? 0 : val(rng) | 1;
            h.set_lane(1, w, i, a[i]);
            h.set_lane(2, w, i, c.imm ? 0 : b[i]);
            h.set_lane(0, w, i, m[i]);
          }
          const unsigned vl = lanes - 1;  // the last lane must stay untouched
          h.set_lane(3, w, lanes - 1, 0x5A);
          h.program({valu(c.op, w, 3, 1, c.imm ? imm : 2)});
          h.unit->set_vl(vl);
          h.run();
          for (unsigned i = 0; i < vl; ++i)
            ASSERT_EQ(h.lane(3, w, i), reference(c.op, w, a[i], c.imm ? 0 : b[i], m[i], imm))
                << VectorUnit::disassemble(valu(c.op, w, 3, 1, c.imm ? imm : 2)) << " lane " << i
                << " a=" << a[i] << " b=" << b[i] << " bytes=" << bytes;
          EXPECT_EQ(h.lane(3, w, lanes - 1), 0x5A);
        }
      }
    }
  }
}

TEST(PpuVector, StochasticRoundingUsesOneHardwareDrawPerLaneInOrder) {
  for (unsigned sh : {1u, 8u, 16u, 31u}) {
    Harness h(128);
    const unsigned lanes = 32;
    boost::random::mt19937 rng(sh);
    boost::random::uniform_int_distribution<std::int32_t> val(-(1 << 30), 1 << 30);
    std::vector<std::int32_t> a(lanes);
    for (unsigned i = 0; i < lanes; ++i) h.set_lane(1, 2, i, a[i] = val(rng));
    h.program({valu(vec::kRound, 2, 4, 1, sh)});
    h.unit->set_vl(lanes);
    h.run();
    ASSERT_EQ(h.drawn.size(), lanes);
    for (unsigned i = 0; i < lanes; ++i) {
      const std::int64_t whole = std::int64_t{a[i]} >> sh;  // floor
      const std::uint32_t frac = static_cast<std::uint32_t>(a[i]) & ((1u << sh) - 1);
      const std::int64_t want = whole + ((h.drawn[i] >> (32 - sh)) < frac ? 1 : 0);
      ASSERT_EQ(h.lane(4, 2, i), want) << "sh " << sh << " lane " << i;
    }
  }
  // Unbiased: the mean of many roundings of 2.25 (Q16) is 2.25.
  Harness h(256);
  double sum = 0;
  const int reps = 200;
  for (int r = 0; r < reps; ++r) {
    for (unsigned i = 0; i < 64; ++i) h.set_lane(1, 2, i, (2 << 16) + (1 << 14));
    h.program({valu(vec::kRound, 2, 4, 1, 16)});
    h.unit->set_vl(64);
    h.run();
    for (unsigned i = 0; i < 64; ++i) sum += static_cast<double>(h.lane(4, 2, i));
  }
  EXPECT_NEAR(sum / (reps * 64), 2.25, 0.02);
  // A zero shift is reserved.
  Harness z(64);
  z.program({valu(vec::kRound, 2, 4, 1, 0)});
  z.unit->set_vl(4);
  EXPECT_EQ(z.core.run(1000), StopReason::kHalted);
  EXPECT_EQ(z.core.halt_info().mcause, 2u);
}

TEST(PpuVector, SetvlClipsToTheLanesOfTheWidth) {
  Harness h(64);
  h.core.set_reg(10, 1000);
  h.core.set_reg(11, 5);
  h.program({vmem(vec::kSetvl, 0, 12, 10, 0), vmem(vec::kSetvl, 1, 13, 10, 0),
             vmem(vec::kSetvl, 2, 14, 10, 0), vmem(vec::kSetvl, 2, 15, 11, 0)});
  h.run();
  EXPECT_EQ(h.core.reg(12), 64u);
  EXPECT_EQ(h.core.reg(13), 32u);
  EXPECT_EQ(h.core.reg(14), 16u);
  EXPECT_EQ(h.core.reg(15), 5u);
  EXPECT_EQ(h.unit->vl(), 5u);
}

TEST(PpuVector, LoadsWidenAndStoresTruncateInSramAndThroughTheChipWindow) {
  Harness h(64);
  boost::random::mt19937 rng(3);
  boost::random::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : h.ram) b = static_cast<std::uint8_t>(byte(rng));
  for (auto& b : h.chip) b = static_cast<std::uint8_t>(byte(rng));
  const std::vector<std::uint8_t> ram0(h.ram), chip0(h.chip);
  const std::uint32_t src = Harness::kRam + 0x2000, dst = Harness::kRam + 0x3000;
  for (unsigned w = 0; w < 3; ++w) {
    for (unsigned m = 0; m <= w; ++m) {
      for (bool sign : {false, true}) {
        for (bool chip : {false, true}) {
          const std::uint32_t base = chip ? Harness::kChip + 0x40 : src;
          const std::uint8_t* mem = chip ? chip0.data() + 0x40 : ram0.data() + 0x2000;
          h.core.set_reg(10, base);
          h.core.set_reg(11, 3);  // offset register: the address is x[rs1] + x[rs2]
          h.core.set_reg(12, 13);
          h.core.set_reg(13, dst);
          h.program({vmem(vec::kSetvl, w, 0, 12, 0),
                     vmem(vec::kLoad, ldst_f7(w, m, sign), 5, 10, 11),
                     vmem(vec::kStore, ldst_f7(w, m, false), 5, 13, 0)});
          const int bus0 = h.bus_accesses;
          h.run();
          EXPECT_EQ(h.bus_accesses - bus0, chip ? 1 : 0) << "one burst per vector access";
          for (unsigned i = 0; i < 13; ++i) {
            std::uint32_t u = 0;
            std::memcpy(&u, mem + 3 + (i << m), 1u << m);
            std::int64_t want = u;
            if (sign && m < 2) want = wrap(static_cast<std::int64_t>(u), m);
            ASSERT_EQ(h.lane(5, w, i), wrap(want, w)) << "w " << w << " m " << m << " lane " << i;
            ASSERT_EQ(0,
                      std::memcmp(h.ram.data() + 0x3000 + (i << m), mem + 3 + (i << m), 1u << m));
          }
        }
      }
    }
  }
  // A store to the chip window is one burst of vl elements.
  h.core.set_reg(10, Harness::kChip + 0x100);
  h.core.set_reg(12, 64);
  for (unsigned i = 0; i < 64; ++i) h.set_lane(6, 0, i, static_cast<std::int64_t>(i * 3));
  h.program({vmem(vec::kSetvl, 0, 0, 12, 0), vmem(vec::kStore, ldst_f7(0, 0, false), 6, 10, 0)});
  h.run();
  for (unsigned i = 0; i < 64; ++i) EXPECT_EQ(h.chip[0x100 + i], i * 3);
}

TEST(PpuVector, SplatExtractAndSumReduction) {
  Harness h(32);
  h.core.set_reg(10, 0xFFFF'FF85u);  // -123
  h.core.set_reg(11, 6);
  h.core.set_reg(12, 7);
  h.program({vmem(vec::kSplat, 1, 2, 10, 0), vmem(vec::kSetvl, 1, 0, 11, 0),
             vmem(vec::kRedsum, 1, 14, 2, 0), vmem(vec::kExtract, 1, 15, 2, 12)});
  h.run();
  for (unsigned i = 0; i < 16; ++i) EXPECT_EQ(h.lane(2, 1, i), -123);
  EXPECT_EQ(static_cast<std::int32_t>(h.core.reg(14)), -123 * 6);
  EXPECT_EQ(static_cast<std::int32_t>(h.core.reg(15)), -123);
}

TEST(PpuVector, CyclesFollowTheCostTable) {
  Harness h(128);
  h.chip_latency = 7;  // e.g. a CADC conversion still running
  h.core.set_reg(10, Harness::kChip);
  h.core.set_reg(11, Harness::kRam + 0x2000);
  h.core.set_reg(12, 128);
  const VectorCycles c;
  h.program({vmem(vec::kSetvl, 0, 0, 12, 0)});
  EXPECT_EQ(h.run(), c.config);
  h.program({vmem(vec::kLoad, ldst_f7(0, 0, false), 1, 10, 0)});
  h.unit->set_vl(128);
  EXPECT_EQ(h.run(), c.chip_access + 7);
  h.program({vmem(vec::kLoad, ldst_f7(0, 0, false), 1, 11, 0)});
  h.unit->set_vl(128);
  EXPECT_EQ(h.run(), c.sram_access + 128 / c.sram_bytes_per_cycle);
  h.program({valu(vec::kMulHalf, 2, 1, 2, 3)});
  EXPECT_EQ(h.run(), c.mul);
  h.program({valu(vec::kAdd, 0, 1, 2, 3)});
  EXPECT_EQ(h.run(), c.alu);
  EXPECT_EQ(h.unit->counters().chip_accesses, 1u);
}

TEST(PpuVector, WithoutAUnitTheInstructionsAreIllegal) {
  Harness h(64, /*with_unit=*/false);
  const std::uint32_t insn = valu(vec::kAdd, 0, 1, 2, 3);
  h.program({insn});
  EXPECT_EQ(h.core.run(1000), StopReason::kHalted);
  EXPECT_EQ(h.core.halt_info().mcause, 2u);
  EXPECT_EQ(h.core.halt_info().mtval, insn);
  EXPECT_EQ(h.core.halt_info().pc, Harness::kRam);
  // Reserved encodings trap with a unit too: lane width 3, an unassigned operation.
  for (std::uint32_t bad : {valu(vec::kAdd, 3, 1, 2, 3), enc(15, 3, 2, 0, 1, vec::kOpcodeAlu),
                            enc(0, 0, 0, 7, 1, vec::kOpcodeMem)}) {
    Harness u(64);
    u.program({bad});
    EXPECT_EQ(u.core.run(1000), StopReason::kHalted);
    EXPECT_EQ(u.core.halt_info().mcause, 2u) << std::hex << bad;
  }
  // Loads that fault report the address.
  Harness f(64);
  f.core.set_reg(10, 0x2000'0000);
  f.program({vmem(vec::kSetvl, 0, 0, 11, 0), vmem(vec::kLoad, 0, 1, 10, 0)});
  f.core.set_reg(11, 4);
  f.core.set_reg(10, 0x2000'0000);
  EXPECT_EQ(f.core.run(1000), StopReason::kHalted);
  EXPECT_EQ(f.core.halt_info().mcause, 5u);
  EXPECT_EQ(f.core.halt_info().mtval, 0x2000'0000u);
}

TEST(PpuVector, Disassembly) {
  EXPECT_EQ(VectorUnit::disassemble(valu(vec::kAdd, 2, 1, 2, 3)), "vadd.w v1, v2, v3");
  EXPECT_EQ(VectorUnit::disassemble(valu(vec::kRound, 2, 4, 1, 16)), "vsrnd.w v4, v1, 16");
  EXPECT_EQ(VectorUnit::disassemble(vmem(vec::kLoad, ldst_f7(2, 0, false), 5, 10, 11)),
            "vld.wb v5, (a0+a1)");
}

}  // namespace
}  // namespace salvo::ppu
