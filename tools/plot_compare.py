#!/usr/bin/env python3
"""Plot of `salvo compare`: OUT/compare.csv -> OUT/compare.png. One panel per figure: the
median of each variant with its interquartile range as an error bar."""
import csv
import math
import sys

import matplotlib.pyplot as plt


def main():
    out, label_a, label_b = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(f"{out}/compare.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["a_n"] != "0" or r["b_n"] != "0"]
    if not rows:
        return
    cols = min(4, len(rows))
    nrows = math.ceil(len(rows) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 2.6 * nrows), squeeze=False)
    for ax, r in zip(axes.flat, rows):
        for i, (side, label) in enumerate((("a", label_a), ("b", label_b))):
            if r[f"{side}_n"] == "0":
                continue
            m, q1, q3 = (float(r[f"{side}_{k}"]) for k in ("median", "q1", "q3"))
            ax.bar(i, m, color=("tab:blue", "tab:orange")[i], alpha=0.7)
            ax.errorbar(i, m, yerr=[[m - q1], [q3 - m]], color="k", capsize=4)
        ax.set_xticks([0, 1])
        ax.set_xticklabels([label_a, label_b], fontsize=7)
        ax.set_title(r["figure"], fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(rows):]:
        ax.axis("off")
    fig.suptitle(f"{label_a} vs {label_b}: median and interquartile range over seeds", fontsize=9)
    fig.tight_layout()
    fig.savefig(f"{out}/compare.png", dpi=110)


if __name__ == "__main__":
    main()
