#!/usr/bin/env bash
# salvo vs Brian2 on the same network, in one go: the reference chip under full load
# (configs/experiments/benchmark-e2e.yaml: 512 neurons, 131 072 synapses, Poisson input on
# every row, correlation sensors, mismatch, membrane noise, event buses) and its Brian2 2.5
# cpp_standalone equivalent (bench/brian2_e2e.py), alternately, with 1 and 2 threads each.
# Prints seconds of wall time per ms of hardware time (= per biological second) and the
# ratio Brian2 / salvo. Brian2's figure excludes its code generation and compilation;
# salvo's is the experiment's own wall time (chip set-up included, start-up excluded).
#
#   bench/compare-brian2.sh [--duration-us 5000] [--repeats 3] [--threads "1 2"] [--salvo BIN]
#
# Needs Debian's python3-brian (`scripts/setup --brian2` installs it) and a Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
duration_us=5000 repeats=3 threads="1 2" salvo=build/bin/salvo
while [ $# -gt 0 ]; do
  case "$1" in
    --duration-us) duration_us=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --salvo) salvo=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "compare-brian2.sh: unknown option $1 (allowed: --duration-us, --repeats, --threads, --salvo)" >&2; exit 2 ;;
  esac
done
py=/usr/bin/python3
if ! $py -c 'import brian2' 2>/dev/null; then
  echo "compare-brian2.sh: Brian2 missing; installing python3-brian (scripts/setup --brian2)" >&2
  scripts/setup --brian2
fi
[ -x "$salvo" ] || { echo "compare-brian2.sh: $salvo not found: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build" >&2; exit 2; }
work=$(mktemp -d /tmp/compare-brian2.XXXXXX)
trap 'rm -rf "$work"' EXIT
bio_ms=$(echo "$duration_us / 1000" | bc -l)
hw_ms=$(echo "$duration_us / 1000" | bc -l)

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $repeats repeats, ${duration_us} µs of hardware time"
printf '%-8s %-22s %-22s %s\n' threads "salvo s/ms (median)" "Brian2 s/bio-s (median)" "Brian2 / salvo"
for t in $threads; do
  : >"$work/salvo.$t" ; : >"$work/brian.$t"
  for r in $(seq "$repeats"); do
    "$salvo" -q run --no-plots --threads "$t" --experiment configs/experiments/benchmark-e2e.yaml \
      --set experiment.duration_us="$duration_us" --out "$work/salvo-$t-$r" >/dev/null
    jq -r --argjson ms "$hw_ms" '.wall_time_s / $ms' "$work/salvo-$t-$r/summary.json" >>"$work/salvo.$t"
    $py bench/brian2_e2e.py --duration-ms "$bio_ms" --threads "$t" --build-dir "$work/brian2-$t" \
      2>/dev/null | tail -n 1 >"$work/brian-$t-$r.json"
    jq -r '.s_per_bio_s' "$work/brian-$t-$r.json" >>"$work/brian.$t"
  done
  s=$(median <"$work/salvo.$t"); b=$(median <"$work/brian.$t")
  printf '%-8s %-22.3f %-22.3f %.1fx\n' "$t" "$s" "$b" "$(echo "$b / $s" | bc -l)"
done
spikes_salvo=$(jq .spikes "$work/salvo-1-1/summary.json" 2>/dev/null || echo "?")
spikes_brian=$(jq .spikes "$work/brian-1-1.json" 2>/dev/null || echo "?")
echo "spikes in ${duration_us} µs: salvo $spikes_salvo, Brian2 $spikes_brian (same network statistics, different simulators and random streams)"
