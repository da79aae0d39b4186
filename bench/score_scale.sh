#!/usr/bin/env bash
# `verdict score` at scale, through the binary, per gold format: N tickets x V variants x K
# classes from bench/gen_scale.py (seeded), then the README's main command (median of 5).
# Wall time and peak RSS come from GNU time (`/usr/bin/time -v`).
#
#   bench/score_scale.sh                       # 1,000,000 x 3 x 77 (about 0.9 GB in /tmp)
#   N=100000 bench/score_scale.sh              # smaller
#   SKIP_MAIN=1 bench/score_scale.sh           # only the scoring rows
#
# Needs /usr/bin/time (Debian: apt-get install time) and python3. Results go to
# BENCHMARKS.md by hand ("Scoring at scale").
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
N=${N:-1000000} V=${V:-3} K=${K:-77} SEED=${SEED:-7}
data=${DATA:-/tmp/verdict-scale-$N-$V-$K-$SEED}
cargo build --release --quiet --bin verdict
if [ ! -s "$data/predictions.jsonl" ]; then
  echo "generating $N x $V x $K into $data" >&2
  python3 bench/gen_scale.py --tickets "$N" --variants "$V" --classes "$K" --seed "$SEED" --out "$data"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -v -o "$work/time" "$@" > "$work/out" 2> "$work/err" || {
    echo "$label: failed" >&2; cat "$work/err" >&2; exit 1; }
  local wall user sys rss
  wall=$(grep 'Elapsed (wall clock)' "$work/time" | awk '{print $NF}')
  user=$(grep 'User time' "$work/time" | awk '{print $NF}')
  sys=$(grep 'System time' "$work/time" | awk '{print $NF}')
  rss=$(grep 'Maximum resident' "$work/time" | awk '{print $NF}')
  printf '%-28s wall %s  cpu user %s + sys %s s  peak RSS %.0f MB  (load %s)\n' \
    "$label" "$wall" "$user" "$sys" "$(awk "BEGIN{print $rss / 1024}")" "$(cut -d' ' -f1 /proc/loadavg)"
}
for fmt in jsonl csv yaml; do
  measure "score, gold $fmt" target/release/verdict score \
    --gold "$data/eval-$fmt.yaml" --predictions "$data/predictions.jsonl" --format json
done
cp "$work/out" "$work/report.json"
if [ -z "${SKIP_MAIN:-}" ]; then
  for i in 1 2 3 4 5; do
    measure "run evals/banking77.yaml #$i" target/release/verdict run evals/banking77.yaml --out "$work/b77-$i"
  done
fi
