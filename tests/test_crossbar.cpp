// Crossbar: neuron-output assignment, input numbering and mask-and-compare routing against
// the definition.
#include "hw/routing/crossbar.hpp"

#include <gtest/gtest.h>

#include <string>

#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo {
namespace {

TEST(Crossbar, ReferenceNeuronOutputsAreContiguousBlocksOf64) {
  Crossbar x(CrossbarParams::from_config(ChipConfig{}));
  EXPECT_EQ(x.neurons(), 512);
  EXPECT_EQ(x.inputs(), 17);
  EXPECT_EQ(x.buses(), 4);
  for (int n = 0; n < 512; ++n) EXPECT_EQ(x.neuron_output_of(n), n / 64) << n;
  EXPECT_EQ(x.neuron_output_of(255), 3);  // half 0 -> outputs 0..3
  EXPECT_EQ(x.neuron_output_of(256), 4);  // half 1 -> outputs 4..7
}

TEST(Crossbar, MiniVariantSpreadsItsNeuronsOverAllOutputs) {
  ChipConfig cfg;
  cfg.halves = 1;
  cfg.neurons.per_half = 32;
  Crossbar x(CrossbarParams::from_config(cfg));
  for (int n = 0; n < 32; ++n) EXPECT_EQ(x.neuron_output_of(n), n / 4);
}

TEST(Crossbar, InputNumbering) {
  Crossbar x(CrossbarParams{});
  EXPECT_EQ(x.neuron_output_input(7), 7);
  EXPECT_EQ(x.background_input(0), 8);
  EXPECT_EQ(x.background_input(7), 15);
  EXPECT_EQ(x.host_input(), 16);
  EXPECT_THROW(x.background_input(8), UserError);
  EXPECT_THROW(x.host_input(1), UserError);
}

TEST(Crossbar, NothingIsRoutedByDefault) {
  Crossbar x(CrossbarParams{});
  for (int i = 0; i < x.inputs(); ++i)
    for (unsigned l = 0; l < 0x10000; l += 251)
      EXPECT_EQ(x.route(i, static_cast<std::uint16_t>(l)), 0u);
}

TEST(Crossbar, MaskAndCompareMatchesTheDefinition) {
  Crossbar x(CrossbarParams{});
  Engine eng = make_engine(3, Stream::kExperiment, 0);
  auto u16 = [&] { return static_cast<int>(draw_uniform01(eng) * 65536); };
  // Random node configuration, with a few structured ones.
  for (int i = 0; i < x.inputs(); ++i)
    for (int b = 0; b < x.buses(); ++b) {
      const int mask = u16() & 0xC3C0;  // a few bits, so that matches are common
      x.set_node(i, b, draw_uniform01(eng) < 0.8, mask, u16() & mask);
    }
  x.set_node(x.host_input(), 0, true, 0, 0);            // everything
  x.set_node(x.host_input(), 1, true, 0xC000, 0x4000);  // hint bits == 01
  x.set_node(x.host_input(), 2, true, 0x0001, 0x0003);  // target outside mask: never
  x.set_node(x.host_input(), 3, false, 0, 0);           // disabled
  for (int i = 0; i < x.inputs(); ++i)
    for (int k = 0; k < 2000; ++k) {
      const auto label = static_cast<std::uint16_t>(u16());
      std::uint64_t expected = 0;
      for (int b = 0; b < x.buses(); ++b) {
        const auto n = x.node(i, b);
        if (n.enabled && (label & n.mask) == n.target) expected |= std::uint64_t{1} << b;
      }
      ASSERT_EQ(x.route(i, label), expected) << "input " << i << " label " << label;
    }
  EXPECT_EQ(x.route(x.host_input(), 0x4123), 0b0011u);
  EXPECT_EQ(x.route(x.host_input(), 0x8123), 0b0001u);
}

TEST(Crossbar, NeuronSpikeCarriesItsLabelThroughItsOutput) {
  Crossbar x(CrossbarParams{});
  x.set_neuron_label(300, 0xBEEF);
  EXPECT_EQ(x.neuron_label(300), 0xBEEF);
  x.set_node(x.neuron_output_input(4), 2, true, 0, 0);  // neuron 300 is on output 4
  std::uint16_t label = 0;
  EXPECT_EQ(x.route_neuron_spike(300, &label), 0b0100u);
  EXPECT_EQ(label, 0xBEEF);
  EXPECT_EQ(x.route_neuron_spike(200, &label), 0u);  // output 3: not connected
  x.disable_all();
  EXPECT_EQ(x.route_neuron_spike(300, &label), 0u);
}

TEST(Crossbar, SixtyFourBusesFitTheMask) {
  CrossbarParams p;
  p.buses = 64;
  Crossbar x(p);
  x.set_node(x.host_input(), 63, true, 0, 0);
  x.set_node(x.host_input(), 0, true, 0, 0);
  EXPECT_EQ(x.route(x.host_input(), 5), (std::uint64_t{1} << 63) | 1u);
}

TEST(Crossbar, RejectsOutOfRangeValues) {
  Crossbar x(CrossbarParams{});
  auto expect_msg = [](auto f, const std::string& fragment) {
    try {
      f();
      ADD_FAILURE() << fragment;
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_msg([&] { x.set_node(17, 0, true, 0, 0); }, "input 17 out of range; allowed 0..16");
  expect_msg([&] { x.set_node(0, 4, true, 0, 0); }, "bus 4 out of range; allowed 0..3");
  expect_msg([&] { x.set_node(0, 0, true, 0x10000, 0); }, "allowed 0..65535");
  expect_msg([&] { x.set_neuron_label(512, 1); }, "neuron 512 out of range; allowed 0..511");
  expect_msg([&] { x.set_neuron_label(0, 70000); }, "label 70000 of neuron 0");
  expect_msg([&] { x.route(-1, 0); }, "input -1 out of range");
  CrossbarParams p;
  p.buses = 65;
  expect_msg([&] { Crossbar y(p); }, "buses.count = 65; allowed 1..64");
}

}  // namespace
}  // namespace salvo
