#!/usr/bin/env python3
"""Renders the PNG plots of one `salvo run` output directory from its CSV files.

Called by `salvo run` after the results are written (python3 with matplotlib). Each known
CSV gets its plot; unknown files are left alone. Usage: plot_run.py RUN_DIR
"""
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return [], {}
    header, body = rows[0], rows[1:]
    cols = {h: [] for h in header}
    for r in body:
        for h, v in zip(header, r):
            try:
                cols[h].append(float(v))
            except ValueError:
                cols[h].append(v)
    return header, cols


def title(run_dir):
    try:
        with open(os.path.join(run_dir, "summary.json")) as f:
            s = json.load(f)
        return f"{s['experiment']['name']} on {s['chip']['name']} (seed {s['seed']})"
    except (OSError, KeyError, ValueError):
        return os.path.basename(os.path.abspath(run_dir))


def nice_length(x):
    """The largest 1-2-5 x 10^k not above x (x > 0)."""
    import math
    e = 10 ** math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * e <= x:
            return m * e
    return e


def choose_windows(t0, t1, count, target):
    """Time windows for a plot that stays readable: the whole run if it holds at most `target`
    points, else its first and last W µs, W a 1-2-5 length holding about `target` points each
    at the run's mean density (and at most half the run)."""
    span = t1 - t0
    if count <= target or span <= 0:
        return [(t0, t1)]
    w = nice_length(min(span / 2, span * target / count))
    return [(t0, t0 + w), (t1 - w, t1)]


def load_columns(path, names):
    """Named columns of a numeric CSV as numpy arrays (fast for 10^6 rows)."""
    import numpy as np
    with open(path) as f:
        header = f.readline().strip().split(",")
    idx = [header.index(n) for n in names]
    data = np.loadtxt(path, delimiter=",", skiprows=1, usecols=idx, ndmin=2)
    return [data[:, k] for k in range(len(idx))]


def run_span(run_dir, times):
    """(start, end) of the run in µs: 0 .. emulated_time_us, else the data's extent."""
    try:
        with open(os.path.join(run_dir, "summary.json")) as f:
            end = float(json.load(f)["emulated_time_us"])
        if end > 0:
            return 0.0, end
    except (OSError, KeyError, ValueError):
        pass
    return (float(times.min()), float(times.max())) if len(times) else (0.0, 1.0)


def window_label(w0, w1):
    return f"{w0 / 1000:g}–{w1 / 1000:g} ms"


RASTER_POINTS = 8000   # spikes per raster window
MEMBRANE_POINTS = 4000  # samples per membrane window


def raster(run_dir, t):
    """Spikes of the first and last few ms (all of them for a small run) over a population-rate
    panel of the whole run."""
    path = os.path.join(run_dir, "spikes.csv")
    if not os.path.exists(path):
        return
    import numpy as np
    times, neurons = load_columns(path, ["time_us", "neuron"])
    t0, t1 = run_span(run_dir, times)
    wins = choose_windows(t0, t1, len(times), RASTER_POINTS)
    fig = plt.figure(figsize=(10, 6))
    gs = fig.add_gridspec(2, len(wins), height_ratios=[3, 1.3])
    for k, (w0, w1) in enumerate(wins):
        ax = fig.add_subplot(gs[0, k])
        m = (times >= w0) & (times <= w1)
        ax.plot(times[m] / 1000, neurons[m], "|", ms=2.5, mew=0.6, color="k")
        ax.set_xlim(w0 / 1000, w1 / 1000)
        ax.set_xlabel("time (ms, hardware)")
        if k == 0:
            ax.set_ylabel("neuron")
        ax.set_title(f"{window_label(w0, w1)}: {int(m.sum())} spikes", fontsize=9)
    ax = fig.add_subplot(gs[1, :])
    # Mean over the neurons that spiked at all (a chip's idle neurons would dilute it).
    n_neurons = max(1, len(np.unique(neurons)))
    bins = max(1, min(400, int((t1 - t0) / 100) or 1))  # at least 100 µs per bin
    counts, edges = np.histogram(times, bins=bins, range=(t0, t1))
    width_s = (edges[1] - edges[0]) * 1e-6
    ax.plot((edges[:-1] + edges[1:]) / 2000, counts / width_s / max(n_neurons, 1), lw=0.8,
            color="C0")
    for w0, w1 in wins if len(wins) > 1 else []:
        ax.axvspan(w0 / 1000, w1 / 1000, color="C1", alpha=0.2, lw=0)
    ax.set_xlim(t0 / 1000, t1 / 1000)
    ax.set_xlabel("time (ms, hardware)")
    ax.set_ylabel("rate / neuron (Hz)")
    ax.set_title(f"population rate of the {n_neurons} neurons that spiked, {len(times)} spikes"
                 + (" (shaded: the windows above)" if len(wins) > 1 else ""), fontsize=9)
    fig.suptitle(f"spikes — {t}")
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "raster.png"), dpi=110)
    plt.close(fig)


def membrane(run_dir, t):
    """MADC trace, windowed like the raster when it holds too many samples to read."""
    path = os.path.join(run_dir, "membrane.csv")
    if not os.path.exists(path):
        return
    times, v = load_columns(path, ["time_us", "v_mV"])
    if len(times) == 0:
        return
    t0, t1 = float(times.min()), float(times.max())
    wins = choose_windows(t0, t1, len(times), MEMBRANE_POINTS)
    fig, axes = plt.subplots(1, len(wins), figsize=(10 if len(wins) > 1 else 8, 3.5),
                             sharey=True, squeeze=False)
    for ax, (w0, w1) in zip(axes[0], wins):
        m = (times >= w0) & (times <= w1)
        ax.plot(times[m] / 1000, v[m], lw=0.8)
        ax.set_xlim(w0 / 1000, w1 / 1000)
        ax.set_xlabel("time (ms, hardware)")
        if len(wins) > 1:
            ax.set_title(window_label(w0, w1), fontsize=9)
    axes[0][0].set_ylabel("membrane (mV, MADC)")
    fig.suptitle(f"membrane trace — {t}")
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "membrane.png"), dpi=110)
    plt.close(fig)


def series(run_dir, t, name, ylabel, out):
    """Every column but the first against the first (time) column."""
    path = os.path.join(run_dir, name)
    if not os.path.exists(path):
        return
    header, c = read_csv(path)
    if len(header) < 2:
        return
    fig, ax = plt.subplots(figsize=(8, 4))
    for h in header[1:]:
        ax.plot(c[header[0]], c[h], label=h)
    ax.set_xlabel(header[0])
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    ax.set_title(t)
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, out), dpi=110)
    plt.close(fig)


def window(run_dir, t):
    path = os.path.join(run_dir, "window.csv")
    if not os.path.exists(path):
        return
    _, c = read_csv(path)
    fig, ax = plt.subplots(figsize=(8, 4))
    for ch, color in (("causal", "C0"), ("acausal", "C3")):
        m, s = c.get(f"{ch}_mean"), c.get(f"{ch}_std")
        if m is None:
            continue
        x = c["dt_us"]
        ax.plot(x, m, color=color, label=ch)
        ax.fill_between(x, [a - b for a, b in zip(m, s)], [a + b for a, b in zip(m, s)],
                        color=color, alpha=0.25)
    ax.set_xlabel("Δt = t_post − t_pre (µs)")
    ax.set_ylabel("correlation readout (LSB below baseline)")
    ax.legend()
    ax.set_title(f"measured STDP window, mean ± σ across synapses — {t}")
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "window.png"), dpi=110)
    plt.close(fig)


def sampling_distribution(run_dir, t):
    """`sampling`: target vs sampled distribution over the 2^N states, sorted by p*."""
    path = os.path.join(run_dir, "distribution.csv")
    if not os.path.exists(path):
        return
    _, c = read_csv(path)
    rank = c.get("rank", [])
    if not rank:
        return
    fig, ax = plt.subplots(figsize=(10, 4))
    w = 0.28
    ax.bar([r - w for r in rank], c["p_target"], width=w, color="k", label="target p*")
    ax.bar(rank, c["p_initial"], width=w, color="C7", label="sampled, initial")
    ax.bar([r + w for r in rank], c["p_final"], width=w, color="C0", label="sampled, final")
    ax.set_yscale("log")
    ax.set_xlabel("state (sorted by p*)")
    ax.set_ylabel("probability")
    ax.legend(fontsize=8)
    ax.set_title(f"target vs sampled distribution — {t}")
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "distribution.png"), dpi=110)
    plt.close(fig)


def sampling_activation(run_dir, t):
    """`sampling`: measured activation functions and their logistic fits."""
    path = os.path.join(run_dir, "activation.json")
    if not os.path.exists(path):
        return
    import math
    with open(path) as f:
        a = json.load(f)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, n in enumerate(a.get("neurons", [])):
        x, p = n["codes"], n["p"]
        u0, al = n["u0_code"], n["alpha_code"]
        ax.plot([v - u0 for v in x], p, "o", ms=3, color=f"C{k % 10}")
        xs = [x[0] + (x[-1] - x[0]) * i / 100 for i in range(101)]
        ax.plot([v - u0 for v in xs], [1 / (1 + math.exp(-(v - u0) / al)) for v in xs],
                lw=0.8, color=f"C{k % 10}", label=f"{k}: α {al:.1f}")
    ax.set_xlabel("leak code − u0 (codes)")
    ax.set_ylabel("p = rate · τ_on")
    ax.legend(fontsize=7)
    ax.set_title(f"activation functions — {t}")
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "activation.png"), dpi=110)
    plt.close(fig)


def student_teacher_loss(run_dir, t):
    """`student-teacher`: training and validation MSE per epoch (log) and the angle of B vs W2ᵀ."""
    path = os.path.join(run_dir, "loss.csv")
    if not os.path.exists(path):
        return
    _, c = read_csv(path)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.semilogy(c["epoch"], c["train_mse_khz2"], label="training MSE")
    ax.semilogy(c["epoch"], c["val_mse_khz2"], label="validation MSE")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE (kHz²)")
    ax2 = ax.twinx()
    ax2.plot(c["epoch"], c["angle_b_w2t_deg"], color="C3", lw=0.8, label="angle B vs W2ᵀ")
    ax2.set_ylabel("angle (degrees)")
    ax2.set_ylim(0, 100)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [l.get_label() for l in lines], fontsize=8)
    ax.set_title(t)
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "loss.png"), dpi=110)
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    run_dir = sys.argv[1]
    t = title(run_dir)
    raster(run_dir, t)
    membrane(run_dir, t)
    window(run_dir, t)
    series(run_dir, t, "weights.csv", "weight", "weights.png")
    series(run_dir, t, "angle.csv", "angle (degrees)", "angle.png")
    series(run_dir, t, "dkl.csv", "D_KL", "dkl.png")
    series(run_dir, t, "asymmetry.csv", "Var(W_ij − W_ji)", "asymmetry.png")
    sampling_distribution(run_dir, t)
    sampling_activation(run_dir, t)
    student_teacher_loss(run_dir, t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
