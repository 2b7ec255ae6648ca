"""URL detector: the contract's examples per mode, suffix checks and negatives."""

from __future__ import annotations

import pytest

from modlab.detectors import Mode, get_detector

MODES = (Mode.NORMAL, Mode.SUSPICIOUS, Mode.PARANOID)


def texts(text: str, mode: Mode) -> list[str]:
    return [m.text for m in get_detector("url").detect(text, mode)]


@pytest.mark.parametrize(
    ("text", "lowest"),
    [
        ("http://anonymous.com", Mode.NORMAL),
        ("anonymous.com", Mode.SUSPICIOUS),
        ("anonymous(dot)com", Mode.PARANOID),
        ("anonymous . com", Mode.PARANOID),
    ],
)
def test_contract_examples_per_mode(text: str, lowest: Mode) -> None:
    for mode in MODES:
        expected = [text] if mode >= lowest else []
        assert texts(text, mode) == expected, mode
        assert texts(f"visit {text} now", mode) == expected, mode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "see https://en.wikipedia.org/wiki/Foo_(bar)).",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
        ),
        ("go to www.google.com/search?q=1, then", "www.google.com/search?q=1"),
        ("https://www.DigitalFairs.se/", "https://www.DigitalFairs.se/"),
        ("ftp://files.example.org/pub/x.tar.gz", "ftp://files.example.org/pub/x.tar.gz"),
        ("at http://localhost:8080/path?a=b#c.", "http://localhost:8080/path?a=b#c"),
    ],
)
def test_scheme_urls_are_normal(text: str, expected: str) -> None:
    assert texts(text, Mode.NORMAL) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my shop is at shop.example.co.uk/items.", "shop.example.co.uk/items"),
        ("hxxp://evil.ru/x is blocked", "hxxp://evil.ru/x"),
        ("ask on reddit.com today", "reddit.com"),
    ],
)
def test_bare_and_defanged_are_suspicious(text: str, expected: str) -> None:
    assert texts(text, Mode.NORMAL) == []
    assert texts(text, Mode.SUSPICIOUS) == [expected]


def test_spans_report_text_as_written() -> None:
    text = "Links: HTTP://Example.COM/a and example.org"
    matches = get_detector("url").detect(text, Mode.SUSPICIOUS)
    assert [m.text for m in matches] == ["HTTP://Example.COM/a", "example.org"]
    for m in matches:
        assert text[m.start : m.end] == m.text
    assert [m.level for m in matches] == [Mode.NORMAL, Mode.SUSPICIOUS]


def test_file_names_only_in_paranoid() -> None:
    assert texts("run setup.py first", Mode.SUSPICIOUS) == []
    assert texts("run setup.py first", Mode.PARANOID) == ["setup.py"]


@pytest.mark.parametrize(
    "text",
    [
        "e.g. this is fine, i.e. nothing here",
        "version 1.2.3 and 10.0.0.1 are numbers",
        "open index.html and config.json",
        "Mr.Smith arrived at 3.30 p.m.",
        "email me at jane@example.com please",
        "It was over.Then we left.",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert texts(text, Mode.SUSPICIOUS) == []


def test_no_paranoid_false_positives_on_prose() -> None:
    assert texts("I went home. It was late, so we slept.", Mode.PARANOID) == []
