"""URLs: with a scheme or ``www.`` (NORMAL), bare domains (SUSPICIOUS), spelled dots (PARANOID).

Bare domains only count when their suffix is on the Public Suffix List (tldextract's
bundled snapshot, no network), which keeps ``e.g.``, ``1.2.3`` and ``index.html`` out.
"""

from __future__ import annotations

import re

from modlab.detectors._common import (
    finalize,
    is_public_suffix,
    make_match,
    public_suffix,
    trim_span,
    words,
)
from modlab.detectors.base import DEFAULT_OPTIONS, Detector, DetectorOptions, Match, Mode
from modlab.detectors.registry import register

ENTITY = "url"

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_REST = r"[^\s<>\"'`]{0,2048}"

_SCHEME = re.compile(
    r"(?<![\w@])(?P<scheme>(?:https?|ftps?|sftp|wss?)://|www\.)"
    rf"(?P<host>[\w\[](?:[\w.:\[\]-]{{0,253}}))(?P<rest>{_REST})",
    re.IGNORECASE,
)
# Defanged links ("hxxp://", "http[:]//", "https ://") are shared on purpose.
_DEFANGED = re.compile(
    r"(?<![\w@])(?:h[xX*]{2}ps?|https?)\s{0,2}(?:\[:\]|\(:\)|:)\s{0,2}//\s{0,2}"
    r"[\w\[][^\s<>\"'`]{0,2048}",
    re.IGNORECASE,
)
_BARE = re.compile(
    rf"(?<![\w@.\-/:])(?P<host>(?:{_LABEL}\.){{1,8}}(?P<tld>[A-Za-z]{{2,24}}))"
    r"(?P<rest>(?::\d{1,5})?(?:/[^\s<>\"'`]{0,2048})?)(?![\w@-]|\.\w)"
)
_SPELLED_DOT = (
    r"(?:\s{0,3}[\[({<]\s{0,2}(?:dot|\.)\s{0,2}[\])}>]\s{0,3}|\s{1,3}dot\s{1,3}|\s{1,3}\.\s{1,3})"
)
_SPELLED = re.compile(
    rf"(?<![\w@.-])(?P<host>{_LABEL}(?:{_SPELLED_DOT}{_LABEL}){{0,3}}){_SPELLED_DOT}"
    r"(?P<tld>[A-Za-z]{2,24})(?![\w-])",
    re.IGNORECASE,
)

# Suffixes that are also common file extensions: "setup.py" is far likelier a file.
_FILE_LIKE = words("py sh pl rs md zip mov so cs ps db cc ai gz ts js bz pm rb")
_STOP_HOSTS = words("i a the it is me he we this that and or so")


def _bare_level(host: str, tld: str) -> Mode | None:
    """SUSPICIOUS for a plausible bare domain, PARANOID for file-like or typo-like ones."""
    if not public_suffix(host):
        return None
    if tld.lower() in _FILE_LIKE:
        return Mode.PARANOID
    # "fine.It works" is a missing space, not a domain: mixed-case suffix after lowercase.
    if not (tld.islower() or tld.isupper()):
        return Mode.PARANOID
    return Mode.SUSPICIOUS


@register(ENTITY)
class UrlDetector(Detector):
    """Finds links and domain names, including deliberately broken ones."""

    def detect(
        self, text: str, mode: Mode = Mode.NORMAL, options: DetectorOptions = DEFAULT_OPTIONS
    ) -> list[Match]:
        mode = Mode.parse(mode)
        found: list[Match] = []
        lowered = text.lower()
        if "://" in text or "www." in lowered:
            for m in _SCHEME.finditer(text):
                start, end = trim_span(text, m.start(), m.end())
                if m.group("scheme").lower() == "www.":
                    host = re.split(r"[/:?#]", text[m.start() : end], maxsplit=1)[0]
                    if not public_suffix(host):
                        continue
                if end - start > len(m.group("scheme")):
                    found.append(make_match(ENTITY, text, start, end, Mode.NORMAL))
        if mode >= Mode.SUSPICIOUS:
            if "//" in text:
                for m in _DEFANGED.finditer(text):
                    start, end = trim_span(text, m.start(), m.end())
                    found.append(make_match(ENTITY, text, start, end, Mode.SUSPICIOUS))
            if "." in text:
                for m in _BARE.finditer(text):
                    level = _bare_level(m.group("host"), m.group("tld"))
                    if level is None:
                        continue
                    start, end = trim_span(text, m.start(), m.end())
                    found.append(make_match(ENTITY, text, start, end, level))
        if mode >= Mode.PARANOID:
            for m in _SPELLED.finditer(text):
                first = re.split(r"\W", m.group("host"), maxsplit=1)[0].lower()
                if first in _STOP_HOSTS or not is_public_suffix(m.group("tld")):
                    continue
                found.append(make_match(ENTITY, text, m.start(), m.end(), Mode.PARANOID))
        return finalize(found, mode)
