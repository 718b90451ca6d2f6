// Memory-mapped registers as named members (VCML style): a peripheral declares one
// MmioRegister per datasheet entry and a RegisterBank turns TLM transactions into register
// reads and writes, so the model reads like the register table in docs/memory-map.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <tlm>

namespace salvo::ppu {

class MmioRegister {
 public:
  enum class Access { kReadOnly, kWriteOnly, kReadWrite };

  MmioRegister(std::string name, std::uint32_t offset, Access access, std::uint32_t reset_value = 0)
      : name_(std::move(name)),
        offset_(offset),
        access_(access),
        reset_(reset_value),
        value(reset_value) {}

  const std::string& name() const { return name_; }
  std::uint32_t offset() const { return offset_; }
  Access access() const { return access_; }
  void reset() { value = reset_; }

  // Computed registers (timer, random numbers) install hooks; plain ones just hold `value`.
  // A read hook with side effects (e.g. drawing a random number) sets `read_has_side_effects`
  // so debugger reads do not disturb it.
  std::function<std::uint32_t()> on_read;
  std::function<void(std::uint32_t)> on_write;
  bool read_has_side_effects = false;

  std::uint32_t read() { return on_read ? on_read() : value; }
  void write(std::uint32_t v) {
    value = v;
    if (on_write) on_write(v);
  }

 private:
  std::string name_;
  std::uint32_t offset_;
  Access access_;
  std::uint32_t reset_;

 public:
  std::uint32_t value;
};

// Decodes offsets to registers. Accesses of 1, 2 or 4 bytes inside one 32-bit register are
// allowed (a byte store to a write-only register writes that byte, zero-extended); anything
// else — unmapped offsets, crossing registers, reading write-only or writing read-only
// registers — is answered with an error response, which the processor turns into an
// access-fault trap.
class RegisterBank {
 public:
  void add(MmioRegister& r) { regs_.push_back(&r); }
  void reset() {
    for (auto* r : regs_) r->reset();
  }
  MmioRegister* find(std::uint32_t offset) const {
    for (auto* r : regs_)
      if (r->offset() == offset) return r;
    return nullptr;
  }
  const std::vector<MmioRegister*>& registers() const { return regs_; }

  tlm::tlm_response_status access(tlm::tlm_generic_payload& gp, bool debug = false) const {
    const std::uint64_t addr = gp.get_address();
    const unsigned len = gp.get_data_length();
    if (gp.get_byte_enable_ptr() || gp.get_streaming_width() < len)
      return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
    if (len == 0 || len > 4 || (len & (len - 1)) || (addr & (len - 1)))
      return tlm::TLM_BURST_ERROR_RESPONSE;
    MmioRegister* r = find(static_cast<std::uint32_t>(addr & ~std::uint64_t{3}));
    if (!r) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
    const unsigned shift = static_cast<unsigned>(addr & 3) * 8;
    const std::uint32_t mask = len == 4 ? ~0u : ((1u << (len * 8)) - 1u) << shift;
    unsigned char* data = gp.get_data_ptr();
    if (gp.is_read()) {
      if (r->access() == MmioRegister::Access::kWriteOnly) return tlm::TLM_COMMAND_ERROR_RESPONSE;
      const std::uint32_t v = (debug && r->read_has_side_effects) ? r->value : r->read();
      for (unsigned i = 0; i < len; ++i) data[i] = static_cast<unsigned char>(v >> (shift + 8 * i));
    } else if (gp.is_write()) {
      if (r->access() == MmioRegister::Access::kReadOnly) return tlm::TLM_COMMAND_ERROR_RESPONSE;
      std::uint32_t v = 0;
      for (unsigned i = 0; i < len; ++i) v |= std::uint32_t{data[i]} << (shift + 8 * i);
      if (debug) {
        r->value = (r->value & ~mask) | v;
      } else {
        r->write((r->value & ~mask) | v);
      }
    } else {
      return tlm::TLM_OK_RESPONSE;  // TLM_IGNORE_COMMAND
    }
    return tlm::TLM_OK_RESPONSE;
  }

 private:
  std::vector<MmioRegister*> regs_;
};

}  // namespace salvo::ppu
