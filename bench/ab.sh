#!/usr/bin/env bash
# Interleaved A/B of two verdict binaries on the 1M benchmarks: each round runs, for each
# binary in turn, `verdict score` with the three gold formats, the README's main command,
# `verdict gate` and `verdict compare`, so a slow or fast period of the machine hits both
# binaries alike. Prints one line per command and binary: the wall times (sorted) and peak
# RSS in KB, from GNU time.
#
#   bench/ab.sh OLD_BINARY NEW_BINARY [ROUNDS]     # default 5 rounds
#
# Data: `bench/score_scale.sh` (or `python3 bench/gen_scale.py --tickets 1000000 --variants 3
# --classes 77 --seed 7 --out /tmp/verdict-scale-1000000-3-77-7`) and
# `KEEP=1 GEN_ONLY=1 bench/gate_scale.sh`; SCORE_DATA and GATE_DATA override the folders.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
a=$(realpath "$1") b=$(realpath "$2") rounds=${3:-5}
S=${SCORE_DATA:-/tmp/verdict-scale-1000000-3-77-7}
D=${GATE_DATA:-/tmp/verdict-gate-scale-1000000-3-77-7}
for f in "$S/predictions.jsonl" "$D/cand/predictions.jsonl"; do
  [ -s "$f" ] || { echo "missing $f: generate the data first (see the header)" >&2; exit 2; }
done
out=$(mktemp) work=$(mktemp -d)
trap 'rm -rf "$out" "$work"' EXIT
t() { # label binary command...
  local label=$1 bin=$2; shift 2
  /usr/bin/time -f "$label $bin %e %M" -o "$work/t" "$@" > /dev/null 2> "$work/err" || true
  tail -n 1 "$work/t" >> "$out" # (GNU time says first when the exit code is not 0: gate exits 1)
}
for _ in $(seq "$rounds"); do
  for bin in "$a" "$b"; do
    for f in jsonl csv yaml; do
      t "score-$f" "$bin" "$bin" score --gold "$S/eval-$f.yaml" --predictions "$S/predictions.jsonl"
    done
    t main "$bin" "$bin" run evals/banking77.yaml --out "$work/run" --quiet
    rm -rf "$work/run"
    t gate "$bin" "$bin" gate "$D/cand" --baseline "$D/base" --rules "$D/rules.yaml"
    t compare "$bin" "$bin" compare "$D/base" "$D/cand" --format json
  done
done
sort -k1,1 -k2,2 -k3,3n "$out" | awk '{k=$1" "$2; w[k]=w[k]" "$3; m[k]=m[k]" "$4} END {for (k in w) print k " | wall s:" w[k] " | peak KB:" m[k]}' | sort
