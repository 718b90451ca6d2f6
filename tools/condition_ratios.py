#!/usr/bin/python3
"""Ratios of the conditions' medians of one metric over a sweep's seeds, with a paired
bootstrap interval: how issue 15's goals (SAL <= 1.5x BP and <= 0.5x FA) are judged.

    tools/condition_ratios.py SWEEP_DIR --ratio sal/bp --ratio sal/fa
        [--metric metrics.loss_final] [--resamples 5000] [--seed 0]

Only `ok` points count, and only seeds that have the metric in every condition of a ratio
(paired). The bootstrap resamples those seeds with replacement and gives the 2.5 and 97.5 %
percentiles of the ratio of medians. Also prints, per ratio, on how many seeds the per-seed
ratio is at most each --per-seed bound.
"""
import argparse
import csv
import os
import sys

import numpy as np


def load(sweep, metric):
    """{condition: {seed: value}} of the ok points."""
    path = os.path.join(sweep, "sweep.csv")
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        sys.exit(f"condition_ratios: {path}: {e.strerror}")
    if rows and metric not in rows[0]:
        sys.exit(f"condition_ratios: {path}: no column {metric}")
    values = {}
    for r in rows:
        if r.get("status") != "ok" or r.get(metric, "") == "":
            continue
        values.setdefault(r["condition"], {})[r["seed"]] = float(r[metric])
    return values


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep")
    ap.add_argument("--metric", default="metrics.loss_final")
    ap.add_argument("--ratio", action="append", required=True, help="A/B, e.g. sal/bp")
    ap.add_argument("--per-seed", type=float, action="append", default=[],
                    help="count seeds whose own A/B is at most this (repeatable)")
    ap.add_argument("--resamples", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    values = load(a.sweep, a.metric)
    rng = np.random.default_rng(a.seed)
    for spec in a.ratio:
        num, sep, den = spec.partition("/")
        if not sep or num not in values or den not in values:
            sys.exit(f"condition_ratios: --ratio {spec}: allowed A/B with conditions from "
                     f"{sorted(values)}")
        seeds = sorted(set(values[num]) & set(values[den]), key=lambda s: (len(s), s))
        if not seeds:
            sys.exit(f"condition_ratios: --ratio {spec}: no seed has both conditions")
        x = np.array([values[num][s] for s in seeds])
        y = np.array([values[den][s] for s in seeds])
        ratio = np.median(x) / np.median(y)
        picks = rng.integers(0, len(seeds), size=(a.resamples, len(seeds)))
        boot = np.median(x[picks], axis=1) / np.median(y[picks], axis=1)
        lo, hi = np.percentile(boot, [2.5, 97.5])
        line = (f"{spec}: {ratio:.3f} (medians {np.median(x):.4g} / {np.median(y):.4g}, "
                f"{len(seeds)} seeds; bootstrap 95 % [{lo:.3f}, {hi:.3f}])")
        for bound in a.per_seed:
            line += f"; per seed <= {bound:g}: {int(np.sum(x <= bound * y))} of {len(seeds)}"
        print(line)


if __name__ == "__main__":
    main()
