"""Phone numbers: digit groups (NORMAL), spelled/oddly separated (SUSPICIOUS), hidden among words
(PARANOID).

``phonenumbers`` decides validity for the project's region and for any ``+CC`` number;
grouped national forms it does not know (``12 34 56 78``) still count, because people
share local numbers without a country code.
"""

from __future__ import annotations

import re

import phonenumbers
from stdnum import luhn

from modlab.detectors._common import DIGIT_WORDS, finalize, make_match
from modlab.detectors.base import DEFAULT_OPTIONS, Detector, DetectorOptions, Match, Mode
from modlab.detectors.registry import register

ENTITY = "phone"
MIN_DIGITS, MAX_DIGITS = 7, 15

_CANDIDATE = re.compile(
    r"(?<![\w+./-])"
    r"(?P<cc>\+\s?\d{1,3}(?:[ .-]?\(0\))?[ .-]?)?"
    r"(?:\(\d{1,5}\)[ .-]?)?"
    r"\d{1,15}(?:(?:[ .-]|\s?/\s?)\d{1,8}){0,7}"
    r"(?:\s{0,2}(?:x|ext\.?|extension)\s{0,2}\d{1,6})?"
    r"(?![\w+]|[.,:/-]\d)",
    re.IGNORECASE,
)
# Digits right after a unit word or right before a capitalised word are a building number
# and a street ("Apt. 675 62314 Mellemvej", "17151 2450 Crown St"), not a phone.
_UNIT_BEFORE = re.compile(r"(?:apt|suite|ste|unit|box|no|#)\.?\s{0,2}$", re.IGNORECASE)
_WORD_AFTER = re.compile(r"[ \t]{1,2}[A-Z\u00c0-\u024f][^\W\d_]")
_EXT = re.compile(r"\s{0,2}(?:x|ext\.?|extension)\s{0,2}\d{1,6}$", re.IGNORECASE)
_DATE = re.compile(
    r"^(?:\d{4}[./-](?:0?[1-9]|1[0-2])[./-](?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])[./-](?:0?[1-9]|1[0-2])[./-](?:\d{4}|\d{2})"
    r"|(?:0?[1-9]|1[0-2])[./-](?:0?[1-9]|[12]\d|3[01])[./-](?:\d{4}|\d{2}))$"
)
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:([.,])\d{3})(?:\1\d{3}){0,4}$")
_DATE_INSIDE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
_YEARS = re.compile(r"^(?:(?:19|20)\d\d[\s,/-]{1,3}){1,6}(?:19|20)\d\d$")

_DW = "|".join(sorted((w for w in DIGIT_WORDS if len(w) > 1), key=len, reverse=True))
_TOKEN = rf"(?:\d{{1,4}}|(?:{_DW})(?![a-z]))"
_SPELLED_SEP = r"(?:[\s,.*_|/-]{1,3})"
_SPELLED = re.compile(
    rf"(?<![\w+.])(?:\+\s?)?{_TOKEN}(?:{_SPELLED_SEP}{_TOKEN}){{2,15}}(?!\w)", re.IGNORECASE
)
_GAP_WORD = rf"(?!(?:{_DW})(?![a-z]))[^\W\d_]{{1,12}}"
# Gaps are spaces (after an optional comma/semicolon) or a dash: "10:30" and "1,250" are
# a time and an amount, not two pieces of a number.
_GAP = r"(?:[,;]?\s{1,3}|\s{0,2}-\s{0,2})"
_INTERLEAVED = re.compile(
    rf"(?<![\w+.,:]){_TOKEN}(?:{_GAP}(?:{_GAP_WORD}{_GAP}){{0,3}}{_TOKEN}){{2,15}}"
    r"(?!\w|[,.:]\d)",
    re.IGNORECASE,
)
_TOKEN_FIND = re.compile(rf"\d+|{_DW}", re.IGNORECASE)


def _digit_count(span: str) -> int:
    return sum(len(t) if t.isdigit() else 1 for t in _TOKEN_FIND.findall(span))


def _not_a_phone(core: str, digits: str) -> bool:
    """Number shapes that belong to other families or are not personal at all."""
    return bool(
        _DATE.match(core)
        or _IPV4.match(core)
        or _SSN.match(core)
        or _THOUSANDS.match(core)
        or _YEARS.match(core)
        or (digits == "x" and _DATE_INSIDE.search(core) is not None)
        or (13 <= len(digits) <= 19 and luhn.is_valid(digits))
    )


def _plain_level(candidate: str, region: str) -> Mode | None:
    """NORMAL for valid or typically grouped numbers, PARANOID for bare digit runs."""
    core = _EXT.sub("", candidate)
    digits = re.sub(r"\D", "", core)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS or _not_a_phone(core, digits):
        return None
    try:
        parsed = phonenumbers.parse(candidate, region)
        if phonenumbers.is_valid_number(parsed):
            return Mode.NORMAL
    except phonenumbers.NumberParseException:
        pass
    if candidate.lstrip().startswith("+"):
        try:
            possible = phonenumbers.is_possible_number(phonenumbers.parse(candidate, region))
        except phonenumbers.NumberParseException:
            possible = False
        return Mode.NORMAL if possible else Mode.SUSPICIOUS
    grouped = bool(re.search(r"[\s().-]", core))
    if grouped:
        return Mode.NORMAL if len(digits) <= 13 else Mode.SUSPICIOUS
    return Mode.PARANOID


def _valid(candidate: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(candidate, region))
    except phonenumbers.NumberParseException:
        return False


@register(ENTITY)
class PhoneDetector(Detector):
    """Finds phone numbers in the project's region and in any ``+CC`` form."""

    def detect(
        self, text: str, mode: Mode = Mode.NORMAL, options: DetectorOptions = DEFAULT_OPTIONS
    ) -> list[Match]:
        mode = Mode.parse(mode)
        region = (options.region or "US").upper()
        found: list[Match] = []
        for m in _CANDIDATE.finditer(text):
            level = _plain_level(m.group(), region)
            if (
                level is not None
                and self._in_address(text, m.start(), m.end())
                and not _valid(m.group(), region)
            ):
                level = None
            if level is not None:
                found.append(make_match(ENTITY, text, m.start(), m.end(), level))
        if mode >= Mode.SUSPICIOUS:
            for m in _SPELLED.finditer(text):
                n = _digit_count(m.group())
                if MIN_DIGITS <= n <= MAX_DIGITS and not _not_a_phone(m.group(), "x"):
                    found.append(make_match(ENTITY, text, m.start(), m.end(), Mode.SUSPICIOUS))
        if mode >= Mode.PARANOID:
            for m in _INTERLEAVED.finditer(text):
                span = m.group()
                if MIN_DIGITS <= _digit_count(span) <= MAX_DIGITS and not _not_a_phone(span, "x"):
                    found.append(make_match(ENTITY, text, m.start(), m.end(), Mode.PARANOID))
        return finalize(found, mode)

    @staticmethod
    def _in_address(text: str, start: int, end: int) -> bool:
        """Digits that sit inside a street address rather than being a phone number."""
        return bool(
            _UNIT_BEFORE.search(text, max(0, start - 8), start) or _WORD_AFTER.match(text, end)
        )
