#include "emulator/measures/weight_probe.hpp"

#include <algorithm>
#include <bitset>
#include <cmath>

#include <fmt/format.h>

#include "hw/common/error.hpp"

namespace salvo::measures {

namespace {

// Restores, on every exit path, the thresholds the probe raised and the MADC selection.
class ProbeRestore {
 public:
  explicit ProbeRestore(AnalogCore& core) : core_(core) {}
  ProbeRestore(const ProbeRestore&) = delete;
  ProbeRestore& operator=(const ProbeRestore&) = delete;
  ~ProbeRestore() {
    for (const auto& p : params_) core_.write_parameter(p.neuron, p.cell, p.code);
    core_.select_madc(-1);
  }
  void write_parameter(int neuron, int cell, int code) {
    params_.push_back({neuron, cell, core_.parameters().code(neuron, cell)});
    core_.write_parameter(neuron, cell, code);
  }

 private:
  struct Param {
    int neuron, cell, code;
  };
  AnalogCore& core_;
  std::vector<Param> params_;
};

// Vertex of the least-squares parabola through (x_k, y_k); false when the fit has no extremum
// of the requested kind inside the fitted range.
bool parabola_vertex(const std::vector<double>& x, const std::vector<double>& y, bool maximum,
                     double& x_v, double& y_v) {
  const std::size_t n = x.size();
  if (n < 3) return false;
  // Normal equations for y = a + b x + c x² (x centred by the caller: well conditioned).
  double s[5] = {0, 0, 0, 0, 0}, t[3] = {0, 0, 0};
  for (std::size_t k = 0; k < n; ++k) {
    double p = 1.0;
    for (int m = 0; m < 5; ++m) {
      s[m] += p;
      if (m < 3) t[m] += p * y[k];
      p *= x[k];
    }
  }
  // Solve the 3×3 system [[s0 s1 s2][s1 s2 s3][s2 s3 s4]] (a b c) = t by Cramer's rule.
  auto det3 = [](double a11, double a12, double a13, double a21, double a22, double a23, double a31,
                 double a32, double a33) {
    return a11 * (a22 * a33 - a23 * a32) - a12 * (a21 * a33 - a23 * a31) +
           a13 * (a21 * a32 - a22 * a31);
  };
  const double d = det3(s[0], s[1], s[2], s[1], s[2], s[3], s[2], s[3], s[4]);
  if (std::fabs(d) < 1e-300) return false;
  const double a = det3(t[0], s[1], s[2], t[1], s[2], s[3], t[2], s[3], s[4]) / d;
  const double b = det3(s[0], t[0], s[2], s[1], t[1], s[3], s[2], t[2], s[4]) / d;
  const double c = det3(s[0], s[1], t[0], s[1], s[2], t[1], s[2], s[3], t[2]) / d;
  if (maximum ? !(c < 0) : !(c > 0)) return false;
  x_v = -b / (2 * c);
  if (x_v < x.front() || x_v > x.back()) return false;
  y_v = a + b * x_v + c * x_v * x_v;
  return true;
}

}  // namespace

namespace {

// The probe's inputs: the neuron exists, the timing fits, the MADC samples, and the host link
// reaches exactly one bus with `label`.
void check_probe(AnalogCore& core, std::uint16_t label, int neuron, const WeightProbeOptions& o) {
  const auto& cfg = core.config();
  if (neuron < 0 || neuron >= core.neurons_total())
    throw UserError(fmt::format("weight probe: neuron {} does not exist (allowed: 0..{})", neuron,
                                core.neurons_total() - 1));
  if (o.repetitions < 2 || !(o.spacing_us > 0) || !(o.baseline_us > 0) || !(o.window_us > 0) ||
      o.baseline_us + o.window_us > o.spacing_us || o.settle_us < 0)
    throw UserError(fmt::format(
        "weight probe: repetitions {} (allowed: >= 2), baseline_us {} + window_us {} must be "
        "positive and fit into spacing_us {}",
        o.repetitions, o.baseline_us, o.window_us, o.spacing_us));
  if (!(cfg.madc.sample_rate_msps > 0))
    throw UserError("weight probe: chip.madc.sample_rate_msps must be positive");
  if (core.inputs().host < 0)
    throw UserError("weight probe: the chip has no host link input (chip.routing.host_inputs)");
  const auto buses = core.crossbar().route(core.inputs().host, label);
  const auto reached = std::bitset<64>(buses).count();
  if (reached != 1)
    throw UserError(fmt::format(
        "weight probe: the host link routes label 0x{:04x} to {} event buses (allowed: exactly "
        "one, else every event arrives {} times)",
        label, reached, reached));
}

// Event times on the MADC sample grid, counted in samples.
struct ProbeTiming {
  double period, spacing, settle;
  int n_before, n_after, n_trace;
};

ProbeTiming probe_timing(const ChipConfig& cfg, const WeightProbeOptions& o) {
  ProbeTiming g;
  g.period = 1.0 / cfg.madc.sample_rate_msps;
  const double period = g.period;
  // Event times on the sample grid (counted from the MADC start), so every repetition sees
  // the same alignment of samples to the event.
  const auto grid = [period](double t) { return std::ceil(t / period - 1e-9) * period; };
  g.spacing = grid(o.spacing_us);
  g.settle = grid(std::max(o.settle_us, o.baseline_us));
  g.n_before = static_cast<int>(std::lround(o.baseline_us / period));
  g.n_after = static_cast<int>(std::lround(o.window_us / period));
  g.n_trace = g.n_before + g.n_after;
  return g;
}

// Plays the events, records the neuron's membrane and returns the raw event-locked traces
// (n_before samples before each event, n_after from it); the chip is restored on return.
std::vector<std::vector<double>> record_traces(AnalogCore& core, std::uint16_t label, int neuron,
                                               const WeightProbeOptions& o, const ProbeTiming& g,
                                               const AdvanceFn& advance,
                                               std::vector<double>& t_event) {
  const double period = g.period, spacing = g.spacing, settle = g.settle;
  const int n_before = g.n_before, n_trace = g.n_trace;
  std::vector<std::vector<double>> traces(o.repetitions, std::vector<double>(n_trace, 0.0));
  {
    ProbeRestore restore(core);
    if (o.silence_neurons) {
      const int cell = ParameterMemory::cell_index(VoltageCell::kThreshold);
      for (int n = 0; n < core.neurons_total(); ++n)
        restore.write_parameter(n, cell, core.parameters().code_max());
    }
    const double t_start = core.now_us();
    const std::size_t first_sample = core.madc_samples().size();
    core.select_madc(neuron);  // records sample 0 (the state now) at once
    std::vector<Event> events;
    for (int k = 0; k < o.repetitions; ++k) {
      t_event.push_back(t_start + settle + k * spacing);
      events.push_back({t_event.back(), label});
    }
    core.add_playback(events);
    advance(t_event.back() + spacing);

    // Event-locked traces minus their own baseline.
    const auto& samples = core.madc_samples();
    std::vector<std::vector<std::uint8_t>> seen(o.repetitions,
                                                std::vector<std::uint8_t>(n_trace, 0));
    // Sample i (counted from the MADC start) was taken at t_start + i·period; event k sits at
    // sample e0 + k·spacing_samples.
    const long e0 = std::lround(settle / period);
    const long spacing_samples = std::lround(spacing / period);
    for (std::size_t s = first_sample; s < samples.size(); ++s) {
      const long i = static_cast<long>(s - first_sample);
      if (std::fabs(samples[s].t_us - (t_start + i * period)) > 0.25 * period)
        throw InternalError(fmt::format("weight probe: MADC sample {} at {} µs, expected {} µs", i,
                                        samples[s].t_us, t_start + i * period));
      const long from_first = i - e0 + n_before;
      if (from_first < 0) continue;
      const long k = from_first / spacing_samples;
      const long j = from_first % spacing_samples;
      if (k >= o.repetitions || j >= n_trace) continue;
      traces[k][j] = samples[s].v_mV;
      seen[k][j] = 1;
    }
    for (int k = 0; k < o.repetitions; ++k)
      if (std::find(seen[k].begin(), seen[k].end(), 0) != seen[k].end())
        throw InternalError(fmt::format(
            "weight probe: MADC samples missing around event {} at {} µs", k, t_event[k]));
  }
  return traces;
}

// Subtracts each trace's own baseline; r gets the mean trace, mean baseline and noise.
void subtract_baselines(std::vector<std::vector<double>>& traces, const WeightProbeOptions& o,
                        const ProbeTiming& g, WeightProbeResult& r) {
  const int n_before = g.n_before, n_trace = g.n_trace;
  {
    double base_sum = 0.0, noise_ss = 0.0;
    r.trace_mV.assign(n_trace, 0.0);
    for (int k = 0; k < o.repetitions; ++k) {
      double base = 0.0;
      for (int j = 0; j < n_before; ++j) base += traces[k][j];
      base /= n_before;
      for (int j = 0; j < n_before; ++j) noise_ss += (traces[k][j] - base) * (traces[k][j] - base);
      base_sum += base;
      for (int j = 0; j < n_trace; ++j) {
        traces[k][j] -= base;
        r.trace_mV[j] += traces[k][j] / o.repetitions;
      }
    }
    r.baseline_mV = base_sum / o.repetitions;
    r.noise_rms_mV = std::sqrt(noise_ss / (static_cast<double>(o.repetitions) * (n_before - 1)));
  }
}

// The extremum of larger magnitude after the event (refined by a parabola through its
// neighbourhood) and its spread over repetitions.
void locate_peak(const std::vector<std::vector<double>>& traces, const WeightProbeOptions& o,
                 const ProbeTiming& g, WeightProbeResult& r) {
  const double period = g.period;
  const int n_before = g.n_before, n_trace = g.n_trace;
  // The extremum of larger magnitude after the event.
  int j_max = n_before, j_min = n_before;
  for (int j = n_before; j < n_trace; ++j) {
    if (r.trace_mV[j] > r.trace_mV[j_max]) j_max = j;
    if (r.trace_mV[j] < r.trace_mV[j_min]) j_min = j;
  }
  const bool positive = std::fabs(r.trace_mV[j_max]) >= std::fabs(r.trace_mV[j_min]);
  const int jp = positive ? j_max : j_min;
  r.psp_mV = r.trace_mV[jp];
  r.t_peak_us = (jp - n_before) * period;
  const int h = static_cast<int>(std::lround(o.fit_half_width_us / period));
  if (h >= 1) {
    std::vector<double> x, y;
    for (int j = std::max(n_before, jp - h); j <= std::min(n_trace - 1, jp + h); ++j) {
      x.push_back((j - jp) * period);
      y.push_back(r.trace_mV[j]);
    }
    double xv, yv;
    if (parabola_vertex(x, y, positive, xv, yv)) {
      r.psp_mV = yv;
      r.t_peak_us += xv;
    }
  }
  // Spread over repetitions at the peak sample (each repetition's own baseline included).
  double ss = 0.0;
  for (int k = 0; k < o.repetitions; ++k) {
    const double d = traces[k][jp] - r.trace_mV[jp];
    ss += d * d;
  }
  r.stderr_mV = std::sqrt(ss / (o.repetitions - 1) / o.repetitions);
}

}  // namespace

WeightProbeResult measure_event_psp(AnalogCore& core, std::uint16_t label, int neuron,
                                    const WeightProbeOptions& o, const AdvanceFn& advance_fn) {
  check_probe(core, label, neuron, o);
  const auto& cfg = core.config();
  const AdvanceFn advance =
      advance_fn ? advance_fn : AdvanceFn([&core](double t) { core.advance_to(t); });
  const ProbeTiming g = probe_timing(cfg, o);
  WeightProbeResult r;
  r.repetitions = o.repetitions;
  r.sample_period_us = g.period;
  r.madc_lsb_mV = cfg.madc.v_full_scale_mV / ((1 << cfg.madc.bits) - 1);
  std::vector<double> t_event;
  auto traces = record_traces(core, label, neuron, o, g, advance, t_event);
  subtract_baselines(traces, o, g, r);
  locate_peak(traces, o, g, r);
  return r;
}

}  // namespace salvo::measures

namespace salvo::measures {

WeightProbeResult measure_synapse_weight(AnalogCore& core, int half, int row, int column,
                                         const WeightProbeOptions& options,
                                         const AdvanceFn& advance) {
  if (half < 0 || half >= core.halves())
    throw UserError(fmt::format("weight probe: half {} does not exist (allowed: 0..{})", half,
                                core.halves() - 1));
  auto& syn = core.synapses(half);
  if (row < 0 || row >= syn.rows() || column < 0 || column >= syn.columns())
    throw UserError(
        fmt::format("weight probe: synapse ({}, {}) out of range (allowed: rows 0..{}, "
                    "columns 0..{})",
                    row, column, syn.rows() - 1, syn.columns() - 1));
  const int driver = syn.driver_of_row(row);
  if (!syn.driver_enabled(driver))
    throw UserError(
        fmt::format("weight probe: synapse driver {} of row {} is disabled", driver, row));
  const int address = syn.label(row, column);
  const auto label =
      make_label(static_cast<unsigned>(syn.driver_select(driver)), static_cast<unsigned>(address));
  // Other rows the same event reaches, with a synapse in this column answering the address,
  // would add their PSP: take them out for the probe.
  std::vector<int> rows;
  syn.rows_for_label(label, rows);
  std::vector<int> silenced;
  for (int r : rows)
    if (r != row && syn.label(r, column) == address && syn.weight(r, column) > 0)
      silenced.push_back(r);
  std::vector<int> saved;
  for (int r : silenced) {
    saved.push_back(syn.weight(r, column));
    syn.set_weight(r, column, 0);
  }
  WeightProbeResult result;
  try {
    result =
        measure_event_psp(core, label, half * core.neurons_per_half() + column, options, advance);
  } catch (...) {
    for (std::size_t k = 0; k < silenced.size(); ++k) syn.set_weight(silenced[k], column, saved[k]);
    throw;
  }
  for (std::size_t k = 0; k < silenced.size(); ++k) syn.set_weight(silenced[k], column, saved[k]);
  return result;
}

WeightProbeResult measure_pair_weight(AnalogCore& core, int pre_neuron, int post_neuron,
                                      const WeightProbeOptions& options, const AdvanceFn& advance) {
  const int n = core.neurons_total();
  if (pre_neuron < 0 || pre_neuron >= n || post_neuron < 0 || post_neuron >= n)
    throw UserError(fmt::format("weight probe: neurons {} -> {} (allowed: 0..{})", pre_neuron,
                                post_neuron, n - 1));
  const auto label = core.crossbar().neuron_label(pre_neuron);
  return measure_event_psp(core, label, post_neuron, options, advance);
}

}  // namespace salvo::measures
