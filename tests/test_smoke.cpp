#include <gtest/gtest.h>

#include "hw/common/chip_config.hpp"

TEST(Smoke, ReferenceDefaults) {
  salvo::ChipConfig c;
  EXPECT_EQ(c.neurons_total(), 512);
}
