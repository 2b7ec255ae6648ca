"""Print the built-in analyzers' target table on held-out data (never trained or tuned on).

    .venv/bin/python scripts/eval_builtin.py [--build] [--trainer T] [--json PATH] [NAME ...]

Scores the models already built in ``<models_dir>`` (``modlab models build-builtin``);
``--build`` builds them first. Logic in :mod:`modlab.builtin.evaluation`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from modlab.builtin.build import build_builtin
from modlab.builtin.datasets import BUILDABLE
from modlab.builtin.evaluation import evaluate_builtins, format_report
from modlab.settings import get_settings
from modlab.training.trainers.embedding import embedding_memo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(BUILDABLE))
    parser.add_argument("--build", action="store_true", help="build the analyzers first")
    parser.add_argument("--trainer", default=None, help="trainer for --build (default: per name)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    if args.build:
        with embedding_memo():  # openai and sightengine encode mostly the same texts
            for name in args.names:
                print(f"building {name} ...", flush=True)
                build_builtin(name, trainer=args.trainer)
    results = evaluate_builtins(get_settings().models_dir, args.names)
    print(format_report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
