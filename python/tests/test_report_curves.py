"""`salvo report`'s curves (tools/plot_curves.py): median and quartiles of the runs' loss.csv /
angle.csv per condition and axis value, over the seeds."""
import csv
import subprocess

import numpy as np
import pytest

from salvo._cli import binary

HEADER = ["id", "condition", "chip.mismatch.scale", "seed", "status", "exit_code", "signal",
          "wall_time_s", "error", "metrics.loss_final"]


def val_mse(cond, scale, seed, epoch):
    """A different value per point and epoch (so medians and quartiles are not trivial)."""
    return (10.0 if cond == "fa" else 5.0) * (1 + scale) / (1 + epoch) + 0.37 * seed * seed


def make_sweep(root, curves=True):
    rows = []
    for cond in ("sal", "fa"):
        for scale in (0, 2):
            for seed in (1, 2, 3, 4):
                pid = f"{cond}_chip.mismatch.scale={scale}_s{seed}"
                status = "failed" if (cond, scale, seed) == ("fa", 2, 4) else "ok"
                rows.append([pid, cond, scale, seed, status, 0, "", 1.0, "", 1.0])
                point = root / "points" / pid
                point.mkdir(parents=True)
                if not curves or (cond, scale, seed) == ("sal", 0, 4):
                    continue  # an ok point without a curve file is skipped
                epochs = 3 if (cond, scale, seed) == ("sal", 2, 1) else 5  # a shorter curve
                with open(point / "loss.csv", "w", newline="") as f:
                    w = csv.writer(f)
                    w.writerow(["epoch", "train_mse_khz2", "val_mse_khz2", "angle_b_w2t_deg"])
                    for e in range(epochs):
                        v = val_mse(cond, scale, seed, e) if status == "ok" else 1e9
                        w.writerow([e, 2 * v, v, 90.0 - 10 * e])
    with open(root / "sweep.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)


def report(root):
    return subprocess.run([str(binary()), "report", str(root)], capture_output=True, text=True,
                          timeout=120)


def test_report_draws_median_and_quartile_curves_per_condition_and_axis_value(tmp_path):
    make_sweep(tmp_path)
    r = report(tmp_path)
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "report_curves.csv", newline="") as f:
        got = list(csv.DictReader(f))
    assert set(got[0]) == {"file", "column", "condition", "chip.mismatch.scale", "x", "n",
                           "median", "q1", "q3"}
    val = {(g["condition"], float(g["chip.mismatch.scale"]), float(g["x"])): g for g in got
           if g["column"] == "val_mse_khz2"}
    assert len(val) == 2 * 2 * 5
    for (cond, scale, epoch), g in val.items():
        seeds = [1, 2, 3, 4]
        if (cond, scale) == ("sal", 0):
            seeds = [1, 2, 3]  # seed 4 wrote no loss.csv
        if (cond, scale) == ("fa", 2):
            seeds = [1, 2, 3]  # seed 4 failed: its (huge) curve does not count
        if (cond, scale) == ("sal", 2) and epoch >= 3:
            seeds = [2, 3, 4]  # seed 1's curve ends after epoch 2
        ys = [val_mse(cond, int(scale), s, epoch) for s in seeds]
        assert int(g["n"]) == len(seeds)
        assert float(g["median"]) == pytest.approx(np.median(ys), rel=1e-12)
        assert float(g["q1"]) == pytest.approx(np.percentile(ys, 25), rel=1e-12)
        assert float(g["q3"]) == pytest.approx(np.percentile(ys, 75), rel=1e-12)
    for column in ("train_mse_khz2", "val_mse_khz2", "angle_b_w2t_deg"):
        png = tmp_path / f"report_curve_loss_{column}.png"
        assert png.stat().st_size > 1000


def test_report_without_curve_files_writes_no_curves(tmp_path):
    make_sweep(tmp_path, curves=False)
    r = report(tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "report.csv").exists()
    assert not (tmp_path / "report_curves.csv").exists()
    assert not list(tmp_path.glob("report_curve_*"))
