// Measured effective weights: the host protocol that finds a synapse's PSP at its post neuron
// the way one would on the real chip — host-link playback events to one synapse row, spaced
// far apart, the membrane ADC (MADC) recording the post neuron, event-locked averaging,
// baseline subtraction and the peak. It uses only what the host can do (synapse, parameter
// memory, playback, MADC); the hidden circuit parameters are never read. Its counterpart is the
// oracle AnalogCore::effective_weight_mV; docs/alignment-measures.md compares the two.
//
// Protocol (measure_event_psp):
//   1. Silence: every neuron's threshold cell is written to code_max (≈ the upper rail), so
//      no neuron fires — the post neuron stays linear (current-based synapses on a leaky
//      membrane: the PSP does not depend on the baseline), and no other neuron reached by the
//      row can answer with spikes that come back event-locked. Restored afterwards.
//   2. Settle for settle_us, then `repetitions` playback events with `label`, spaced
//      spacing_us apart on the MADC sample grid (so every repetition has the same alignment).
//   3. For each event: the MADC samples in [−baseline_us, window_us) around its playback time.
//      Baseline = mean of that repetition's samples before the event; the event-locked average
//      of (trace − baseline) is the PSP.
//   4. Peak: the extremum of larger magnitude (positive: excitatory, negative: inhibitory),
//      refined by a least-squares parabola over ±fit_half_width_us; the standard error comes
//      from the spread over repetitions of (trace − baseline) at the peak sample.
// Background input that does not depend on the probe events (on-chip Poisson sources,
// membrane noise) adds variance but no bias, since the silenced neuron is linear; it only
// costs repetitions.
//
// Precision: the MADC is 10-bit (1.17 mV LSB on the mini/reference chips). Membrane noise of
// ≈ 1 mV rms dithers the quantisation, so averaging removes it; the per-repetition spread of
// (peak − baseline) is ≈ 1.1 mV, giving ≈ 0.08 mV standard error at 200 repetitions (about
// 1 % of a code-20 PSP). Without any membrane noise the quantisation is not dithered (every
// repetition identical) and the error is bounded by ±0.5 LSB instead.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "hw/chip/analog_core.hpp"

namespace salvo::measures {

struct WeightProbeOptions {
  int repetitions = 200;
  // Between events: long against τ_mem. Even for τ_mem = 20 µs (+5σ of the reference
  // mismatch) the previous PSP's tail at the next event is 0.12 % of the peak, and what is left
  // of it after the baseline subtraction < 0.1 %.
  double spacing_us = 150.0;
  double settle_us = 100.0;        // silence before the first event (any earlier activity decays)
  double baseline_us = 10.0;       // samples before each event that form its baseline
  double window_us = 40.0;         // samples after each event searched for the peak
  double fit_half_width_us = 1.0;  // parabola fit around the extremum (0: the sample itself)
  bool silence_neurons = true;     // raise every neuron's threshold during the probe
};

struct WeightProbeResult {
  double psp_mV = 0.0;        // signed peak of the averaged, baseline-subtracted PSP
  double stderr_mV = 0.0;     // standard error of psp_mV (spread over repetitions / √n)
  double t_peak_us = 0.0;     // peak time after the event's playback time (bus latency included)
  double baseline_mV = 0.0;   // mean membrane before the events
  double noise_rms_mV = 0.0;  // rms of one baseline sample about its repetition's mean
  double madc_lsb_mV = 0.0;   // one MADC code
  int repetitions = 0;
  double sample_period_us = 0.0;  // of trace_mV
  std::vector<double> trace_mV;   // averaged PSP, first sample at −baseline_us
};

// How the probe moves time forward to t_us. Empty: core.advance_to(t_us) (a bare AnalogCore,
// no SystemC). In an experiment: [&](double t) { session.advance_to(t); }, so processes
// (processors) run along.
using AdvanceFn = std::function<void(double t_us)>;

// The averaged PSP at `neuron` (chip-global index) of one host event with `label`, from
// core.now_us() on (the core ends at now + settle_us + repetitions · spacing_us). The label
// must reach exactly one bus from the host link (UserError otherwise). Leaves the MADC
// deselected (−1); thresholds are restored.
WeightProbeResult measure_event_psp(AnalogCore& core, std::uint16_t label, int neuron,
                                    const WeightProbeOptions& options = {},
                                    const AdvanceFn& advance = {});

// One synapse (half, row, column) alone: the label that selects its row's driver with the
// synapse's own address; any other row reached by that label whose synapse in this column
// answers the same address has its weight set to 0 for the probe (restored afterwards).
WeightProbeResult measure_synapse_weight(AnalogCore& core, int half, int row, int column,
                                         const WeightProbeOptions& options = {},
                                         const AdvanceFn& advance = {});

// The connection pre_neuron → post_neuron (chip-global indices) as pre's spikes reach post:
// the event carrying pre's label, all rows it selects (e.g. a SAL network's exc/inh pair) —
// the measured counterpart of the oracle's effective weight of that connection.
WeightProbeResult measure_pair_weight(AnalogCore& core, int pre_neuron, int post_neuron,
                                      const WeightProbeOptions& options = {},
                                      const AdvanceFn& advance = {});

}  // namespace salvo::measures
