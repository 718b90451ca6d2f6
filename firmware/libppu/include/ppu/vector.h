/* libppu vector intrinsics: the optional vector unit (chip variant processor.vector,
 * docs/processor.md "Vector extension") through `.insn`, so a stock RV32IMC toolchain
 * assembles them. Vector registers are named by number (0..31, compile-time constants); the
 * compiler does not know them, so every intrinsic is a volatile asm and keeps program order.
 *
 * Lane width w: 0 = 8, 1 = 16, 2 = 32 bit. Loads read vl elements of memory width m (<= w)
 * from addr, zero- or sign-extended (PPU_VLDS) into lanes of width w; stores write the low m
 * bytes of vl lanes. addr may be local memory or the chip window (weights, labels, CADC
 * results of one row segment: one burst).
 *
 * Without PPU_VECTOR_BYTES (the scalar variant) the same intrinsics run in C on a register
 * file in local memory with PPU_VECTOR_FALLBACK_BYTES-byte registers (default 16, to keep
 * the 16 KiB images small): slower, same results, the same hardware random stream. */
#ifndef PPU_VECTOR_H
#define PPU_VECTOR_H

#include <stdint.h>

#include "ppu/ppu.h"

#define PPU_V_B 0
#define PPU_V_H 1
#define PPU_V_W 2

/* custom-0 operations (funct7) */
#define PPU_VOP_ADD 0
#define PPU_VOP_SUB 1
#define PPU_VOP_ADDS 2
#define PPU_VOP_SUBS 3
#define PPU_VOP_MUL 4
#define PPU_VOP_MULF 5
#define PPU_VOP_MIN 6
#define PPU_VOP_MAX 7
#define PPU_VOP_AND 8
#define PPU_VOP_OR 9
#define PPU_VOP_XOR 10
#define PPU_VOP_SLT 11
#define PPU_VOP_SEQ 12
#define PPU_VOP_SEL 13
#define PPU_VOP_ABS 14
#define PPU_VOP_SLL 16
#define PPU_VOP_SRL 17
#define PPU_VOP_SRA 18
#define PPU_VOP_MULH 19
#define PPU_VOP_SRND 20

#define PPU_V_STR2(x) #x
#define PPU_V_STR(x) PPU_V_STR2(x)

#ifdef PPU_VECTOR_BYTES
#define PPU_VLEN PPU_VECTOR_BYTES

/* vl = min(n, lanes of width w); returns vl. */
#define PPU_VSETVL(w, n)                                                                    \
  __extension__({                                                                           \
    uint32_t vl_;                                                                           \
    __asm__ volatile(".insn r 0x2B, 0, " PPU_V_STR(w) ", %0, %1, x0" : "=r"(vl_) : "r"(n)); \
    vl_;                                                                                    \
  })
#define PPU_VLD_(w, m, s, vd, addr)                                                              \
  __asm__ volatile(".insn r 0x2B, 1, " PPU_V_STR(((s) << 4) | ((m) << 2) |                       \
                                                 (w)) ", x" PPU_V_STR(vd) ", %0, x0" ::"r"(addr) \
                   : "memory")
#define PPU_VLD(w, m, vd, addr) PPU_VLD_(w, m, 0, vd, addr)
#define PPU_VLDS(w, m, vd, addr) PPU_VLD_(w, m, 1, vd, addr)
#define PPU_VST(w, m, vs, addr)                                                                  \
  __asm__ volatile(                                                                              \
      ".insn r 0x2B, 2, " PPU_V_STR(((m) << 2) | (w)) ", x" PPU_V_STR(vs) ", %0, x0" ::"r"(addr) \
      : "memory")
#define PPU_VREDSUM(w, vs)                                                                        \
  __extension__({                                                                                 \
    int32_t s_;                                                                                   \
    __asm__ volatile(".insn r 0x2B, 3, " PPU_V_STR(w) ", %0, x" PPU_V_STR(vs) ", x0" : "=r"(s_)); \
    s_;                                                                                           \
  })
#define PPU_VSPLAT(w, vd, x) \
  __asm__ volatile(".insn r 0x2B, 4, " PPU_V_STR(w) ", x" PPU_V_STR(vd) ", %0, x0" ::"r"(x))
/* vd = vs1 op vs2 (lane-wise, width w) */
#define PPU_VOP(op, w, vd, vs1, vs2)                                                 \
  __asm__ volatile(".insn r 0x0B, " PPU_V_STR(w) ", " PPU_V_STR(op) ", x" PPU_V_STR( \
      vd) ", x" PPU_V_STR(vs1) ", x" PPU_V_STR(vs2))
/* shifts and stochastic rounding: the rs2 field is the shift amount */
#define PPU_VOPI(op, w, vd, vs1, imm) PPU_VOP(op, w, vd, vs1, imm)

#else /* scalar fallback */

#ifndef PPU_VECTOR_FALLBACK_BYTES
#define PPU_VECTOR_FALLBACK_BYTES 16
#endif
#define PPU_VLEN PPU_VECTOR_FALLBACK_BYTES

extern uint8_t ppu_vreg[32][PPU_VECTOR_FALLBACK_BYTES];
extern uint32_t ppu_vl;
uint32_t ppu_vfb_setvl(unsigned w, uint32_t n);
void ppu_vfb_load(unsigned w, unsigned m, int sign, unsigned vd, uintptr_t addr);
void ppu_vfb_store(unsigned w, unsigned m, unsigned vs, uintptr_t addr);
int32_t ppu_vfb_redsum(unsigned w, unsigned vs);
void ppu_vfb_splat(unsigned w, unsigned vd, uint32_t x);
void ppu_vfb_op(unsigned op, unsigned w, unsigned vd, unsigned vs1, unsigned vs2);

#define PPU_VSETVL(w, n) ppu_vfb_setvl(w, n)
#define PPU_VLD(w, m, vd, addr) ppu_vfb_load(w, m, 0, vd, (uintptr_t)(addr))
#define PPU_VLDS(w, m, vd, addr) ppu_vfb_load(w, m, 1, vd, (uintptr_t)(addr))
#define PPU_VST(w, m, vs, addr) ppu_vfb_store(w, m, vs, (uintptr_t)(addr))
#define PPU_VREDSUM(w, vs) ppu_vfb_redsum(w, vs)
#define PPU_VSPLAT(w, vd, x) ppu_vfb_splat(w, vd, (uint32_t)(x))
#define PPU_VOP(op, w, vd, vs1, vs2) ppu_vfb_op(op, w, vd, vs1, vs2)
#define PPU_VOPI(op, w, vd, vs1, imm) ppu_vfb_op(op, w, vd, vs1, imm)

#endif

/* Lanes of one register at width w. */
#define PPU_VLANES(w) ((uint32_t)(PPU_VLEN) >> (w))

#endif
