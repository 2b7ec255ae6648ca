"""Span evaluation: IoU matching, F-beta, merging, the split and the eval script end to end."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from modlab.detectors import Mode
from modlab.detectors.evaluation import (
    Counts,
    Example,
    evaluate,
    iou,
    load_presidio_synth,
    match_spans,
    merge_adjacent,
    modlab_detector,
    split_dev_test,
)

ROOT = Path(__file__).resolve().parents[2]


def test_iou() -> None:
    assert iou((0, 10), (0, 10)) == 1.0
    assert iou((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert iou((0, 5), (5, 10)) == 0.0


def test_match_spans_is_one_to_one_with_threshold() -> None:
    counts = match_spans([(0, 10), (20, 30)], [(0, 9), (1, 10), (40, 50)], threshold=0.5)
    assert (counts.tp, counts.fp, counts.fn) == (1, 2, 1)
    assert match_spans([(0, 10)], [(0, 4)], threshold=0.5).tp == 0  # IoU 0.4


def test_f_beta() -> None:
    c = Counts(tp=8, fp=2, fn=8)
    assert c.precision == pytest.approx(0.8)
    assert c.recall == pytest.approx(0.5)
    assert c.f_beta(1) == pytest.approx(2 * 0.8 * 0.5 / 1.3)
    assert c.f_beta(2) == pytest.approx(5 * 0.8 * 0.5 / (4 * 0.8 + 0.5))
    assert Counts().f_beta(2) == 0.0


def test_merge_adjacent_joins_fragments_only() -> None:
    text = "5 Main St\n> Apt. 3\n> Springfield and Berlin"
    parts = ["5 Main St", "Apt. 3", "Springfield", "Berlin"]
    spans = [(text.index(p), text.index(p) + len(p)) for p in parts]
    assert merge_adjacent(text, spans) == [(0, spans[2][1]), spans[3]]


def test_split_is_deterministic_and_disjoint() -> None:
    examples = [Example(text=f"text {i}", gold={}) for i in range(200)]
    dev, test = split_dev_test(examples)
    assert split_dev_test(examples) == (dev, test)
    assert len(dev) + len(test) == 200 and 60 < len(dev) < 140
    assert not {e.text for e in dev} & {e.text for e in test}


def test_evaluate_with_real_detectors(tmp_path: Path) -> None:
    rows = [
        {
            "full_text": "Mail me at jane@example.com or call 905-674-3793.",
            "spans": [
                {"entity_type": "EMAIL_ADDRESS", "start_position": 11, "end_position": 27},
                {"entity_type": "PHONE_NUMBER", "start_position": 36, "end_position": 48},
                {"entity_type": "ORGANIZATION", "start_position": 0, "end_position": 4},
            ],
        },
        {"full_text": "Nothing here at all.", "spans": []},
    ]
    path = tmp_path / "synth.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    examples = load_presidio_synth(path)
    assert examples[0].gold == {"email": [(11, 27)], "phone": [(36, 48)]}
    dets = {f: modlab_detector(f, Mode.NORMAL) for f in ("email", "phone", "url")}
    results = evaluate(examples, dets)
    assert (results["email"].counts.tp, results["email"].counts.fp) == (1, 0)
    assert (results["phone"].counts.tp, results["phone"].counts.fn) == (1, 0)
    assert results["url"].counts.fp == 0 and results["url"].texts == 2


def test_eval_script_runs_and_skips_unregistered(tmp_path: Path, capsys, monkeypatch) -> None:
    spec = importlib.util.spec_from_file_location(
        "eval_detectors", ROOT / "scripts/eval_detectors.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = [
        {
            "full_text": f"Row {i}: write to user{i}@example.org",
            "spans": [
                {
                    "entity_type": "EMAIL_ADDRESS",
                    "start_position": 16 + len(str(i)),
                    "end_position": 16 + 2 * len(str(i)) + 16,
                }
            ],
        }
        for i in range(20)
    ]
    path = tmp_path / "synth.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    monkeypatch.setattr(module, "FAMILIES", (*module.FAMILIES, "not_a_family"))
    assert module.main(["--data", str(path), "--split", "all"]) == 0
    out = capsys.readouterr().out
    assert "no 'not_a_family' detector registered yet" in out
    assert "| email | 1.000 | 1.000 |" in out
