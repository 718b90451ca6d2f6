#!/usr/bin/python3
"""Median and interquartile range of the per-run curves of a sweep, over its seeds.

A curve is a CSV a run writes with its x in the first column: loss.csv (student-teacher: per
epoch train and validation MSE and the angle of B to W2ᵀ) and angle.csv (sal-feedback: the
angles over time). The points are grouped as `salvo report` groups them (condition and axis
values; the seeds are the samples), and each group's curve is the median and quartiles, at
every x, over the runs that have that x.

    tools/plot_curves.py SWEEP_DIR [--files loss.csv angle.csv] [--out-dir DIR] [--no-plots]
    tools/plot_curves.py SWEEP_DIR --file loss.csv --column val_mse_khz2 --out OUT.png

The first form (called by `salvo report`) writes DIR/report_curves.csv (long form: file,
column, condition, axes..., x, n, median, q1, q3) and one figure per curve column,
DIR/report_curve_<file>_<column>.png: a panel per combination of axis values, a line per
condition with its quartile band; MSE columns on a log scale. The second draws one column.
"""
import argparse
import csv
import math
import os
import sys
from collections import defaultdict

import numpy as np

CURVE_FILES = ("loss.csv", "angle.csv")
MAX_PANELS = 24


def read_sweep(sweep):
    """The ok rows of sweep.csv and its axis columns (those between `condition` and `seed`,
    see docs/sweeps.md)."""
    path = os.path.join(sweep, "sweep.csv")
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            rows = [r for r in reader if r.get("status") == "ok"]
    except OSError as e:
        sys.exit(f"plot_curves: {path}: {e.strerror}")
    if "condition" not in header or "seed" not in header:
        sys.exit(f"plot_curves: {path}: not a sweep table (needs the columns condition and seed)")
    axes = header[header.index("condition") + 1:header.index("seed")]
    return rows, axes


def read_curve(path):
    """(x name, {column: [(x, y), ...]}) of one run's curve file, or None if it has none."""
    try:
        with open(path, newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            body = list(reader)
    except OSError:
        return None
    if not header or len(header) < 2:
        return None
    columns = defaultdict(list)
    for line in body:
        try:
            x = float(line[0])
        except (ValueError, IndexError):
            continue
        for name, text in zip(header[1:], line[1:]):
            try:
                columns[name].append((x, float(text)))
            except ValueError:
                pass
    return header[0], columns


def collect(sweep, rows, axes, files):
    """{file: (x name, {column: {group: [curve, ...]}})}; a group is (condition, *axis values)."""
    out = {}
    for name in files:
        x_name, by_column = None, defaultdict(lambda: defaultdict(list))
        for row in rows:
            curve = read_curve(os.path.join(sweep, "points", row["id"], name))
            if curve is None:
                continue
            x_name = x_name or curve[0]
            group = (row["condition"],) + tuple(row[a] for a in axes)
            for column, points in curve[1].items():
                by_column[column][group].append(points)
        if by_column:
            out[name] = (x_name, by_column)
    return out


def statistics(curves):
    """Per x (sorted): n, median, q1, q3 over the curves that have a finite value there."""
    at = defaultdict(list)
    for points in curves:
        for x, y in points:
            if math.isfinite(y):
                at[x].append(y)
    result = []
    for x in sorted(at):
        q1, med, q3 = np.percentile(at[x], [25, 50, 75])
        result.append((x, len(at[x]), med, q1, q3))
    return result


def fmt(v):
    return repr(float(v)) if isinstance(v, (float, np.floating)) else str(v)


def write_csv(path, axes, data):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "column", "condition", *axes, "x", "n", "median", "q1", "q3"])
        for name, (_, by_column) in data.items():
            for column, groups in by_column.items():
                for group, curves in groups.items():
                    for x, n, med, q1, q3 in statistics(curves):
                        w.writerow([name, column, *group, fmt(x), n, fmt(med), fmt(q1), fmt(q3)])
    os.replace(tmp, path)


def log_scale(column, groups):
    return "mse" in column.lower() and all(
        y > 0 for curves in groups.values() for points in curves for _, y in points)


def draw(plt, path, x_name, column, groups, axes, title):
    """One panel per combination of axis values, one line per condition."""
    panels = sorted({g[1:] for g in groups}, key=lambda v: [sort_key(s) for s in v])
    if len(panels) > MAX_PANELS:
        print(f"plot_curves: {column}: {len(panels)} axis combinations, more than "
              f"{MAX_PANELS} panels: not drawn", file=sys.stderr)
        return False
    ncols = min(len(panels), 4)
    nrows = (len(panels) + ncols - 1) // ncols
    fig, grid = plt.subplots(nrows, ncols, figsize=(4.2 * ncols + 1.2, 3.4 * nrows),
                             squeeze=False, sharex=True, sharey=True)
    conditions = sorted({g[0] for g in groups})
    colours = {c: f"C{i % 10}" for i, c in enumerate(conditions)}
    for k, panel in enumerate(panels):
        ax = grid[k // ncols][k % ncols]
        for cond in conditions:
            curves = groups.get((cond,) + panel)
            if not curves:
                continue
            s = np.array(statistics(curves))
            if s.size == 0:
                continue
            ax.plot(s[:, 0], s[:, 2], color=colours[cond], label=f"{cond} (n={len(curves)})")
            ax.fill_between(s[:, 0], s[:, 3], s[:, 4], color=colours[cond], alpha=0.2)
        if axes:
            ax.set_title(", ".join(f"{a} = {v}" for a, v in zip(axes, panel)), fontsize=9)
        if log_scale(column, groups):
            ax.set_yscale("log")
        ax.legend(fontsize=8)
    for k in range(len(panels), nrows * ncols):
        grid[k // ncols][k % ncols].set_visible(False)
    for ax in grid[-1]:
        ax.set_xlabel(x_name)
    for row in grid:
        row[0].set_ylabel(f"{column} (median, quartiles)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return True


def sort_key(text):
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep")
    ap.add_argument("--files", nargs="+", default=list(CURVE_FILES))
    ap.add_argument("--out-dir", default="")
    ap.add_argument("--no-plots", action="store_true", help="only report_curves.csv")
    ap.add_argument("--file", help="one curve file (with --column and --out)")
    ap.add_argument("--column", help="one column of --file")
    ap.add_argument("--out", help="the figure of --file/--column")
    ap.add_argument("--title", default="")
    a = ap.parse_args()
    single = a.file or a.column or a.out
    if single and not (a.file and a.column and a.out):
        sys.exit("plot_curves: --file, --column and --out go together")
    rows, axes = read_sweep(a.sweep)
    data = collect(a.sweep, rows, axes, [a.file] if single else a.files)
    title = a.title or os.path.basename(os.path.normpath(a.sweep))
    if single:
        if a.file not in data or a.column not in data[a.file][1]:
            sys.exit(f"plot_curves: {a.sweep}: no ok point has column {a.column} in {a.file}")
        import matplotlib.pyplot as plt
        x_name, by_column = data[a.file]
        draw(plt, a.out, x_name, a.column, by_column[a.column], axes, title)
        print(f"plot_curves: {a.out}")
        return
    if not data:
        return  # no run of this sweep writes curves
    out_dir = a.out_dir or a.sweep
    write_csv(os.path.join(out_dir, "report_curves.csv"), axes, data)
    print(f"report: curves of {', '.join(data)} -> {os.path.join(out_dir, 'report_curves.csv')}",
          file=sys.stderr)
    if a.no_plots:
        return
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    for name, (x_name, by_column) in data.items():
        stem = os.path.splitext(name)[0]
        for column, groups in by_column.items():
            path = os.path.join(out_dir, f"report_curve_{stem}_{column}.png")
            if draw(plt, path, x_name, column, groups, axes, f"{title}: {name}"):
                print(f"report: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
