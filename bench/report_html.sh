#!/usr/bin/env bash
# The HTML report at scale, through the binary: report.html of a run folder of 1,000,000
# predictions (500,000 Banking77 tickets x the 2 offline variants), rendered by
# `verdict report RUN --format html` (reads run.json's metrics, the journal and gold.jsonl;
# draws the charts; samples the ticket table). Prints wall time, CPU, peak RSS and the page's
# size per repeat; fails when the page is 5 MB or more.
#
#   bench/report_html.sh                 # 20,000-ticket real run x 25 = 1,000,000 predictions
#   FACTOR=50 bench/report_html.sh       # 2,000,000
#   REPEATS=5 bench/report_html.sh
#
# The run folder: bench/gen_report_run.py writes 20,000 Banking77 test queries (cycled, each
# with its own id and reference number); `verdict run` classifies them with
# prompts/banking77/*.yaml (a real run, about a minute); bench/expand_run.py grows that folder
# FACTOR times (answers copied per ticket; a real 1M-prediction local run takes about 15
# minutes here, nearly all classifier) and `verdict score RUN --format json` fills its
# run.json metrics. Generated once into $DATA (default /tmp/verdict-report-run-...).
# Needs /usr/bin/time (Debian: apt-get install time) and python3. Results go to
# BENCHMARKS.md by hand ("HTML report at scale").
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
N=${N:-20000} FACTOR=${FACTOR:-25} REPEATS=${REPEATS:-3}
data=${DATA:-/tmp/verdict-report-run-$N-x$FACTOR}
bin=target/release/verdict
cargo build --release --quiet --bin verdict
if [ ! -s "$data/run/run.json" ] || ! grep -q '"metrics"' "$data/run/run.json"; then
  echo "generating $N tickets x 2 variants, grown $FACTOR times, into $data" >&2
  rm -rf "$data"
  python3 bench/gen_report_run.py --tickets "$N" --out "$data"
  "$bin" run "$data/eval.yaml" --no-cache --quiet --out "$data/small" > /dev/null
  python3 bench/expand_run.py "$data/small" "$data/run" --factor "$FACTOR"
  "$bin" score "$data/run" --format json > "$data/metrics.json"
  python3 - "$data" <<'PY'
import json, sys
d = sys.argv[1]
m = json.load(open(f"{d}/metrics.json"))
m.pop("summary", None)
run = json.load(open(f"{d}/run/run.json"))
run["metrics"] = m
json.dump(run, open(f"{d}/run/run.json", "w"), indent=2)
PY
fi
preds=$(wc -l < "$data/run/predictions.jsonl")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 "$REPEATS"); do
  /usr/bin/time -v -o "$work/time" "$bin" report "$data/run" --format html > "$work/report.html"
  wall=$(grep 'Elapsed (wall clock)' "$work/time" | awk '{print $NF}')
  user=$(grep 'User time' "$work/time" | awk '{print $NF}')
  sys=$(grep 'System time' "$work/time" | awk '{print $NF}')
  rss=$(grep 'Maximum resident' "$work/time" | awk '{print $NF}')
  size=$(stat -c %s "$work/report.html")
  printf 'report --format html #%d (%d predictions): wall %s  cpu %s + %s s  peak RSS %.0f MB  report.html %.2f MB  (load %s)\n' \
    "$i" "$preds" "$wall" "$user" "$sys" "$(awk "BEGIN{print $rss / 1024}")" "$(awk "BEGIN{print $size / 1e6}")" "$(cut -d' ' -f1 /proc/loadavg)"
  [ "$size" -lt 5000000 ] || { echo "report.html is 5 MB or more" >&2; exit 1; }
done
grep -o 'The table holds [^<]*' "$work/report.html" | head -1
