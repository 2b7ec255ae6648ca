"""Agreement and conflicts on hand-computed examples (no server needed)."""

from __future__ import annotations

import math
import socket

import pytest

from modlab.annotation import argilla_stack
from modlab.annotation.argilla_sync import (
    agreement,
    conflicts,
    krippendorff_alpha,
)


def rows(answers: dict[str, list], status: str = "submitted") -> list[dict]:
    """{user: [label per record or None]} -> pull_responses-style rows."""
    out = []
    for user, labels in answers.items():
        for i, label in enumerate(labels):
            if label is not None:
                out.append({"record_id": f"r{i}", "user": user, "label": label, "status": status})
    return out


def test_cohen_kappa_two_annotators() -> None:
    # 8 of 10 agree: po = 0.8; both say a/b half the time: pe = 0.5 -> kappa = 0.3 / 0.5 = 0.6.
    a = ["a", "a", "a", "a", "a", "b", "b", "b", "b", "b"]
    b = ["a", "a", "a", "a", "b", "b", "b", "b", "b", "a"]
    result = agreement(rows({"ann1": a, "ann2": b}))
    assert result["method"] == "cohen_kappa"
    assert result["value"] == pytest.approx(0.6)
    assert result["pairwise_kappa"] == {"ann1|ann2": pytest.approx(0.6)}
    # Alpha on the same data: n = 20 values, 4 disagreeing ordered pairs, n_a = n_b = 10:
    # 1 - (n - 1) * 4 / (2 * 10 * 10) = 1 - 76 / 200 = 0.62.
    assert result["krippendorff_alpha"] == pytest.approx(0.62)
    assert result["n_records"] == 10


def test_krippendorff_alpha_three_annotators_with_missing_values() -> None:
    # Units: (a,a,a) (a,a,b) (b,b,b) (a,b,-). Coincidences: o_aa = 3 + 1 = 4, o_bb = 3,
    # o_ab = o_ba = 1 + 1 = 2; n_a = 6, n_b = 5, n = 11.
    # alpha = 1 - (n - 1) * (o_ab + o_ba) / (2 * n_a * n_b) = 1 - 10 * 4 / 60 = 1/3.
    units = {"u1": "aaa", "u2": "aab", "u3": "bbb", "u4": "ab"}
    assert krippendorff_alpha({u: list(v) for u, v in units.items()}) == pytest.approx(1 / 3)
    answers = {
        "ann1": ["a", "a", "b", "a"],
        "ann2": ["a", "a", "b", "b"],
        "ann3": ["a", "b", "b", None],
    }
    result = agreement(rows(answers))
    assert result["method"] == "krippendorff_alpha"
    assert result["value"] == pytest.approx(1 / 3)
    assert result["annotators"] == ["ann1", "ann2", "ann3"]
    assert result["n_records"] == 4


def test_alpha_undefined_and_perfect() -> None:
    assert math.isnan(krippendorff_alpha({"u1": ["a"]}))  # nothing pairable
    assert math.isnan(krippendorff_alpha({"u1": ["a", "a"], "u2": ["a", "a"]}))  # one category
    assert krippendorff_alpha({"u1": ["a", "a"], "u2": ["b", "b"]}) == pytest.approx(1.0)


def test_multi_label_compared_label_by_label() -> None:
    # Units (record, label) for labels x, y:
    # ann1 = 1,1 | 0,1 | 1,0 ; ann2 = 1,0 | 0,1 | 1,1 -> po = 4/6, p(1) = 4/6 for both,
    # pe = (4/6)^2 + (2/6)^2 = 5/9 -> kappa = (2/3 - 5/9) / (4/9) = 0.25.
    answers = {"ann1": [["x", "y"], ["y"], ["x"]], "ann2": [["x"], ["y"], ["x", "y"]]}
    result = agreement(rows(answers))
    assert result["multi_label"] is True
    assert result["value"] == pytest.approx(0.25)
    assert result["n_records"] == 3
    found = conflicts(rows(answers))
    assert [c["record_id"] for c in found] == ["r0", "r2"]
    assert found[0]["labels"] == {"ann1": ["x", "y"], "ann2": ["x"]}


def test_conflicts_majority_and_ties() -> None:
    answers = {
        "ann1": ["a", "a", "b"],
        "ann2": ["a", "b", "b"],
        "ann3": ["a", "b", None],
    }
    found = conflicts(rows(answers))
    assert [c["record_id"] for c in found] == ["r1"]
    assert found[0]["majority"] == "b"
    assert found[0]["agreement"] == pytest.approx(2 / 3)
    tie = conflicts(rows({"ann1": ["a"], "ann2": ["b"]}))
    assert tie[0]["majority"] is None and tie[0]["agreement"] == 0.5


def test_drafts_and_discards_are_ignored() -> None:
    submitted = rows({"ann1": ["a", "b"], "ann2": ["a", "b"]})
    drafts = rows({"ann3": ["b", "a"]}, status="draft")
    result = agreement(submitted + drafts)
    assert result["annotators"] == ["ann1", "ann2"]
    assert result["value"] == pytest.approx(1.0)
    assert conflicts(submitted + drafts) == []


def test_stack_names_the_component_whose_port_is_taken(tmp_path) -> None:
    from modlab.settings import Settings

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nothing_there = closed.getsockname()[1]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = Settings(
            data_dir=tmp_path,
            argilla_engine_port=port,
            argilla_url=f"http://127.0.0.1:{nothing_there}",
        )
        cfg = argilla_stack.config(settings)
        cfg.root.mkdir(parents=True)
        with pytest.raises(argilla_stack.ArgillaStackError, match=f"engine port {port}"):
            argilla_stack._start_engine(cfg, timeout=5)
    assert argilla_stack.status(settings)["ready"] is False
