#include "emulator/experiments/sampling/sampling_firmware.hpp"

#include <cmath>

#include <fmt/format.h>

#include "firmware/sampling/sampling_config.h"
#include "hw/common/error.hpp"

namespace salvo::experiments {

namespace {
std::int32_t q16(double x) { return static_cast<std::int32_t>(std::lround(x * 65536.0)); }
std::int32_t q8(double x) { return static_cast<std::int32_t>(std::lround(x * 256.0)); }
}  // namespace

void SamplingFirmware::start(const SamplingFirmwareParams& p) {
  if (p.n < 1 || p.n > SAMPLING_MAX_N)
    throw UserError(
        fmt::format("sampling firmware: {} neurons (allowed: 1..{})", p.n, SAMPLING_MAX_N));
  sampling_config_t c{};
  c.magic = SAMPLING_CONFIG_MAGIC;
  c.n = static_cast<std::uint32_t>(p.n);
  c.iterations = static_cast<std::uint32_t>(p.iterations);
  c.reads_per_iteration = static_cast<std::uint32_t>(p.reads_per_iteration);
  c.read_period_us = static_cast<std::uint32_t>(std::lround(p.read_period_us));
  c.baseline_samples = 256;
  c.leak_cell = static_cast<std::uint32_t>(p.leak_cell);
  c.code_max = static_cast<std::uint32_t>(p.code_max);
  c.w_max = static_cast<std::uint32_t>(p.w_max);
  c.sal = p.sal ? 1 : 0;
  c.eta_w_q16 = q16(p.eta_w);
  c.eta_b_q16 = q16(p.eta_b);
  c.eta_sal_q16 = q16(p.eta_sal);
  const double T = p.read_period_us * p.reads_per_iteration;
  c.p_mul_q24 = static_cast<std::uint32_t>(std::lround(p.tau_on_us / T * 16777216.0));
  const int n = p.n;
  for (int i = 0; i < n; ++i) {
    c.exc_row[i] = static_cast<std::uint8_t>(p.exc_row[i]);
    c.column[i] = static_cast<std::uint8_t>(p.column[i]);
    c.neuron[i] = static_cast<std::uint16_t>(p.neuron[i]);
    c.target_mean_q16[i] = q16(p.target_mean[i]);
    c.u0_q8[i] = q8(p.u0_code[i]);
    c.alpha_q8[i] = q8(p.alpha_code[i]);
    c.b_q16[i] = q16(p.b[i]);
    for (int j = 0; j < n; ++j) {
      const int s = i * n + j;
      c.target_corr_q16[i][j] = q16(p.target_corr[s]);
      c.k_mul[i][j] =
          static_cast<std::int64_t>(std::llround(p.k[s] / T / 256.0 * std::ldexp(1.0, 48)));
      c.gain_q8[i][j] = static_cast<std::uint16_t>(std::lround(p.g[s] * 256.0));
      c.codes_pos_q8[i][j] = q8(p.codes_pos[s]);
      c.codes_neg_q8[i][j] = q8(p.codes_neg[s]);
      c.w_q16[i][j] = q16(p.w[s]);
    }
  }
  host_.load(elf_);
  host_.write_block("sampling_config", c);
  n_ = n;
  host_.start();
}

void SamplingFirmware::read_shadow(std::vector<double>& w, std::vector<double>& b) const {
  const auto c = host_.read_block<sampling_config_t>("sampling_config");
  const int n = n_;
  w.assign(static_cast<std::size_t>(n) * n, 0.0);
  b.assign(n, 0.0);
  for (int i = 0; i < n; ++i) {
    b[i] = c.b_q16[i] / 65536.0;
    for (int j = 0; j < n; ++j) w[i * n + j] = c.w_q16[i][j] / 65536.0;
  }
}

std::uint32_t SamplingFirmware::iterations_done() const {
  return host_.read_block<sampling_stats_t>("sampling_stats").iterations;
}

void SamplingFirmware::report(session::RunContext& ctx) const {
  host_.record_stats(ctx);
  const auto s = host_.read_block<sampling_stats_t>("sampling_stats");
  const double cycles = session::firmware_cycles(s.update_cycles_lo, s.update_cycles_hi);
  ctx.metrics["ppu_iterations"] = s.iterations;
  ctx.metrics["ppu_cycles_per_read"] = s.reads ? cycles / s.reads : 0.0;
  ctx.metrics["ppu_max_read_cycles"] = s.max_read_cycles;
  ctx.metrics["ppu_overruns"] = s.overruns;
}

}  // namespace salvo::experiments
