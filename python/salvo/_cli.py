"""Runs the `salvo` command-line program: one process (and process group) per call, the
CLI's progress lines turned into a tqdm bar, exit codes turned into typed errors."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .errors import SalvoConfigError, SalvoRunError, SalvoTimeoutError

# python/salvo/_cli.py -> the checkout's root
REPO = Path(__file__).resolve().parents[2]

# `salvo run` (non-TTY): "sal-pair: 42% (126000/300000 µs), elapsed 3 s, ETA 4 s"
_RUN_PROGRESS = re.compile(r"^(\S+): (\d+)% \(([\d.]+)/([\d.]+) (\S+)\), elapsed")
# `salvo sweep` (non-TTY): "sweep: 3/9 points (3 ok, 0 failed, 0 timeout), 2 running, ..."
_SWEEP_PROGRESS = re.compile(r"^sweep: (\d+)/(\d+) points \(")


def binary():
    """The salvo executable: $SALVO_BIN if set, else <checkout>/build/bin/salvo."""
    env = os.environ.get("SALVO_BIN")
    path = Path(env) if env else REPO / "build" / "bin" / "salvo"
    if not path.is_file() or not os.access(path, os.X_OK):
        where = "$SALVO_BIN" if env else "the build"
        raise FileNotFoundError(
            f"salvo executable not found at {path} (from {where}); build it "
            "(cmake -S . -B build && cmake --build build) or set SALVO_BIN"
        )
    return str(path)


def build_dir():
    """The build directory: the one $SALVO_BIN lives in (<build>/bin/salvo), else
    <checkout>/build."""
    env = os.environ.get("SALVO_BIN")
    return Path(env).resolve().parents[1] if env else REPO / "build"


def resolve_config(value, kind):
    """A config argument: a path as given, or a bare name of a file in configs/<kind>/
    (chip='mini', experiment='sal-pair')."""
    if value is None:
        return None
    value = os.fspath(value)
    if os.path.exists(value) or "/" in value:
        return os.path.abspath(value)
    stem = value[:-5] if value.endswith(".yaml") else value
    candidate = REPO / "configs" / kind / f"{stem}.yaml"
    if candidate.is_file():
        return str(candidate)
    return os.path.abspath(value)  # let the CLI report the missing file (exit 2)


def format_value(value):
    """A Python value as the CLI's --set / YAML expects it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    if hasattr(value, "item"):  # numpy scalars
        return format_value(value.item())
    return str(value)


def set_args(overrides):
    args = []
    for key, value in (overrides or {}).items():
        args += ["--set", f"{key}={format_value(value)}"]
    return args


def _in_notebook():
    try:
        from IPython import get_ipython  # noqa: PLC0415

        shell = get_ipython()
        return shell is not None and "IPKernelApp" in getattr(shell, "config", {})
    except Exception:  # IPython absent or unusual
        return False


def want_progress(progress):
    if progress is not None:
        return bool(progress)
    return _in_notebook() or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())


class _Bar:
    """A tqdm bar created at the first progress line (the CLI is silent for short runs)."""

    def __init__(self, enabled, desc):
        self.enabled, self.desc, self.bar = enabled, desc, None
        self.start = time.time()  # the process start: elapsed and ETA count from here

    def update(self, done, total, unit):
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm.auto import tqdm  # noqa: PLC0415

            self.bar = tqdm(total=total, initial=min(done, total), desc=self.desc, leave=False,
                            bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} " + unit
                            + " [{elapsed}<{remaining}]")
            self.bar.start_t = self.start
            self.bar.initial = 0  # the rate counts from the process start, as elapsed
        self.bar.total = total
        self.bar.n = min(done, total)
        self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.n = self.bar.total
            self.bar.close()


def _kill_group(proc):
    """SIGTERM to the process group, SIGKILL 2 s later if it is still there."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def _message(stderr, returncode):
    """The CLI's one-line message: its last 'salvo…:' line, else the last line of stderr."""
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    for line in reversed(lines):
        if line.startswith("salvo"):
            return line
    if returncode < 0:
        return f"salvo was killed by {signal.Signals(-returncode).name}"
    return lines[-1] if lines else f"salvo exited with code {returncode}"


def call(args, progress=None, timeout=None, desc="salvo", env=None):
    """Runs `salvo ARGS` in its own process group; returns (stdout, stderr) on exit 0.
    Raises SalvoConfigError (exit 2), SalvoTimeoutError, SalvoRunError (anything else)."""
    argv = [binary()] + [str(a) for a in args]
    full_env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    full_env.update(env or {})
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=full_env,
        start_new_session=True,  # own session = own process group: a kill reaches everything
        text=True,
        errors="replace",
    )
    bar = _Bar(want_progress(progress), desc)
    out_chunks, err_lines = [], []

    def read_stdout():
        out_chunks.append(proc.stdout.read())

    def read_stderr():
        for line in proc.stderr:
            m = _RUN_PROGRESS.match(line)
            if m:
                bar.update(float(m.group(3)), float(m.group(4)), m.group(5))
                continue
            m = _SWEEP_PROGRESS.match(line)
            if m:
                bar.update(int(m.group(1)), int(m.group(2)), "points")
                continue
            err_lines.append(line)

    readers = [threading.Thread(target=f, daemon=True) for f in (read_stdout, read_stderr)]
    for t in readers:
        t.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            try:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                proc.wait(timeout=remaining)
                break
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                for t in readers:
                    t.join(timeout=5)
                raise SalvoTimeoutError(
                    f"salvo: timeout: {' '.join(argv[1:3])} ran longer than {timeout} s; "
                    "its process group was terminated",
                    None,
                    "".join(err_lines),
                ) from None
    except BaseException:  # KeyboardInterrupt included: never leave the run behind
        if proc.poll() is None:
            _kill_group(proc)
        raise
    finally:
        bar.close()
    for t in readers:
        t.join()
    stdout, stderr = "".join(out_chunks), "".join(err_lines)
    code = proc.returncode
    if code == 0:
        return stdout, stderr
    message = _message(stderr, code)
    exit_code = 128 - code if code < 0 else code
    if code == 2:
        raise SalvoConfigError(message, 2, stderr)
    raise SalvoRunError(message, exit_code, stderr)
