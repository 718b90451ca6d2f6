#!/bin/sh
# Stand-in for `salvo run` in the sweep tests. Takes the same options and does what the
# overrides ask, so one spec can contain points that succeed, fail, crash or hang:
#   experiment.behaviour = ok | fail | crash | hang | badinput | nosummary   (default ok)
#   experiment.sleep_s   = seconds to take before finishing                  (default 0)
#   chip.mismatch.scale  = x; the metrics are x, seed and score = 10 x + seed
#   --calibration C      = C (auto or a path) becomes the metric "calibration" (absent without)
# It writes summary.json atomically (temporary + rename), like salvo run.
out="" seed=1 behaviour=ok x=0 sleep_s=0 calibration=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --chip|--experiment) shift 2 ;;
    --calibration) calibration=$2; shift 2 ;;
    --set)
      case "$2" in
        experiment.behaviour=*) behaviour=${2#*=} ;;
        experiment.sleep_s=*) sleep_s=${2#*=} ;;
        chip.mismatch.scale=*) x=${2#*=} ;;
      esac
      shift 2 ;;
    *) echo "standin: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "standin: no --out" >&2; exit 2; }
echo "$PPID" > "$out/ppid"
echo "$$" > "$out/pid"
echo "standin: seed $seed, x $x, behaviour $behaviour"
[ "$sleep_s" = 0 ] || sleep "$sleep_s"
score=$(awk -v x="$x" -v s="$seed" 'BEGIN { printf "%.10g", 10 * x + s }')
write_summary() {
  printf '{"salvo_version": "standin", "chip": {"name": "standin"}, "experiment": {"name": "standin"}, "seed": %s, "emulated_time_us": 1000, "wall_time_s": 0.001, "spikes": 7, "bus": {"events": 3, "dropped": 0}, "ppu": {"instructions": 100, "cycles": 120}, "metrics": {"x": %s, "seed": %s, "score": %s, "passed": true, "label": "a, \\"quoted\\" label"%s}}\n' \
    "$seed" "$x" "$seed" "$score" "${calibration:+, \"calibration\": \"$calibration\"}" > "$out/summary.json.tmp"
  mv "$out/summary.json.tmp" "$out/summary.json"
}
case "$behaviour" in
  ok) write_summary; exit 0 ;;
  fail) write_summary; echo "standin: working..." >&2; echo "salvo: the experiment's check failed: score $score too low" >&2; exit 1 ;;
  crash) echo "standin: about to crash" >&2; kill -SEGV $$; sleep 5; exit 0 ;;
  hang) echo "standin: hanging" >&2; sleep 30 & echo "$!" > "$out/sleep.pid"; wait; exit 0 ;;
  badinput) echo "salvo: error: chip.yaml:3:5: chip.mismatch.scale: -1 is out of range (allowed: >= 0)" >&2; exit 2 ;;
  nosummary) exit 0 ;;
  *) echo "standin: unknown behaviour '$behaviour'" >&2; exit 2 ;;
esac
