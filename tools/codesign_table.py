#!/usr/bin/env python3
"""The docs/codesign.md study table from a finished `salvo sweep configs/studies/codesign-vector.yaml`:
per condition (scalar, v16 .. v128) and update period: processor load, cycles per pre-neuron
update, overruns, processor + vector energy per update, area, and the sal-feedback angle.

    /usr/bin/python3 tools/codesign_table.py out/sweeps/codesign
"""
import json
import pathlib
import sys

import yaml


def main():
    points = sorted(pathlib.Path(sys.argv[1], "points").iterdir())
    print("| variant | period (µs) | status | load | cycles / pre-neuron update | overruns "
          "| proc. + vector dynamic energy / update (µJ) | proc. + vector static (mW) | area (mm²) "
          "| effective angle final (°) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rows = []
    for p in points:
        name = p.name
        variant = name.split("_")[0]
        period = int(name.split("update_period_us=")[1].split("_")[0])
        s = json.loads((p / "summary.json").read_text()) if (p / "summary.json").exists() else {}
        m = s.get("metrics", {})
        if s.get("status") != "ok":
            rows.append((variant, period, f"| {variant} | {period} | failed | | | | | | | |"))
            continue
        c = s["cost"]
        chip = yaml.safe_load((p / "config.yaml").read_text())["chip"]
        halves = chip["halves"]
        vec = chip["processor"]["vector"]
        st = chip["cost"]["static_uW"]
        static_mW = halves * (st["processor"] + (st["vector_byte"] * vec["bytes"] * 1e-3
                                                 if vec["enabled"] else 0.0))
        t = c["activity"]["time_us"]
        updates = m.get("ppu_updates", 0) or 1
        # the blocks' energy minus their static part over the run: what the updates cost
        dyn = c["energy_uJ"]["processor"] + c["energy_uJ"]["vector"] - static_mW * t * 1e-3
        e = dyn / updates
        angle = m.get("angle_effective_final_deg", float("nan"))
        rows.append((variant, period,
                     f"| {variant} | {period} | ok | {m.get('ppu_busy_fraction', 0):.3f} "
                     f"| {m.get('ppu_cycles_per_row_update', 0):.0f} | {m.get('ppu_update_overruns', 0):.0f} "
                     f"| {e:.3f} | {static_mW:.1f} | {c['area_mm2']['total']:.3f} | {angle:.1f} |"))
    order = {"scalar": 0, "v16": 1, "v32": 2, "v64": 3, "v128": 4}
    for _, _, line in sorted(rows, key=lambda r: (order.get(r[0], 9), r[1])):
        print(line)


if __name__ == "__main__":
    main()
