"""Accuracy of the language analyzer on lingua's test sentences, per configured language.

Usage: python scripts/eval_language.py [--limit 300] [--languages en,fr,...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from modlab.analyzers.language import evaluate_language_accuracy
from modlab.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default_dir = get_settings().shared_dir / "data/lingua_testdata/language-testdata/sentences"
    parser.add_argument("--data", type=Path, default=default_dir)
    parser.add_argument("--limit", type=int, default=300, help="sentences per language")
    parser.add_argument("--languages", default=None, help="comma list (default: settings)")
    args = parser.parse_args()
    codes = args.languages.split(",") if args.languages else None
    report = evaluate_language_accuracy(args.data, codes, limit=args.limit)
    print(f"{'lang':<5} {'n':>5} {'acc':>7} {'reliable%':>10} {'acc|rel':>8} {'ms':>6}")
    for code, row in report.items():
        print(
            f"{code:<5} {row['n']:>5} {row['accuracy']:>7.3f} {row['reliable_share']:>10.3f}"
            f" {row['reliable_accuracy']:>8.3f} {row['ms']:>6.2f}"
        )
    total = sum(r["n"] for r in report.values())
    mean = sum(r["accuracy"] for r in report.values()) / max(len(report), 1)
    micro = sum(r["accuracy"] * r["n"] for r in report.values()) / max(total, 1)
    print(f"mean accuracy {mean:.4f} (micro {micro:.4f}), {len(report)} languages, {total} texts")


if __name__ == "__main__":
    main()
