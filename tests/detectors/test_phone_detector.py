"""Phone detector: the contract's examples per mode, regions, formats and negatives."""

from __future__ import annotations

import pytest

from modlab.detectors import DetectorOptions, Mode, get_detector

MODES = (Mode.NORMAL, Mode.SUSPICIOUS, Mode.PARANOID)


def texts(text: str, mode: Mode, region: str = "US") -> list[str]:
    return [
        m.text for m in get_detector("phone").detect(text, mode, DetectorOptions(region=region))
    ]


@pytest.mark.parametrize(
    ("text", "lowest"),
    [
        ("12 34 56 78", Mode.NORMAL),
        ("one two three four five six seven eight", Mode.SUSPICIOUS),
        ("12 this 34 is 46 an 7 example 8", Mode.PARANOID),
    ],
)
def test_contract_examples_per_mode(text: str, lowest: Mode) -> None:
    for mode in MODES:
        assert texts(text, mode) == ([text] if mode >= lowest else []), mode


def test_seed_moderation_example() -> None:
    text = "You can contact me on mr_robot[at]gmail|DOT|com or call me on 12 34 65 78"
    (match,) = get_detector("phone").detect(text)
    assert match.text == "12 34 65 78"
    assert text[match.start : match.end] == match.text


@pytest.mark.parametrize(
    "number",
    [
        "905-674-3793",
        "(579)888-3058",
        "+1-984-182-0190",
        "+41 (0)85 806 98 67",
        "+447700 921 916",
        "345-899-3560x4587",
        "0490 75 40 81",
        "03.93.92.16.85",
        "(37) 788-063",
        "0393 1144137",
        "9498777106",
        "555.123-4567",
    ],
)
def test_normal_formats(number: str) -> None:
    assert texts(f"call me at {number} tonight", Mode.NORMAL) == [number]


def test_region_option_validates_national_numbers() -> None:
    # A bare run of digits counts in NORMAL only when it is valid in the project's region.
    assert texts("ring 02079460958 now", Mode.NORMAL, region="GB") == ["02079460958"]
    assert texts("ring 02079460958 now", Mode.NORMAL, region="US") == []
    assert texts("ring 02079460958 now", Mode.PARANOID, region="US") == ["02079460958"]


@pytest.mark.parametrize(
    "text",
    [
        "nine one seven, five five five, one two three four",
        "5 5 5 - 1 2 3 - four five six seven",
        "555*123*4567",
    ],
)
def test_spelled_and_mixed_are_suspicious(text: str) -> None:
    assert texts(text, Mode.SUSPICIOUS) == [text]


@pytest.mark.parametrize(
    "text",
    [
        "I paid 1234 dollars for 2 tickets.",
        "Upgrade to version 1.2.3.4 on 2023-01-15.",
        "The meeting is on 12/05/2023 at 10:30.",
        "Years 2019 2020 2021 were hard.",
        "It costs 1.234.567 euros.",
        "Server at 192.168.100.100 is down.",
        "SSN 846-15-5715 is not a phone.",
        "Card 4242 4242 4242 4242 is not a phone.",
        "one or two of them, three at most",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert texts(text, Mode.SUSPICIOUS) == []
