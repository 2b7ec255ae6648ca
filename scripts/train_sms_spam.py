"""Train the ``linear`` model on the SMS Spam Collection, print per-label F1, log to MLflow.

    .venv/bin/python scripts/train_sms_spam.py [--no-log] [--data PATH]

Labels: SPAM and NEUTRAL (ham). Target: SPAM F1 >= 0.95 on the held-out test split.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from modlab.settings import get_settings
from modlab.training import train_model


def load_sms(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 2:
                labels.append("SPAM" if row[0] == "spam" else "NEUTRAL")
                texts.append("\t".join(row[1:]))
    return texts, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=get_settings().shared_dir / "data/sms_spam/sms.tsv"
    )
    parser.add_argument("--name", default="sms-spam")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-log", action="store_true", help="skip MLflow logging/registry")
    args = parser.parse_args()

    texts, labels = load_sms(args.data)
    start = time.perf_counter()
    result = train_model(
        args.name,
        texts,
        labels,
        label_names=["NEUTRAL", "SPAM"],
        trainer="linear",
        seed=args.seed,
        log=not args.no_log,
    )
    total = time.perf_counter() - start
    print(f"{len(texts)} examples, split {result.split.sizes()}")
    for warning in result.review.warnings:
        print(f"review: {warning}")
    print(result.evaluation.per_label[["precision", "recall", "f1", "support", "auprc"]].round(4))
    print(f"thresholds: {result.thresholds}")
    print(
        f"SPAM F1 (test): {result.metrics['f1.SPAM']:.4f}  "
        f"macro F1: {result.metrics['macro_f1']:.4f}"
    )
    print(f"fit {result.fit_seconds:.1f} s, whole pipeline {total:.1f} s")
    if result.run_id:
        print(
            f"MLflow run {result.run_id}, registered {args.name} v{result.version}"
            f"{' (champion)' if result.promoted else ''} at {get_settings().tracking_uri}"
        )


if __name__ == "__main__":
    main()
