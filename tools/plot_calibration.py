#!/usr/bin/python3
"""calibration.png of a `salvo calibrate` directory: per quantity the distribution of the true
(oracle) values before calibration (the host's ideal codes) and after, with the target."""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def main(d):
    d = Path(d)
    df = pd.read_csv(d / "oracle.csv")
    summary = json.loads((d / "summary.json").read_text())
    oracle = summary.get("oracle", {})
    qs = [c[: -len("_before")] for c in df.columns if c.endswith("_before")]
    cols = 3
    rows = (len(qs) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows))
    for ax, q in zip(axes.flat, qs):
        before, after = df[q + "_before"], df[q + "_after"]
        lo, hi = min(before.min(), after.min()), max(before.max(), after.max())
        bins = 40 if hi > lo else 1
        ax.hist(before, bins=bins, range=(lo, hi), alpha=0.5, label="before")
        ax.hist(after, bins=bins, range=(lo, hi), alpha=0.7, label="after")
        if q in oracle:
            ax.axvline(oracle[q]["target"], color="k", lw=0.8)
        ratio = summary.get("spread_ratio_" + q)
        ax.set_title(f"{q}" + (f" (ratio {ratio:.3f})" if ratio is not None else ""), fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(qs):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(
        f"{summary.get('chip')} seed {summary.get('seed')}: usable "
        f"{summary.get('usable_fraction', 0):.3f}, {summary.get('wall_time_s', 0):.1f} s wall",
        fontsize=10)
    fig.tight_layout()
    fig.savefig(d / "calibration.png", dpi=90)


if __name__ == "__main__":
    main(sys.argv[1])
