#!/usr/bin/python3
"""The network of configs/experiments/benchmark-e2e.yaml in Brian2 (cpp_standalone), for
bench/compare-brian2.sh.

Same sizes and the same work per event as salvo's reference chip under full load, in
biological units (1 hardware µs = 1 biological ms, so 200 kHz hardware = 200 Hz):
  - 512 LIF neurons (2 halves x 256) with exponential current synapses (exc, inh), a
    refractory period and an Ornstein-Uhlenbeck membrane-noise current (1 mV free-membrane
    rms, tau 1 ms); per-neuron mismatch of tau_mem, tau_syn, E_L, V_reset, V_th and gains;
  - the synapse drivers' input: on the chip 512 Poisson rows at 200 Hz reach 128 drivers per
    half, each driver answering two rows' addresses and driving both its rows; here 256
    Poisson sources at 400 Hz, each driving 2 rows x 256 columns of its half: 131 072
    synapses, 52 M synaptic events per second, weights 0..12 x 0.4 pA (3 % DAC mismatch),
    rows 204-255 inhibitory;
  - a causal and an acausal correlation sensor on every synapse: nearest-neighbour
    exponential pairing with per-synapse amplitude and time constant (mismatch), saturating
    at 220 LSB (pre/post traces reset to 1 at a spike and consumed by the pair they form);
  - dt = 0.1 ms (= salvo's 0.1 µs step).
Prints one JSON line: the simulated time and the run time (code generation and compilation
excluded, as salvo's figure excludes its own build).
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration-ms", type=float, default=5.0,
                    help="biological duration in s x 1000 (= hardware µs x 1000); default 5")
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads (default 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--build-dir", default=None, help="standalone project directory")
    args = ap.parse_args()

    import brian2 as b2
    from brian2 import ms, mV, pA, pF, Hz, second

    build_dir = args.build_dir or tempfile.mkdtemp(prefix="brian2_e2e_")
    b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    # 0 = serial code without OpenMP (one thread), as salvo --threads 1.
    b2.prefs.devices.cpp_standalone.openmp_threads = args.threads if args.threads > 1 else 0
    b2.prefs.logging.std_redirection = False
    b2.defaultclock.dt = 0.1 * ms
    b2.seed(args.seed)
    rng = np.random.default_rng(args.seed)

    halves, per_half, rows = 2, 256, 256
    n = halves * per_half
    # Reference targets (docs/models/neurons.md) in biological units, with mismatch.
    eqs = """
    dv/dt = (-(v - v_leak) + (i_exc - i_inh + i_noise) / g_l) / tau_m : volt (unless refractory)
    di_exc/dt = -i_exc / tau_e : amp
    di_inh/dt = -i_inh / tau_i : amp
    di_noise/dt = -i_noise / tau_n + sigma_i * sqrt(2 / tau_n) * xi : amp
    g_l = c_m / tau_m : siemens
    tau_m : second (constant)
    tau_e : second (constant)
    tau_i : second (constant)
    v_leak : volt (constant)
    v_reset : volt (constant)
    v_th : volt (constant)
    gain_e : 1 (constant)
    gain_i : 1 (constant)
    sigma_i : amp (constant)
    """
    c_m = 2.2 * pF
    tau_n = 1 * ms
    neurons = b2.NeuronGroup(n, eqs, threshold="v > v_th", reset="v = v_reset",
                             refractory=2 * ms, method="euler",
                             namespace={"c_m": c_m, "tau_n": tau_n})
    tau_m = 10 * np.clip(1 + 0.2 * rng.standard_normal(n), 0.05, None)
    neurons.tau_m = tau_m * ms
    neurons.tau_e = 5 * np.clip(1 + 0.15 * rng.standard_normal(n), 0.05, None) * ms
    neurons.tau_i = 5 * np.clip(1 + 0.15 * rng.standard_normal(n), 0.05, None) * ms
    neurons.v_leak = (600 + 20 * rng.standard_normal(n)) * mV
    neurons.v_reset = (620 + 15 * rng.standard_normal(n)) * mV
    neurons.v_th = (800 + 25 * rng.standard_normal(n)) * mV
    neurons.gain_e = 1 + 0.1 * rng.standard_normal(n)
    neurons.gain_i = 1 + 0.1 * rng.standard_normal(n)
    # sigma_V = 1 mV of the free membrane: sigma_I = sigma_V C/tau_m sqrt((tau_m+tau_n)/tau_n).
    neurons.sigma_i = 1 * mV * c_m / (tau_m * ms) * np.sqrt((tau_m + 1.0) / 1.0)
    neurons.v = neurons.v_leak

    drivers = rows // 2
    inputs = b2.PoissonGroup(halves * drivers, 400 * Hz)
    syn_eqs = """
    w : amp (constant)
    inhibitory : boolean (constant)
    amp_c : 1 (constant)
    amp_a : 1 (constant)
    tau_c : second (constant)
    tau_a : second (constant)
    causal : 1
    acausal : 1
    dapre/dt = -apre / tau_c : 1 (event-driven)
    dapost/dt = -apost / tau_a : 1 (event-driven)
    """
    on_pre = """
    i_exc_post += gain_e_post * w * int(not inhibitory)
    i_inh_post += gain_i_post * w * int(inhibitory)
    acausal = clip(acausal + amp_a * apost, 0, 220)
    apost = 0
    apre = 1
    """
    on_post = """
    causal = clip(causal + amp_c * apre, 0, 220)
    apre = 0
    apost = 1
    """
    syn = b2.Synapses(inputs, neurons, syn_eqs, on_pre=on_pre, on_post=on_post)
    # Driver d of half h drives rows 2d, 2d+1 of half h, each row every column of the half.
    src = np.repeat(np.arange(halves * drivers), 2 * per_half)
    row = 2 * (src % drivers) + np.tile(np.repeat([0, 1], per_half), halves * drivers)
    post = (src // drivers) * per_half + np.tile(np.arange(per_half), halves * rows)
    syn.connect(i=src, j=post)
    m = len(src)
    # Hardware nA at 1 µs = biological pA at 1 ms (same capacitance, same voltages).
    syn.w = rng.integers(0, 13, m) * 0.4 * np.clip(1 + 0.03 * rng.standard_normal(m), 0, None) * pA
    syn.inhibitory = row >= 204
    syn.amp_c = 0.5 * np.clip(1 + 0.2 * rng.standard_normal(m), 0, None)
    syn.amp_a = 0.5 * np.clip(1 + 0.2 * rng.standard_normal(m), 0, None)
    syn.tau_c = np.clip(5 * np.clip(1 + 0.15 * rng.standard_normal(m), 0, None), 2, 30) * ms
    syn.tau_a = np.clip(5 * np.clip(1 + 0.15 * rng.standard_normal(m), 0, None), 2, 30) * ms
    spikes = b2.SpikeMonitor(neurons)

    duration = args.duration_ms * 1000 * ms  # biological seconds = hardware ms
    b2.run(duration)
    t0 = time.perf_counter()
    b2.device.build(directory=build_dir, compile=True, run=False)
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    b2.device.run(directory=build_dir, with_output=False, run_args=[])
    t_process = time.perf_counter() - t0
    run_s = float(b2.device._last_run_time)
    print(json.dumps({
        "simulator": "brian2", "version": b2.__version__, "threads": args.threads,
        "neurons": n, "synapses": int(m), "biological_s": float(duration / second),
        "run_time_s": run_s, "s_per_bio_s": run_s / float(duration / second),
        "process_s": t_process, "compile_s": t_compile,
        "spikes": int(spikes.num_spikes),
        "mean_rate_hz": float(spikes.num_spikes / n / float(duration / second)),
    }))


if __name__ == "__main__":
    sys.exit(main())
