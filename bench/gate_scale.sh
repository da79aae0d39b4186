#!/usr/bin/env bash
# `verdict compare` and `verdict gate` at scale, through the binary: two finished run folders
# (a baseline and a candidate: the same gold set, answers drawn with another seed and a
# slightly lower skill) of N tickets x V variants x K classes, then
#   verdict compare BASE CAND --format json > /dev/null
#   verdict gate CAND --baseline BASE --rules R     (a floor, a max_drop, a significant_drop)
# with hyperfine when installed, and 5 runs each under GNU time (median wall, peak RSS); then
# both again without the folders' graded.bin (the journals read and graded).
#
#   bench/gate_scale.sh                  # 1,000,000 x 3 x 77 (about 2.3 GB in /tmp)
#   N=100000 bench/gate_scale.sh         # smaller
#   KEEP=1 bench/gate_scale.sh           # keep the run folders for the next call
#   NO_BUILD=1 bench/gate_scale.sh       # time target/release/verdict as it is
#   KEEP=1 GEN_ONLY=1 bench/gate_scale.sh  # only make the folders (and rules.yaml)
#
# The folders are made by verdict itself: a real `verdict run` of three local variants on a
# 5-ticket copy of the gold set gives run.json (version 2, complete) and snapshot.json, then
# bench/gen_scale.py writes the full gold.jsonl and the journals, and the ticket counts are
# set to N. Needs python3 and /usr/bin/time (Debian: apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
N=${N:-1000000} V=${V:-3} K=${K:-77} SEED=${SEED:-7}
data=${DATA:-/tmp/verdict-gate-scale-$N-$V-$K-$SEED}
bin=$PWD/target/release/verdict
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet --bin verdict
[ -n "${KEEP:-}" ] || trap 'rm -rf "$data"' EXIT

if [ ! -s "$data/cand/predictions.jsonl" ]; then
  echo "generating two run folders of $N x $V x $K into $data" >&2
  rm -rf "$data" && mkdir -p "$data/gen" "$data/tmpl"
  python3 bench/gen_scale.py --tickets "$N" --variants "$V" --classes "$K" --seed "$SEED" --full --out "$data/gen"
  # The template run: V local variants named like the generated ones, on one ticket per
  # class (so the field's values are every class, in order).
  for k in $(seq 0 $((K - 1))); do
    printf '{"id":"X%d","text":"example","intent":"intent_%02d","tag":"vip"}\n' "$k" "$k"
  done > "$data/tmpl/gold.jsonl"
  cp "$data/gen/train.csv" "$data/tmpl/"
  variants=""
  for v in $(seq 1 "$V"); do
    sed "s/^name: local/name: variant-$v/" "$data/gen/variant.yaml" > "$data/tmpl/variant-$v.yaml"
    variants="$variants variant-$v.yaml,"
  done
  cat > "$data/tmpl/eval.yaml" <<YAML
name: gate-scale
gold: {path: gold.jsonl, id: id, text: text, labels: {intent: intent}, tags: [tag]}
variants: [${variants%,} ]
run: {seed: $SEED}
calibration: {field: intent, bins: 10}
routing: {field: intent, route_at: 0.9, clarify_at: 0.7, target_accuracy: 0.98}
YAML
  "$bin" run "$data/tmpl/eval.yaml" --out "$data/tmpl/run" --quiet > /dev/null
  python3 - "$data" "$N" <<'PY'
import json, os, shutil, sys
data, n = sys.argv[1], int(sys.argv[2])
tmpl = os.path.join(data, "tmpl", "run")
base, cand = os.path.join(data, "base"), os.path.join(data, "cand")
os.makedirs(base)
run = json.load(open(os.path.join(tmpl, "run.json")))
run["spec"]["gold_tickets"] = n
run.pop("metrics", None)  # compare and gate grade the journal; they never read it
snap = json.load(open(os.path.join(tmpl, "snapshot.json")))
snap["n_tickets"] = n
snap["eval"]["gold_tickets"] = n
json.dump(run, open(os.path.join(base, "run.json"), "w"), indent=2)
json.dump(snap, open(os.path.join(base, "snapshot.json"), "w"), indent=2)
# gold.jsonl as a run folder holds it: id, text, labels, tags.
with open(os.path.join(data, "gen", "gold.jsonl")) as src, open(os.path.join(base, "gold.jsonl"), "w") as dst:
    for line in src:
        row = json.loads(line)
        t = {"id": row["id"], "text": row["text"], "labels": {"intent": row["intent"]}}
        if "tag" in row:
            t["tags"] = [row["tag"]]
        dst.write(json.dumps(t, separators=(",", ":")) + "\n")
os.makedirs(cand)
for f in ("run.json", "snapshot.json", "gold.jsonl"):
    shutil.copy(os.path.join(base, f), os.path.join(cand, f))
PY
  mv "$data/gen/predictions.jsonl" "$data/base/predictions.jsonl"
  python3 bench/gen_scale.py --tickets "$N" --variants "$V" --classes "$K" --seed "$SEED" --full \
    --pred-seed $((SEED + 1)) --skill -0.01 --only-predictions --out "$data/cand"
  rm -rf "$data/gen" "$data/tmpl"
  # Each folder finished as `verdict run` leaves one: `--resume` answers the tickets whose
  # generated record failed (the local variants, offline), then writes run.json's metrics,
  # report.html and graded.bin (the journal graded, which compare and gate read instead).
  for side in base cand; do
    "$bin" run --resume "$data/$side" --quiet > /dev/null
  done
fi
cat > "$data/rules.yaml" <<'YAML'
rules:
  - {metric: accuracy, min: 0.5}
  - {metric: macro_f1, max_drop: 0.05}
  - {metric: accuracy, significant_drop: {margin: 0.005}}
YAML
du -sh "$data"/base "$data"/cand >&2
[ -z "${GEN_ONLY:-}" ] || exit 0

compare=("$bin" compare "$data/base" "$data/cand" --format json)
gate=("$bin" gate "$data/cand" --baseline "$data/base" --rules "$data/rules.yaml")
# Gate exits 1 when a rule fails; the benchmark times it either way.
"${gate[@]}" > "$data/gate.txt" || [ $? -eq 1 ]
head -1 "$data/gate.txt" >&2
if command -v hyperfine > /dev/null; then
  hyperfine --warmup 1 --runs 5 -i "${compare[*]} > /dev/null" "${gate[*]} > /dev/null"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${KEEP:-}" ] || rm -rf "$data"' EXIT
measure() { # label, command...
  local label=$1; shift
  local walls=() rsss=()
  for i in 1 2 3 4 5; do
    /usr/bin/time -v -o "$work/time" "$@" > /dev/null 2> "$work/err" || [ $? -eq 1 ] || {
      echo "$label: failed" >&2; cat "$work/err" >&2; exit 1; }
    walls+=("$(grep 'Elapsed (wall clock)' "$work/time" | awk '{print $NF}' | awk -F: '{print ($1 * 60) + $2}')")
    rsss+=("$(grep 'Maximum resident' "$work/time" | awk '{print $NF}')")
  done
  printf '%-20s median wall %s s (runs: %s)  peak RSS %.0f MB  (load %s)\n' "$label" \
    "$(printf '%s\n' "${walls[@]}" | sort -g | sed -n 3p)" "${walls[*]}" \
    "$(printf '%s\n' "${rsss[@]}" | sort -g | tail -1 | awk '{print $1 / 1024}')" \
    "$(cut -d' ' -f1 /proc/loadavg)"
}
measure compare "${compare[@]}"
measure gate "${gate[@]}"
# The same without graded.bin (a folder from an older verdict, or with its journal edited):
# both journals read and graded.
trap 'for side in base cand; do [ ! -e "$work/$side.graded.bin" ] || mv "$work/$side.graded.bin" "$data/$side/graded.bin"; done; rm -rf "$work"; [ -n "${KEEP:-}" ] || rm -rf "$data"' EXIT
for side in base cand; do mv "$data/$side/graded.bin" "$work/$side.graded.bin"; done
measure "compare (journals)" "${compare[@]}"
measure "gate (journals)" "${gate[@]}"
