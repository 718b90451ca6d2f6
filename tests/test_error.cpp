// The error types format their one-line messages from their fields.
#include "hw/common/error.hpp"

#include <gtest/gtest.h>

namespace salvo {

TEST(Error, ConfigErrorFormatsFileLineKeyProblemAndAllowed) {
  const ConfigError e("exp.yaml", "experiment.layer_a", "70 is too large", "1..63", 4);
  EXPECT_STREQ(e.what(), "exp.yaml:4: experiment.layer_a: 70 is too large (allowed: 1..63)");
  EXPECT_EQ(e.key, "experiment.layer_a");
  EXPECT_EQ(e.line, 4);
  const UserError& base = e;  // still exit code 2 wherever UserError is caught
  EXPECT_NE(std::string(base.what()).find("exp.yaml"), std::string::npos);
}

TEST(Error, ConfigErrorWithoutLineOrAllowed) {
  EXPECT_STREQ(ConfigError("--set", "chip.halves", "empty value").what(),
               "--set: chip.halves: empty value");
}

TEST(Error, OptionErrorNamesCommandAndOption) {
  EXPECT_STREQ(OptionError("sweep", "--jobs", "-1 is not a count", "1..256").what(),
               "salvo sweep: --jobs: -1 is not a count (allowed: 1..256)");
}

}  // namespace salvo
