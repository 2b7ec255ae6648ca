"""Email addresses: plain (NORMAL), spelled-out/bracketed (SUSPICIOUS), described (PARANOID).

Every quantifier is bounded and no two adjacent sub-patterns can consume the same
characters ambiguously, so matching stays linear-ish on adversarial input.
"""

from __future__ import annotations

import re

from modlab.detectors._common import finalize, is_public_suffix, make_match, words
from modlab.detectors.base import DEFAULT_OPTIONS, Detector, DetectorOptions, Match, Mode
from modlab.detectors.registry import register

ENTITY = "email"

# Unicode letters are allowed (RFC 6531 local parts, IDN domains: jürgen@münchen.de).
_LOCAL = r"[\w!#$%&'*+/=?^`{|}~-]{1,64}(?:\.[\w!#$%&'*+/=?^`{|}~-]{1,64}){0,8}"
_ULABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"

# RFC-5322-ish addresses as people type them; the TLD is checked against the PSL afterwards.
_PLAIN = re.compile(
    rf"(?<![\w.!#$%&'*+/=?^`{{|}}~-])(?P<local>{_LOCAL})@(?P<domain>{_ULABEL}(?:\.{_ULABEL}){{0,8}}"
    rf"\.(?P<tld>[^\W\d_]{{2,24}}))(?![\w-]|\.\w)"
)

# Obfuscated "at": " at ", "[at]", "(at)", "{at}", "<at>", "|at|", " @ ".
_OPEN = r"[\[({<|*_-]"
_CLOSE = r"[\])}>|*_-]"
_AT = (
    rf"(?:\s{{0,3}}{_OPEN}\s{{0,2}}(?:at|@)\s{{0,2}}{_CLOSE}\s{{0,3}}"
    r"|\s{1,3}(?:at|@)\s{1,3}|\s{1,3}@|@\s{1,3})"
)
_DOT = (
    rf"(?:\s{{0,3}}{_OPEN}\s{{0,2}}(?:dot|\.)\s{{0,2}}{_CLOSE}\s{{0,3}}"
    r"|\s{1,3}(?:dot|\.)\s{1,3}|\s{1,3}\.|\.\s{1,3}|\.)"
)
_WORD = r"[A-Za-z0-9][A-Za-z0-9_%+-]{0,63}"

_OBFUSCATED = re.compile(
    rf"(?<![\w.@-])(?P<local>{_WORD}(?:{_DOT}{_WORD}){{0,3}}){_AT}"
    rf"(?P<domain>{_LABEL}(?:{_DOT}{_LABEL}){{0,3}}){_DOT}(?P<tld>[A-Za-z]{{2,24}})(?![\w-])",
    re.IGNORECASE,
)

_PROVIDERS = (
    r"google|gmail|g-mail|googlemail|yahoo|hotmail|outlook|microsoft|msn|live|icloud|apple"
    r"|proton|protonmail|aol|gmx|yandex|zoho|fastmail|tutanota|comcast|verizon"
)
# Providers whose bare name already means an email address ("reach me, name at gmail").
_MAIL_ONLY = r"gmail|googlemail|hotmail|yahoo|outlook|icloud|protonmail|aol|gmx"
# "name at that google email domain", "name at the usual yahoo address", "name at gmail".
_DESCRIBED = re.compile(
    rf"(?<![\w.@-])(?P<local>{_WORD}(?:\.{_WORD}){{0,3}})\s{{1,3}}(?:at|@|\[at\]|\(at\))\s{{1,3}}"
    r"(?:(?:that|the|this|my|a|an|usual|same|good|old|famous|popular|well|known|big|free)"
    r"\s{1,3}){0,4}"
    rf"(?:(?:{_PROVIDERS})(?:\s{{1,3}}|-)(?:e-?mail|mail)"
    r"(?:\s{1,3}(?:domain|address|service|provider|account|thing|one|site))?"
    rf"|(?:{_PROVIDERS})\s{{1,3}}(?:dot\s{{1,3}})?(?:com|net|org)"
    rf"|(?:{_MAIL_ONLY})(?![@-]|\.\w))(?!\w)",
    re.IGNORECASE,
)

_STOP_LOCALS = words(
    "i me you he she we they it this that look looking me.at be is are was were am "
    "here there home work school stay staying"
)


def _obfuscated_ok(text: str, m: re.Match[str]) -> bool:
    """Spelled-out forms need a real public suffix and a local part that is not a stopword."""
    if m.group("local").lower() in _STOP_LOCALS:
        return False
    return is_public_suffix(m.group("tld"))


@register(ENTITY)
class EmailDetector(Detector):
    """Finds email addresses, including ones written to dodge simple filters."""

    def detect(
        self, text: str, mode: Mode = Mode.NORMAL, options: DetectorOptions = DEFAULT_OPTIONS
    ) -> list[Match]:
        mode = Mode.parse(mode)
        found: list[Match] = []
        has_at = "@" in text
        if has_at:
            for m in _PLAIN.finditer(text):
                if is_public_suffix(m.group("tld")):
                    found.append(make_match(ENTITY, text, m.start(), m.end(), Mode.NORMAL))
        if mode >= Mode.SUSPICIOUS:
            for m in _OBFUSCATED.finditer(text):
                if _obfuscated_ok(text, m):
                    found.append(make_match(ENTITY, text, m.start(), m.end(), Mode.SUSPICIOUS))
        if mode >= Mode.PARANOID:
            for m in _DESCRIBED.finditer(text):
                if m.group("local").lower() in _STOP_LOCALS:
                    continue
                end = m.end()
                found.append(make_match(ENTITY, text, m.start(), end, Mode.PARANOID))
        return finalize(found, mode)
