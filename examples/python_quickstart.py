#!/usr/bin/python3
"""salvo from Python in one page: a run as pandas and neo, a small sweep, two plots.

    /usr/bin/python3 examples/python_quickstart.py [OUT_DIR]      (default out/python-quickstart)

Runs in a few seconds (mini chip, half a millisecond of hardware time per run). The test
suite runs it (python/tests/test_examples.py). docs/python.md walks through the same steps.
"""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import quantities as pq  # noqa: E402

import salvo  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else "out/python-quickstart")
out.mkdir(parents=True, exist_ok=True)

# The chip variant's figures.
chip = salvo.info("mini")
print(f"chip {chip['name']}: {chip['neurons']} neurons, {chip['synapses']} synapses")

# One run: Poisson input onto all 32 neurons of the mini chip.
r = salvo.run(experiment="playback-mini", chip="mini", seed=1, out=out / "run")
print(f"{len(r.spikes)} spikes, mean rate {r.rates['rate_hz'].mean() / 1e3:.1f} kHz "
      f"(hardware time), membrane of neuron {r.membrane.attrs['neuron']}: "
      f"{r.membrane['v_mV'].min():.0f} .. {r.membrane['v_mV'].max():.0f} mV")
r.plot().savefig(out / "run.png", dpi=100)

# The same run as a neo Block: firing rate and ISI CV per neuron from the SpikeTrains.
block = r.to_neo()
cvs, rates = [], []
for st in block.segments[0].spiketrains:
    rates.append((len(st) / (st.t_stop - st.t_start)).rescale(pq.kHz).item())
    isi = np.diff(st.times.rescale(pq.us).magnitude)
    if len(isi) > 1:
        cvs.append(isi.std() / isi.mean())
print(f"neo: {len(block.segments[0].spiketrains)} spike trains, rate {np.mean(rates):.1f} kHz, "
      f"ISI CV median {np.median(cvs):.2f} over {len(cvs)} neurons")

# A small sweep: mismatch scale x 2 seeds, into a DataFrame; median rate per scale.
df = salvo.sweep({"chip": "mini", "experiment": "playback-mini", "seeds": [1, 2],
                  "axes": {"chip.mismatch.scale": [0, 1, 2]},
                  "set": {"experiment.duration_us": 200}}, jobs=2, out=out / "sweep")
by_scale = df.groupby("chip.mismatch.scale")["metrics.spikes_per_neuron_std"].median()
print("spread of spikes per neuron by mismatch scale:",
      ", ".join(f"{k:g}: {v:.1f}" for k, v in by_scale.items()))
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(df["chip.mismatch.scale"], df["metrics.spikes_per_neuron_std"], "o", alpha=0.5)
ax.plot(by_scale.index, by_scale.values, "-", color="k", label="median")
ax.set_xlabel("mismatch scale")
ax.set_ylabel("std of spikes per neuron")
ax.legend()
fig.tight_layout()
fig.savefig(out / "sweep.png", dpi=100)
print(f"results and plots in {out}")
