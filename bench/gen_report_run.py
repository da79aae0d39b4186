#!/usr/bin/env python3
"""Writes the eval of the HTML-report benchmark: N Banking77 tickets, so that a real
`verdict run` of the two offline Banking77 variants (prompts/banking77/*.yaml, trained on the
official train split) makes a run folder of N x 2 predictions with real answers, confidences,
mistakes and disagreements.

    python3 bench/gen_report_run.py --tickets 500000 --out /tmp/report-run

The tickets cycle (with a prime stride) through the official test split (3,080 labelled queries, gold labels as
given) with a reference number appended so every ticket is its own (`... (ref 123456)`); every
fifth ticket carries one of three tags, so slices are drawn too. Deterministic: the same
arguments write the same bytes. Standard library only.

Files written into --out: gold.csv (id, text, category, tag) and eval.yaml (the Banking77
eval's calibration and routing settings, the repository's two local variants by absolute path).
"""

import argparse
import csv
import os

TAGS = ["lang:en", "lang:de", "vip"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=500_000)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    with open(os.path.join(repo, "evals/banking77/test.csv"), newline="", encoding="utf-8") as f:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(f)]
    os.makedirs(a.out, exist_ok=True)
    width = len(str(a.tickets))
    with open(os.path.join(a.out, "gold.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "text", "category", "tag"])
        for i in range(a.tickets):
            # A prime stride: any 3,080 tickets in a row hold every query once.
            text, category = rows[(i * 7919) % len(rows)]
            tag = TAGS[(i // 5) % 3] if i % 5 == 0 else ""
            w.writerow([f"B{i + 1:0{width}d}", f"{text} (ref {i + 1})", category, tag])
    with open(os.path.join(a.out, "eval.yaml"), "w", encoding="utf-8") as f:
        f.write(
            f"name: banking77-x{a.tickets}\n"
            "description: Banking77's test split, cycled to a large gold set (bench/gen_report_run.py).\n"
            "gold: {path: gold.csv, id: id, text: text, labels: {intent: category}, tags: [tag]}\n"
            f"variants:\n  - {repo}/prompts/banking77/*.yaml\n"
            "run: {seed: 77}\n"
            "calibration: {field: intent, bins: 10}\n"
            "routing: {field: intent, route_at: 0.9, clarify_at: 0.7, target_accuracy: 0.98}\n"
        )


if __name__ == "__main__":
    main()
