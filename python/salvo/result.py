"""Result: one `salvo run` output directory as Python objects (dicts, pandas, neo)."""

import json
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

# CSVs with their own properties; every other *.csv is an experiment table.
_CORE_CSVS = {"spikes", "membrane", "rate_counters"}


class Result:
    """The results of one run, read lazily from its output directory `path`.

    `summary` (dict of summary.json), `metrics` (its "metrics"), `config` (the resolved
    chip + experiment config), `spikes` (DataFrame time_us, neuron), `membrane` (DataFrame
    time_us, code, v_mV of the recorded neuron, empty if none), `rates` (DataFrame per
    neuron), `tables` (every other CSV by name; also `result["angle"]`, `result.angle`),
    `plot()`, `to_neo()`. Times are emulated hardware microseconds.
    """

    def __init__(self, path):
        self.path = Path(path)
        if not (self.path / "summary.json").is_file():
            raise FileNotFoundError(f"{self.path}: no summary.json (not a salvo run directory)")

    def __repr__(self):
        s = self.summary
        return (
            f"<salvo.Result {s['experiment']['name']} on {s['chip']['name']} seed {s['seed']}"
            f" ({s.get('status', 'ok')}): {self.path}>"
        )

    # ---- the files -----------------------------------------------------------------------
    @cached_property
    def summary(self):
        with open(self.path / "summary.json") as f:
            return json.load(f)

    @property
    def metrics(self):
        return self.summary.get("metrics", {})

    @property
    def ok(self):
        return self.summary.get("status", "ok") == "ok"

    @cached_property
    def config(self):
        path = self.path / "config.yaml"
        if not path.is_file():
            return {}
        with open(path) as f:
            return yaml.safe_load(f) or {}

    @property
    def seed(self):
        return self.summary["seed"]

    @property
    def chip(self):
        return self.summary["chip"]["name"]

    @property
    def experiment(self):
        return self.summary["experiment"]["name"]

    @property
    def duration_us(self):
        return float(self.summary.get("emulated_time_us", 0.0))

    @cached_property
    def spikes(self):
        path = self.path / "spikes.csv"
        if not path.is_file():
            return pd.DataFrame({"time_us": np.array([], float), "neuron": np.array([], int)})
        return pd.read_csv(path, dtype={"time_us": float, "neuron": int})

    @cached_property
    def membrane(self):
        """MADC samples of the recorded neuron (`membrane.attrs['neuron']`); empty if the
        experiment recorded none."""
        path = self.path / "membrane.csv"
        if path.is_file():
            df = pd.read_csv(path, dtype={"time_us": float, "code": int, "v_mV": float})
        else:
            df = pd.DataFrame(
                {"time_us": np.array([], float), "code": np.array([], int),
                 "v_mV": np.array([], float)}
            )
        df.attrs["neuron"] = self.membrane_neuron
        return df

    @property
    def membrane_neuron(self):
        record = (self.config.get("experiment") or {}).get("record") or {}
        n = record.get("membrane_neuron", -1) if isinstance(record, dict) else -1
        return int(n) if n is not None and int(n) >= 0 else None

    @property
    def neurons(self):
        """Neurons on the chip (summary chip.neurons; else the largest id that spiked + 1)."""
        n = self.summary.get("chip", {}).get("neurons")
        if n is None:
            n = int(self.spikes["neuron"].max()) + 1 if len(self.spikes) else 0
        return int(n)

    @cached_property
    def rates(self):
        """Per neuron: `spikes` (count), `rate_hz` (count / emulated time, hardware time),
        `counter` (the chip's saturating rate counter, if the run wrote rate_counters.csv)."""
        counts = self.spikes["neuron"].value_counts()
        idx = pd.RangeIndex(max(self.neurons, int(counts.index.max()) + 1 if len(counts) else 0),
                            name="neuron")
        df = pd.DataFrame(index=idx)
        df["spikes"] = counts.reindex(idx, fill_value=0).astype(int)
        seconds = self.duration_us * 1e-6
        df["rate_hz"] = df["spikes"] / seconds if seconds > 0 else np.nan
        path = self.path / "rate_counters.csv"
        if path.is_file():
            rc = pd.read_csv(path).set_index("neuron")["count"]
            df["counter"] = rc.reindex(idx).astype("Int64")
        return df

    @cached_property
    def tables(self):
        """The experiment's own CSV files (angle, weights, window, ...) by file stem."""
        out = {}
        for p in sorted(self.path.glob("*.csv")):
            if p.stem not in _CORE_CSVS:
                out[p.stem] = _read_table(p)
        return out

    def __getitem__(self, name):
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"{name!r}: no {name}.csv in {self.path} "
                           f"(tables: {', '.join(self.tables) or 'none'})") from None

    def __getattr__(self, name):
        # Only for names that are not attributes: the experiment tables (result.angle).
        if name.startswith("_") or name in ("path", "tables"):
            raise AttributeError(name)  # never recurse into tables while building it
        tables = self.tables
        if name in tables:
            return tables[name]
        raise AttributeError(f"'Result' has no attribute or table {name!r} "
                             f"(tables: {', '.join(tables) or 'none'})")

    # ---- views ---------------------------------------------------------------------------
    def plot(self, what=None, ax=None):
        """A matplotlib Figure. `what`: 'spikes' (raster), 'membrane', or a table name
        (its columns against its first column). Default: the raster, the membrane if
        recorded, and the experiment's first table."""
        import matplotlib.pyplot as plt  # noqa: PLC0415

        if what is None:
            panels = ["spikes"]
            if len(self.membrane):
                panels.append("membrane")
            panels += list(self.tables)[:1]
        else:
            panels = [what]
        if ax is not None:
            if len(panels) != 1:
                raise ValueError("plot(ax=...) draws one panel: name it with what=")
            axes = [ax]
            fig = ax.figure
        else:
            fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.8 * len(panels)),
                                     squeeze=False)
            axes = list(axes[:, 0])
        for name, a in zip(panels, axes):
            self._panel(name, a)
        axes[0].set_title(f"{self.experiment} on {self.chip} (seed {self.seed})")
        if ax is None:
            fig.tight_layout()
        return fig

    def _panel(self, name, ax):
        if name == "spikes":
            ax.plot(self.spikes["time_us"], self.spikes["neuron"], "|", ms=3, color="k")
            ax.set_xlabel("time (µs)")
            ax.set_ylabel("neuron")
        elif name == "membrane":
            m = self.membrane
            ax.plot(m["time_us"], m["v_mV"], lw=0.8)
            ax.set_xlabel("time (µs)")
            ax.set_ylabel(f"V neuron {m.attrs.get('neuron')} (mV)")
        else:
            t = self[name]
            x = t.columns[0]
            for c in t.columns[1:]:
                if pd.api.types.is_numeric_dtype(t[c]):
                    ax.plot(t[x], t[c], label=c)
            ax.set_xlabel(x)
            ax.set_ylabel(name)
            ax.legend(fontsize="small")

    def to_neo(self):
        """A neo Block: one Segment with a SpikeTrain per neuron (annotated `neuron`) and the
        recorded membrane as an AnalogSignal in mV (IrregularlySampledSignal if the sample
        times are not evenly spaced); chip, seed, experiment, summary and config as
        annotations. Times in µs (quantities)."""
        import neo  # noqa: PLC0415
        import quantities as pq  # noqa: PLC0415

        ann = dict(chip=self.chip, seed=int(self.seed), experiment=self.experiment,
                   config=self.config, summary=self.summary, path=str(self.path))
        block = neo.Block(name=f"{self.experiment} on {self.chip} seed {self.seed}", **ann)
        seg = neo.Segment(name=self.experiment, index=0)
        block.segments.append(seg)
        t_stop = self.duration_us
        if len(self.spikes):
            t_stop = max(t_stop, float(self.spikes["time_us"].max()))
        groups = self.spikes.groupby("neuron")["time_us"]
        by_neuron = {int(n): g.to_numpy() for n, g in groups}
        for n in range(self.rates.index.size):
            st = neo.SpikeTrain(by_neuron.get(n, np.array([], float)), units=pq.us,
                                t_start=0 * pq.us, t_stop=t_stop * pq.us, name=f"neuron {n}",
                                neuron=n)
            seg.spiketrains.append(st)
        m = self.membrane
        if len(m):
            t = m["time_us"].to_numpy()
            v = m["v_mV"].to_numpy()[:, None]
            neuron = m.attrs.get("neuron")
            meta = dict(name=f"membrane neuron {neuron}", neuron=neuron, source="MADC")
            steps = np.diff(t)
            if len(t) > 1 and np.allclose(steps, steps[0], rtol=1e-6, atol=1e-9):
                seg.analogsignals.append(
                    neo.AnalogSignal(v, units=pq.mV, t_start=t[0] * pq.us,
                                     sampling_period=steps[0] * pq.us, **meta))
            else:
                seg.irregularlysampledsignals.append(
                    neo.IrregularlySampledSignal(t * pq.us, v, units=pq.mV, time_units=pq.us,
                                                 **meta))
        return block


def _read_table(path):
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
