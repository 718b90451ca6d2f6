"""salvo.run and Result: files as dicts and DataFrames, plot, to_neo, errors, timeout."""
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import quantities as pq

import salvo
from salvo import _cli
from conftest import MINI

PAIR = dict(chip="mini", experiment="sal-pair",
            set={"experiment.duration_us": 4000, "experiment.sensor_gain_calibration_us": 0})


def test_run_summary_metrics_config(playback):
    s = playback.summary
    assert s["status"] == "ok" and s["seed"] == 2 and s["chip"]["name"] == "mini"
    assert s["experiment"]["name"] == "playback"
    assert s["emulated_time_us"] == 500.0
    assert playback.metrics == s["metrics"] and "rate_mean_hz" in playback.metrics
    assert playback.config["chip"]["name"] == "mini"
    assert playback.config["chip"]["neurons"]["per_half"] == 32
    assert playback.config["experiment"]["duration_us"] == 500
    assert playback.seed == 2 and playback.chip == "mini" and playback.ok


def test_spikes_membrane_rates(playback):
    sp = playback.spikes
    assert list(sp.columns) == ["time_us", "neuron"]
    assert sp["time_us"].dtype == float and pd.api.types.is_integer_dtype(sp["neuron"])
    assert len(sp) == playback.summary["spikes"] > 0
    assert sp["time_us"].is_monotonic_increasing
    assert sp["time_us"].between(0, 500).all() and sp["neuron"].between(0, 31).all()

    m = playback.membrane
    assert m.attrs["neuron"] == 0 and list(m.columns) == ["time_us", "code", "v_mV"]
    assert len(m) > 100 and m["v_mV"].between(0, 1200).all()

    r = playback.rates
    assert len(r) == 32 and r.index.name == "neuron"
    assert r["spikes"].sum() == len(sp)
    assert r.loc[0, "spikes"] == (sp["neuron"] == 0).sum()
    np.testing.assert_allclose(r["rate_hz"], r["spikes"] / 500e-6)
    np.testing.assert_allclose(r["rate_hz"].mean(), playback.metrics["rate_mean_hz"])
    # the chip's 8-bit rate counters saturate at 255; below that they count every spike
    below = r["spikes"] < 255
    assert (r.loc[below, "counter"] == r.loc[below, "spikes"]).all()


def test_same_seed_same_spikes_other_seed_differs(playback, tmp_path):
    again = salvo.run(**MINI, seed=2, out=tmp_path / "a", progress=False)
    pd.testing.assert_frame_equal(again.spikes, playback.spikes)
    other = salvo.run(**MINI, seed=3, out=tmp_path / "b", progress=False)
    assert not other.spikes.equals(playback.spikes)


def test_set_overrides_and_paths(tmp_path):
    exp = _cli.REPO / "configs" / "experiments" / "playback-mini.yaml"
    r = salvo.run(experiment=exp, chip=str(_cli.REPO / "configs/chips/mini.yaml"),
                  set={"experiment.duration_us": 200, "chip.mismatch.scale": 0},
                  out=tmp_path / "r", progress=False)
    assert r.summary["emulated_time_us"] == 200.0
    assert r.config["chip"]["mismatch"]["scale"] == 0
    assert r.path == tmp_path / "r"


def test_default_out_is_a_new_directory():
    r = salvo.run(**MINI, set={"experiment.duration_us": 50}, progress=False)
    assert r.path.is_dir() and r.path.name.startswith("salvo-playback-mini-")


def test_format_value():
    assert _cli.format_value(True) == "true"
    assert _cli.format_value([1, 2.5]) == "[1, 2.5]"
    assert _cli.format_value({"a": 1}) == "{a: 1}"
    assert _cli.format_value(np.float64(0.5)) == "0.5"
    assert _cli.resolve_config("mini", "chips").endswith("configs/chips/mini.yaml")


def test_experiment_tables(tmp_path):
    r = salvo.run(**PAIR, out=tmp_path / "pair", progress=False)
    assert set(r.tables) == {"weights", "correlogram"}
    w = r["weights"]
    assert list(w.columns[:3]) == ["time_us", "code_01", "code_10"]
    assert r.weights is w and len(w) >= 3
    assert (w["code_01"].iloc[0], w["code_10"].iloc[0]) == (30, 10)  # the config's codes
    with pytest.raises(KeyError, match="tables: correlogram, weights"):
        r["angle"]
    with pytest.raises(AttributeError):
        r.angle


def test_plot(playback):
    import matplotlib.pyplot as plt

    fig = playback.plot()
    assert len(fig.axes) == 2  # raster + membrane; playback writes no experiment table
    xs, ys = fig.axes[0].lines[0].get_data()
    assert len(xs) == len(playback.spikes)
    fig2, ax = plt.subplots()
    assert playback.plot("membrane", ax=ax) is fig2
    assert len(ax.lines[0].get_xdata()) == len(playback.membrane)
    plt.close("all")


def test_to_neo(playback):
    import neo

    block = playback.to_neo()
    assert isinstance(block, neo.Block)
    assert block.annotations["chip"] == "mini" and block.annotations["seed"] == 2
    assert block.annotations["config"]["experiment"]["duration_us"] == 500
    seg = block.segments[0]
    assert len(seg.spiketrains) == 32
    assert [st.annotations["neuron"] for st in seg.spiketrains] == list(range(32))
    assert sum(len(st) for st in seg.spiketrains) == len(playback.spikes)
    st0 = seg.spiketrains[0]
    assert st0.units == pq.us and float(st0.t_stop) == 500.0
    np.testing.assert_allclose(st0.magnitude, playback.spikes.query("neuron == 0")["time_us"])
    (sig,) = seg.analogsignals
    assert sig.units == pq.mV and sig.annotations["neuron"] == 0
    assert sig.shape == (len(playback.membrane), 1)
    np.testing.assert_allclose(float(sig.sampling_period.rescale(pq.us)), 0.1)
    np.testing.assert_allclose(sig.magnitude[:, 0], playback.membrane["v_mV"])


def test_config_error_exit_2(tmp_path):
    with pytest.raises(salvo.SalvoConfigError) as e:
        salvo.run(**MINI, set={"experiment.nope": 1}, out=tmp_path, progress=False)
    assert e.value.exit_code == 2 and isinstance(e.value, salvo.SalvoError)
    assert "experiment.nope" in str(e.value) and "\n" not in str(e.value)
    assert not (tmp_path / "summary.json").exists()
    with pytest.raises(salvo.SalvoConfigError, match="not-a-chip"):
        salvo.run(chip="not-a-chip", progress=False)


def test_run_error_exit_1_keeps_the_failed_result(tmp_path):
    bad = dict(PAIR, set=dict(PAIR["set"], **{"chip.processor.watchdog_instructions": 1000}))
    with pytest.raises(salvo.SalvoRunError) as e:
        salvo.run(**bad, out=tmp_path, progress=False)
    err = e.value
    assert err.exit_code == 1 and not isinstance(err, salvo.SalvoConfigError)
    # (Under scripts/test's ASan build this used to abort inside ASan before the message was
    # printed; cmake/asan_fibers.cpp fixed that, so an ASan report here is a failure.)
    assert "AddressSanitizer" not in err.stderr, err.stderr
    assert "watchdog" in err.message and "\n" not in err.message
    assert err.result is not None and err.result.summary["status"] == "failed"
    assert not err.result.ok


def _processes_with(text):
    found = []
    for p in Path("/proc").iterdir():
        try:
            if p.name.isdigit() and text in (p / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(p.name))
        except OSError:
            pass
    return found


def test_timeout_kills_the_process_group_and_shows_progress(tmp_path, capsys):
    out = tmp_path / "long"
    t0 = time.monotonic()
    with pytest.raises(salvo.SalvoTimeoutError) as e:
        salvo.run(**MINI, set={"experiment.duration_us": 1e6, "experiment.inputs.0.rate_hz": 1e4},
                  out=out, timeout=3.5, progress=True)
    assert time.monotonic() - t0 < 15
    assert isinstance(e.value, salvo.SalvoRunError) and e.value.exit_code is None
    assert _processes_with(str(out)) == []
    assert not (out / "summary.json").exists()
    # the CLI reports progress after 2 s; the tqdm bar shows it
    assert "playback-mini" in capsys.readouterr().err


def test_progress_line_parsing():
    m = _cli._RUN_PROGRESS.match("sal-pair: 42% (126000/300000 µs), elapsed 3 s, ETA 4 s")
    assert m and m.group(3, 4, 5) == ("126000", "300000", "µs")
    m = _cli._SWEEP_PROGRESS.match("sweep: 3/9 points (3 ok, 0 failed, 0 timeout), 2 running")
    assert m and m.group(1, 2) == ("3", "9")


def test_binary_override(monkeypatch, tmp_path):
    monkeypatch.setenv("SALVO_BIN", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="SALVO_BIN"):
        salvo.binary()


def _has_calibration_option():
    help_text = subprocess.run([salvo.binary(), "run", "--help"], capture_output=True,
                               text=True).stdout
    return "--calibration" in help_text


@pytest.mark.skipif(not _has_calibration_option(), reason="salvo run has no --calibration yet")
def test_calibration_is_passed_through(playback, tmp_path):
    cal = tmp_path / "cal"
    subprocess.run([salvo.binary(), "calibrate", "--chip", _cli.resolve_config("mini", "chips"),
                    "--seed", "2", "--out", str(cal), "--no-plots"], check=True,
                   capture_output=True)
    r = salvo.run(**MINI, seed=2, calibration=cal / "calibration.json", out=tmp_path / "r",
                  progress=False)
    assert r.summary["calibration"] == str(cal / "calibration.json")
    assert not r.spikes.equals(playback.spikes)  # same instance and seed, calibrated codes
    with pytest.raises(salvo.SalvoConfigError) as e:  # another chip instance's calibration
        salvo.run(**MINI, seed=3, calibration=cal / "calibration.json", out=tmp_path / "o",
                  progress=False)
    assert e.value.exit_code == 2
    with pytest.raises(salvo.SalvoConfigError, match="missing.json"):
        salvo.run(**MINI, calibration=tmp_path / "missing.json", out=tmp_path / "m",
                  progress=False)
