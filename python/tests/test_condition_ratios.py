"""tools/condition_ratios.py: ratios of the conditions' medians over paired seeds."""
import csv
import re
import subprocess
import sys

from salvo._cli import REPO

TOOL = str(REPO / "tools" / "condition_ratios.py")


def make_sweep(root):
    rows = [["id", "condition", "seed", "status", "metrics.loss_final"]]
    a = {1: 2.0, 2: 4.0, 3: 6.0, 4: 100.0}
    b = {1: 4.0, 2: 4.0, 3: 10.0, 4: 1.0, 5: 7.0}
    for s, v in a.items():
        rows.append([f"a_s{s}", "a", s, "failed" if s == 4 else "ok", v])
    for s, v in b.items():
        rows.append([f"b_s{s}", "b", s, "ok", v])
    with open(root / "sweep.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)


def tool(*args):
    return subprocess.run([sys.executable, TOOL, *map(str, args)], capture_output=True,
                          text=True, timeout=60)


def test_ratio_of_medians_over_paired_ok_seeds(tmp_path):
    make_sweep(tmp_path)
    r = tool(tmp_path, "--ratio", "a/b", "--per-seed", "0.75")
    assert r.returncode == 0, r.stderr
    # a's seed 4 failed and b's seed 5 has no partner: seeds 1-3, medians 4 / 4; per seed
    # 0.5, 1.0, 0.6 -> two of three at most 0.75
    m = re.search(r"a/b: ([0-9.]+) \(medians 4 / 4, 3 seeds; bootstrap 95 % \[([0-9.]+), "
                  r"([0-9.]+)\]\); per seed <= 0.75: 2 of 3", r.stdout)
    assert m, r.stdout
    assert float(m.group(1)) == 1.0
    assert float(m.group(2)) <= 1.0 <= float(m.group(3))


def test_unknown_condition_is_refused_with_the_allowed_ones(tmp_path):
    make_sweep(tmp_path)
    r = tool(tmp_path, "--ratio", "a/c")
    assert r.returncode != 0
    assert "allowed A/B with conditions from ['a', 'b']" in r.stderr
