"""Ordinary sentences must come back clean from every PII rule detector."""

from __future__ import annotations

import pytest

from modlab.detectors import Mode, get_detector

FAMILIES = ("email", "url", "phone", "username", "sensitive", "address")
ORDINARY = [
    "I paid 1234 dollars for the tickets last week.",
    "Please upgrade to version 2.4.1 before Friday.",
    "The meeting moved to 12/05/2023 at 10:30.",
    "We sold 1,250,000 units in 2022 and 2023.",
    "She scored 98 points and he scored 87.",
    "Thanks for the help, see you tomorrow!",
    "The results were 3.14, 2.71 and 1.41 respectively.",
    "Call me when you get home, okay?",
    "Chapter 11 explains the road ahead for the company.",
    "Our team of 25 people shipped 3 releases this quarter.",
    "He ran 5 km in 21 minutes on Sunday.",
    "The password policy changed last month.",
]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("text", ORDINARY)
def test_no_matches_in_normal_mode(family: str, text: str) -> None:
    assert get_detector(family).detect(text, Mode.NORMAL) == []


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("text", ORDINARY)
def test_no_matches_in_suspicious_mode(family: str, text: str) -> None:
    assert get_detector(family).detect(text, Mode.SUSPICIOUS) == []


@pytest.mark.parametrize("family", ("email", "url", "username", "sensitive"))
@pytest.mark.parametrize("text", ORDINARY)
def test_no_matches_in_paranoid_mode(family: str, text: str) -> None:
    # PARANOID phone/address deliberately flag digits among words ("Chapter 11").
    assert get_detector(family).detect(text, Mode.PARANOID) == []
