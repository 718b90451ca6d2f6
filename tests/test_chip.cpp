// Chip: the chip window as the plasticity processor sees it, through TLM-2.0 b_transport on a
// window socket — here the read-only chip-info words (memory_map::kInfo*), which must give the
// configured geometry of each half and refuse writes and partial-word reads.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "emulator/config/config.hpp"
#include "hw/chip/chip.hpp"
#include "hw/chip/memory_map.hpp"
#include "salvo_paths.hpp"

namespace salvo {
namespace {

namespace mm = memory_map;

// A bare TLM initiator standing in for a processor: one socket per chip half.
struct Probe : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Probe> socket;
  explicit Probe(const sc_core::sc_module_name& n) : sc_core::sc_module(n), socket("socket") {}

  tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint32_t addr, unsigned len,
                                  std::uint32_t& value) {
    tlm::tlm_generic_payload trans;
    trans.set_command(cmd);
    trans.set_address(addr);
    trans.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
    trans.set_data_length(len);
    trans.set_streaming_width(len);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    socket->b_transport(trans, delay);
    return trans.get_response_status();
  }
  std::uint32_t read_word(std::uint32_t addr) {
    std::uint32_t v = 0xDEADBEEF;
    EXPECT_EQ(access(tlm::TLM_READ_COMMAND, addr, 4, v), tlm::TLM_OK_RESPONSE) << addr;
    return v;
  }
};

ChipConfig mini_with(std::vector<std::string> sets) {
  return config::load_chip(std::string(SALVO_SOURCE_DIR) + "/configs/chips/mini.yaml", sets)
      .chip_config;
}

TEST(Chip, InfoWordsGiveEachHalfItsConfiguredGeometry) {
  // Values chosen away from the mini chip's defaults, so a hard-wired answer fails.
  const ChipConfig cfg =
      mini_with({"chip.halves=2", "chip.synapses.weight_bits=5", "chip.cadc.bits=7"});
  ASSERT_EQ(cfg.halves, 2);
  Chip chip("chip", cfg, 1, 2);
  Probe p0("p0"), p1("p1");
  p0.socket.bind(chip.window(0));
  p1.socket.bind(chip.window(1));
  for (int half = 0; half < 2; ++half) {
    Probe& p = half == 0 ? p0 : p1;
    EXPECT_EQ(p.read_word(mm::kInfoHalf), static_cast<std::uint32_t>(half));
    EXPECT_EQ(p.read_word(mm::kInfoNeurons), static_cast<std::uint32_t>(cfg.neurons.per_half));
    EXPECT_EQ(p.read_word(mm::kInfoRows), static_cast<std::uint32_t>(cfg.synapses.rows_per_half));
    EXPECT_EQ(p.read_word(mm::kInfoWeightMax), 31u);
    EXPECT_EQ(p.read_word(mm::kInfoCadcMax), 127u);
  }
  // The same words through the module's own accessor, and nothing past the last one.
  std::uint32_t v = 0;
  EXPECT_TRUE(chip.read_info(1, mm::kInfoRows, v));
  EXPECT_EQ(v, static_cast<std::uint32_t>(cfg.synapses.rows_per_half));
  EXPECT_FALSE(chip.read_info(0, mm::kInfoHalf + 4 * mm::kInfoWords, v));
}

TEST(Chip, InfoWordsAreReadOnlyWholeWords) {
  const ChipConfig cfg = mini_with({});
  Chip chip("chip", cfg, 1, 1);
  Probe p("p");
  p.socket.bind(chip.window(0));
  std::uint32_t v = 7;
  EXPECT_EQ(p.access(tlm::TLM_WRITE_COMMAND, mm::kInfoNeurons, 4, v),
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(p.read_word(mm::kInfoNeurons), static_cast<std::uint32_t>(cfg.neurons.per_half));
  EXPECT_EQ(p.access(tlm::TLM_READ_COMMAND, mm::kInfoNeurons, 1, v),
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

}  // namespace
}  // namespace salvo
