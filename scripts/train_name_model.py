"""Train the person-name CRF shipped in src/modlab/detectors/resources/name_crf.crfsuite.

Deterministic (seeded generation, L-BFGS). Uses presidio-research's templates and
FakeNameGenerator identities from the shared data, modlab's own templates and name lists,
and lingua's English sentences as name-free negatives. Never synth_dataset_v2.json.

Usage: python scripts/train_name_model.py [--seed 7] [--no-fng-names] [--out PATH]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from modlab.detectors.name import MODEL_PATH
from modlab.detectors.name_training import generate, train, write_gazetteers
from modlab.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    data = get_settings().shared_dir / "data"
    parser.add_argument("--templates", type=Path, default=data / "presidio_research/templates.txt")
    parser.add_argument(
        "--identities", type=Path, default=data / "presidio_research/FakeNameGenerator.com_3000.csv"
    )
    parser.add_argument(
        "--negatives",
        type=Path,
        default=data / "lingua_testdata/language-testdata/sentences/en.txt",
    )
    parser.add_argument(
        "--foreign",
        default=",".join(c for c in get_settings().languages if c != "en"),
        help="languages whose lingua sentences serve as name-free negatives",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-name-template", type=int, default=90)
    parser.add_argument("--per-other-template", type=int, default=12)
    parser.add_argument("--max-iterations", type=int, default=120)
    parser.add_argument(
        "--no-fng-names",
        action="store_true",
        help="use only modlab's own name lists (generalisation check; use --out elsewhere)",
    )
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()

    started = time.perf_counter()
    if not args.no_fng_names:
        write_gazetteers(args.identities)
    rows = generate(
        args.templates,
        args.identities,
        args.negatives,
        foreign_negatives=[
            args.negatives.with_name(f"{code}.txt") for code in args.foreign.split(",") if code
        ],
        seed=args.seed,
        per_name_template=args.per_name_template,
        per_other_template=args.per_other_template,
        use_fng_names=not args.no_fng_names,
    )
    if args.no_fng_names and args.out == MODEL_PATH:
        parser.error("--no-fng-names is an experiment: give --out a path outside the package")
    n = train(rows, args.out, max_iterations=args.max_iterations, include_fng=not args.no_fng_names)
    size = args.out.stat().st_size / 1e6
    seconds = time.perf_counter() - started
    print(f"trained on {n} sentences in {seconds:.0f}s -> {args.out} ({size:.2f} MB)")


if __name__ == "__main__":
    main()
