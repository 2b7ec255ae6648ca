"""Email detector: the contract's examples per mode, obfuscations and negatives."""

from __future__ import annotations

import pytest

from modlab.detectors import Mode, get_detector

MODES = (Mode.NORMAL, Mode.SUSPICIOUS, Mode.PARANOID)


def texts(text: str, mode: Mode) -> list[str]:
    return [m.text for m in get_detector("email").detect(text, mode)]


@pytest.mark.parametrize(
    ("text", "expected", "lowest"),
    [
        ("reach me on example@gmail.com", "example@gmail.com", Mode.NORMAL),
        ("reach me on example at gmail dot com", "example at gmail dot com", Mode.SUSPICIOUS),
        (
            "reach me on example at that google email domain",
            "example at that google email domain",
            Mode.PARANOID,
        ),
        (
            "You can contact me on mr_robot[at]gmail|DOT|com or call me on 12 34 65 78",
            "mr_robot[at]gmail|DOT|com",
            Mode.SUSPICIOUS,
        ),
    ],
)
def test_contract_examples_per_mode(text: str, expected: str, lowest: Mode) -> None:
    for mode in MODES:
        assert (expected in texts(text, mode)) == (mode >= lowest), mode


def test_contract_span_offsets() -> None:
    text = "You can contact me on mr_robot[at]gmail|DOT|com or call me on 12 34 65 78"
    (match,) = get_detector("email").detect(text, Mode.SUSPICIOUS)
    assert (match.start, match.end) == (22, 47)
    assert text[match.start : match.end] == match.text
    assert match.entity == "email"
    assert match.level == Mode.SUSPICIOUS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail john.smith@mail.example.co.uk.", "john.smith@mail.example.co.uk"),
        ("(MatthiasHimmel@armyspy.com)", "MatthiasHimmel@armyspy.com"),
        ("first.last+tag@sub.domain.org, thanks", "first.last+tag@sub.domain.org"),
        ("mail jürgen@münchen.de now", "jürgen@münchen.de"),
        ("пиши на пример@почта.рф", "пример@почта.рф"),
    ],
)
def test_plain_addresses(text: str, expected: str) -> None:
    assert texts(text, Mode.NORMAL) == [expected]


@pytest.mark.parametrize(
    "obfuscated",
    [
        "john (at) yahoo (dot) co (dot) uk",
        "john [at] yahoo [dot] com",
        "john{at}yahoo{dot}com",
        "john AT yahoo DOT com",
        "john @ yahoo . com",
        "john.smith at outlook dot com",
        "john <at> proton <dot> me",
    ],
)
def test_obfuscated_forms_are_suspicious(obfuscated: str) -> None:
    text = f"write to {obfuscated} today"
    assert texts(text, Mode.NORMAL) == []
    assert texts(text, Mode.SUSPICIOUS) == [obfuscated]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ping me: jane_doe at gmail", "jane_doe at gmail"),
        ("jane at the usual yahoo mail address", "jane at the usual yahoo mail address"),
        ("try bob at hotmail com", "bob at hotmail com"),
    ],
)
def test_described_addresses_are_paranoid(text: str, expected: str) -> None:
    assert texts(text, Mode.SUSPICIOUS) == []
    assert texts(text, Mode.PARANOID) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "Look at this dot com bubble chart.",
        "I work at google and live at home.",
        "Meet me at noon, see you there.",
        "The ratio is 3 at 5 dot 2 percent.",
        "a@b.c is not an address and neither is @handle",
        "version 1.2.3 released at 10.30",
        "We stayed at the hotel dot dot dot.",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert texts(text, Mode.SUSPICIOUS) == []


def test_mode_accepts_strings() -> None:
    assert [m.text for m in get_detector("email").detect("x@example.com", "normal")] == [
        "x@example.com"
    ]
