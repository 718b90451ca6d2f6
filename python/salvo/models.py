"""salvo.models: the chip's neuron circuits inside your own Python simulation.

pybind11 bindings (python/bindings/models.cpp, built as <build>/lib/_salvo_models*.so) of the
plain-C++ neuron model of hw/analog: NeuronArray (AdEx/LIF, current-based exponential
synapses, refractoriness, OU membrane noise; exact propagators, spike times inside the step)
and a chip instance's circuits with their mismatch, at the host's uncalibrated target codes —
the neurons `salvo run` starts from. Only the neurons: no synapse array, buses, sensors or
processor (those are what salvo.run is for). Times in µs, voltages in mV, currents in nA.

    from salvo import models
    params = models.neuron_params("mini", seed=3)         # 32 circuits with mismatch
    arr = models.NeuronArray(params, dt_us=0.1, seed=3)
    out = arr.run(200, exc=([10.0], [0], [50.0]), record=[0])
    out.spikes, out.membrane
"""

import importlib.util
import sysconfig
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import _cli

_SECTIONS = ("neurons", "parameter_memory", "mismatch", "noise")


def _load():
    name = "_salvo_models"
    path = _cli.build_dir() / "lib" / (name + sysconfig.get_config_var("EXT_SUFFIX"))
    if not path.is_file():
        raise ImportError(
            f"salvo.models: {path} not built (needs pybind11-dev: scripts/setup, then build)")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_m = _load()
NeuronParams = _m.NeuronParams
ChipConfig = _m.ChipConfig
ModelError = _m.ModelError

PARAM_FIELDS = [f for f in dir(NeuronParams()) if not f.startswith("_")]
MISMATCH_FIELDS = ["tau_mem", "tau_syn_exc", "tau_syn_inh", "v_leak_mV", "v_reset_mV",
                   "v_threshold_mV", "syn_gain_exc", "syn_gain_inh"]


def chip_config(chip=None, set=None):
    """The neuron-related part of a chip variant (neurons, parameter_memory, mismatch, noise,
    halves) as the models' ChipConfig. chip: YAML path or bare name (default: reference);
    set: {'chip.mismatch.scale': 0, ...} as for salvo.run. The CLI validates chip and set
    first (`salvo info`; bad input raises SalvoConfigError)."""
    from . import info  # noqa: PLC0415

    path = _cli.resolve_config(chip or "reference", "chips")
    info(path, set=set)  # validation by the CLI: ranges, unknown keys, file errors
    with open(path) as f:
        doc = yaml.safe_load(f) or {}
    for key, value in (set or {}).items():
        parts = key.split(".")
        if parts[0] != "chip":
            raise ValueError(f"{key}: only chip.* keys apply to the neuron models")
        node = doc
        for p in parts[1:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    cfg = ChipConfig()
    cfg.name = str(doc.get("name", Path(path).stem))
    if "halves" in doc:
        cfg.halves = int(doc["halves"])
    for section in _SECTIONS:
        target = getattr(cfg, section)
        for key, value in (doc.get(section) or {}).items():
            if hasattr(target, key):  # keys the neuron models do not read are skipped
                setattr(target, key, type(getattr(target, key))(value))
        setattr(cfg, section, target)
    return cfg


def neuron_params(chip=None, seed=1, set=None):
    """Every neuron circuit of chip instance `seed` (list of NeuronParams, mismatch
    included) at the host's target codes. chip: a name, path or ChipConfig."""
    cfg = chip if isinstance(chip, ChipConfig) else chip_config(chip, set)
    return _m.chip_neuron_params(cfg, int(seed))


def mismatch(chip=None, seed=1, set=None):
    """The drawn circuit mismatch of chip instance `seed` (the oracle) as a DataFrame per
    neuron: relative factors (tau_mem, tau_syn_*, syn_gain_*) and mV offsets (v_*_mV)."""
    cfg = chip if isinstance(chip, ChipConfig) else chip_config(chip, set)
    rows = _m.chip_neuron_mismatch(cfg, int(seed))
    df = pd.DataFrame([{f: getattr(r, f) for f in MISMATCH_FIELDS} for r in rows])
    df.index.name = "neuron"
    return df


def params_frame(params):
    """A list of NeuronParams as a DataFrame (one row per neuron)."""
    df = pd.DataFrame([{f: getattr(p, f) for f in PARAM_FIELDS} for p in params])
    df.index.name = "neuron"
    return df


def _events(ev, what):
    if ev is None:
        return np.empty(0), np.empty(0, dtype=np.int64), np.empty(0)
    if isinstance(ev, pd.DataFrame):
        ev = (ev["time_us"], ev["neuron"], ev["nA"])
    t, n, a = (np.asarray(x) for x in ev)
    t, n, a = np.broadcast_arrays(np.atleast_1d(t).astype(float), np.atleast_1d(n),
                                  np.atleast_1d(a).astype(float))
    order = np.argsort(t, kind="stable")
    return t[order], n[order].astype(np.int64), a[order]


class ArrayRun:
    """What NeuronArray.run returns: `spikes` (DataFrame time_us, neuron) and `membrane`
    (DataFrame time_us + one column v_<neuron> per recorded neuron, at the end of each step)."""

    def __init__(self, spikes, membrane):
        self.spikes, self.membrane = spikes, membrane

    def __repr__(self):
        return f"<ArrayRun {len(self.spikes)} spikes, {len(self.membrane)} membrane samples>"


class NeuronArray:
    """NeuronArray(params, dt_us=0.1, seed=1): one circuit per NeuronParams (an int n: n
    default circuits — the reference targets, no mismatch). Noise from `seed`.

    run(duration_us, exc=None, inh=None, record=()) advances the array in C++; exc / inh are
    input current jumps (times_us, neurons, nA) — tuples of arrays or scalars, or a DataFrame
    with columns time_us, neuron, nA — each acting at the start of the first time step that
    starts at or after its time (before the neuron's synaptic gain). Runs continue where the
    last one ended (`now_us`)."""

    def __init__(self, params, dt_us=0.1, seed=1):
        if isinstance(params, (int, np.integer)):
            params = [NeuronParams() for _ in range(int(params))]
        self._a = _m.NeuronArray(list(params), float(dt_us), int(seed))

    size = property(lambda self: self._a.size)
    dt_us = property(lambda self: self._a.dt_us)
    now_us = property(lambda self: self._a.now_us)

    def __len__(self):
        return self._a.size

    def run(self, duration_us, exc=None, inh=None, record=()):
        steps = int(round(duration_us / self._a.dt_us))
        record = [int(r) for r in record]
        st, sn, rt, v = self._a.run(steps, *_events(exc, "exc"), *_events(inh, "inh"), record)
        spikes = pd.DataFrame({"time_us": st, "neuron": sn})
        membrane = pd.DataFrame({"time_us": rt})
        for i, r in enumerate(record):
            membrane[f"v_{r}"] = v[:, i]
        return ArrayRun(spikes, membrane)

    def v_mV(self, neuron):
        return self._a.v_mV(int(neuron))

    def params(self, neuron):
        return self._a.params(int(neuron))

    def set_params(self, neuron, params):
        """Changes one circuit at run time (its state is kept)."""
        self._a.set_params(int(neuron), params)

    def reset(self):
        """Every neuron at rest, noise restarted from the seed, clock at 0."""
        self._a.reset()
