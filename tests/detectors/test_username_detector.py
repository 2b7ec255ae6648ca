"""Username detector: handles, platform prefixes, prose and negatives."""

from __future__ import annotations

import pytest

from modlab.detectors import Mode, get_detector


def texts(text: str, mode: Mode) -> list[str]:
    return [m.text for m in get_detector("username").detect(text, mode)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("follow @chris_93!", "@chris_93"),
        ("ig: name_93", "name_93"),
        ("twitter=@jack", "@jack"),
        ("snap - ghost.rider", "ghost.rider"),
        ("as u/spez said", "u/spez"),
    ],
)
def test_normal_handles(text: str, expected: str) -> None:
    for mode in (Mode.NORMAL, Mode.SUSPICIOUS, Mode.PARANOID):
        assert texts(text, mode) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my insta is chris.93.", "chris.93"),
        ("add me on snap chris93", "chris93"),
        ("my username is xX_slayer_Xx", "xX_slayer_Xx"),
        ("discord tag: wolfie", "wolfie"),
    ],
)
def test_prose_handles_are_suspicious(text: str, expected: str) -> None:
    assert texts(text, Mode.NORMAL) == []
    assert texts(text, Mode.SUSPICIOUS) == [expected]


def test_handle_shaped_words_are_paranoid() -> None:
    assert texts("talk to chris_93 later", Mode.SUSPICIOUS) == []
    assert texts("talk to chris_93 later", Mode.PARANOID) == ["chris_93"]


@pytest.mark.parametrize(
    "text",
    [
        "mail me at jane@example.com",
        "of course the line is busy",
        "meet at 5 @ the cafe",
        "I paid 1234 dollars",
        "my username is",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert texts(text, Mode.SUSPICIOUS) == []
