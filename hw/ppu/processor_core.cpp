#include "hw/ppu/processor_core.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "hw/common/error.hpp"

namespace salvo::ppu {
namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint32_t kMcountinhibit = 0x320;

inline std::uint32_t lo32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }
inline std::uint32_t hi32(std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); }
inline std::uint64_t with_lo(std::uint64_t v, std::uint32_t lo) {
  return (v & 0xFFFF'FFFF'0000'0000ull) | lo;
}
inline std::uint64_t with_hi(std::uint64_t v, std::uint32_t hi) {
  return (static_cast<std::uint64_t>(hi) << 32) | (v & 0xFFFF'FFFFull);
}

inline bool overlaps(std::uint32_t a, std::uint32_t alen, std::uint32_t b, std::uint32_t blen) {
  const std::uint64_t a0 = a, a1 = a0 + alen, b0 = b, b1 = b0 + blen;
  return a0 < b1 && b0 < a1;
}

}  // namespace

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::kNone:
      return "none";
    case StopReason::kCycleLimit:
      return "cycle limit";
    case StopReason::kWaitForInterrupt:
      return "wait for interrupt";
    case StopReason::kStoreWatch:
      return "store watch";
    case StopReason::kBreakpoint:
      return "breakpoint";
    case StopReason::kHalted:
      return "halted";
    case StopReason::kStopRequested:
      return "stop requested";
  }
  return "?";
}

void ProcessorCore::FreeDeleter::operator()(void* p) const { std::free(p); }

ProcessorCore::ProcessorCore(CoreBus& bus, const CoreParams& params)
    : bus_(bus),
      params_(params),
      mtime_divider_(std::max<std::uint32_t>(1, params.mtime_divider)) {}

ProcessorCore::~ProcessorCore() = default;

void ProcessorCore::reset(std::uint32_t reset_pc) {
  x_.fill(0);
  pc_ = reset_pc & ~1u;
  mstatus_ = kMstatusMpp;
  mie_ = 0;
  mtvec_ = 0;
  mscratch_ = mepc_ = mcause_ = mtval_ = 0;
  const std::uint64_t cy = mcycle(), ir = minstret();
  mcountinhibit_ = 0;
  set_mcycle(cy);
  set_minstret(ir, 0);
  halted_ = false;
  halt_info_ = HaltInfo{};
  stop_requested_ = false;
  stop_ = StopReason::kNone;
  have_exception_ = false;
}

// ---------------------------------------------------------------------------------------------
// Memory map: DMI RAM, decode cache, page flags

void ProcessorCore::map_ram(std::uint32_t base, std::uint8_t* host, std::uint32_t size,
                            std::uint32_t read_latency, std::uint32_t write_latency) {
  if (!host || size < 4)
    throw InternalError("ProcessorCore::map_ram: RAM needs a host pointer and >= 4 bytes");
  ram_ = host;
  ram_base_ = base;
  ram_size_ = size;
  ram_lim1_ = size;
  ram_lim2_ = size - 1;
  ram_lim4_ = size - 3;
  ram_read_latency_ = read_latency;
  ram_write_latency_ = write_latency;
  const std::size_t slots = size / 2 + 1;
  // calloc: the kernel hands out zero pages lazily, so a large RAM costs nothing until used.
  cache_.reset(static_cast<DecodedInsn*>(std::calloc(slots, sizeof(DecodedInsn))));
  page_flags_.reset(static_cast<std::uint8_t*>(std::calloc((size >> kPageShift) + 2, 1)));
  if (!cache_ || !page_flags_)
    throw InternalError("ProcessorCore::map_ram: out of memory for the decode cache");
  cache_lo_ = ~0u;
  cache_hi_ = 0;
  if (watch_len_) set_store_watch(watch_addr_, watch_len_);
}

void ProcessorCore::unmap_ram() {
  ram_ = nullptr;
  ram_base_ = ram_size_ = ram_lim1_ = ram_lim2_ = ram_lim4_ = 0;
  cache_.reset();
  page_flags_.reset();
}

void ProcessorCore::invalidate_all_code() {
  if (!cache_ || cache_lo_ > cache_hi_) return;
  DecodedInsn* c = cache_.get();
  for (std::uint32_t i = cache_lo_; i <= cache_hi_; ++i) c[i].op = Op::kUndecoded;
  cache_lo_ = ~0u;
  cache_hi_ = 0;
}

void ProcessorCore::invalidate_code(std::uint32_t addr, std::uint32_t len) {
  if (!cache_ || len == 0) return;
  // A 32-bit instruction starting 2 bytes before addr overlaps the range too.
  const std::int64_t first = static_cast<std::int64_t>(addr) - ram_base_ - 2;
  const std::int64_t last = static_cast<std::int64_t>(addr) - ram_base_ + len - 1;
  if (last < 0 || first >= static_cast<std::int64_t>(ram_size_)) return;
  const std::uint32_t s0 = static_cast<std::uint32_t>(std::max<std::int64_t>(first, 0) / 2);
  const std::uint32_t s1 =
      static_cast<std::uint32_t>(std::min<std::int64_t>(last, ram_size_ - 1) / 2);
  DecodedInsn* c = cache_.get();
  // Only the op is cleared: an instruction that overwrites itself still reads its length.
  for (std::uint32_t i = s0; i <= s1; ++i) c[i].op = Op::kUndecoded;
}

void ProcessorCore::mark_pages(std::uint32_t off, std::uint32_t len, std::uint8_t flag) {
  std::uint8_t* pf = page_flags_.get();
  const std::uint32_t last = std::min(off + len - 1, ram_size_ - 1);
  for (std::uint32_t p = off >> kPageShift; p <= (last >> kPageShift); ++p) pf[p] |= flag;
}

void ProcessorCore::set_store_watch(std::uint32_t addr, std::uint32_t len) {
  watch_addr_ = addr;
  watch_len_ = len;
  if (ram_ && len && overlaps(addr, len, ram_base_, ram_size_)) {
    const std::uint32_t lo = std::max(addr, ram_base_) - ram_base_;
    const std::uint64_t hi =
        std::min<std::uint64_t>(std::uint64_t{addr} + len, std::uint64_t{ram_base_} + ram_size_) -
        ram_base_;
    mark_pages(lo, static_cast<std::uint32_t>(hi - lo), kPageWatched);
  }
}

void ProcessorCore::clear_store_watch() {
  watch_addr_ = watch_len_ = 0;
  if (page_flags_) {
    std::uint8_t* pf = page_flags_.get();
    for (std::uint32_t p = 0; p < (ram_size_ >> kPageShift) + 2; ++p)
      pf[p] &= static_cast<std::uint8_t>(~kPageWatched);
  }
}

void ProcessorCore::on_flagged_ram_store(std::uint32_t off, std::uint32_t len) {
  const std::uint8_t* pf = page_flags_.get();
  const std::uint8_t flags = pf[off >> kPageShift] | pf[(off + len - 1) >> kPageShift];
  if (flags & kPageHasCode) invalidate_code(ram_base_ + off, len);
  if ((flags & kPageWatched) && overlaps(ram_base_ + off, len, watch_addr_, watch_len_))
    stop_ = StopReason::kStoreWatch;
}

// ---------------------------------------------------------------------------------------------
// Fetch and decode

void ProcessorCore::finish_decode(DecodedInsn& d) const {
  const CycleModel& m = params_.cycles;
  std::uint32_t c = m.system;
  switch (d.cost) {
    case CostClass::kAlu:
      c = m.alu;
      break;
    case CostClass::kBranch:
      c = m.branch_not_taken;
      break;
    case CostClass::kJump:
      c = m.jump;
      break;
    case CostClass::kLoad:
      c = m.load;
      break;
    case CostClass::kStore:
      c = m.store;
      break;
    case CostClass::kMul:
      c = m.mul;
      break;
    case CostClass::kDiv:
      c = m.div;
      break;
    case CostClass::kCsr:
      c = m.csr;
      break;
    case CostClass::kSystem:
      c = m.system;
      break;
  }
  // Every instruction costs at least one cycle: run()'s progress guarantee relies on it.
  d.cycles = static_cast<std::uint8_t>(std::clamp<std::uint32_t>(c, 1, 255));
}

const DecodedInsn* ProcessorCore::decode_at(std::uint32_t pc, DecodedInsn& scratch) {
  const std::uint32_t off = pc - ram_base_;
  if (ram_ && off < ram_lim2_) {
    std::uint16_t lo;
    std::memcpy(&lo, ram_ + off, 2);
    DecodedInsn* slot = cache_.get() + (off >> 1);
    if (is_32bit(lo)) {
      if (off >= ram_lim4_) {
        // The instruction straddles the end of RAM: fetch its upper half over the bus.
        std::uint16_t hi = 0;
        std::uint64_t stall = 0;
        const bool ok = bus_.read(pc + 2, &hi, 2, CoreBus::Access::kFetch, stall);
        cycle_ += stall;
        if (!ok) {
          take_exception(TrapCause::kInstructionAccessFault, pc + 2);
          return nullptr;
        }
        scratch = decode32(lo | (std::uint32_t{hi} << 16));
        finish_decode(scratch);
        return &scratch;
      }
      std::uint32_t w;
      std::memcpy(&w, ram_ + off, 4);
      *slot = decode32(w);
    } else {
      *slot = decode(lo);
    }
    finish_decode(*slot);
    mark_pages(off, slot->length, kPageHasCode);
    cache_lo_ = std::min(cache_lo_, off >> 1);
    cache_hi_ = std::max(cache_hi_, off >> 1);
    return slot;
  }
  std::uint16_t lo = 0;
  std::uint64_t stall = 0;
  bool ok = bus_.read(pc, &lo, 2, CoreBus::Access::kFetch, stall);
  cycle_ += stall;
  if (!ok) {
    take_exception(TrapCause::kInstructionAccessFault, pc);
    return nullptr;
  }
  std::uint32_t bits = lo;
  if (is_32bit(lo)) {
    std::uint16_t hi = 0;
    stall = 0;
    ok = bus_.read(pc + 2, &hi, 2, CoreBus::Access::kFetch, stall);
    cycle_ += stall;
    if (!ok) {
      // mtval names the part of the instruction that faulted; mepc its start.
      take_exception(TrapCause::kInstructionAccessFault, pc + 2);
      return nullptr;
    }
    bits |= std::uint32_t{hi} << 16;
  }
  scratch = decode(bits);
  finish_decode(scratch);
  return &scratch;
}

bool ProcessorCore::peek_instruction(std::uint32_t addr, DecodedInsn& out) {
  std::uint16_t lo = 0, hi = 0;
  std::uint64_t stall = 0;
  auto read_half = [&](std::uint32_t a, std::uint16_t& v) {
    const std::uint32_t o = a - ram_base_;
    if (ram_ && o < ram_lim2_) {
      std::memcpy(&v, ram_ + o, 2);
      return true;
    }
    return bus_.read(a, &v, 2, CoreBus::Access::kFetch, stall);
  };
  if (!read_half(addr, lo)) return false;
  if (is_32bit(lo) && !read_half(addr + 2, hi)) return false;
  out = decode(lo | (std::uint32_t{hi} << 16));
  finish_decode(out);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Slow-path memory accesses (anything not in DMI RAM)

bool ProcessorCore::load_slow(std::uint32_t addr, unsigned len, std::uint32_t& value) {
  // Misaligned accesses inside RAM complete in hardware (fast path); anywhere else —
  // devices, or straddling the end of RAM — they raise load-address-misaligned.
  if (addr & (len - 1)) {
    take_exception(TrapCause::kLoadMisaligned, addr);
    return false;
  }
  std::uint32_t v = 0;
  std::uint64_t stall = 0;
  const bool ok = bus_.read(addr, &v, len, CoreBus::Access::kLoad, stall);
  cycle_ += stall;
  if (!ok) {
    take_exception(TrapCause::kLoadAccessFault, addr);
    return false;
  }
  value = v;
  return true;
}

bool ProcessorCore::store_slow(std::uint32_t addr, unsigned len, std::uint32_t value) {
  if (addr & (len - 1)) {
    take_exception(TrapCause::kStoreMisaligned, addr);
    return false;
  }
  std::uint64_t stall = 0;
  const bool ok = bus_.write(addr, &value, len, stall);
  cycle_ += stall;
  if (!ok) {
    take_exception(TrapCause::kStoreAccessFault, addr);
    return false;
  }
  if (watch_len_ && overlaps(addr, len, watch_addr_, watch_len_)) stop_ = StopReason::kStoreWatch;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Traps and interrupts

void ProcessorCore::halt(std::uint32_t mcause, std::uint32_t tval, bool double_fault,
                         const std::string& reason) {
  halted_ = true;
  stop_ = StopReason::kHalted;
  halt_info_ = HaltInfo{};
  halt_info_.mcause = mcause;
  halt_info_.mtval = tval;
  halt_info_.pc = pc_;
  halt_info_.double_fault = double_fault;
  halt_info_.reason = reason;
  DecodedInsn d;
  if (!(mcause & kInterruptBit) && peek_instruction(pc_, d)) {
    halt_info_.instruction = d.raw;
    halt_info_.instruction_length = d.length;
  }
}

void ProcessorCore::take_exception(TrapCause cause, std::uint32_t tval) {
  const auto code = static_cast<std::uint32_t>(cause);
  if ((mtvec_ & ~3u) == 0) {
    halt(code, tval, false,
         fmt::format("{} with mtvec = 0 (no trap handler installed)", describe_cause(code)));
    return;
  }
  if (have_exception_ && instret_ == instret_at_exception_) {
    halt(code, tval, true,
         fmt::format("double fault: {} before any instruction retired after the previous trap "
                     "(mcause {}, mepc 0x{:08x})",
                     describe_cause(code), mcause_, mepc_));
    return;
  }
  have_exception_ = true;
  instret_at_exception_ = instret_;
  mepc_ = pc_;
  mcause_ = code;
  mtval_ = tval;
  mstatus_ =
      (mstatus_ & ~(kMstatusMie | kMstatusMpie)) | ((mstatus_ & kMstatusMie) ? kMstatusMpie : 0);
  pc_ = mtvec_ & ~3u;  // synchronous exceptions always go to BASE, also in vectored mode
  cycle_ += params_.cycles.trap_entry;
}

void ProcessorCore::take_interrupt(std::uint32_t code) {
  if ((mtvec_ & ~3u) == 0) {
    halt(kInterruptBit | code, 0, false,
         fmt::format("{} with mtvec = 0 (no trap handler installed)",
                     describe_cause(kInterruptBit | code)));
    return;
  }
  mepc_ = pc_;
  mcause_ = kInterruptBit | code;
  mtval_ = 0;
  mstatus_ =
      (mstatus_ & ~(kMstatusMie | kMstatusMpie)) | ((mstatus_ & kMstatusMie) ? kMstatusMpie : 0);
  pc_ = (mtvec_ & ~3u) + ((mtvec_ & 1u) ? 4 * code : 0);
  cycle_ += params_.cycles.trap_entry;
}

std::uint32_t ProcessorCore::mip() const {
  std::uint32_t v = 0;
  if (msip_) v |= kMipMsip;
  if (mtime() >= mtimecmp_) v |= kMipMtip;
  if (meip_) v |= kMipMeip;
  return v;
}

bool ProcessorCore::check_interrupts() {
  if (!(mstatus_ & kMstatusMie)) return false;
  const std::uint32_t pending = mip() & mie_;
  if (!pending) return false;
  // Fixed priority among machine interrupts: external > software > timer.
  if (pending & kMipMeip)
    take_interrupt(kIrqMachineExternal);
  else if (pending & kMipMsip)
    take_interrupt(kIrqMachineSoftware);
  else
    take_interrupt(kIrqMachineTimer);
  return true;
}

std::uint64_t ProcessorCore::next_wakeup_cycle() const {
  if (mip() & mie_) return cycle_;
  if (!(mie_ & kMipMtip) || mtimecmp_ == kNever) return kNever;
  const std::uint64_t now = mtime();
  const std::uint64_t ticks = mtimecmp_ - now;  // > 0: MTIP is not pending
  const std::uint64_t tick0 = cycle_ / mtime_divider_;
  if (ticks > (kNever - tick0) / mtime_divider_ - 1) return kNever;
  return (tick0 + ticks) * mtime_divider_;
}

std::uint64_t ProcessorCore::interrupt_deadline() const {
  if (!(mstatus_ & kMstatusMie)) return kNever;
  return next_wakeup_cycle();
}

void ProcessorCore::sleep_until(std::uint64_t cycle) {
  if (cycle > cycle_) {
    sleep_cycles_ += cycle - cycle_;
    cycle_ = cycle;
  }
}

// ---------------------------------------------------------------------------------------------
// CSRs

bool ProcessorCore::csr_read_internal(std::uint32_t c, std::uint32_t& v) const {
  using namespace csr;
  switch (c) {
    case kCycle:
    case kMcycle:
      v = lo32(mcycle());
      return true;
    case kCycleH:
    case kMcycleH:
      v = hi32(mcycle());
      return true;
    case kInstret:
    case kMinstret:
      v = lo32(minstret());
      return true;
    case kInstretH:
    case kMinstretH:
      v = hi32(minstret());
      return true;
    case kTime:
      v = lo32(mtime());
      return true;
    case kTimeH:
      v = hi32(mtime());
      return true;
    case kMvendorid:
    case kMarchid:
    case kMimpid:
    case kMconfigptr:
      v = 0;
      return true;
    case kMhartid:
      v = params_.hart_id;
      return true;
    case kMstatus:
      v = mstatus_;
      return true;
    case kMstatush:
      v = 0;
      return true;
    case kMisa:
      v = kMisaValue;
      return true;
    case kMie:
      v = mie_;
      return true;
    case kMip:
      v = mip();
      return true;
    case kMtvec:
      v = mtvec_;
      return true;
    case kMscratch:
      v = mscratch_;
      return true;
    case kMepc:
      v = mepc_;
      return true;
    case kMcause:
      v = mcause_;
      return true;
    case kMtval:
      v = mtval_;
      return true;
    case kMcountinhibit:
      v = mcountinhibit_;
      return true;
    case kTselect:
    case kTdata1:
    case kTdata2:
    case kTdata3:
      v = 0;
      return true;  // no triggers
    case kTinfo:
      v = 1;
      return true;  // only type 0 ("no trigger") is supported
    default:
      break;
  }
  if ((c >= kHpmCounter3 && c <= kHpmCounter31) || (c >= kHpmCounter3H && c <= kHpmCounter31H) ||
      (c >= kMhpmcounter3 && c <= kMhpmcounter31) ||
      (c >= kMhpmcounter3H && c <= kMhpmcounter31H) || (c >= kMhpmevent3 && c <= kMhpmevent31) ||
      (c >= kPmpcfg0 && c <= kPmpcfg15) || (c >= kPmpaddr0 && c <= kPmpaddr63)) {
    v = 0;  // implemented as read-only zero (allowed WARL choice): no extra counters, no PMP
    return true;
  }
  return false;
}

bool ProcessorCore::csr_write_internal(std::uint32_t c, std::uint32_t v) {
  using namespace csr;
  // The counters: the value written is what the next instruction reads (the increment of
  // the writing instruction itself is suppressed), as the spec asks.
  switch (c) {
    case kMcycle:
    case kMcycleH: {
      const std::uint64_t cur = mcycle();
      set_mcycle(c == kMcycle ? with_lo(cur, v) : with_hi(cur, v));
      return true;
    }
    case kMinstret:
    case kMinstretH: {
      const std::uint64_t cur = minstret();
      set_minstret(c == kMinstret ? with_lo(cur, v) : with_hi(cur, v), 1);
      return true;
    }
    case kMstatus:
      mstatus_ = (v & (kMstatusMie | kMstatusMpie)) | kMstatusMpp;
      return true;
    case kMstatush:
      return true;
    case kMisa:
      return true;  // extensions cannot be switched off
    case kMie:
      mie_ = v & (kMipMsip | kMipMtip | kMipMeip);
      return true;
    case kMip:
      return true;  // MSIP/MTIP/MEIP are read-only views of the CLINT and the external line
    case kMtvec:
      mtvec_ = v & ~2u;
      return true;  // MODE >= 2 is reserved: keep bit 0 (vectored)
    case kMscratch:
      mscratch_ = v;
      return true;
    case kMepc:
      mepc_ = v & ~1u;
      return true;
    case kMcause:
      mcause_ = v;
      return true;
    case kMtval:
      mtval_ = v;
      return true;
    case kMcountinhibit: {
      // CY (bit 0) and IR (bit 2); there are no hpm counters to inhibit. A frozen counter
      // keeps its value; on release it continues from there.
      const std::uint64_t cy = mcycle(), ir = minstret();
      mcountinhibit_ = v & 5u;
      set_mcycle(cy);
      set_minstret(ir, 1);
      return true;
    }
    case kTselect:
    case kTdata1:
    case kTdata2:
    case kTdata3:
    case kTinfo:
      return true;
    default:
      break;
  }
  std::uint32_t dummy;
  return csr_read_internal(c, dummy);  // the read-only-zero groups accept and ignore writes
}

void ProcessorCore::set_mcycle(std::uint64_t value) {
  if (mcountinhibit_ & 1u)
    frozen_mcycle_ = value;
  else
    mcycle_offset_ = value - busy_cycles();
}

void ProcessorCore::set_minstret(std::uint64_t value, unsigned pending_increment) {
  if (mcountinhibit_ & 4u)
    frozen_minstret_ = value;
  else
    minstret_offset_ = value - (instret_ + pending_increment);
}

bool ProcessorCore::read_csr(std::uint32_t c, std::uint32_t& value) const {
  return csr_read_internal(c, value);
}

bool ProcessorCore::write_csr(std::uint32_t c, std::uint32_t value) {
  if ((c >> 10) == 3) return false;
  if (c == csr::kMinstret || c == csr::kMinstretH) {
    // A host write is not an instruction: there is no increment to suppress.
    const std::uint64_t cur = minstret();
    set_minstret(c == csr::kMinstret ? with_lo(cur, value) : with_hi(cur, value), 0);
    return true;
  }
  return csr_write_internal(c, value);
}

bool ProcessorCore::execute_csr(const DecodedInsn& d) {
  const std::uint32_t c = static_cast<std::uint32_t>(d.imm) & 0xFFF;
  const bool imm_form = d.op == Op::kCsrrwi || d.op == Op::kCsrrsi || d.op == Op::kCsrrci;
  const std::uint32_t src = imm_form ? d.rs1 : x_[d.rs1];
  const bool is_write_op = d.op == Op::kCsrrw || d.op == Op::kCsrrwi;
  // CSRRS/CSRRC with rs1 = x0 (or uimm = 0) do not write, so they may read read-only CSRs.
  const bool writes = is_write_op || d.rs1 != 0;
  std::uint32_t old = 0;
  // CSRRW with rd = x0 does not read; no CSR here has read side effects, so reading just
  // checks existence.
  if (!csr_read_internal(c, old) || (writes && (c >> 10) == 3)) {
    take_exception(TrapCause::kIllegalInstruction, d.raw);
    return false;
  }
  if (writes) {
    const std::uint32_t nv = is_write_op                                   ? src
                             : (d.op == Op::kCsrrs || d.op == Op::kCsrrsi) ? (old | src)
                                                                           : (old & ~src);
    csr_write_internal(c, nv);
  }
  x_[d.rd] = old;
  pc_ += d.length;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Vector unit

bool ProcessorCore::execute_vector(const DecodedInsn& d) {
  if (!vector_) {
    take_exception(TrapCause::kIllegalInstruction, d.raw);
    return false;
  }
  const VectorUnit::Result r = vector_->execute(d.raw, x_.data(), *this);
  if (!r.ok) {
    take_exception(r.cause, r.tval);
    return false;
  }
  // The decode charged d.cycles already; the unit's cost replaces it.
  cycle_ += r.cycles > d.cycles ? r.cycles - d.cycles : 0;
  if (r.left_sram || stop_ != StopReason::kNone) {
    pc_ += d.length;
    ++instret_;
    return false;
  }
  return true;
}

bool ProcessorCore::vector_read(std::uint32_t addr, void* data, std::uint32_t len,
                                bool& outside_sram, std::uint64_t& extra_cycles) {
  const std::uint32_t off = addr - ram_base_;
  if (ram_ && off < ram_size_ && len <= ram_size_ - off) {
    std::memcpy(data, ram_ + off, len);
    extra_cycles = ram_read_latency_;
    return true;
  }
  outside_sram = true;
  return bus_.read(addr, data, len, CoreBus::Access::kLoad, extra_cycles);
}

bool ProcessorCore::vector_write(std::uint32_t addr, const void* data, std::uint32_t len,
                                 bool& outside_sram, std::uint64_t& extra_cycles) {
  const std::uint32_t off = addr - ram_base_;
  if (ram_ && off < ram_size_ && len <= ram_size_ - off) {
    std::memcpy(ram_ + off, data, len);
    extra_cycles = ram_write_latency_;
    const std::uint8_t* pf = page_flags_.get();
    bool flagged = false;
    for (std::uint32_t p = off >> kPageShift; p <= ((off + len - 1) >> kPageShift); ++p)
      flagged = flagged || pf[p] != 0;
    if (flagged) on_flagged_ram_store(off, len);
    return true;
  }
  outside_sram = true;
  if (!bus_.write(addr, data, len, extra_cycles)) return false;
  if (watch_len_ && overlaps(addr, len, watch_addr_, watch_len_)) stop_ = StopReason::kStoreWatch;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The run loop

StopReason ProcessorCore::run(std::uint64_t cycle_limit) {
  if (halted_) return StopReason::kHalted;
  stop_ = StopReason::kNone;
  for (;;) {
    if (stop_requested_) {
      stop_requested_ = false;
      return StopReason::kStopRequested;
    }
    if (stop_ != StopReason::kNone) return stop_;
    if (check_interrupts() && stop_ != StopReason::kNone) return stop_;
    if (cycle_ >= cycle_limit) return StopReason::kCycleLimit;
    std::uint64_t block_limit = std::min(cycle_limit, interrupt_deadline());
    if (block_limit <= cycle_) block_limit = cycle_ + 1;
    if (InstructionObserver* const observer = observer_; __builtin_expect(observer != nullptr, 0)) {
      // (A bus callback may detach the observer meanwhile: this instruction still reports.)
      const std::uint32_t pc = pc_;
      const std::uint64_t cycles = cycle_, retired = instret_;
      execute_block(cycle_ + 1);  // exactly one instruction (each costs >= 1 cycle)
      observer->on_instruction(pc, cycle_ - cycles, instret_ - retired);
      continue;
    }
    execute_block(block_limit);
  }
}

// The hot loop. pc, the cycle count and instret live in locals (host registers) and are
// written back (SYNC_OUT) before anything that reads or changes core state out of line:
// traps, CSRs, bus accesses. Any such slow event ends the block after its instruction, so
// run() re-evaluates interrupts, deadlines and stop requests only then — never per instruction.
void ProcessorCore::execute_block(std::uint64_t limit) {
  std::uint32_t* const x = x_.data();
  std::uint8_t* const ram = ram_;
  const std::uint32_t ram_base = ram_base_;
  const std::uint32_t lim1 = ram_lim1_, lim2 = ram_lim2_, lim4 = ram_lim4_;
  const std::uint32_t rlat = ram_read_latency_, wlat = ram_write_latency_;
  DecodedInsn* const cache = cache_.get();
  const std::uint8_t* const pflags = page_flags_.get();
  const std::uint32_t taken_extra =
      params_.cycles.branch_taken > params_.cycles.branch_not_taken
          ? params_.cycles.branch_taken - params_.cycles.branch_not_taken
          : 0;
  std::uint32_t pc = pc_;
  std::uint64_t cyc = cycle_;
  std::uint64_t ret = instret_;
  DecodedInsn scratch;

#define SYNC_OUT() (pc_ = pc, cycle_ = cyc, instret_ = ret)
#define SYNC_IN() (pc = pc_, cyc = cycle_, ret = instret_)
// Finishes the current instruction normally and leaves the block.
#define RETIRE_AND_LEAVE(next_pc) \
  do {                            \
    pc = (next_pc);               \
    ++ret;                        \
    goto leave;                   \
  } while (0)

  // Threaded dispatch (GCC's labels as values): every handler ends in its own copy of the
  // fetch-and-jump, which the host's branch predictor learns per instruction pair.
  static const void* const kDispatch[] = {
      &&L_kUndecoded, &&L_kIllegal, &&L_kLui,  &&L_kAuipc, &&L_kJal,    &&L_kJalr,   &&L_kBeq,
      &&L_kBne,       &&L_kBlt,     &&L_kBge,  &&L_kBltu,  &&L_kBgeu,   &&L_kLb,     &&L_kLh,
      &&L_kLw,        &&L_kLbu,     &&L_kLhu,  &&L_kSb,    &&L_kSh,     &&L_kSw,     &&L_kAddi,
      &&L_kSlti,      &&L_kSltiu,   &&L_kXori, &&L_kOri,   &&L_kAndi,   &&L_kSlli,   &&L_kSrli,
      &&L_kSrai,      &&L_kAdd,     &&L_kSub,  &&L_kSll,   &&L_kSlt,    &&L_kSltu,   &&L_kXor,
      &&L_kSrl,       &&L_kSra,     &&L_kOr,   &&L_kAnd,   &&L_kFence,  &&L_kFenceI, &&L_kEcall,
      &&L_kEbreak,    &&L_kMret,    &&L_kWfi,  &&L_kCsrrw, &&L_kCsrrs,  &&L_kCsrrc,  &&L_kCsrrwi,
      &&L_kCsrrsi,    &&L_kCsrrci,  &&L_kMul,  &&L_kMulh,  &&L_kMulhsu, &&L_kMulhu,  &&L_kDiv,
      &&L_kDivu,      &&L_kRem,     &&L_kRemu, &&L_kVector};
  static_assert(sizeof(kDispatch) / sizeof(kDispatch[0]) == static_cast<std::size_t>(Op::kCount),
                "dispatch table must follow enum Op");
  const DecodedInsn* d = nullptr;
#define DISPATCH()                                           \
  do {                                                       \
    if (__builtin_expect(cyc >= limit, 0)) goto leave;       \
    const std::uint32_t coff_ = pc - ram_base;               \
    if (__builtin_expect(coff_ >= lim2, 0)) goto fetch_slow; \
    d = &cache[coff_ >> 1];                                  \
    cyc += d->cycles;                                        \
    goto* kDispatch[static_cast<std::uint8_t>(d->op)];       \
  } while (0)
// The instruction completed without a jump: on to the next one.
#define END_SEQ()    \
  do {               \
    pc += d->length; \
    ++ret;           \
    DISPATCH();      \
  } while (0)

  DISPATCH();

fetch_slow:  // outside the decode cache: fetch over the bus (or the end of RAM)
  SYNC_OUT();
  d = decode_at(pc, scratch);
  SYNC_IN();
  if (!d) goto leave;  // instruction access fault taken (or halted)
  cyc += d->cycles;
  goto* kDispatch[static_cast<std::uint8_t>(d->op)];

L_kUndecoded:  // an empty or invalidated cache slot: decode into it and dispatch again
  cyc -= d->cycles;
  SYNC_OUT();
  d = decode_at(pc, scratch);
  SYNC_IN();
  if (!d) goto leave;
  cyc += d->cycles;
  goto* kDispatch[static_cast<std::uint8_t>(d->op)];

L_kLui:
  x[d->rd] = static_cast<std::uint32_t>(d->imm);
  END_SEQ();
L_kAuipc:
  x[d->rd] = pc + static_cast<std::uint32_t>(d->imm);
  END_SEQ();
L_kJal:
  x[d->rd] = pc + d->length;
  pc += static_cast<std::uint32_t>(d->imm);
  ++ret;
  DISPATCH();
L_kJalr : {
  const std::uint32_t target = (x[d->rs1] + static_cast<std::uint32_t>(d->imm)) & ~1u;
  x[d->rd] = pc + d->length;
  pc = target;
  ++ret;
  DISPATCH();
}
#define BRANCH(cond)                          \
  if (cond) {                                 \
    pc += static_cast<std::uint32_t>(d->imm); \
    cyc += taken_extra;                       \
    ++ret;                                    \
    DISPATCH();                               \
  }                                           \
  END_SEQ();
L_kBeq:
  BRANCH(x[d->rs1] == x[d->rs2])
L_kBne:
  BRANCH(x[d->rs1] != x[d->rs2])
L_kBlt:
  BRANCH(static_cast<std::int32_t>(x[d->rs1]) < static_cast<std::int32_t>(x[d->rs2]))
L_kBge:
  BRANCH(static_cast<std::int32_t>(x[d->rs1]) >= static_cast<std::int32_t>(x[d->rs2]))
L_kBltu:
  BRANCH(x[d->rs1] < x[d->rs2])
L_kBgeu:
  BRANCH(x[d->rs1] >= x[d->rs2])
#undef BRANCH

#define LOAD(len, lim, type, ext)                                           \
  {                                                                         \
    const std::uint32_t a = x[d->rs1] + static_cast<std::uint32_t>(d->imm); \
    const std::uint32_t o = a - ram_base;                                   \
    std::uint32_t v;                                                        \
    if (__builtin_expect(o < (lim), 1)) {                                   \
      type t;                                                               \
      std::memcpy(&t, ram + o, len);                                        \
      v = ext(t);                                                           \
      cyc += rlat;                                                          \
    } else {                                                                \
      SYNC_OUT();                                                           \
      std::uint32_t raw = 0;                                                \
      const bool ok = load_slow(a, len, raw);                               \
      SYNC_IN();                                                            \
      if (!ok) goto leave;                                                  \
      type t = static_cast<type>(raw);                                      \
      x[d->rd] = ext(t);                                                    \
      RETIRE_AND_LEAVE(pc + d->length);                                     \
    }                                                                       \
    x[d->rd] = v;                                                           \
    END_SEQ();                                                              \
  }
#define SEXT8(t) static_cast<std::uint32_t>(static_cast<std::int32_t>(t))
#define ZEXT(t) static_cast<std::uint32_t>(t)
L_kLb:
  LOAD(1, lim1, std::int8_t, SEXT8)
L_kLh:
  LOAD(2, lim2, std::int16_t, SEXT8)
L_kLw:
  LOAD(4, lim4, std::uint32_t, ZEXT)
L_kLbu:
  LOAD(1, lim1, std::uint8_t, ZEXT)
L_kLhu:
  LOAD(2, lim2, std::uint16_t, ZEXT)
#undef LOAD
#undef SEXT8
#undef ZEXT

#define STORE(len, lim, type)                                                                   \
  {                                                                                             \
    const std::uint32_t a = x[d->rs1] + static_cast<std::uint32_t>(d->imm);                     \
    const std::uint32_t o = a - ram_base;                                                       \
    const type v = static_cast<type>(x[d->rs2]);                                                \
    if (__builtin_expect(o < (lim), 1)) {                                                       \
      std::memcpy(ram + o, &v, len);                                                            \
      cyc += wlat;                                                                              \
      if (__builtin_expect(pflags[o >> kPageShift] | pflags[(o + len - 1) >> kPageShift], 0)) { \
        SYNC_OUT();                                                                             \
        on_flagged_ram_store(o, len);                                                           \
        if (stop_ != StopReason::kNone) RETIRE_AND_LEAVE(pc + d->length);                       \
      }                                                                                         \
    } else {                                                                                    \
      SYNC_OUT();                                                                               \
      const bool ok = store_slow(a, len, v);                                                    \
      SYNC_IN();                                                                                \
      if (!ok) goto leave;                                                                      \
      RETIRE_AND_LEAVE(pc + d->length);                                                         \
    }                                                                                           \
    END_SEQ();                                                                                  \
  }
L_kSb:
  STORE(1, lim1, std::uint8_t)
L_kSh:
  STORE(2, lim2, std::uint16_t)
L_kSw:
  STORE(4, lim4, std::uint32_t)
#undef STORE

L_kAddi:
  x[d->rd] = x[d->rs1] + static_cast<std::uint32_t>(d->imm);
  END_SEQ();
L_kSlti:
  x[d->rd] = static_cast<std::int32_t>(x[d->rs1]) < d->imm;
  END_SEQ();
L_kSltiu:
  x[d->rd] = x[d->rs1] < static_cast<std::uint32_t>(d->imm);
  END_SEQ();
L_kXori:
  x[d->rd] = x[d->rs1] ^ static_cast<std::uint32_t>(d->imm);
  END_SEQ();
L_kOri:
  x[d->rd] = x[d->rs1] | static_cast<std::uint32_t>(d->imm);
  END_SEQ();
L_kAndi:
  x[d->rd] = x[d->rs1] & static_cast<std::uint32_t>(d->imm);
  END_SEQ();
L_kSlli:
  x[d->rd] = x[d->rs1] << d->imm;
  END_SEQ();
L_kSrli:
  x[d->rd] = x[d->rs1] >> d->imm;
  END_SEQ();
L_kSrai:
  x[d->rd] = static_cast<std::uint32_t>(static_cast<std::int32_t>(x[d->rs1]) >> d->imm);
  END_SEQ();
L_kAdd:
  x[d->rd] = x[d->rs1] + x[d->rs2];
  END_SEQ();
L_kSub:
  x[d->rd] = x[d->rs1] - x[d->rs2];
  END_SEQ();
L_kSll:
  x[d->rd] = x[d->rs1] << (x[d->rs2] & 31);
  END_SEQ();
L_kSlt:
  x[d->rd] = static_cast<std::int32_t>(x[d->rs1]) < static_cast<std::int32_t>(x[d->rs2]);
  END_SEQ();
L_kSltu:
  x[d->rd] = x[d->rs1] < x[d->rs2];
  END_SEQ();
L_kXor:
  x[d->rd] = x[d->rs1] ^ x[d->rs2];
  END_SEQ();
L_kSrl:
  x[d->rd] = x[d->rs1] >> (x[d->rs2] & 31);
  END_SEQ();
L_kSra:
  x[d->rd] = static_cast<std::uint32_t>(static_cast<std::int32_t>(x[d->rs1]) >> (x[d->rs2] & 31));
  END_SEQ();
L_kOr:
  x[d->rd] = x[d->rs1] | x[d->rs2];
  END_SEQ();
L_kAnd:
  x[d->rd] = x[d->rs1] & x[d->rs2];
  END_SEQ();

L_kMul:
  x[d->rd] = x[d->rs1] * x[d->rs2];
  END_SEQ();
L_kMulh : {
  const std::int64_t p = std::int64_t{static_cast<std::int32_t>(x[d->rs1])} *
                         std::int64_t{static_cast<std::int32_t>(x[d->rs2])};
  x[d->rd] = static_cast<std::uint32_t>(static_cast<std::uint64_t>(p) >> 32);
  END_SEQ();
}
L_kMulhsu : {
  const std::int64_t p =
      std::int64_t{static_cast<std::int32_t>(x[d->rs1])} * std::int64_t{x[d->rs2]};
  x[d->rd] = static_cast<std::uint32_t>(static_cast<std::uint64_t>(p) >> 32);
  END_SEQ();
}
L_kMulhu:
  x[d->rd] =
      static_cast<std::uint32_t>((std::uint64_t{x[d->rs1]} * std::uint64_t{x[d->rs2]}) >> 32);
  END_SEQ();
L_kDiv : {
  const auto a = static_cast<std::int32_t>(x[d->rs1]), b = static_cast<std::int32_t>(x[d->rs2]);
  if (b == 0)
    x[d->rd] = ~0u;
  else if (a == std::numeric_limits<std::int32_t>::min() && b == -1)
    x[d->rd] = static_cast<std::uint32_t>(a);
  else
    x[d->rd] = static_cast<std::uint32_t>(a / b);
  END_SEQ();
}
L_kDivu : {
  const std::uint32_t b = x[d->rs2];
  x[d->rd] = b == 0 ? ~0u : x[d->rs1] / b;
  END_SEQ();
}
L_kRem : {
  const auto a = static_cast<std::int32_t>(x[d->rs1]), b = static_cast<std::int32_t>(x[d->rs2]);
  if (b == 0)
    x[d->rd] = static_cast<std::uint32_t>(a);
  else if (a == std::numeric_limits<std::int32_t>::min() && b == -1)
    x[d->rd] = 0;
  else
    x[d->rd] = static_cast<std::uint32_t>(a % b);
  END_SEQ();
}
L_kRemu : {
  const std::uint32_t b = x[d->rs2];
  x[d->rd] = b == 0 ? x[d->rs1] : x[d->rs1] % b;
  END_SEQ();
}

L_kFence:
L_kFenceI:  // stores keep the decode cache coherent, so FENCE.I has nothing to do
  END_SEQ();

L_kCsrrw:
L_kCsrrs:
L_kCsrrc:
L_kCsrrwi:
L_kCsrrsi:
L_kCsrrci : {
  // CSR writes may enable interrupts or move the timer: leave the block afterwards.
  SYNC_OUT();
  const bool done = execute_csr(*d);
  SYNC_IN();
  if (done) ++ret;
  goto leave;
}
L_kEcall:
  SYNC_OUT();
  take_exception(TrapCause::kEcallFromM, 0);
  SYNC_IN();
  goto leave;
L_kEbreak:
  if (debug_breakpoints_) {
    cyc -= d->cycles;  // the debugger stops before the EBREAK executes
    stop_ = StopReason::kBreakpoint;
    goto leave;
  }
  SYNC_OUT();
  take_exception(TrapCause::kBreakpoint, pc);
  SYNC_IN();
  goto leave;
L_kMret:
  mstatus_ =
      (mstatus_ & ~kMstatusMie) | ((mstatus_ & kMstatusMpie) ? kMstatusMie : 0) | kMstatusMpie;
  RETIRE_AND_LEAVE(mepc_);
L_kWfi:
  SYNC_OUT();
  if ((mip() & mie_) == 0) {
    stop_ = StopReason::kWaitForInterrupt;
    RETIRE_AND_LEAVE(pc + d->length);
  }
  END_SEQ();  // an enabled interrupt is already pending: WFI completes at once
L_kVector:
  SYNC_OUT();
  if (!execute_vector(*d)) {
    SYNC_IN();
    goto leave;
  }
  SYNC_IN();
  END_SEQ();
L_kIllegal:
  SYNC_OUT();
  take_exception(TrapCause::kIllegalInstruction, d->raw);
  SYNC_IN();
  goto leave;
leave:
  SYNC_OUT();
#undef SYNC_OUT
#undef SYNC_IN
#undef RETIRE_AND_LEAVE
#undef DISPATCH
#undef END_SEQ
}

// ---------------------------------------------------------------------------------------------
// Reports

std::string ProcessorCore::format_state() const {
  std::string s = fmt::format(
      "pc  0x{:08x}  mstatus 0x{:08x}  mcause 0x{:08x}  mepc 0x{:08x}  mtval 0x{:08x}  mtvec "
      "0x{:08x}\n",
      pc_, mstatus_, mcause_, mepc_, mtval_, mtvec_);
  for (int i = 0; i < 32; ++i) {
    s += fmt::format("x{:<2} {:>4} 0x{:08x}{}", i, register_abi_name(i), reg(i),
                     (i % 4 == 3) ? "\n" : "   ");
  }
  return s;
}

}  // namespace salvo::ppu
