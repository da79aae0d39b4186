#!/usr/bin/env python3
"""Writes a seeded scoring workload for `verdict score` at scale: one gold set of N tickets
with one single-label field of K classes, in all three gold formats (YAML, CSV, JSONL), an
eval config for each, and predictions.jsonl with N x V records (repeat 0).

    python3 bench/gen_scale.py --tickets 1000000 --variants 3 --classes 77 --out /tmp/scale

Deterministic: the same arguments (and --seed) write the same bytes. Standard library only.

Predictions look like what an external classifier or a verdict run writes: outcome (98.5 %
`ok`, the rest `invalid_output`, `no_tool_call` or `provider_error`), the predicted label
(variant v is right about 80 + 4v % of the time; when wrong, another class uniformly),
a confidence correlated with being right, latency and token usage. Every fifth ticket carries
one of three tags (`lang:en`, `lang:de`, `vip`), so slices are scored too. `--full` adds the
fields a run's own journal carries, every one, as `verdict run` writes them (tool, raw tool
input, usage with cache tokens, cost, request id, attempts, error, stop reason, end-to-end
latency and the request's span): what `verdict compare` and `verdict gate` read at scale.

Files written into --out:
  gold.yaml, gold.csv, gold.jsonl        the gold set, three ways
  eval-yaml.yaml, eval-csv.yaml, eval-jsonl.yaml
                                         eval configs naming each (calibration + routing on)
  train.csv, variant.yaml                a tiny local variant the eval configs need to validate
  predictions.jsonl                      N x V records
"""

import argparse
import json
import os
import random

WORDS = (
    "card payment transfer refund account balance pending declined top up atm cash fee "
    "exchange rate pin blocked lost stolen app verify identity limit salary direct debit "
    "charge wrong amount beneficiary statement contactless virtual disposable apple pay"
).split()
TAGS = ["lang:en", "lang:de", "vip"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--variants", type=int, default=3)
    ap.add_argument("--classes", type=int, default=77)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--full", action="store_true", help="records as `verdict run` journals them (every field; bigger lines)")
    ap.add_argument(
        "--pred-seed",
        type=int,
        help="seed the predictions apart from the gold set (a second run over the same gold)",
    )
    ap.add_argument(
        "--skill",
        type=float,
        default=0.0,
        help="added to every variant's chance of being right (e.g. -0.01 for a worse run)",
    )
    ap.add_argument(
        "--only-predictions",
        action="store_true",
        help="write predictions.jsonl only (the gold set is still drawn, not written)",
    )
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    classes = [f"intent_{k:02d}" for k in range(a.classes)]
    width = len(str(a.tickets))

    ids, texts, golds, tags = [], [], [], []
    for i in range(a.tickets):
        ids.append(f"T{i + 1:0{width}d}")
        g = rng.randrange(a.classes)
        golds.append(g)
        n_words = rng.randint(5, 12)
        texts.append(" ".join(rng.choice(WORDS) for _ in range(n_words)) + f" {classes[g]}")
        tags.append(TAGS[(i // 5) % 3] if i % 5 == 0 else "")

    def out(name):
        return open(os.path.join(a.out, name), "w", encoding="utf-8", newline="\n")

    if a.only_predictions:
        write_predictions(a, rng, ids, golds, classes, out)
        return
    with out("gold.yaml") as f:
        f.write("fields:\n  intent:\n    kind: label\n    values: [")
        f.write(", ".join(classes))
        f.write("]\ntickets:\n")
        for i in range(a.tickets):
            f.write(f"  - id: {ids[i]}\n    text: {json.dumps(texts[i])}\n")
            f.write(f"    labels: {{intent: {classes[golds[i]]}}}\n")
            if tags[i]:
                f.write(f"    tags: [{json.dumps(tags[i])}]\n")
    with out("gold.csv") as f:
        f.write("id,text,intent,tag\n")
        for i in range(a.tickets):
            f.write(f"{ids[i]},{texts[i]},{classes[golds[i]]},{tags[i]}\n")
    with out("gold.jsonl") as f:
        for i in range(a.tickets):
            row = {"id": ids[i], "text": texts[i], "intent": classes[golds[i]]}
            if tags[i]:
                row["tag"] = tags[i]
            f.write(json.dumps(row) + "\n")

    # A tiny local variant: eval configs need one, `verdict score` does not run it.
    with out("train.csv") as f:
        f.write("text,intent\n")
        for c in classes:
            f.write(f"example for {c},{c}\n")
    with out("variant.yaml") as f:
        f.write(
            "name: local\nprovider: local\nlocal:\n"
            "  train: {path: train.csv, text: text, labels: {intent: intent}}\n"
            "  features: [word_1_2]\n"
        )
    settings = (
        "variants: [variant.yaml]\n"
        "run: {seed: 7}\n"
        "calibration: {field: intent, bins: 10}\n"
        "routing: {field: intent, route_at: 0.9, clarify_at: 0.7, target_accuracy: 0.98}\n"
    )
    with out("eval-yaml.yaml") as f:
        f.write(f"name: scale-yaml\ngold: gold.yaml\n{settings}")
    for fmt in ("csv", "jsonl"):
        with out(f"eval-{fmt}.yaml") as f:
            f.write(
                f"name: scale-{fmt}\n"
                f"gold: {{path: gold.{fmt}, id: id, text: text, labels: {{intent: intent}}, tags: [tag]}}\n"
                f"{settings}"
            )

    write_predictions(a, rng, ids, golds, classes, out)


def write_predictions(a, rng, ids, golds, classes, out):
    if a.pred_seed is not None:
        rng = random.Random(a.pred_seed)
    other_outcomes = ["invalid_output", "no_tool_call", "provider_error"]
    base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    # --full: the runs' clock, from 2026-11-27 00:00 UTC, one request started every 2 ms.
    clock = 1_764_201_600_000
    with out("predictions.jsonl") as f:
        for v in range(a.variants):
            name = f"variant-{v + 1}"
            p_right = min(0.99, 0.80 + 0.04 * v + a.skill)
            lines = []
            for i in range(a.tickets):
                rec = {"v": 1, "variant": name, "ticket": ids[i], "repeat": 0}
                u = rng.random()
                if u < 0.015:
                    rec["outcome"] = other_outcomes[int(u / 0.005)]
                    if not a.full:
                        rec["error"] = "generated failure"
                else:
                    rec["outcome"] = "ok"
                    g = golds[i]
                    right = rng.random() < p_right
                    p = g if right else (g + 1 + rng.randrange(a.classes - 1)) % a.classes
                    rec["outputs"] = {"intent": classes[p]}
                    c = rng.betavariate(8, 2) if right else rng.betavariate(4, 3)
                    rec["confidence"] = round(c, 4)
                if a.full:
                    rec = full_record(rec, rng, base62, clock + 2 * (v * a.tickets + i))
                else:
                    rec["latency_ms"] = round(rng.lognormvariate(6.0, 0.4), 1)
                    rec["usage"] = {"input_tokens": 300 + rng.randrange(200), "output_tokens": 30}
                lines.append(json.dumps(rec, separators=(",", ":")))
                if len(lines) >= 100_000:
                    f.write("\n".join(lines) + "\n")
                    lines = []
            if lines:
                f.write("\n".join(lines) + "\n")


def full_record(rec, rng, base62, started_at_ms):
    """`rec` (v, variant, ticket, repeat, outcome and, when `ok`, outputs and confidence) as
    `verdict run` journals a classification by an Anthropic variant: every field of
    PredictionRecord in its order, as serde writes it (tests/bench_data.rs checks that each
    line reads and writes back byte for byte). A provider error got no response: no tool, no
    usage, no cost, no stop reason. Latencies are unrounded milliseconds, as the runner
    measures them."""
    ok = rec["outcome"] == "ok"
    received = rec["outcome"] != "provider_error"
    out = dict(rec)
    out["outputs"] = rec.get("outputs", {})
    out["confidence"] = rec.get("confidence")
    if ok:
        out["tool"] = "classify"
        out["raw"] = {"intent": rec["outputs"]["intent"], "confidence": rec["confidence"]}
    elif rec["outcome"] == "invalid_output":
        out["tool"] = "classify"
        out["raw"] = {"intent": "none of the listed intents", "confidence": 0.5}
    else:
        out["tool"] = None
        out["raw"] = None
    latency = rng.lognormvariate(6.0, 0.4)
    attempts = 2 if rng.random() < 0.02 else 1
    e2e = latency + rng.uniform(0.05, 0.6) + (attempts - 1) * rng.uniform(500.0, 2000.0)
    if received:
        inp = 300 + rng.randrange(200)
        out["usage"] = {
            "input_tokens": inp,
            "output_tokens": 30,
            "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 0,
        }
        # Claude Sonnet list prices: $3 / $15 per million input / output tokens.
        out["cost_usd"] = round((inp * 3 + 30 * 15) / 1e6, 9)
    else:
        out["usage"] = None
        out["cost_usd"] = None
    out["latency_ms"] = latency
    out["cached"] = False
    out["request_id"] = "msg_01" + "".join(rng.choice(base62) for _ in range(22))
    out["attempts"] = attempts
    out["error"] = {
        "ok": None,
        "invalid_output": "classify: property `intent` = \"none of the listed intents\": "
        "not one of the field's values",
        "no_tool_call": "the model answered without calling the tool",
        "provider_error": "HTTP 529 overloaded_error: Overloaded (after 4 attempts)",
    }[rec["outcome"]]
    if received:
        out["stop_reason"] = "tool_use" if rec["outcome"] != "no_tool_call" else "end_turn"
    out["latency_e2e_ms"] = e2e
    out["started_at_ms"] = started_at_ms
    out["finished_at_ms"] = started_at_ms + round(e2e)
    return out


if __name__ == "__main__":
    main()
