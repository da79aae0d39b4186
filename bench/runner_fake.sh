#!/usr/bin/env bash
# The LLM runner against the fake API server: Banking77's 3,080 test queries x 2 Anthropic
# variants at concurrency 32, every answer delayed 200 ms (ideal wall time:
# 2 x ceil(3080/32) x 0.2 s = 38.8 s; 38.5 s without rounding). Then the same run again,
# fully served from the response cache. Measures wall time, the client's CPU (user+sys) and
# peak RSS with GNU time; the fake server is a separate process and is not counted.
#
#   bench/runner_fake.sh            # needs /usr/bin/time (Debian: apt-get install time)
#
# Results go to BENCHMARKS.md by hand ("LLM runner against the fake server").
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
cargo build --release --quiet --bin verdict --bin verdict-fake-server
bench/gen_banking77_fake.sh

work=$(mktemp -d)
trap 'kill "$fake_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
target/release/verdict-fake-server --port 0 --latency-ms 200 > "$work/url" &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.05; done
export ANTHROPIC_BASE_URL=$(head -1 "$work/url") ANTHROPIC_API_KEY=bench-not-a-key CI=1

measure() { # label, out dir
  /usr/bin/time -v -o "$work/$1.time" target/release/verdict run bench/banking77-fake.yaml \
    --concurrency 32 --out "$work/$2" --cache-dir "$work/cache" --format json > "$work/$1.json"
  local wall user sys rss
  wall=$(grep 'Elapsed (wall clock)' "$work/$1.time" | awk '{print $NF}')
  user=$(grep 'User time' "$work/$1.time" | awk '{print $NF}')
  sys=$(grep 'System time' "$work/$1.time" | awk '{print $NF}')
  rss=$(grep 'Maximum resident' "$work/$1.time" | awk '{print $NF}')
  local lines cached
  lines=$(wc -l < "$work/$2/predictions.jsonl")
  cached=$(grep -c '"cached":true' "$work/$2/predictions.jsonl" || true)
  printf '%-8s wall %s  cpu %.2f s (user %s + sys %s)  peak RSS %.1f MB  %s records, %s cached\n' \
    "$1" "$wall" "$(awk "BEGIN{print $user + $sys}")" "$user" "$sys" "$(awk "BEGIN{print $rss / 1024}")" \
    "$lines" "$cached"
}
measure fresh run1
measure cached run2
