#include "emulator/config/fields.hpp"

#include <cmath>

#include <fmt/format.h>

namespace salvo::config {

std::string list_text(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    out += i ? ", " : "";
    if (v == std::floor(v) && std::fabs(v) < 1e15)
      out += fmt::format("{}", static_cast<long long>(v));
    else
      out += fmt::format("{}", v);
  }
  return out + "]";
}

}  // namespace salvo::config
