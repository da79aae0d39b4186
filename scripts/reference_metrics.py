#!/usr/bin/env python3
"""Reference values for verdict's metrics and statistics.

Generates tests/fixtures/reference/*.json from scikit-learn, statsmodels,
scipy, numpy and the p-lambda `uncertainty-calibration` package (the one HELM
calls for `ece_10_bin`). The Rust tests in tests/metrics_reference.rs load
every fixture and compare every value to 1e-9. CI runs only the Rust tests;
re-run this script after changing a definition:

    python3 -m venv /tmp/refenv
    /tmp/refenv/bin/pip install -r scripts/requirements.txt
    /tmp/refenv/bin/python scripts/reference_metrics.py            # fixtures
    /tmp/refenv/bin/python scripts/reference_metrics.py --bench    # timing

Everything is seeded: the output is byte-identical between runs with the same
package versions.

Things that no library defines (routing bands, risk-coverage, AURC, the
target-accuracy threshold, repeats, the McNemar sample-size formula) are
computed here with plain numpy from the definitions in docs/metrics.md.
"""

import argparse
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import scipy
import sklearn
import statsmodels
from scipy import stats as sps
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    cohen_kappa_score,
    confusion_matrix,
    hamming_loss,
    jaccard_score,
    precision_recall_fscore_support,
)
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

import calibration as cal  # the uncertainty-calibration package

warnings.filterwarnings("ignore")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "reference")
INVALID = -1  # marker for an invalid single-label prediction

VERSIONS = {
    "python": sys.version.split()[0],
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-learn": sklearn.__version__,
    "statsmodels": statsmodels.__version__,
}


def fl(x):
    """float, or None for nan (undefined)."""
    x = float(x)
    return None if math.isnan(x) else x


# ---------------------------------------------------------------- single-label


def single_label_expected(k, gold, pred):
    y = np.array(gold, dtype=np.int64)
    yp = np.array([INVALID if p is None else p for p in pred], dtype=np.int64)
    n = len(y)
    valid = yp != INVALID
    # L = classes present in gold or valid predictions.
    L = sorted(set(y.tolist()) | set(yp[valid].tolist()))
    out = {"n": n, "accuracy": float(accuracy_score(y, yp))}
    out["invalid"] = int((~valid).sum())
    out["invalid_rate"] = out["invalid"] / n
    p, r, f, s = precision_recall_fscore_support(
        y, yp, labels=list(range(k)), average=None, zero_division=0
    )
    pred_counts = [int(((yp == c)).sum()) for c in range(k)]
    out["per_class"] = {
        "precision": p.tolist(),
        "recall": r.tolist(),
        "f1": f.tolist(),
        "support": [int(x) for x in s],
        "predicted": pred_counts,
        "present": [c in L for c in range(k)],
    }
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            y, yp, labels=L, average=avg, zero_division=0
        )
        out[avg] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    out["kappa"] = fl(cohen_kappa_score(y, yp))
    cm = confusion_matrix(y, yp, labels=list(range(k)) + [INVALID])[:k]
    out["confusion"] = cm.tolist()
    conf = []
    for g in range(k):
        for col in range(k + 1):
            if col != g and cm[g, col] > 0:
                conf.append((int(cm[g, col]), g, col))
    conf.sort(key=lambda t: (-t[0], t[1], t[2]))
    out["top_confusions"] = [
        {"gold": g, "pred": (None if col == k else col), "count": c}
        for c, g, col in conf
    ]
    out["macro_f1_direct"] = float(
        precision_recall_fscore_support(
            y, yp, labels=L, average="macro", zero_division=0
        )[2]
    )
    return out


def random_single(rng, n, k, p_correct, p_invalid):
    weights = rng.dirichlet(np.ones(k) * 0.7)
    gold = rng.choice(k, size=n, p=weights).tolist()
    pred = []
    for g in gold:
        u = rng.random()
        if u < p_invalid:
            pred.append(None)
        elif u < p_invalid + p_correct:
            pred.append(g)
        else:
            pred.append(int(rng.integers(k)))
    return gold, pred


def single_label_cases(rng):
    cases = []

    def add(name, k, gold, pred):
        cases.append(
            {
                "name": name,
                "k": k,
                "gold": gold,
                "pred": pred,
                "expected": single_label_expected(k, gold, pred),
            }
        )

    add("all_correct", 3, [0, 1, 2, 1, 0], [0, 1, 2, 1, 0])
    add("all_wrong", 3, [0, 1, 2, 1, 0], [1, 2, 0, 0, 2])
    add("one_class_declared", 1, [0, 0, 0], [0, 0, 0])
    add("one_class_with_invalid", 1, [0, 0, 0, 0], [0, None, 0, None])
    add("class_never_predicted", 3, [0, 1, 2, 2, 1, 0], [0, 1, 1, 1, 1, 0])
    add("class_absent_from_gold", 4, [0, 0, 1, 1, 2], [0, 3, 1, 3, 2])
    add("declared_class_absent_everywhere", 5, [0, 1, 1, 0], [0, 1, 0, 0])
    add("some_invalid", 3, [0, 1, 2, 0, 1, 2, 0], [0, None, 2, None, 1, 0, 0])
    add("all_invalid", 3, [0, 1, 2, 0], [None, None, None, None])
    add("single_ticket", 4, [2], [2])
    add("single_ticket_wrong", 4, [2], [3])
    add("single_ticket_invalid", 4, [2], [None])
    add("same_prediction_always", 3, [0, 1, 2, 1], [1, 1, 1, 1])
    add("ties_in_top_confusions", 3, [0, 0, 1, 1, 2, 2], [1, 2, 0, 2, 0, 1])
    for i, (n, k) in enumerate(
        [(2, 2), (10, 2), (20, 3), (50, 5), (100, 4), (200, 8), (500, 5), (2000, 6), (37, 12)]
    ):
        pc = [0.3, 0.6, 0.8, 0.95][i % 4]
        pi = [0.0, 0.05, 0.2][i % 3]
        gold, pred = random_single(rng, n, k, pc, pi)
        add(f"random_{i}_n{n}_k{k}", k, gold, pred)
    return cases


# ------------------------------------------------------------------ multilabel


def indicator(sets, k):
    m = np.zeros((len(sets), k), dtype=np.int64)
    for i, s in enumerate(sets):
        for c in s:
            m[i, c] = 1
    return m


def multilabel_expected(k, gold, pred):
    Y = indicator(gold, k)
    P = indicator([[] if p is None else p for p in pred], k)
    out = {"n": len(gold), "invalid": sum(p is None for p in pred)}
    out["exact_match"] = float(accuracy_score(Y, P))
    out["jaccard_samples"] = float(jaccard_score(Y, P, average="samples", zero_division=0))
    out["hamming_loss"] = float(hamming_loss(Y, P))
    for avg in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(Y, P, average=avg, zero_division=0)
        out[avg] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    p, r, f, s = precision_recall_fscore_support(Y, P, average=None, zero_division=0)
    out["per_label"] = {
        "precision": p.tolist(),
        "recall": r.tolist(),
        "f1": f.tolist(),
        "support": [int(x) for x in s],
        "predicted": P.sum(axis=0).tolist(),
    }
    multi = Y.sum(axis=1) >= 2
    m = int(multi.sum())
    out["multi_intent"] = {
        "n_multi": m,
        "predicted_multi_rate": None if m == 0 else float((P[multi].sum(axis=1) >= 2).mean()),
        "exact_rate": None if m == 0 else float((P[multi] == Y[multi]).all(axis=1).mean()),
    }
    return out


def random_sets(rng, n, k, mean):
    out = []
    for _ in range(n):
        size = min(k, int(rng.poisson(mean)))
        out.append(sorted(rng.choice(k, size=size, replace=False).tolist()))
    return out


def multilabel_cases(rng):
    cases = []

    def add(name, k, gold, pred):
        cases.append(
            {"name": name, "k": k, "gold": gold, "pred": pred,
             "expected": multilabel_expected(k, gold, pred)}
        )

    add("all_exact", 3, [[0], [1, 2], [], [0, 1, 2]], [[0], [1, 2], [], [0, 1, 2]])
    add("all_empty", 3, [[], [], []], [[], [], []])
    add("with_invalid", 4, [[0, 1], [2], [3], [0]], [None, [2], [1, 3], None])
    add("label_never_predicted", 3, [[0, 2], [2], [0]], [[0], [0], [0]])
    add("label_absent_from_gold", 3, [[0], [0], [1]], [[0, 2], [0], [1, 2]])
    add("no_multi_intent", 3, [[0], [1], []], [[0, 1], [1], [2]])
    add("unsorted_and_duplicate_pred", 4, [[1, 3], [0]], [[3, 1, 3], [0, 0]])
    for i, (n, k, mean) in enumerate([(5, 2, 1.0), (30, 4, 1.2), (200, 6, 1.5), (1000, 10, 2.0), (80, 3, 0.5)]):
        gold = random_sets(rng, n, k, mean)
        pred = []
        for g in gold:
            u = rng.random()
            if u < 0.05:
                pred.append(None)
            elif u < 0.6:
                pred.append(list(g))
            else:
                pred.append(random_sets(rng, 1, k, mean)[0])
        add(f"random_{i}_n{n}_k{k}", k, gold, pred)
    # The fixture stores the raw input; the expected values use the set
    # semantics (duplicates collapse), which indicator() already does.
    return cases


# ------------------------------------------------------------------------ flag


def flag_expected(gold, pred):
    y = np.array(gold, dtype=bool)
    yp = np.array([False if p is None else p for p in pred], dtype=bool)
    invalid = np.array([p is None for p in pred])
    p, r, f, _ = precision_recall_fscore_support(
        y, yp, labels=[True], average=None, zero_division=0
    )
    tn, fp, fn, tp = confusion_matrix(y, yp, labels=[False, True]).ravel()
    strict = np.array([p is not None and p == g for g, p in zip(gold, pred)])
    return {
        "n": len(gold),
        "precision": float(p[0]),
        "recall": float(r[0]),
        "f1": float(f[0]),
        "accuracy": float(accuracy_score(y, yp)),
        "accuracy_invalid_wrong": float(strict.mean()),
        "tp": int(tp), "fp": int(fp), "fn": int(fn), "tn": int(tn),
        "invalid": int(invalid.sum()),
        "invalid_on_positive": int((invalid & y).sum()),
        "invalid_on_negative": int((invalid & ~y).sum()),
    }


def flag_cases(rng):
    cases = []

    def add(name, gold, pred):
        cases.append({"name": name, "gold": gold, "pred": pred,
                      "expected": flag_expected(gold, pred)})

    add("all_correct", [True, False, True], [True, False, True])
    add("all_wrong", [True, False, True], [False, True, False])
    add("never_predicted_positive", [True, False, True, False], [False, False, False, False])
    add("no_positive_gold", [False, False, False], [False, True, False])
    add("all_negative_everywhere", [False, False], [False, False])
    add("invalid_both_sides", [True, False, True, False], [None, None, True, False])
    add("all_invalid", [True, False], [None, None])
    for i, n in enumerate([10, 100, 1000]):
        gold = (rng.random(n) < 0.3).tolist()
        pred = []
        for g in gold:
            u = rng.random()
            pred.append(None if u < 0.05 else (g if u < 0.85 else (not g)))
        add(f"random_{i}_n{n}", gold, pred)
    return cases


# ----------------------------------------------------------------- calibration


def equal_mass_table(conf, correct, num_bins):
    bins = cal.get_equal_bins(list(conf), num_bins=num_bins)
    ids = np.searchsorted(bins, conf)
    rows = []
    lo = 0.0
    for b, hi in enumerate(bins):
        sel = ids == b
        cnt = int(sel.sum())
        rows.append({
            "lo": lo, "hi": float(hi), "count": cnt,
            "mean_conf": None if cnt == 0 else float(conf[sel].mean()),
            "accuracy": None if cnt == 0 else float(correct[sel].mean()),
        })
        lo = float(hi)
    return rows


def calibration_expected(conf, correct, n_bins):
    have = np.array([c is not None for c in conf])
    c = np.array([x for x in conf if x is not None], dtype=float)
    y = np.array(correct, dtype=np.int64)[have]
    out = {"n": len(conf), "n_scored": int(have.sum()), "n_missing": int((~have).sum())}
    if len(c) == 0:
        out["empty"] = True
        return out
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], c)
    total = np.bincount(ids, minlength=n_bins)
    sums = np.bincount(ids, weights=c, minlength=n_bins)
    trues = np.bincount(ids, weights=y, minlength=n_bins)
    nz = total != 0
    prob_true, prob_pred = calibration_curve(y, c, n_bins=n_bins, strategy="uniform")
    assert np.allclose(prob_true, trues[nz] / total[nz], rtol=0, atol=0)
    assert np.allclose(prob_pred, sums[nz] / total[nz], rtol=0, atol=0)
    gaps = np.abs(prob_true - prob_pred)
    w = total[nz] / len(c)
    out["ece"] = float(np.sum(w * gaps))
    out["mce"] = float(gaps.max())
    out["ece_equal_mass"] = float(cal.get_ece_em(c, y, num_bins=n_bins))
    out["brier"] = float(brier_score_loss(y, c, labels=[0, 1]))
    out["mean_conf"] = float(c.mean())
    out["accuracy"] = float(y.mean())
    out["overconfidence"] = out["mean_conf"] - out["accuracy"]
    rows = []
    for b in range(n_bins):
        cnt = int(total[b])
        rows.append({
            "lo": float(edges[b]), "hi": float(edges[b + 1]), "count": cnt,
            "mean_conf": None if cnt == 0 else float(sums[b] / cnt),
            "accuracy": None if cnt == 0 else float(trues[b] / cnt),
        })
    out["reliability"] = rows
    out["equal_mass"] = equal_mass_table(c, y, n_bins)
    return out


def random_conf(rng, n, mode):
    if mode == "continuous":
        conf = rng.beta(5, 1.5, n)
    elif mode == "coarse":
        conf = np.round(rng.beta(5, 1.5, n) * 20) / 20  # ties
    else:  # edges
        conf = rng.choice(np.linspace(0, 1, 11), n)
    correct = rng.random(n) < np.clip(conf - 0.05, 0, 1)
    return conf, correct


def calibration_cases(rng):
    cases = []

    def add(name, conf, correct, n_bins=10):
        conf = [None if x is None else float(x) for x in conf]
        correct = [bool(x) for x in correct]
        cases.append({"name": name, "conf": conf, "correct": correct, "n_bins": n_bins,
                      "expected": calibration_expected(conf, correct, n_bins)})

    add("edges_tenths", [i / 10 for i in range(11)], [i % 2 == 0 for i in range(11)])
    add("zero_and_one", [0.0, 1.0, 0.0, 1.0, 1.0], [False, True, True, False, True])
    add("all_same_conf", [0.8] * 6, [True, True, True, False, True, False])
    add("some_missing", [0.9, None, 0.4, None, 0.75, 0.3], [True, False, False, True, True, False])
    add("all_missing", [None, None], [True, False])
    add("single", [0.65], [True])
    add("all_correct_conf_one", [1.0, 1.0, 1.0], [True, True, True])
    add("fewer_than_bins", [0.1, 0.5, 0.55], [False, True, True])
    add("edges_five_bins", [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 0.2, 0.6], [True] * 4 + [False] * 4, 5)
    add("edges_fifteen_bins", [i / 15 for i in range(16)], [i % 3 == 0 for i in range(16)], 15)
    for i, (n, mode) in enumerate([(20, "continuous"), (100, "coarse"), (500, "edges"),
                                   (1000, "continuous"), (3000, "coarse"), (7, "continuous")]):
        conf, correct = random_conf(rng, n, mode)
        conf = conf.tolist()
        for j in range(0, n, 17):
            conf[j] = None
        add(f"random_{i}_{mode}_n{n}", conf, correct.tolist())
    return cases


# --------------------------------------------------------------------- routing


def routing_expected(conf, correct, route_at, clarify_at, target):
    n = len(conf)
    have = np.array([c is not None for c in conf])
    c = np.array([-1.0 if x is None else x for x in conf])
    y = np.array(correct, dtype=bool)
    auto = have & (c >= route_at)
    clar = have & (c >= clarify_at) & (c < route_at)
    esc = ~(auto | clar)

    def band(sel):
        cnt = int(sel.sum())
        return {"count": cnt, "share": cnt / n,
                "accuracy": None if cnt == 0 else float(y[sel].mean())}

    out = {"n": n, "auto": band(auto), "clarify": band(clar), "escalate": band(esc)}
    mis = int((auto & ~y).sum())
    out["misroutes"] = mis
    out["misroute_rate"] = None if auto.sum() == 0 else mis / int(auto.sum())
    out["human_workload_share"] = out["escalate"]["share"]
    # Risk-coverage over distinct confidence values, descending.
    cs = c[have]
    ys = y[have]
    curve = []
    best = None
    for t in sorted(set(cs.tolist()), reverse=True):
        sel = cs >= t
        cnt = int(sel.sum())
        err = int((~ys[sel]).sum())
        acc = (cnt - err) / cnt
        curve.append({"threshold": t, "count": cnt, "coverage": cnt / n, "risk": err / cnt})
        if acc >= target:
            best = {"threshold": t, "count": cnt, "coverage": cnt / n, "accuracy": acc}
    out["risk_coverage"] = curve
    out["target"] = best
    # AURC: mean over the m prefixes (m = tickets with a confidence) of the
    # selective risk, ties get the risk of their whole tie group.
    m = len(cs)
    if m == 0:
        out["aurc"] = None
    else:
        order = np.argsort(-cs, kind="stable")
        sc = cs[order]
        err = (~ys[order]).astype(np.int64)
        cum = np.cumsum(err)
        risk = np.empty(m)
        i = 0
        while i < m:
            j = i
            while j + 1 < m and sc[j + 1] == sc[i]:
                j += 1
            risk[i:j + 1] = cum[j] / (j + 1)
            i = j + 1
        out["aurc"] = float(risk.mean())
    return out


def routing_cases(rng):
    cases = []

    def add(name, conf, correct, route_at=0.9, clarify_at=0.7, target=0.98):
        conf = [None if x is None else float(x) for x in conf]
        correct = [bool(x) for x in correct]
        cases.append({"name": name, "conf": conf, "correct": correct,
                      "route_at": route_at, "clarify_at": clarify_at, "target": target,
                      "expected": routing_expected(conf, correct, route_at, clarify_at, target)})

    add("on_thresholds", [0.9, 0.7, 0.69999, 0.95, None, 1.0, 0.0],
        [True, True, False, False, True, True, False])
    add("all_missing", [None, None, None], [True, False, True])
    add("ties", [0.8, 0.8, 0.8, 0.9, 0.9, 0.5], [True, False, True, True, True, False])
    add("target_unreachable", [0.99, 0.95, 0.9], [False, True, True], target=0.999)
    add("target_reached_at_top_only", [0.99, 0.95, 0.9, 0.8], [True, True, False, True], target=1.0)
    add("custom_policy", [0.5, 0.6, 0.7, 0.8], [True, False, True, True], 0.75, 0.55, 0.9)
    for i, (n, mode) in enumerate([(30, "coarse"), (300, "continuous"), (2000, "coarse"), (500, "edges")]):
        conf, correct = random_conf(rng, n, mode)
        conf = conf.tolist()
        for j in range(3, n, 23):
            conf[j] = None
        add(f"random_{i}_{mode}_n{n}", conf, correct.tolist(), target=0.9)
    return cases


# --------------------------------------------------------------------- repeats


def repeats_expected(gold, runs):
    g = np.array(gold)
    accs = []
    for r in runs:
        rp = np.array([-1 if p is None else p for p in r])
        accs.append(float((rp == g).mean()))
    a = np.array(accs)
    R = np.array([[-1 if p is None else p for p in r] for r in runs])
    differs = (R != R[0:1]).any(axis=0)
    return {
        "n": len(gold), "k": len(runs), "accuracies": accs,
        "mean": float(a.mean()),
        "std": None if len(runs) < 2 else float(a.std(ddof=1)),
        "min": float(a.min()), "max": float(a.max()),
        "unstable": int(differs.sum()),
        "unstable_share": float(differs.mean()),
    }


def repeats_cases(rng):
    cases = []

    def add(name, gold, runs):
        cases.append({"name": name, "gold": gold, "runs": runs,
                      "expected": repeats_expected(gold, runs)})

    add("single_run", [0, 1, 2], [[0, 1, 1]])
    add("stable", [0, 1, 2], [[0, 1, 1], [0, 1, 1], [0, 1, 1]])
    add("invalid_differs", [0, 1], [[0, None], [0, 1], [None, None]])
    for i, (n, k, reps) in enumerate([(10, 3, 3), (200, 5, 5), (1000, 4, 2)]):
        gold, _ = random_single(rng, n, k, 0.8, 0.0)
        runs = [random_single_from(rng, gold, k) for _ in range(reps)]
        add(f"random_{i}_n{n}_r{reps}", gold, runs)
    return cases


def random_single_from(rng, gold, k):
    out = []
    for g in gold:
        u = rng.random()
        out.append(None if u < 0.03 else (g if u < 0.8 else int(rng.integers(k))))
    return out


# ----------------------------------------------------------------------- stats


def connor_n(psi, delta, alpha=0.05, power=0.8):
    """Connor (1987) sample size for McNemar's test (two-sided)."""
    psi = max(psi, delta)
    za = sps.norm.ppf(1 - alpha / 2)
    zb = sps.norm.ppf(power)
    n = (za * math.sqrt(psi) + zb * math.sqrt(psi - delta * delta)) ** 2 / (delta * delta)
    return n


def stats_cases(rng):
    mc = []
    pairs = [(0, 0), (0, 1), (1, 0), (3, 3), (5, 12), (12, 5), (0, 25), (40, 60),
             (100, 130), (513, 580), (5000, 5150), (20000, 20400), (100000, 101000),
             (7, 1), (1, 30), (250000, 249000)]
    for b, c in pairs:
        r = mcnemar(np.array([[10, b], [c, 10]]), exact=True)
        mc.append({"b": b, "c": c, "statistic": float(r.statistic), "p_value": float(r.pvalue)})
    holm = []
    pv_sets = [[0.01], [0.01, 0.04, 0.03], [0.2, 0.2, 0.01], [1.0, 0.5, 0.0001, 0.02],
               [0.04, 0.04, 0.04], [0.3, 0.6, 0.9, 0.001, 0.01, 0.05]]
    for _ in range(4):
        pv_sets.append(rng.random(int(rng.integers(2, 12))).round(6).tolist())
    for p in pv_sets:
        rej, adj, _, _ = multipletests(p, alpha=0.05, method="holm")
        holm.append({"p": p, "adjusted": adj.tolist(), "reject": rej.tolist()})
    power = []
    for psi, delta in [(0.1, 0.02), (0.05, 0.02), (0.3, 0.05), (0.01, 0.02), (0.0, 0.02), (0.2, 0.1)]:
        power.append({"psi": psi, "delta": delta, "n": connor_n(psi, delta),
                      "n_ceil": int(math.ceil(connor_n(psi, delta)))})
    quant = []
    for n in [1, 2, 5, 10, 1000]:
        v = rng.random(n).tolist()
        quant.append({"values": v, "q": [0.025, 0.5, 0.975],
                      "expected": [float(np.percentile(v, q * 100)) for q in (0.025, 0.5, 0.975)]})
    return {"mcnemar": mc, "holm": holm, "power": power, "percentile": quant}


# ------------------------------------------------------------------------ main


def write(name, payload):
    os.makedirs(OUT, exist_ok=True)
    doc = {"generator": "scripts/reference_metrics.py", "versions": VERSIONS}
    doc.update(payload)
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")


def generate():
    rng = np.random.default_rng(20240611)
    write("single_label.json", {"cases": single_label_cases(rng)})
    write("multilabel.json", {"cases": multilabel_cases(rng)})
    write("flag.json", {"cases": flag_cases(rng)})
    write("calibration.json", {"cases": calibration_cases(rng)})
    write("routing.json", {"cases": routing_cases(rng)})
    write("repeats.json", {"cases": repeats_cases(rng)})
    write("stats.json", stats_cases(rng))
    print("wrote fixtures to", OUT)


def bench():
    """Same work as examples/metrics_1m.rs, in Python (numpy/sklearn/statsmodels)."""
    n, k, variants, resamples = 1_000_000, 5, 3, 1000
    rng = np.random.default_rng(7)
    gold = rng.integers(0, k, n)
    preds, confs, corrects = [], [], []
    for v in range(variants):
        u = rng.random(n)
        p = np.where(u < 0.8 + 0.02 * v, gold, rng.integers(0, k, n))
        p = np.where(rng.random(n) < 0.01, INVALID, p)
        c = np.clip(rng.beta(5, 1.5, n), 0, 1)
        preds.append(p)
        confs.append(c)
        corrects.append(p == gold)
    t0 = time.perf_counter()
    timings = {}
    for v in range(variants):
        y, p, c, ok = gold, preds[v], confs[v], corrects[v]
        t = time.perf_counter()
        L = sorted(set(np.unique(y).tolist()) | set(np.unique(p[p != INVALID]).tolist()))
        accuracy_score(y, p)
        precision_recall_fscore_support(y, p, labels=list(range(k)), average=None, zero_division=0)
        for avg in ("macro", "micro", "weighted"):
            precision_recall_fscore_support(y, p, labels=L, average=avg, zero_division=0)
        cohen_kappa_score(y, p)
        cm = confusion_matrix(y, p, labels=list(range(k)) + [INVALID])[:k]
        timings.setdefault("single_label", 0.0)
        timings["single_label"] += time.perf_counter() - t
        t = time.perf_counter()
        calibration_curve(ok, c, n_bins=10, strategy="uniform")
        cal.get_ece_em(c, ok.astype(np.int64), num_bins=10)
        brier_score_loss(ok, c, labels=[0, 1])
        timings.setdefault("calibration", 0.0)
        timings["calibration"] += time.perf_counter() - t
        t = time.perf_counter()
        order = np.argsort(-c, kind="stable")
        sc, err = c[order], (~ok[order]).astype(np.int64)
        cum = np.cumsum(err)
        last = np.r_[sc[1:] != sc[:-1], True]
        ends = np.nonzero(last)[0]
        sizes = np.diff(np.r_[-1, ends])
        aurc = float(np.sum(sizes * cum[ends] / (ends + 1)) / n)
        acc = 1 - cum[ends] / (ends + 1)
        ok_t = np.nonzero(acc >= 0.98)[0]
        _ = aurc, ok_t
        timings.setdefault("routing", 0.0)
        timings["routing"] += time.perf_counter() - t
        t = time.perf_counter()
        # Bootstrap by counts, as the Rust code does.
        brng = np.random.default_rng(v)
        accs = brng.binomial(n, ok.mean(), resamples) / n
        np.percentile(accs, [2.5, 97.5])
        cells = cm.ravel() / n
        draws = brng.multinomial(n, cells, resamples).reshape(resamples, k, k + 1)
        f1s = []
        for d in draws:
            tp = np.diag(d[:, :k])
            sup = d.sum(axis=1)
            prd = d[:, :k].sum(axis=0)
            present = (sup + prd) > 0
            f1 = np.where(sup + prd > 0, 2 * tp / np.maximum(sup + prd, 1), 0.0)
            f1s.append(f1[present].mean())
        np.percentile(f1s, [2.5, 97.5])
        timings.setdefault("bootstrap", 0.0)
        timings["bootstrap"] += time.perf_counter() - t
    t = time.perf_counter()
    pvals = []
    for a in range(variants):
        for b in range(a + 1, variants):
            ca, cb = corrects[a], corrects[b]
            bb = int((ca & ~cb).sum())
            cc = int((~ca & cb).sum())
            pvals.append(mcnemar(np.array([[0, bb], [cc, 0]]), exact=True).pvalue)
            prng = np.random.default_rng(100 + a * variants + b)
            cells = np.array([bb, cc, n - bb - cc]) / n
            d = prng.multinomial(n, cells, resamples)
            np.percentile((d[:, 1] - d[:, 0]) / n, [2.5, 97.5])
    multipletests(pvals, method="holm")
    timings["pairs"] = time.perf_counter() - t
    total = time.perf_counter() - t0
    print(json.dumps({"n": n, "variants": variants, "resamples": resamples,
                      "total_seconds": round(total, 3),
                      "parts_seconds": {k2: round(v2, 3) for k2, v2 in timings.items()},
                      "versions": VERSIONS}, indent=2))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", action="store_true", help="time the 1M x 3 workload")
    args = ap.parse_args()
    if args.bench:
        bench()
    else:
        generate()
