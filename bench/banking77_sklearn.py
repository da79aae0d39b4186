"""scikit-learn reference for verdict's local classifier on Banking77.

Trains TF-IDF + linear models on evals/banking77/train.csv, predicts test.csv and prints
accuracy, macro F1 and fit+predict wall time, matching examples/banking77_local.rs.
Each feature block is its own TfidfVectorizer (l2-normalised), joined by a FeatureUnion.

    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install -r bench/requirements.txt
    /tmp/skl/bin/python bench/banking77_sklearn.py [--quick]
"""

import csv
import os
import sys
import time

import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "evals", "banking77")


def read(name):
    with open(os.path.join(DATA, name), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def features(char, sublinear):
    blocks = [("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=sublinear))]
    if char:
        blocks.append(
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=sublinear))
        )
    return FeatureUnion(blocks)


def main():
    quick = "--quick" in sys.argv
    x_train, y_train = read("train.csv")
    x_test, y_test = read("test.csv")
    runs = [
        ("word_1_2 + LinearSVC(C=1)", False, False, LinearSVC(C=1.0)),
        ("word_1_2 + char_wb_2_5 + LinearSVC(C=1)", True, False, LinearSVC(C=1.0)),
        ("word_1_2 + char_wb_2_5 sublinear + LinearSVC(C=1)", True, True, LinearSVC(C=1.0)),
        # verdict's default local config: same features, C=0.5.
        ("word_1_2 + char_wb_2_5 + LinearSVC(C=0.5)", True, False, LinearSVC(C=0.5)),
    ]
    if not quick:
        runs.append(
            (
                "word_1_2 + char_wb_2_5 + LogisticRegression(C=10)",
                True,
                False,
                LogisticRegression(C=10.0, max_iter=1000),
            )
        )
    print(f"scikit-learn {sklearn.__version__}, {len(x_train)} train / {len(x_test)} test rows")
    for name, char, sublinear, model in runs:
        start = time.perf_counter()
        pipe = make_pipeline(features(char, sublinear), model).fit(x_train, y_train)
        pred = pipe.predict(x_test)
        elapsed = time.perf_counter() - start
        acc = accuracy_score(y_test, pred)
        f1 = f1_score(y_test, pred, average="macro")
        print(f"{name:55s} accuracy {acc:.4f}  macro F1 {f1:.4f}  fit+predict {elapsed:.1f} s")


if __name__ == "__main__":
    main()
