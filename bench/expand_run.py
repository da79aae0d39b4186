#!/usr/bin/env python3
"""Grows a finished run folder FACTOR times, for the HTML-report benchmark: ticket k of the
new folder is a copy of ticket k mod N of the source (its own id `B<k+1>`, its reference
number `(ref k+1)` in the text, its tag by the generator's rule) and every variant's answer
to it is the source's answer to that ticket (same outcome, output, confidence, latency).

    python3 bench/expand_run.py SRC_RUN DST_RUN --factor 25

Writes gold.jsonl, predictions.jsonl and snapshot.json (n_tickets, gold_tickets) and a
run.json marked complete whose metrics the caller fills in with `verdict score DST_RUN
--format json` (bench/report_html.sh does). Standard library only. Why: a real local run of
1,000,000 predictions takes about 15 minutes of a 2-core machine's time, most of it the
classifier; the report does not care where the answers came from.
"""

import argparse
import json
import os
import re

TAGS = ["lang:en", "lang:de", "vip"]
REF = re.compile(r" \(ref \d+\)$")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--factor", type=int, default=25)
    a = ap.parse_args()
    os.makedirs(a.dst, exist_ok=True)
    gold = [json.loads(l) for l in open(os.path.join(a.src, "gold.jsonl"), encoding="utf-8")]
    n = len(gold)
    total = n * a.factor
    width = len(str(total))
    ids = [f"B{k + 1:0{width}d}" for k in range(total)]
    with open(os.path.join(a.dst, "gold.jsonl"), "w", encoding="utf-8") as f:
        for k in range(total):
            t = dict(gold[k % n])
            t["id"] = ids[k]
            t["text"] = REF.sub("", t["text"]) + f" (ref {k + 1})"
            t.pop("tags", None)
            if k % 5 == 0:
                t["tags"] = [TAGS[(k // 5) % 3]]
            f.write(json.dumps(t, ensure_ascii=False, separators=(",", ":")) + "\n")
    index = {t["id"]: i for i, t in enumerate(gold)}
    by_variant = {}
    for l in open(os.path.join(a.src, "predictions.jsonl"), encoding="utf-8"):
        r = json.loads(l)
        if r.get("repeat", 0) == 0:
            by_variant.setdefault(r["variant"], [None] * n)[index[r["ticket"]]] = r
    with open(os.path.join(a.dst, "predictions.jsonl"), "w", encoding="utf-8") as f:
        for recs in by_variant.values():
            for k in range(total):
                r = dict(recs[k % n])
                r["ticket"] = ids[k]
                f.write(json.dumps(r, separators=(",", ":")) + "\n")
    snap = json.load(open(os.path.join(a.src, "snapshot.json"), encoding="utf-8"))
    snap["n_tickets"] = total
    snap["eval"]["gold_tickets"] = total
    json.dump(snap, open(os.path.join(a.dst, "snapshot.json"), "w", encoding="utf-8"))
    run = json.load(open(os.path.join(a.src, "run.json"), encoding="utf-8"))
    run["spec"]["gold_tickets"] = total
    run["spec"]["run_id"] += f"-x{a.factor}"
    run["status"] = "complete"
    run.pop("metrics", None)
    json.dump(run, open(os.path.join(a.dst, "run.json"), "w", encoding="utf-8"), indent=2)


if __name__ == "__main__":
    main()
