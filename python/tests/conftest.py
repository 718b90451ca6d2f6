"""Shared fixtures: one short playback run on the mini chip, reused by the read-only tests."""
import os
import sys
from pathlib import Path

import pytest

# The checkout's package first (ctest also sets PYTHONPATH; this covers a bare `pytest`).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MPLBACKEND", "Agg")

import salvo  # noqa: E402

MINI = dict(chip="mini", experiment="playback-mini")


@pytest.fixture(scope="session")
def playback(tmp_path_factory):
    """playback-mini (500 µs) on the mini chip, seed 2."""
    return salvo.run(**MINI, seed=2, out=tmp_path_factory.mktemp("playback"), progress=False)
