"""salvo.sweep and salvo.load of sweep directories."""
import pandas as pd
import pytest
import yaml

import salvo
from salvo._cli import REPO

SPEC = {
    "chip": "mini",
    "experiment": "playback-mini",
    "seeds": [1, 2],
    "axes": {"chip.mismatch.scale": [0, 1.5]},
    "conditions": {"weak": {"experiment.connections.0.weight": 2}, "strong": {}},
    "set": {"experiment.duration_us": 200},
}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "s"
    return out, salvo.sweep(SPEC, jobs=2, out=out, progress=False)


def test_sweep_dataframe_is_typed(swept):
    out, df = swept
    assert len(df) == 8 and set(df["status"]) == {"ok"}
    assert df["chip.mismatch.scale"].dtype == float
    assert sorted(df["chip.mismatch.scale"].unique()) == [0.0, 1.5]
    assert df["seed"].dtype == "Int64" and set(df["seed"]) == {1, 2}
    assert set(df["condition"].cat.categories) == {"weak", "strong"}
    assert (df["exit_code"] == 0).all()
    assert pd.api.types.is_float_dtype(df["metrics.rate_mean_hz"])
    assert df.attrs["axes"] == ["chip.mismatch.scale"] and df.attrs["path"] == str(out)
    # weaker excitatory weights, fewer spikes: the condition reached the runs
    by = df.groupby("condition", observed=True)["metrics.rate_mean_hz"].mean()
    assert by["weak"] < by["strong"]


def test_sweep_points_load_as_results(swept):
    _, df = swept
    row = df[(df["condition"] == "weak") & (df["seed"] == 2)
             & (df["chip.mismatch.scale"] == 1.5)].iloc[0]
    r = salvo.load(row["path"])
    assert isinstance(r, salvo.Result)
    assert r.seed == 2 and r.config["chip"]["mismatch"]["scale"] == 1.5
    assert r.summary["spikes"] == row["summary.spikes"] == len(r.spikes)


def test_load_sweep_dir_and_resume(swept):
    out, df = swept
    loaded = salvo.load(out)
    pd.testing.assert_frame_equal(loaded, df)
    again = salvo.sweep(SPEC, out=out, resume=True, progress=False)  # nothing left to run
    pd.testing.assert_frame_equal(again, df)


def test_sweep_from_spec_file_with_bool_and_text_axes(tmp_path):
    spec = {
        "chip": str(REPO / "configs/chips/mini.yaml"),
        "experiment": str(REPO / "configs/experiments/sal-pair.yaml"),
        "axes": {"experiment.plastic": ["both", "none"]},
        "set": {"experiment.duration_us": 3000, "experiment.sensor_gain_calibration_us": 0},
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    df = salvo.sweep(path, out=tmp_path / "out", jobs=2, progress=False)
    assert df["experiment.plastic"].dtype == "string"
    assert set(df["experiment.plastic"]) == {"both", "none"}
    none = df[df["experiment.plastic"] == "none"].iloc[0]
    assert none["metrics.code_10_final"] == 10  # 'none' leaves the weak weight at its code


def test_sweep_bad_spec_is_a_config_error(tmp_path):
    bad = dict(SPEC, axes={"mismatch.scale": [0, 1]})
    with pytest.raises(salvo.SalvoConfigError) as e:
        salvo.sweep(bad, out=tmp_path / "bad", progress=False)
    assert e.value.exit_code == 2 and "mismatch.scale" in str(e.value)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such directory"):
        salvo.load(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="neither a run directory"):
        salvo.load(tmp_path)
