"""Wall time to train the ``linear`` model on 5,000 examples (target: <= 60 s on 2 cores).

    .venv/bin/python scripts/bench_training.py [--n 5000] [--repeats 1]

Uses the first N messages of the SMS Spam Collection (cycled if N is larger). Prints the
fit time of the trainer alone and of the whole pipeline without MLflow (split, fit,
thresholds, evaluation).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import time
from pathlib import Path

from modlab.settings import get_settings
from modlab.training import make_trainer, train_model


def load(path: Path, n: int) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE) if len(r) >= 2]
    rows = list(itertools.islice(itertools.cycle(rows), n))
    return [r[1] for r in rows], ["SPAM" if r[0] == "spam" else "NEUTRAL" for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--data", type=Path, default=get_settings().shared_dir / "data/sms_spam/sms.tsv"
    )
    args = parser.parse_args()
    texts, labels = load(args.data, args.n)

    for i in range(args.repeats):
        start = time.perf_counter()
        make_trainer("linear", labels=["NEUTRAL", "SPAM"]).fit(texts, labels)
        fit = time.perf_counter() - start
        start = time.perf_counter()
        train_model("bench", texts, labels, label_names=["NEUTRAL", "SPAM"], log=False)
        pipeline = time.perf_counter() - start
        print(
            f"run {i + 1}: linear fit on {len(texts)} examples {fit:.2f} s; "
            f"pipeline without MLflow (split/fit/thresholds/evaluate) {pipeline:.2f} s"
        )


if __name__ == "__main__":
    main()
