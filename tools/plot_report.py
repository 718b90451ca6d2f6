#!/usr/bin/env python3
"""Plots of a sweep report (written by `salvo report`, which calls this script).

One PNG per metric, SWEEP_DIR/report_<metric>.png: the median of the metric against an
axis of the sweep, one line per condition (and per value of any further axis) with a band
from the first to the third quartile. Reads only report.csv, so it also works on a copy.

usage: plot_report.py REPORT_CSV [--x AXIS] --metrics metrics.a metrics.b ...
"""
import argparse
import csv
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FIXED = ["metric", "n", "n_points", "n_ok", "mean", "ci95_low", "ci95_high", "std",
         "median", "q1", "q3", "min", "max"]


def number(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report_csv")
    parser.add_argument("--x", default="", help="axis on the x axis (default: the first)")
    parser.add_argument("--metrics", nargs="+", required=True)
    args = parser.parse_args()

    with open(args.report_csv, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, r)) for r in reader]
    axes = header[1:header.index("metric")]
    x_axis = args.x or (axes[0] if axes else "")
    others = [a for a in axes if a != x_axis]
    out_dir = os.path.dirname(os.path.abspath(args.report_csv))

    for metric in args.metrics:
        sel = [r for r in rows if r["metric"] == metric and number(r["median"]) is not None]
        if not sel:
            continue
        # x positions: numeric when every value is a number, else categories in order.
        xs_text = []
        for r in sel:
            t = r[x_axis] if x_axis else r["condition"]
            if t not in xs_text:
                xs_text.append(t)
        numeric_x = all(number(t) is not None for t in xs_text)
        pos = {t: (number(t) if numeric_x else i) for i, t in enumerate(xs_text)}

        lines = {}
        for r in sel:
            label = r["condition"] if x_axis else metric
            extra = ", ".join(f"{a}={r[a]}" for a in others)
            if extra:
                label = f"{label}, {extra}" if label else extra
            lines.setdefault(label or metric, []).append(r)

        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for label, pts in lines.items():
            pts.sort(key=lambda r: pos[r[x_axis] if x_axis else r["condition"]])
            x = [pos[r[x_axis] if x_axis else r["condition"]] for r in pts]
            med = [number(r["median"]) for r in pts]
            q1 = [number(r["q1"]) for r in pts]
            q3 = [number(r["q3"]) for r in pts]
            n = max(int(r["n"]) for r in pts)
            (line,) = ax.plot(x, med, marker="o", label=f"{label} (n ≤ {n})")
            ax.fill_between(x, q1, q3, color=line.get_color(), alpha=0.25, linewidth=0)
        if not numeric_x:
            ax.set_xticks(range(len(xs_text)))
            ax.set_xticklabels(xs_text)
        ax.set_xlabel(x_axis or "condition")
        ax.set_ylabel(metric.removeprefix("metrics.") if hasattr(str, "removeprefix") else metric)
        ax.set_title(f"{metric}: median, quartile band")
        ax.grid(alpha=0.3)
        if len(lines) > 1 or x_axis:
            ax.legend(fontsize="small")
        fig.tight_layout()
        name = re.sub(r"[^A-Za-z0-9._-]", "_", metric.removeprefix("metrics.")
                      if hasattr(str, "removeprefix") else metric)
        path = os.path.join(out_dir, f"report_{name}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        print(f"report: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
