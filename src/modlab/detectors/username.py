"""Social-media usernames: ``@handles`` and platform-prefixed names (NORMAL), handles
introduced in prose (SUSPICIOUS), handle-shaped tokens on their own (PARANOID).
"""

from __future__ import annotations

import re

from modlab.detectors._common import finalize, make_match, trim_span, words
from modlab.detectors.base import DEFAULT_OPTIONS, Detector, DetectorOptions, Match, Mode
from modlab.detectors.registry import register

ENTITY = "username"

_HANDLE = r"[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,38}[A-Za-z0-9_])?"
_PLATFORMS = (
    r"instagram|insta|ig|twitter|tiktok|tik tok|tt|snapchat|snap|sc|telegram|tg"
    r"|discord|reddit|github|gh|gitlab|kik|facebook|fb|twitch|youtube|yt|threads|mastodon"
    r"|bluesky|bsky|skype|steam|psn|xbox|xbl|wechat|whatsapp|onlyfans|pinterest"
    r"|linkedin|roblox|battletag|venmo|cashapp|cash app|paypal"
)

# "@chris_93" (not the "@" of an email: that one follows a word character).
_AT_HANDLE = re.compile(rf"(?<![\w@./+-])@(?P<handle>{_HANDLE})(?![\w@]|\.[A-Za-z0-9])")
# "ig: name_93", "snap - name", "u/name", "twitter=@name".
_PREFIXED = re.compile(
    rf"(?<![\w])(?:{_PLATFORMS})\s{{0,2}}(?:[:=>]|-{{1,2}}>?|\s-\s)\s{{0,2}}@?(?P<handle>{_HANDLE})"
    r"(?![\w@])",
    re.IGNORECASE,
)
_REDDIT = re.compile(r"(?<![\w/])/?u/(?P<handle>[A-Za-z0-9_-]{3,20})(?![\w/])")
# "my insta is name_93", "add me on snap chris93", "my username is xX_name", "find me as @x".
_PROSE = re.compile(
    rf"(?<![\w])(?:(?:{_PLATFORMS})(?:\s{{1,2}}(?:handle|name|username|user|account|id|tag))?"
    r"|user\s?name|handle|screen\s?name|gamertag|gamer\s?tag|nick(?:name)?|ign|discord\s?tag)"
    r"\s{0,3}(?:is|=|:|->|-)\s{0,3}(?:(?:just|still|now|also)\s{1,3})?"
    rf"@?(?P<handle>{_HANDLE})(?![\w@])",
    re.IGNORECASE,
)
_ON_PLATFORM = re.compile(
    r"(?<![\w])(?:add|follow|find|hit|dm|message|msg|text|ping|search)\s{1,3}(?:me|us)\s{1,3}"
    rf"(?:up\s{{1,3}})?(?:on|at|in)\s{{1,3}}(?:{_PLATFORMS})\s{{0,3}}(?:as|at|:|-)?\s{{0,3}}"
    rf"@?(?P<handle>{_HANDLE})(?![\w@])",
    re.IGNORECASE,
)
# Handle-shaped words: letters mixed with "_" or a trailing number ("chris_93", "xXgamerXx99").
_SHAPED = re.compile(
    r"(?<![\w@./-])(?P<handle>[A-Za-z][A-Za-z0-9]{0,20}_[A-Za-z0-9_]{1,20}"
    r"|[A-Za-z]{3,20}\d{2,4})(?![\w@]|\.[A-Za-z0-9])"
)

_NOT_HANDLES = words(
    "is are was the a an my me on at in to and or but not no yes here there this that it if "
    "gone back down up now just still also same private public"
)


def _ok(handle: str) -> bool:
    """A handle needs a letter or underscore and must not be an ordinary function word."""
    return handle.lower() not in _NOT_HANDLES and bool(re.search(r"[A-Za-z_]", handle))


@register(ENTITY)
class UsernameDetector(Detector):
    """Finds social-media usernames (experimental, as in the reference API)."""

    def detect(
        self, text: str, mode: Mode = Mode.NORMAL, options: DetectorOptions = DEFAULT_OPTIONS
    ) -> list[Match]:
        mode = Mode.parse(mode)
        found: list[Match] = []
        if "@" in text:
            for m in _AT_HANDLE.finditer(text):
                if _ok(m.group("handle")):
                    found.append(make_match(ENTITY, text, m.start(), m.end(), Mode.NORMAL))
        for m in _PREFIXED.finditer(text):
            if _ok(m.group("handle")):
                self._add_handle(found, text, m, Mode.NORMAL)
        if "u/" in text:
            for m in _REDDIT.finditer(text):
                found.append(make_match(ENTITY, text, m.start(), m.end(), Mode.NORMAL))
        if mode >= Mode.SUSPICIOUS:
            for pattern in (_PROSE, _ON_PLATFORM):
                for m in pattern.finditer(text):
                    if _ok(m.group("handle")):
                        self._add_handle(found, text, m, Mode.SUSPICIOUS)
        if mode >= Mode.PARANOID:
            for m in _SHAPED.finditer(text):
                found.append(make_match(ENTITY, text, m.start(), m.end(), Mode.PARANOID))
        return finalize(found, mode)

    @staticmethod
    def _add_handle(found: list[Match], text: str, m: re.Match[str], level: Mode) -> None:
        """Report the handle itself (with its ``@`` if written), not the platform prefix."""
        start, end = m.start("handle"), m.end("handle")
        if start > 0 and text[start - 1] == "@":
            start -= 1
        start, end = trim_span(text, start, end, ".")
        found.append(make_match(ENTITY, text, start, end, level))
