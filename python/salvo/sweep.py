"""A sweep output directory as a typed pandas DataFrame."""

import json
from pathlib import Path

import pandas as pd
import yaml


def _typed_axis(series):
    """Axis values as the spec wrote them (text in sweep.csv): numbers become numbers,
    true/false booleans, the rest stays text."""
    values = series.dropna().astype(str)
    numeric = pd.to_numeric(values, errors="coerce")
    if len(values) and numeric.notna().all():
        as_int = numeric.astype("int64")
        if (as_int == numeric).all() and not values.str.contains(r"[.eE]").any():
            return pd.to_numeric(series, errors="coerce").astype("Int64")
        return pd.to_numeric(series, errors="coerce").astype(float)
    if len(values) and values.str.lower().isin(["true", "false"]).all():
        return series.map(lambda v: None if pd.isna(v) else str(v).lower() == "true").astype(
            "boolean")
    return series.astype("string")


def load_sweep(path):
    """sweep.csv of a sweep directory: one row per finished point; columns id, condition,
    one per axis (by its key, typed: int, float, bool or text), seed, status, exit_code,
    signal, wall_time_s, error, metrics.<name>, summary.<path>, and path (the point's run
    directory, for salvo.load). attrs: path, axes, conditions, spec."""
    p = Path(path)
    manifest = {}
    if (p / "sweep.json").is_file():
        with open(p / "sweep.json") as f:
            manifest = json.load(f)
    csv = p / "sweep.csv"
    if csv.is_file() and csv.stat().st_size > 0:
        df = pd.read_csv(csv, dtype={"id": str, "condition": str, "error": str, "signal": str},
                         keep_default_na=False, na_values=[""])
    else:
        df = pd.DataFrame(columns=["id", "condition", "seed", "status", "exit_code"])
    axes = list(manifest.get("axes", []))
    for key in axes:
        if key in df.columns:
            df[key] = _typed_axis(df[key])
    for col, kind in (("seed", "Int64"), ("exit_code", "Int64")):
        if col in df.columns:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(kind)
    for col in ("condition", "status"):
        if col in df.columns:
            df[col] = df[col].fillna("").astype("category")
    for col in ("id", "error", "signal"):
        if col in df.columns:
            df[col] = df[col].astype("string")
    df["path"] = [str(p / "points" / i) for i in df["id"]] if len(df) else pd.Series(dtype=str)
    df.attrs["path"] = str(p)
    df.attrs["axes"] = axes
    df.attrs["conditions"] = list(manifest.get("conditions", []))
    spec = p / "spec.yaml"
    if spec.is_file():
        with open(spec) as f:
            df.attrs["spec"] = yaml.safe_load(f)
    return df
