"""The examples/ scripts run and produce what they announce."""
import os
import subprocess
import sys
from pathlib import Path

import salvo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_python_quickstart(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(Path(salvo.__file__).resolve().parents[1]))
    p = subprocess.run([sys.executable, str(EXAMPLES / "python_quickstart.py"), str(tmp_path)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "32 neurons" in p.stdout and "neo: 32 spike trains" in p.stdout
    for f in ("run.png", "sweep.png", "run/summary.json", "sweep/sweep.csv"):
        assert (tmp_path / f).is_file(), f
    assert len(salvo.load(tmp_path / "sweep")) == 6
