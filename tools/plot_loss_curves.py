#!/usr/bin/python3
"""Median and interquartile range of a per-epoch curve over a sweep's seeds, one line per
condition (e.g. the student-teacher study's validation loss, as the paper's fig. 6 plots it).

    tools/plot_loss_curves.py SWEEP_DIR OUT.png [--file loss.csv] [--column val_mse_khz2]
        [--title TEXT] [--linear]
"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sweep")
    ap.add_argument("out")
    ap.add_argument("--file", default="loss.csv")
    ap.add_argument("--column", default="val_mse_khz2")
    ap.add_argument("--title", default="")
    ap.add_argument("--linear", action="store_true")
    a = ap.parse_args()
    curves = {}
    with open(os.path.join(a.sweep, "sweep.csv")) as f:
        for row in csv.DictReader(f):
            if row["status"] != "ok":
                continue
            path = os.path.join(a.sweep, "points", row["id"], a.file)
            with open(path) as g:
                rows = list(csv.DictReader(g))
            curves.setdefault(row["condition"] or "all", []).append(
                [float(r[a.column]) for r in rows])
    if not curves:
        sys.exit(f"{a.sweep}: no ok points")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for cond, runs in curves.items():
        n = min(len(r) for r in runs)
        y = np.array([r[:n] for r in runs])
        q1, med, q3 = np.percentile(y, [25, 50, 75], axis=0)
        x = np.arange(n)
        ax.plot(x, med, label=f"{cond} (n={len(runs)})")
        ax.fill_between(x, q1, q3, alpha=0.2)
    if not a.linear:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(a.column)
    ax.set_title(a.title or os.path.basename(os.path.normpath(a.sweep)))
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)
    print(f"plot_loss_curves: {a.out}")


if __name__ == "__main__":
    main()
