"""Sensitive numbers: payment cards, national and bank identifiers, secrets and device addresses.

Checksummed schemes (Luhn cards, IBAN, ABA routing, SSN ranges) are validated with
python-stdnum so random digit runs do not count; schemes without a checksum (passport,
driver licence, account number, password, PIN) only count next to words that name them.
Each match carries a ``component`` naming the kind of value.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from stdnum import iban, luhn
from stdnum.us import rtn, ssn

from modlab.detectors._common import finalize, make_match, trim_span, words
from modlab.detectors.base import DEFAULT_OPTIONS, Detector, DetectorOptions, Match, Mode
from modlab.detectors.registry import register

ENTITY = "sensitive"

# Joins a keyword to its value: "number", "is", ":", "#" ... in any order, at most three.
_CONN = r"[\s:#=.\-]{0,4}(?:(?:is|was|number|num|no|nr|code|id|#)\b[\s:#=.\-]{0,4}){0,3}"


def _ctx(keywords: str, value: str) -> re.Pattern[str]:
    """``keywords`` then connector words then the value (reported without the keyword)."""
    return re.compile(rf"(?<![\w])(?:{keywords})(?![a-z]){_CONN}(?P<value>{value})", re.IGNORECASE)


_CARD = re.compile(r"(?<![\w.-])(?:\d[ -]?){11,18}\d(?![\w]|[.-]\d)")
_CARD_LOOSE = re.compile(r"(?<![\w.-])(?:\d[ ._/-]{0,2}){11,18}\d(?![\w]|[._/-]\d)")
_CARD_CONTEXT = re.compile(
    r"\b(?:card|credit|debit|visa|master\s?card|amex|american express|discover|maestro|cc)\b",
    re.IGNORECASE,
)
_EXPIRY_VALUE = r"(?:0?[1-9]|1[0-2])\s?[/-]\s?(?:20)?\d{2}(?![\d/])"
_EXPIRY = _ctx(
    r"exp(?:iry|iration|ires|ire|\.)?(?:\s?date)?|valid\s(?:thru|through|until|till)|good\sthru"
    r"|mm\s?/\s?yy",
    _EXPIRY_VALUE,
)
_EXPIRY_BARE = re.compile(rf"(?<![\w/.-])(?P<value>{_EXPIRY_VALUE})")
_CVV = _ctx(
    r"cvv2?|cvc2?|csc|cid|security\scode|card\scode|card\sverification(?:\scode|\svalue)?"
    r"|[34][\s-]?digit\scode",
    r"\d{3,4}(?!\d)",
)
_SSN = re.compile(r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w]|-\d)")
_SSN_CONTEXT = _ctx(
    r"ssn|ss#|social\ssecurity(?:\snumber)?|social\ssec|soc\ssec", r"\d{3}[ .-]?\d{2}[ .-]?\d{4}"
)
_SSN_BARE = re.compile(r"(?<![\w.-])\d{9}(?![\w]|[.-]\d)")
_IBAN = re.compile(
    r"(?<![\w])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,4})?(?!\w)"
)
_ACCOUNT = _ctx(
    r"(?:bank\s|checking\s|savings\s|current\s)?account|acct|a/c|acc",
    r"\d(?:[ -]?\d){5,16}(?![\d])",
)
_ROUTING = _ctx(
    r"routing|aba|rtn|transit(?:\snumber)?|sort\scode|bsb",
    r"\d{9}(?!\d)|\d{2}-\d{2}-\d{2}(?![\d-])|\d{3}-\d{3}(?![\d-])",
)
_PASSPORT = _ctx(r"passport", r"[A-Z0-9]{6,9}(?![\w])")
_DRIVER = _ctx(
    r"driver'?s?\s?licen[cs]e|driving\slicen[cs]e|driver\sid|licen[cs]e|dl|d\.l\.",
    r"[A-Z0-9](?:[A-Z0-9-]{3,18})[A-Z0-9](?![\w-])",
)
# A password needs an explicit "is"/":"/"=": "I forgot my password yesterday" shares none.
_PASSWORD = re.compile(
    r"(?<![\w])(?:password|passwd|passcode|pass\sphrase|passphrase|pwd|pw)(?![a-z])"
    r"(?:\s{1,3}(?:is|was)\b|\s{0,3}(?::|=|->))\s{0,3}(?:(?:now|just|still)\s{1,3})?"
    r"(?P<value>[^\s]{3,64})",
    re.IGNORECASE,
)
_PASSWORD_TOKEN = re.compile(
    r"(?<![\w])(?:pass(?:word|wd)?|p[a@]ssw[o0]rd|letmein|qwerty)\d{2,12}(?!\w)", re.I
)
_PIN = _ctx(r"pin(?:\scode|\snumber)?", r"\d{4,6}(?!\d)")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}|(?=::))(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_MAC = re.compile(
    r"(?<![\w:.-])(?:[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:.-])"
)
_VERSION_BEFORE = re.compile(r"(?:\bv|version|ver\.?|release|build)\s{0,2}$", re.IGNORECASE)
_COMMON_WORDS = words("is was the a an my and or to for of in on not reset changed")
_CARD_PREFIX = re.compile(r"^(?:1800|2131|2[2-7]|3[0-8]|4|5[0-9]|6[0-9])")


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _card_level(text: str, start: int, raw: str, loose: bool) -> Mode | None:
    """Luhn-valid card-length numbers; card words nearby lift weaker shapes a level."""
    digits = _digits(raw)
    if not 12 <= len(digits) <= 19 or not luhn.is_valid(digits) or len(set(digits)) == 1:
        return None
    context = _CARD_CONTEXT.search(text, max(0, start - 60), start) is not None
    known = bool(_CARD_PREFIX.match(digits))
    if loose:
        return Mode.SUSPICIOUS if known or context else None
    if len(digits) >= 13 and known:
        return Mode.NORMAL
    return Mode.NORMAL if context else Mode.PARANOID


def _iban_spans(text: str) -> Iterator[tuple[int, int]]:
    """Valid IBANs; a greedy candidate may have swallowed a following word, so trim it."""
    for m in _IBAN.finditer(text):
        start, end = m.start(), m.end()
        while end - start >= 15:
            if iban.is_valid(text[start:end]):
                yield start, end
                break
            cut = text.rfind(" ", start, end)
            if cut <= start:
                break
            end = cut


def _is_ip(value: str, cls: type) -> bool:
    try:
        cls(value)
    except ValueError:
        return False
    return True


@register(ENTITY)
class SensitiveDetector(Detector):
    """Finds card data, SSNs, IBANs, bank numbers, IDs, secrets, IP and MAC addresses."""

    def detect(
        self, text: str, mode: Mode = Mode.NORMAL, options: DetectorOptions = DEFAULT_OPTIONS
    ) -> list[Match]:
        mode = Mode.parse(mode)
        found: list[Match] = []

        def add(start: int, end: int, level: Mode, component: str) -> None:
            found.append(make_match(ENTITY, text, start, end, level, component=component))

        has_digit = any(c.isdigit() for c in text)
        if has_digit:
            self._cards(text, mode, add)
            self._identifiers(text, mode, add)
            self._network(text, add)
        self._secrets(text, add)
        return finalize(found, mode)

    @staticmethod
    def _cards(text: str, mode: Mode, add) -> None:
        for pattern, loose in ((_CARD, False), (_CARD_LOOSE, True)):
            if loose and mode < Mode.SUSPICIOUS:
                break
            for m in pattern.finditer(text):
                level = _card_level(text, m.start(), m.group(), loose)
                if level is not None:
                    add(m.start(), m.end(), level, "credit_debit_number")
        for m in _EXPIRY.finditer(text):
            add(m.start("value"), m.end("value"), Mode.NORMAL, "expiry_date")
        if mode >= Mode.PARANOID:
            for m in _EXPIRY_BARE.finditer(text):
                add(m.start("value"), m.end("value"), Mode.PARANOID, "expiry_date")
        for m in _CVV.finditer(text):
            add(m.start("value"), m.end("value"), Mode.NORMAL, "cvv")

    @staticmethod
    def _identifiers(text: str, mode: Mode, add) -> None:
        for m in _SSN.finditer(text):
            if ssn.is_valid(m.group()):
                add(m.start(), m.end(), Mode.NORMAL, "ssn")
        for m in _SSN_CONTEXT.finditer(text):
            if ssn.is_valid(_digits(m.group("value"))):
                add(m.start("value"), m.end("value"), Mode.NORMAL, "ssn")
        if mode >= Mode.PARANOID:
            for m in _SSN_BARE.finditer(text):
                if ssn.is_valid(m.group()):
                    add(m.start(), m.end(), Mode.PARANOID, "ssn")
        for start, end in _iban_spans(text):
            add(start, end, Mode.NORMAL, "iban")
        for m in _ROUTING.finditer(text):
            value = m.group("value")
            if len(value) != 9 or rtn.is_valid(value):
                add(m.start("value"), m.end("value"), Mode.NORMAL, "routing_number")
        for m in _ACCOUNT.finditer(text):
            add(m.start("value"), m.end("value"), Mode.NORMAL, "bank_account")
        for pattern, component in ((_PASSPORT, "passport"), (_DRIVER, "driver_id")):
            for m in pattern.finditer(text):
                value = m.group("value")
                if sum(c.isdigit() for c in value) >= 4:
                    add(m.start("value"), m.end("value"), Mode.NORMAL, component)

    @staticmethod
    def _secrets(text: str, add) -> None:
        lowered = text.lower()
        if "p" not in lowered:
            return
        for m in _PASSWORD.finditer(text):
            start, end = trim_span(text, m.start("value"), m.end("value"), ".,;:)]}'\"")
            value = text[start:end]
            if end - start >= 3 and value.lower() not in _COMMON_WORDS:
                add(start, end, Mode.NORMAL, "password")
        for m in _PASSWORD_TOKEN.finditer(text):
            add(m.start(), m.end(), Mode.NORMAL, "password")
        for m in _PIN.finditer(text):
            add(m.start("value"), m.end("value"), Mode.NORMAL, "pin")

    @staticmethod
    def _network(text: str, add) -> None:
        if "." in text:
            for m in _IPV4.finditer(text):
                if _VERSION_BEFORE.search(text, max(0, m.start() - 12), m.start()):
                    continue
                if _is_ip(m.group(), ipaddress.IPv4Address):
                    add(m.start(), m.end(), Mode.NORMAL, "ip_address")
        if ":" in text:
            for m in _IPV6.finditer(text):
                value = m.group()
                if value.count(":") >= 2 and _is_ip(value, ipaddress.IPv6Address):
                    add(m.start(), m.end(), Mode.NORMAL, "ip_address")
        for m in _MAC.finditer(text):
            add(m.start(), m.end(), Mode.NORMAL, "mac_address")
