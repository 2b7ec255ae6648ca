"""Address detector: the seed's examples, international and multi-line forms, places, negatives."""

from __future__ import annotations

import pytest

from modlab.detectors import Mode, get_detector


def texts(text: str, mode: Mode = Mode.NORMAL) -> list[str]:
    return [m.text for m in get_detector("address").detect(text, mode)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "You can visit our store on 767 5th Ave, New York, NY 10153.",
            "767 5th Ave, New York, NY 10153",
        ),
        ("They live on the Abbey Road, but it's a long way from here.", "Abbey Road"),
        ("Diagon Alley 123 is hidden behind the brick wall.", "Diagon Alley 123"),
    ],
)
def test_seed_examples_in_every_mode(text: str, expected: str) -> None:
    for mode in Mode:
        assert texts(text, mode) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Persint is at 6750 Koskikatu 25 Apt. 864\nArtilleros\n, CO\n Uruguay 64677",
            "6750 Koskikatu 25 Apt. 864\nArtilleros\n, CO\n Uruguay 64677",
        ),
        ("Please ship it to 1600 Pennsylvania Avenue NW.", "1600 Pennsylvania Avenue NW"),
        (
            "The restaurant is located at 731 ul. Miła 57 Apt. 819 Rzeszów Poland. It serves food.",
            "731 ul. Miła 57 Apt. 819 Rzeszów Poland",
        ),
        ("Send it to Rua Augusta 274, Lisboa", "Rua Augusta 274, Lisboa"),
        ("He lives at Friedhofstrasse 33 now", "Friedhofstrasse 33"),
        ("Meet me at PSC 1437, Box 3833\nAPO AA 66791", "PSC 1437, Box 3833\nAPO AA 66791"),
        ("Write to P.O. Box 255, Springfield", "P.O. Box 255, Springfield"),
        (
            "here they are: the corner of ul. Grochowa 80 and Lahtinen Road",
            "the corner of ul. Grochowa 80 and Lahtinen Road",
        ),
        (
            "> Lina\n> 2224 Trenerys gate 232\n> Apt. 342\n> TRONDHEIM\n> Norway 64389",
            "2224 Trenerys gate 232\n> Apt. 342\n> TRONDHEIM\n> Norway 64389",
        ),
    ],
)
def test_street_addresses_are_normal(text: str, expected: str) -> None:
    assert texts(text) == [expected]


def test_spans_are_the_input_slice() -> None:
    text = "Name: X\nAddress:     3421 Fagradalsbraut 71\nPisão\n, CO\n 46381"
    (match,) = get_detector("address").detect(text)
    assert text[match.start : match.end] == match.text
    assert match.text.startswith("3421 Fagradalsbraut 71") and match.text.endswith("46381")


@pytest.mark.parametrize(
    ("text", "expected", "lowest"),
    [
        ("I'm originally from Norway", "Norway", Mode.NORMAL),
        ("Mr. Baader grew up in Remniku.", "Remniku", Mode.NORMAL),
        ("France was super fun to visit!", "France", Mode.SUSPICIOUS),
        ("Apartment details: Suite 464", "Suite 464", Mode.SUSPICIOUS),
        ("I'm in Kuopio, at the conference", "Kuopio", Mode.NORMAL),
        ("The bus stops near Kleinfeld every hour", "Kleinfeld", Mode.PARANOID),
    ],
)
def test_places_per_mode(text: str, expected: str, lowest: Mode) -> None:
    for mode in Mode:
        assert (expected in texts(text, mode)) == (mode >= lowest), mode


@pytest.mark.parametrize(
    "text",
    [
        "I walked 3 miles down the road yesterday.",
        "I paid 1234 dollars for 2 tickets.",
        "Windows 10 is great and Chapter 5 is better.",
        "This song was #1 for weeks.",
        "The road to success is long.",
        "Mary said hello to Anna and David.",
        "Can you call me tomorrow?",
        "We met on 2023-01-15 at 10:30.",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert texts(text, Mode.SUSPICIOUS) == []
