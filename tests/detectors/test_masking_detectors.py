"""Masking detector output: the seed's moderation example end to end, plus span merging."""

from __future__ import annotations

from modlab.detectors import Mode, apply_masks, get_detector, merge_spans

SEED = "You can contact me on mr_robot[at]gmail|DOT|com or call me on 12 34 65 78"


def test_seed_example_masked() -> None:
    spans = [
        (m.start, m.end, "{{ email hidden }}")
        for m in get_detector("email").detect(SEED, Mode.SUSPICIOUS)
    ] + [(m.start, m.end, "{{ number hidden }}") for m in get_detector("phone").detect(SEED)]
    assert apply_masks(SEED, spans) == (
        "You can contact me on {{ email hidden }} or call me on {{ number hidden }}"
    )


def test_nothing_masked_in_normal_mode_for_obfuscated_email() -> None:
    spans = [(m.start, m.end, "X") for m in get_detector("email").detect(SEED, Mode.NORMAL)]
    assert apply_masks(SEED, spans) == SEED


def test_overlapping_families_mask_once() -> None:
    text = "write to jane@example.com now"
    spans = [
        (m.start, m.end, f"[{m.entity}]")
        for name in ("email", "url")
        for m in get_detector(name).detect(text, Mode.PARANOID)
    ]
    assert apply_masks(text, spans) == "write to [email] now"


def test_sensitive_components_masked() -> None:
    text = "card 4242 4242 4242 4242 exp 12/26 cvv 123"
    matches = get_detector("sensitive").detect(text)
    assert [m.component for m in matches] == ["credit_debit_number", "expiry_date", "cvv"]
    masked = apply_masks(text, [(m.start, m.end, f"<{m.component}>") for m in matches])
    assert masked == "card <credit_debit_number> exp <expiry_date> cvv <cvv>"


def test_merge_spans_keeps_first_mask() -> None:
    assert merge_spans([(5, 10, "b"), (0, 7, "a"), (20, 25, "c")]) == [(0, 10, "a"), (20, 25, "c")]
