"""Profanity detector: recall on a seeded evasion set, Scunthorpe hits, clean-text hits.

Usage: python scripts/eval_profanity.py [--seed 13] [--clean 1000] [--show 10]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from modlab.detectors.profanity_eval import (
    EVASION_TYPES,
    EXPECTED_LEVEL,
    compare_with_better_profanity,
    evaluate,
)
from modlab.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default = get_settings().shared_dir / "data/lingua_testdata/language-testdata/sentences/en.txt"
    parser.add_argument("--clean-file", type=Path, default=default)
    parser.add_argument("--clean", type=int, default=1000, help="clean sentences to check")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--show", type=int, default=10, help="clean-text hits to print")
    parser.add_argument(
        "--other-languages",
        default="de,fr,es,it,nl,pt,sv,da,pl,tr",
        help="lingua sentence files checked with the English list (should give no matches)",
    )
    args = parser.parse_args()

    clean = []
    if args.clean_file.exists():
        lines = args.clean_file.read_text(encoding="utf-8").splitlines()
        clean = [ln.strip() for ln in lines if ln.strip()][: args.clean]
    others = {}
    for code in filter(None, args.other_languages.split(",")):
        path = args.clean_file.with_name(f"{code}.txt")
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            others[code] = [ln.strip() for ln in lines if ln.strip()][: args.clean // 2]
    report = evaluate(clean, seed=args.seed, other_languages=others)

    print("recall on the evasion set (span overlap), per mode")
    print(f"{'type':<12} {'n':>5} {'expected':>11} {'NORMAL':>7} {'SUSPIC.':>7} {'PARANOID':>8}")
    total = {"n": 0, "SUSPICIOUS": 0.0, "PARANOID": 0.0}
    for kind, row in report["recall"].items():
        print(
            f"{kind:<12} {int(row['n']):>5} {EXPECTED_LEVEL[kind].name:>11} {row['NORMAL']:>7.3f}"
            f" {row['SUSPICIOUS']:>7.3f} {row['PARANOID']:>8.3f}"
        )
        total["n"] += row["n"]
        total["SUSPICIOUS"] += row["SUSPICIOUS"] * row["n"]
        total["PARANOID"] += row["PARANOID"] * row["n"]
    n = total["n"] or 1
    print(
        f"{'all':<12} {int(total['n']):>5} {'':>11} {'':>7} {total['SUSPICIOUS'] / n:>7.3f}"
        f" {total['PARANOID'] / n:>8.3f}"
    )
    plain = report["plain"]
    print(f"plain list words found at NORMAL: {plain['NORMAL']:.3f} of {plain['n']}")
    hits = report["scunthorpe"]
    print(f"Scunthorpe false positives (all modes): {len(hits)}")
    for word, mode, found in hits:
        print(f"  {mode:<10} {word!r} -> {found}")
    for mode, row in report["clean"].items():
        print(
            f"clean English sentences flagged at {mode:<10}: {row['flagged']:>3} / {len(clean)}"
            f"   ({row['ms']:.3f} ms/text)"
        )
        for sentence, found in row["examples"][: args.show]:
            print(f"    {found}  <- {sentence[:100]!r}")

    if report["foreign"]:
        print("non-English sentences flagged with the English list (NORMAL/SUSPICIOUS/PARANOID):")
        for code, row in report["foreign"].items():
            print(f"  {code}: {row['NORMAL']}/{row['SUSPICIOUS']}/{row['PARANOID']} of {row['n']}")

    peers = compare_with_better_profanity(clean, seed=args.seed)
    if peers is None:
        print("better-profanity not installed (pip install '.[compare]'): no side-by-side")
        return
    print("side by side, text-level (modlab at PARANOID):")
    cols = [*EVASION_TYPES, "scunthorpe_flagged", "clean_flagged", "ms_per_text"]
    print(f"{'system':<17}" + "".join(f"{c[:10]:>11}" for c in cols))
    for name, row in peers.items():
        print(f"{name:<17}" + "".join(f"{row[c]:>11.3f}" for c in cols))


if __name__ == "__main__":
    main()
