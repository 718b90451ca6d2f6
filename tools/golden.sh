#!/usr/bin/env bash
# Golden outputs: runs a fixed set of experiments (every experiment, mini and reference
# chips, host and firmware executors) with fixed seeds, and compares two such sets file by
# file. A refactor or optimisation that must not move results passes `compare` with no
# difference. wall_time_s (and the other wall-clock fields) are the only fields ignored, with
# host.threads and host.parallel_steps (where the host work ran, not what it computed).
#
#   tools/golden.sh run SALVO_BIN OUT_DIR [CASE_REGEX]   # e.g. build/bin/salvo /tmp/golden-before
#   tools/golden.sh compare DIR_A DIR_B
set -euo pipefail
cd "$(dirname "$0")/.."

cases() {
  local M=configs/chips/mini.yaml E=configs/experiments
  cat <<CASES
playback-ref|--experiment $E/playback-demo.yaml --set experiment.duration_us=300
benchmark-ref|--experiment $E/benchmark-e2e.yaml --set experiment.duration_us=100
sal-feedback-ref-fw|--set experiment.duration_us=20000 --set experiment.sensor_gain_calibration_us=10000 --set experiment.functional_window_us=10000
sal-feedback-mini-host|--chip $M --set experiment.layer_a=7 --set experiment.layer_b=7 --set experiment.executor=host --set experiment.duration_us=40000 --set experiment.sensor_gain_calibration_us=20000 --set experiment.functional_window_us=20000
sal-feedback-mini-fw|--chip $M --seed 3 --set experiment.layer_a=7 --set experiment.layer_b=7 --set experiment.duration_us=40000 --set experiment.sensor_gain_calibration_us=20000 --set experiment.functional_window_us=20000
sal-feedback-mini-stdp|--chip $M --set experiment.layer_a=5 --set experiment.layer_b=5 --set experiment.feedback_plasticity=stdp --set experiment.duration_us=20000 --set experiment.sensor_gain_calibration_us=10000
sal-feedback-mini-fa|--chip $M --set experiment.layer_a=5 --set experiment.layer_b=5 --set experiment.feedback_plasticity=none --set experiment.duration_us=20000
sal-pair-mini-fw|--chip $M --experiment $E/sal-pair.yaml --set experiment.duration_us=30000 --set experiment.sensor_gain_calibration_us=10000
sal-pair-mini-host|--chip $M --seed 2 --experiment $E/sal-pair.yaml --set experiment.executor=host --set experiment.plastic=one --set experiment.duration_us=30000 --set experiment.sensor_gain_calibration_us=10000
sampling-mini-host|--chip $M --experiment $E/sampling.yaml --set experiment.neurons=4 --set experiment.iterations=6 --set experiment.sample_us=2000 --set experiment.validation_us=10000 --set experiment.dkl_every=2
sampling-mini-fw|--chip $M --seed 2 --experiment $E/sampling.yaml --set experiment.executor=firmware --set experiment.neurons=4 --set experiment.iterations=6 --set experiment.sample_us=2000 --set experiment.validation_us=10000 --set experiment.dkl_every=2
sampling-mini-hebb|--chip $M --experiment $E/sampling.yaml --set experiment.sal=off --set experiment.neurons=3 --set experiment.iterations=4 --set experiment.sample_us=2000 --set experiment.validation_us=10000
stdp-window-mini|--chip $M --experiment $E/stdp-window.yaml --set experiment.pairs_per_point=10 --set experiment.rows=8 --set experiment.columns=8 --set experiment.trigger_rows=8
CASES
}

case "${1:-}" in
  run)
    bin=$(realpath "$2"); out=$3; filter=${4:-.}
    mkdir -p "$out"
    while IFS='|' read -r name args; do
      [[ "$name" =~ $filter ]] || continue
      rm -rf "${out:?}/$name"
      start=$(date +%s.%N)
      # shellcheck disable=SC2086
      if SALVO_NO_PLOTS=1 "$bin" -q run --out "$out/$name" $args >"$out/$name.log" 2>&1; then rc=0; else rc=$?; fi
      printf '%-26s exit %d  %5.1f s\n' "$name" "$rc" "$(echo "$(date +%s.%N) - $start" | bc)"
      echo "$rc" >"$out/$name.rc"
    done < <(cases)
    ;;
  compare)
    a=$2; b=$3; bad=0
    for d in "$a"/*/; do
      name=$(basename "$d")
      if [ ! -d "$b/$name" ]; then echo "missing in $b: $name"; bad=1; continue; fi
      cmp -s "$a/$name.rc" "$b/$name.rc" || { echo "$name: exit codes differ"; bad=1; }
      for f in "$d"*; do
        base=$(basename "$f")
        case "$base" in
          *.png) continue ;;
          summary.json)
            strip='del(.wall_time_s) | del(.salvo_version) | del(.host.threads) | del(.host.parallel_steps) | walk(if type == "object" then with_entries(select(.key | test("wall") | not)) else . end)'
            if ! diff -q <(jq -S "$strip" "$f") <(jq -S "$strip" "$b/$name/$base") >/dev/null; then
              echo "$name/$base differs:"; diff <(jq -S "$strip" "$f") <(jq -S "$strip" "$b/$name/$base") | head -20 || true; bad=1
            fi ;;
          config.yaml)
            diff -q <(grep -v salvo_version "$f") <(grep -v salvo_version "$b/$name/$base") >/dev/null ||
              { echo "$name/$base differs"; bad=1; } ;;
          *) cmp -s "$f" "$b/$name/$base" || { echo "$name/$base differs"; bad=1; } ;;
        esac
      done
      for f in "$b/$name"/*; do [ -e "$d$(basename "$f")" ] || { echo "$name: only in $b: $(basename "$f")"; bad=1; }; done
    done
    [ $bad -eq 0 ] && echo "golden: identical ($(ls -d "$a"/*/ | wc -l) runs)"
    exit $bad
    ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
