"""NORMAL ⊂ SUSPICIOUS ⊂ PARANOID: whatever a stricter mode finds, a looser one covers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modlab.detectors import Mode, get_detector

FAMILIES = ("email", "url", "phone", "username", "sensitive", "address")
SNIPPETS = [
    "reach me on example@gmail.com",
    "example at gmail dot com",
    "mr_robot[at]gmail|DOT|com",
    "http://anonymous.com",
    "anonymous.com",
    "anonymous(dot)com",
    "12 34 56 78",
    "one two three four five six seven eight",
    "12 this 34 is 46 an 7 example 8",
    "follow @chris_93",
    "my insta is chris.93",
    "card 4242 4242 4242 4242 exp 12/26 cvv 123",
    "my password is hunter22",
    "767 5th Ave, New York, NY 10153",
    "I'm originally from Norway",
    "Diagon Alley 123",
    "I paid 1234 dollars",
    "see you on 12/25",
    "and then",
    "\n",
    ", ",
]


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=6))
def test_looser_modes_cover_stricter_ones(parts: list[str]) -> None:
    text = " ".join(parts)
    for family in FAMILIES:
        detector = get_detector(family)
        found = {mode: detector.detect(text, mode) for mode in Mode}
        for strict, loose in ((Mode.NORMAL, Mode.SUSPICIOUS), (Mode.SUSPICIOUS, Mode.PARANOID)):
            for m in found[strict]:
                assert any(o.start <= m.start and m.end <= o.end for o in found[loose]), (
                    family,
                    strict,
                    m,
                )
