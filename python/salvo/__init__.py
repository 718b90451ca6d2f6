"""salvo from Python: runs, sweeps and results as numpy, pandas and neo.

Every run and sweep is a `salvo` command-line process of its own (one SystemC kernel per
process, as on the command line), in its own process group; results are read from its
output directory. See docs/python.md.

    import salvo
    r = salvo.run(experiment="sal-pair", chip="mini", seed=3,
                  set={"experiment.duration_us": 20000})
    r.metrics, r.spikes, r.rates, r.weights, r.to_neo()
"""

import json
import os
import tempfile
from pathlib import Path

from . import _cli
from .errors import SalvoConfigError, SalvoError, SalvoRunError, SalvoTimeoutError
from .result import Result
from .sweep import load_sweep

__all__ = [
    "run",
    "load",
    "sweep",
    "info",
    "binary",
    "Result",
    "SalvoError",
    "SalvoConfigError",
    "SalvoRunError",
    "SalvoTimeoutError",
]

__version__ = (_cli.REPO / "VERSION").read_text().strip() if (_cli.REPO / "VERSION").is_file() \
    else "unknown"

binary = _cli.binary


def run(experiment=None, chip=None, seed=1, set=None, calibration=None, out=None, timeout=None,
        threads=None, plots=False, progress=None):
    """Runs one experiment on one emulated chip instance (`salvo run`) and returns its Result.

    experiment, chip: a YAML path, or a bare name from configs/ ('sal-pair', 'mini');
    None = the CLI's defaults (sal-feedback on the reference chip). seed: chip instance and
    noise. set: {'chip.mismatch.scale': 0, 'experiment.duration_us': 2000, ...} (--set).
    calibration: a calibration path or 'auto' (--calibration). out: output directory
    (default: a new temporary directory, kept). timeout: seconds, then the run's process
    group is terminated (SalvoTimeoutError). threads: --threads. plots: also render the
    CLI's PNG plots. progress: tqdm bar (default: on in terminals and notebooks).

    Raises SalvoConfigError (bad input, exit 2) or SalvoRunError (exit 1 etc.; `.result`
    holds the failed run's metrics when it wrote them).
    """
    args = ["run", "--seed", int(seed)]
    exp = _cli.resolve_config(experiment, "experiments")
    chip_file = _cli.resolve_config(chip, "chips")
    if exp:
        args += ["--experiment", exp]
    if chip_file:
        args += ["--chip", chip_file]
    args += _cli.set_args(set)
    if calibration is not None:
        cal = os.fspath(calibration)
        args += ["--calibration", cal if cal == "auto" else os.path.abspath(cal)]
    if threads is not None:
        args += ["--threads", int(threads)]
    if not plots:
        args.append("--no-plots")
    if out is None:
        stem = Path(exp).stem if exp else "default"
        out = tempfile.mkdtemp(prefix=f"salvo-{stem}-")
    out = os.path.abspath(os.fspath(out))
    args += ["--out", out]
    desc = Path(exp).stem if exp else "salvo run"
    try:
        _cli.call(args, progress=progress, timeout=timeout, desc=desc)
    except SalvoError as e:
        e.path = out
        if isinstance(e, SalvoRunError) and (Path(out) / "summary.json").is_file():
            e.result = Result(out)
        raise
    return Result(out)


def sweep(spec, jobs=None, out=None, resume=False, point_timeout=None, timeout=None,
          retry_failed=False, progress=None):
    """Runs a sweep (`salvo sweep`) and returns sweep.csv as a typed DataFrame (see load).

    spec: a spec YAML path, or a dict with the same keys (docs/sweeps.md); a dict's chip and
    experiment may be paths (relative to the current directory) or bare names ('mini').
    jobs: points at once. out: output directory (default: a new temporary directory).
    resume: run only the points without a result (--resume; with retry_failed also failed
    ones). point_timeout: seconds per point (--timeout). timeout: seconds for the whole
    sweep, then its process group is terminated.
    """
    if out is None:
        out = tempfile.mkdtemp(prefix="salvo-sweep-")
    out = os.path.abspath(os.fspath(out))
    if isinstance(spec, dict):
        spec_path = _write_spec(spec)
    else:
        spec_path = os.path.abspath(os.fspath(spec))
    args = ["sweep", spec_path, "--out", out]
    if jobs is not None:
        args += ["--jobs", int(jobs)]
    if resume:
        args.append("--resume")
    if retry_failed:
        args.append("--retry-failed")
    if point_timeout is not None:
        args += ["--timeout", point_timeout]
    try:
        _cli.call(args, progress=progress, timeout=timeout, desc="sweep")
    except SalvoError as e:
        e.path = out
        raise
    finally:
        if isinstance(spec, dict):
            os.unlink(spec_path)
    return load_sweep(out)


def _write_spec(spec):
    """A dict spec as a temporary YAML file, its file references made absolute."""
    import yaml  # noqa: PLC0415

    spec = dict(spec)
    if spec.get("chip") is not None:
        spec["chip"] = _cli.resolve_config(spec["chip"], "chips")
    if spec.get("experiment") is not None:
        spec["experiment"] = _cli.resolve_config(spec["experiment"], "experiments")
    cmd = spec.get("run_command")
    if cmd and "/" in str(cmd[0]) and not os.path.isabs(str(cmd[0])):
        spec["run_command"] = [os.path.abspath(str(cmd[0]))] + list(cmd[1:])
    fd, path = tempfile.mkstemp(prefix="salvo-spec-", suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(spec, f, sort_keys=False, default_flow_style=None)
    return path


def load(path):
    """An existing output directory: a run directory (summary.json) → Result; a sweep
    directory (sweep.csv / sweep.json) → DataFrame as returned by sweep()."""
    p = Path(path)
    if (p / "sweep.json").is_file() or (p / "sweep.csv").is_file():
        return load_sweep(p)
    if (p / "summary.json").is_file():
        return Result(p)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such directory")
    raise FileNotFoundError(f"{p}: neither a run directory (summary.json) nor a sweep "
                            "directory (sweep.csv, sweep.json)")


def info(chip=None, set=None):
    """The chip variant's derived figures (`salvo info --json`) as a dict: neurons,
    synapses, bus bandwidth, memory map, ... chip: a YAML path or a bare name ('mini')."""
    args = ["info", "--json"]
    chip_file = _cli.resolve_config(chip, "chips")
    if chip_file:
        args += ["--chip", chip_file]
    args += _cli.set_args(set)
    stdout, _ = _cli.call(args, progress=False)
    return json.loads(stdout)
