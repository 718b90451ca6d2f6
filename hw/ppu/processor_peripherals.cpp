#include "hw/ppu/processor_peripherals.hpp"

#include <spdlog/spdlog.h>
#include <boost/random/uniform_int_distribution.hpp>

namespace salvo::ppu {

ProcessorPeripherals::ProcessorPeripherals(const sc_core::sc_module_name& name, ProcessorCore& core,
                                           const Params& params)
    : sc_core::sc_module(name),
      socket("socket"),
      core_(core),
      params_(params),
      cycle_time_(sc_core::sc_time(1e6 / (params.clock_hz / 1e6), sc_core::SC_PS)),
      rng_(make_engine(params.seed, Stream::kProcessorRng, params.ppu_id)) {
  socket.register_b_transport(this, &ProcessorPeripherals::b_transport);
  socket.register_transport_dbg(this, &ProcessorPeripherals::transport_dbg);

  for (unsigned i = 0; i < periph::kMailboxWords; ++i) {
    mbox_to_ppu.emplace_back("MBOX_TO_PPU" + std::to_string(i), periph::kMboxToPpu + 4 * i,
                             MmioRegister::Access::kReadOnly);
    mbox_from_ppu.emplace_back("MBOX_FROM_PPU" + std::to_string(i), periph::kMboxFromPpu + 4 * i,
                               MmioRegister::Access::kReadWrite);
  }

  console_tx.on_write = [this](std::uint32_t v) { console_write(static_cast<char>(v & 0xFF)); };

  // The timer registers are views of the core's CLINT state (mtime derives from its clock).
  mtime_lo.on_read = [this] { return static_cast<std::uint32_t>(core_.mtime()); };
  mtime_hi.on_read = [this] { return static_cast<std::uint32_t>(core_.mtime() >> 32); };
  mtime_lo.on_write = [this](std::uint32_t v) {
    core_.set_mtime((core_.mtime() & ~0xFFFF'FFFFull) | v);
  };
  mtime_hi.on_write = [this](std::uint32_t v) {
    core_.set_mtime((core_.mtime() & 0xFFFF'FFFFull) | (std::uint64_t{v} << 32));
  };
  mtimecmp_lo.on_read = [this] { return static_cast<std::uint32_t>(core_.mtimecmp()); };
  mtimecmp_hi.on_read = [this] { return static_cast<std::uint32_t>(core_.mtimecmp() >> 32); };
  mtimecmp_lo.on_write = [this](std::uint32_t v) {
    core_.set_mtimecmp((core_.mtimecmp() & ~0xFFFF'FFFFull) | v);
    wake_event_.notify(sc_core::SC_ZERO_TIME);
  };
  mtimecmp_hi.on_write = [this](std::uint32_t v) {
    core_.set_mtimecmp((core_.mtimecmp() & 0xFFFF'FFFFull) | (std::uint64_t{v} << 32));
    wake_event_.notify(sc_core::SC_ZERO_TIME);
  };
  msip.on_read = [this] { return core_.msip() ? 1u : 0u; };
  msip.on_write = [this](std::uint32_t v) { core_.set_msip(v & 1u); };
  timer_freq_hz.value = params.clock_hz;  // mtime counts processor clock cycles

  rng_value.on_read = [this] { return rng_value.value = draw_random(); };
  rng_value.read_has_side_effects = true;

  cycle_lo.on_read = [this] { return static_cast<std::uint32_t>(core_.cycles()); };
  cycle_hi.on_read = [this] { return static_cast<std::uint32_t>(core_.cycles() >> 32); };
  sleep_cycle_lo.on_read = [this] { return static_cast<std::uint32_t>(core_.sleep_cycles()); };
  sleep_cycle_hi.on_read = [this] {
    return static_cast<std::uint32_t>(core_.sleep_cycles() >> 32);
  };

  mbox_doorbell.on_write = [this](std::uint32_t) {
    mbox_status.value |= 2u;
    // The host hears the doorbell at the processor's local time, not the kernel's.
    doorbell_event_.notify(access_delay_);
  };
  mbox_ack.on_write = [this](std::uint32_t) {
    mbox_status.value &= ~1u;
    core_.set_meip(false);
  };

  ppu_id.value = params.ppu_id;
  memory_size.value = params.memory_bytes;
  clock_hz.value = params.clock_hz;

  for (MmioRegister* r :
       {&console_tx, &console_status, &mtime_lo, &mtime_hi, &mtimecmp_lo, &mtimecmp_hi, &msip,
        &timer_freq_hz, &rng_value, &cycle_lo, &cycle_hi, &sleep_cycle_lo, &sleep_cycle_hi,
        &mbox_status, &mbox_doorbell, &mbox_ack, &ppu_id, &memory_size, &clock_hz})
    bank_.add(*r);
  for (auto& r : mbox_to_ppu) bank_.add(r);
  for (auto& r : mbox_from_ppu) bank_.add(r);
}

std::uint32_t ProcessorPeripherals::draw_random() {
  boost::random::uniform_int_distribution<std::uint32_t> dist(0, 0xFFFF'FFFFu);
  return dist(rng_);
}

void ProcessorPeripherals::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  access_delay_ = delay;
  gp.set_response_status(bank_.access(gp));
  delay += cycle_time_;  // one bus cycle
}

unsigned ProcessorPeripherals::transport_dbg(tlm::tlm_generic_payload& gp) {
  // Debug accesses go byte by byte, never trigger side effects, and read holes as zero.
  const unsigned len = gp.get_data_length();
  unsigned char* data = gp.get_data_ptr();
  for (unsigned i = 0; i < len; ++i) {
    tlm::tlm_generic_payload piece;
    piece.set_command(gp.get_command());
    piece.set_address(gp.get_address() + i);
    piece.set_data_ptr(data + i);
    piece.set_data_length(1);
    piece.set_streaming_width(1);
    if (bank_.access(piece, true) != tlm::TLM_OK_RESPONSE && gp.is_read()) data[i] = 0;
  }
  return len;
}

void ProcessorPeripherals::console_write(char c) {
  console_all_ += c;
  if (c == '\n') {
    spdlog::info("{}: {}", params_.processor_name, console_line_);
    console_line_.clear();
  } else if (c != '\r') {
    console_line_ += c;
  }
}

void ProcessorPeripherals::flush_console() {
  if (!console_line_.empty()) {
    spdlog::info("{}: {}", params_.processor_name, console_line_);
    console_line_.clear();
  }
}

void ProcessorPeripherals::host_post(unsigned index, std::uint32_t value) {
  if (index < mbox_to_ppu.size()) mbox_to_ppu[index].value = value;
}

std::uint32_t ProcessorPeripherals::host_read(unsigned index) const {
  return index < mbox_from_ppu.size() ? mbox_from_ppu[index].value : 0;
}

void ProcessorPeripherals::host_ring() {
  mbox_status.value |= 1u;
  core_.set_meip(true);
  wake_event_.notify(sc_core::SC_ZERO_TIME);
}

}  // namespace salvo::ppu
