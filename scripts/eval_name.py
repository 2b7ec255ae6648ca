"""Person-name detector on presidio-research's synth_dataset_v2.json (PERSON -> name).

Span IoU >= 0.5, one-to-one matching, adjacent spans merged (modlab.detectors.evaluation).
Prints precision / recall / F2 per mode for the dev half, the test half and all texts,
plus ms per text. Usage: python scripts/eval_name.py [--data PATH] [--errors 20]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from modlab.detectors import DetectorOptions, Mode
from modlab.detectors.evaluation import (
    evaluate,
    load_presidio_synth,
    match_spans,
    merge_adjacent,
    split_dev_test,
)
from modlab.detectors.name import MODEL_PATH, NameDetector, NameModel, gazetteers
from modlab.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default = get_settings().shared_dir / "data/presidio_research/synth_dataset_v2.json"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--model", type=Path, default=None, help="another .crfsuite file")
    parser.add_argument(
        "--no-fng-gazetteer",
        action="store_true",
        help="gazetteers without the FakeNameGenerator names (for a --no-fng-names model)",
    )
    parser.add_argument("--errors", type=int, default=0, help="print this many errors (test half)")
    args = parser.parse_args()

    examples = load_presidio_synth(args.data)
    dev, test = split_dev_test(examples)
    model = None
    if args.model or args.no_fng_gazetteer:
        gaz = gazetteers(include_fng=False) if args.no_fng_gazetteer else None
        model = NameModel(args.model or MODEL_PATH, gaz)
    detector = NameDetector(model)
    detector.detect("warm up the model, Albus Dumbledore", Mode.NORMAL)
    options = DetectorOptions()
    print(f"{'mode':<11} {'split':<5} {'P':>6} {'R':>6} {'F1':>6} {'F2':>6} {'ms/text':>8}")
    for mode in Mode:

        def fn(text: str, mode: Mode = mode) -> list[tuple[int, int]]:
            return [(m.start, m.end) for m in detector.detect(text, mode, options)]

        for name, part in (("dev", dev), ("test", test), ("all", examples)):
            result = evaluate(part, {"name": fn})["name"]
            c = result.counts
            print(
                f"{mode.name:<11} {name:<5} {c.precision:>6.3f} {c.recall:>6.3f}"
                f" {c.f_beta(1):>6.3f} {c.f_beta(2):>6.3f} {result.ms_per_text:>8.3f}"
            )
    shown = 0
    for ex in test:
        if shown >= args.errors:
            break
        pred = merge_adjacent(ex.text, [(m.start, m.end) for m in detector.detect(ex.text)])
        gold = merge_adjacent(ex.text, ex.gold.get("name", []))
        counts = match_spans(gold, pred)
        if counts.fp or counts.fn:
            shown += 1
            print("-" * 60)
            print(repr(ex.text[:300]))
            print("  gold:", [ex.text[s:e] for s, e in gold])
            print("  pred:", [ex.text[s:e] for s, e in pred])


if __name__ == "__main__":
    main()
