#!/usr/bin/env bash
# The HTML report at scale, through the binary: a seeded workload of 1,000,000 predictions
# (N = 500,000 tickets x V = 2 variants x K = 77 classes, journal-like records, from
# bench/gen_scale.py), then `verdict score ... --format html`, which scores every prediction
# and renders report.html with its charts and the sampled ticket table. Prints wall time, peak
# RSS and the size of the page; fails when the page is 5 MB or more.
#
#   bench/report_html.sh                    # 500,000 x 2 = 1,000,000 predictions
#   N=1000000 V=3 bench/report_html.sh      # 3,000,000 predictions
#
# Needs /usr/bin/time (Debian: apt-get install time) and python3. Results go to
# BENCHMARKS.md by hand ("HTML report at scale").
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
N=${N:-500000} V=${V:-2} K=${K:-77} SEED=${SEED:-7}
data=${DATA:-/tmp/verdict-html-$N-$V-$K-$SEED}
cargo build --release --quiet --bin verdict
if [ ! -s "$data/predictions.jsonl" ]; then
  echo "generating $N x $V x $K into $data" >&2
  python3 bench/gen_scale.py --tickets "$N" --variants "$V" --classes "$K" --seed "$SEED" --full --out "$data"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in 1 2 3; do
  /usr/bin/time -v -o "$work/time" target/release/verdict score \
    --gold "$data/eval-jsonl.yaml" --predictions "$data/predictions.jsonl" --format html \
    > "$work/report.html"
  wall=$(grep 'Elapsed (wall clock)' "$work/time" | awk '{print $NF}')
  rss=$(grep 'Maximum resident' "$work/time" | awk '{print $NF}')
  size=$(stat -c %s "$work/report.html")
  printf 'score --format html #%d (%d predictions): wall %s  peak RSS %.0f MB  report.html %.2f MB\n' \
    "$i" "$((N * V))" "$wall" "$(awk "BEGIN{print $rss / 1024}")" "$(awk "BEGIN{print $size / 1e6}")"
  [ "$size" -lt 5000000 ] || { echo "report.html is 5 MB or more" >&2; exit 1; }
done
