"""Requests/s, latency and memory of the real service, plus MiniLM inference speed.

    .venv/bin/python scripts/bench_service.py [--quick] [--quick-build] [--no-transformer]

Starts ``modlab serve --no-mlflow`` on a free 127.0.0.1 port in a temporary data dir (the
built-in ``toxicity`` and ``openai`` models are copied from ``var/models`` when built
there, else built here), drives it from a separate load-generator process and prints a
table (see ``modlab.ops.bench``). Targets: p50 <= 15 ms and >= 150 req/s for the linear
analyzers; >= 150 texts/s for a MiniLM-class transformer. Takes ~3-5 minutes.
"""

from __future__ import annotations

import argparse
import sys
import time

from modlab.ops.bench import run_service_bench, run_transformer_bench


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests per scenario")
    parser.add_argument(
        "--quick-build",
        action="store_true",
        help="always build small models here instead of reusing var/models",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    parser.add_argument("--no-service", action="store_true")
    parser.add_argument("--no-transformer", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    code = 0
    if not args.no_service:
        code = run_service_bench(quick_build=args.quick_build, quick=args.quick, keep=args.keep)
    if not args.no_transformer:
        print()
        run_transformer_bench(seconds=2.0 if args.quick else 4.0)
    print(f"\nbench took {time.perf_counter() - start:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
