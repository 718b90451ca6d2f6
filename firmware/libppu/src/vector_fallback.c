/* Scalar fallback of the vector intrinsics (ppu/vector.h without PPU_VECTOR_BYTES): the
 * semantics of the vector unit (hw/ppu/vector_unit.cpp, docs/processor.md) in plain C on a
 * register file in local memory. Only linked into images that use the intrinsics. */
#undef PPU_VECTOR_BYTES
#include "ppu/vector.h"

uint8_t ppu_vreg[32][PPU_VECTOR_FALLBACK_BYTES] __attribute__((aligned(4)));
uint32_t ppu_vl;

static int64_t lane_get(unsigned v, unsigned w, unsigned i) {
  const uint8_t* p = &ppu_vreg[v & 31u][i << w];
  if (w == 0) return (int8_t)p[0];
  if (w == 1) return (int16_t)(uint16_t)(p[0] | (p[1] << 8));
  return (int32_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                   ((uint32_t)p[3] << 24));
}

static void lane_set(unsigned v, unsigned w, unsigned i, int64_t x) {
  uint8_t* p = &ppu_vreg[v & 31u][i << w];
  unsigned k;
  for (k = 0; k < (1u << w); ++k) p[k] = (uint8_t)((uint64_t)x >> (8 * k));
}

static int64_t sat(int64_t v, unsigned w) {
  int64_t hi = ((int64_t)1 << ((8u << w) - 1)) - 1;
  return v > hi ? hi : (v < -hi - 1 ? -hi - 1 : v);
}

uint32_t ppu_vfb_setvl(unsigned w, uint32_t n) {
  uint32_t lanes = PPU_VLANES(w);
  ppu_vl = n < lanes ? n : lanes;
  return ppu_vl;
}

static unsigned active(unsigned w) { return ppu_vl < PPU_VLANES(w) ? ppu_vl : PPU_VLANES(w); }

void ppu_vfb_load(unsigned w, unsigned m, int sign, unsigned vd, uintptr_t addr) {
  unsigned i, n = active(w);
  for (i = 0; i < n; ++i) {
    uint32_t u;
    int64_t e;
    if (m == 0)
      u = *(volatile const uint8_t*)(addr + i);
    else if (m == 1)
      u = *(volatile const uint16_t*)(addr + 2 * i);
    else
      u = *(volatile const uint32_t*)(addr + 4 * i);
    e = u;
    if (sign && m == 0) e = (int8_t)u;
    if (sign && m == 1) e = (int16_t)u;
    lane_set(vd, w, i, e);
  }
}

void ppu_vfb_store(unsigned w, unsigned m, unsigned vs, uintptr_t addr) {
  unsigned i, n = active(w);
  for (i = 0; i < n; ++i) {
    int64_t v = lane_get(vs, w, i);
    if (m == 0)
      *(volatile uint8_t*)(addr + i) = (uint8_t)v;
    else if (m == 1)
      *(volatile uint16_t*)(addr + 2 * i) = (uint16_t)v;
    else
      *(volatile uint32_t*)(addr + 4 * i) = (uint32_t)v;
  }
}

int32_t ppu_vfb_redsum(unsigned w, unsigned vs) {
  unsigned i, n = active(w);
  int64_t s = 0;
  for (i = 0; i < n; ++i) s += lane_get(vs, w, i);
  return (int32_t)s;
}

void ppu_vfb_splat(unsigned w, unsigned vd, uint32_t x) {
  unsigned i;
  for (i = 0; i < PPU_VLANES(w); ++i) lane_set(vd, w, i, x);
}

void ppu_vfb_op(unsigned op, unsigned w, unsigned vd, unsigned vs1, unsigned vs2) {
  unsigned i, n = active(w), bits = 8u << w, sh = vs2 % bits;
  uint64_t mask = ((uint64_t)1 << bits) - 1;
  for (i = 0; i < n; ++i) {
    int64_t a = lane_get(vs1, w, i), b = lane_get(vs2, w, i), v = 0;
    uint64_t ua = (uint64_t)a & mask;
    switch (op) {
      case PPU_VOP_ADD:
        v = a + b;
        break;
      case PPU_VOP_SUB:
        v = a - b;
        break;
      case PPU_VOP_ADDS:
        v = sat(a + b, w);
        break;
      case PPU_VOP_SUBS:
        v = sat(a - b, w);
        break;
      case PPU_VOP_MUL:
        v = a * b;
        break;
      case PPU_VOP_MULF:
        v = sat((a * b) >> (bits - 1), w);
        break;
      case PPU_VOP_MULH:
        v = sat((a * b) >> (bits / 2), w);
        break;
      case PPU_VOP_MIN:
        v = a < b ? a : b;
        break;
      case PPU_VOP_MAX:
        v = a > b ? a : b;
        break;
      case PPU_VOP_AND:
        v = a & b;
        break;
      case PPU_VOP_OR:
        v = a | b;
        break;
      case PPU_VOP_XOR:
        v = a ^ b;
        break;
      case PPU_VOP_SLT:
        v = a < b ? -1 : 0;
        break;
      case PPU_VOP_SEQ:
        v = a == b ? -1 : 0;
        break;
      case PPU_VOP_SEL:
        v = lane_get(0, w, i) != 0 ? a : b;
        break;
      case PPU_VOP_ABS:
        v = sat(a < 0 ? -a : a, w);
        break;
      case PPU_VOP_SLL:
        v = (int64_t)(ua << sh);
        break;
      case PPU_VOP_SRL:
        v = (int64_t)(ua >> sh);
        break;
      case PPU_VOP_SRA:
        v = a >> sh;
        break;
      case PPU_VOP_SRND: {
        uint32_t r = ppu_random();
        uint64_t frac = ua & (((uint64_t)1 << vs2) - 1);
        v = (a >> vs2) + (((uint64_t)r >> (32 - vs2)) < frac ? 1 : 0);
        break;
      }
      default:
        break;
    }
    lane_set(vd, w, i, v);
  }
}
