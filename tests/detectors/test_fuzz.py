"""Robustness: random text never raises, adversarial input cannot trigger backtracking blow-ups."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modlab.detectors import Mode, detector_names, get_detector

MY_FAMILIES = ("email", "url", "phone", "username", "sensitive", "address")
FAMILIES = [name for name in MY_FAMILIES if name in detector_names()]
BOUND_S = 2.0  # generous: a catastrophic pattern takes minutes, a linear one milliseconds

ADVERSARIAL = {
    "digits": "1" * 10_000,
    "spaced_digits": "1 " * 5_000,
    "a_at": "a@" * 5_000,
    "a_dot": "a." * 5_000,
    "ats": "@" * 10_000,
    "spaces_then_text": " " * 5_000 + "call me at example@gmail.com or 555-123-4567",
    "dots_words": "a dot " * 1_600,
    "at_words": "x at " * 2_000,
    "hex_colons": "a:" * 5_000,
    "capital_words": "Abc " * 2_500,
    "digit_words": "one " * 2_500,
    "mixed": "12 this " * 1_250,
    "dashes": "1-" * 5_000,
    "letters": "a" * 10_000,
}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=st.text(max_size=10_000), mode=st.sampled_from(list(Mode)))
def test_random_unicode_never_raises(text: str, mode: Mode) -> None:
    for name in FAMILIES:
        for m in get_detector(name).detect(text, mode):
            assert text[m.start : m.end] == m.text
            assert m.level <= mode


@settings(max_examples=80, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("0123456789 .-@:/()+abcxAT_[]|\n")), max_size=2_000)
)
def test_pii_alphabet_never_raises(text: str) -> None:
    for name in FAMILIES:
        matches = get_detector(name).detect(text, Mode.PARANOID)
        assert matches == sorted(matches, key=lambda m: m.start)
        for a, b in zip(matches, matches[1:], strict=False):
            assert a.end <= b.start  # overlaps are resolved


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("case", sorted(ADVERSARIAL))
def test_adversarial_input_is_bounded(family: str, case: str) -> None:
    detector = get_detector(family)
    detector.detect("warm up", Mode.PARANOID)
    text = ADVERSARIAL[case]
    started = time.perf_counter()
    detector.detect(text, Mode.PARANOID)
    assert time.perf_counter() - started < BOUND_S
