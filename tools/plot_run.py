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


def raster(run_dir, t):
    path = os.path.join(run_dir, "spikes.csv")
    if not os.path.exists(path):
        return
    _, c = read_csv(path)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(c.get("time_us", []), c.get("neuron", []), "|", ms=3, color="k")
    ax.set_xlabel("time (µs, hardware)")
    ax.set_ylabel("neuron")
    ax.set_title(f"spikes — {t}")
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "raster.png"), dpi=110)
    plt.close(fig)


def membrane(run_dir, t):
    path = os.path.join(run_dir, "membrane.csv")
    if not os.path.exists(path):
        return
    _, c = read_csv(path)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(c.get("time_us", []), c.get("v_mV", []), lw=0.8)
    ax.set_xlabel("time (µs, hardware)")
    ax.set_ylabel("membrane (mV, MADC)")
    ax.set_title(f"membrane trace — {t}")
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
