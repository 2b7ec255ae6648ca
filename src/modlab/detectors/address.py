"""Postal addresses: street lines with their unit, city, region and postcode.

A small rule parser rather than one giant regex: it finds *anchors* (a street type such
as ``Ave``/``Road``, a street prefix such as ``Rua``/``ul.``, a word with a street suffix
such as ``-katu``/``-strasse``, a PO box, a military address), grows the street line
around them (names to the left, house numbers on either side), then absorbs the
continuation (``Apt. 5``, ``, New York, NY 10153``, further lines of a multi-line
address). Every step looks at a bounded number of tokens, so the cost is linear.

NORMAL: street lines with a number, named streets with a strong type (``Abbey Road``),
PO boxes, military addresses, "City, ST 12345", and places someone says they live in or
come from (a gazetteer place after "in"/"from", any capitalised name after "grew up in",
"moved here from", "flew to"). SUSPICIOUS adds weaker street types without a number
(``Berg Hills``), bare units (``Suite 4``), "Word 12" after an address cue and major
places (countries, big cities) mentioned on their own. PARANOID adds any "Word 12" and
capitalised names after a bare preposition ("near Kleinfeld").
"""

from __future__ import annotations

import gzip
import re
import threading
import unicodedata
from importlib import resources

from modlab.detectors._common import finalize, make_match, words
from modlab.detectors.base import DEFAULT_OPTIONS, Detector, DetectorOptions, Match, Mode
from modlab.detectors.registry import register

ENTITY = "address"

# USPS street suffixes (Publication 28, common ones) and their abbreviations.
STRONG_TYPES = words(
    "street st str avenue ave av road rd boulevard blvd lane ln drive dr court ct crescent cres "
    "terrace ter close square sq place pl highway hwy parkway pkwy trail trl row mews alley "
    "way wy expressway expy freeway fwy turnpike tpke causeway plaza plz circle cir gardens "
    "broadway embankment quay wharf"
)
WEAK_TYPES = words(
    "branch bridge brook brooks burg bypass camp canyon cape center circles cliff cliffs "
    "common corner corners course courts cove coves creek crest crossing crossroad curve dale "
    "dam divide drives estate estates extension fall falls ferry field fields flat flats ford "
    "fords forest forge forges fork forks fort garden gateway glen glens green greens grove "
    "groves harbor harbors haven heights hill hills hollow inlet island islands isle junction "
    "key keys knoll knolls lake lakes land landing light lights loaf lock locks lodge loop mall "
    "manor manors meadow meadows mill mills mission motorway mount mountain mountains neck "
    "orchard oval overpass park parks parkways pass passage path pike pine pines plain plains "
    "point points port ports prairie radial ramp ranch rapid rapids rest ridge ridges river "
    "roads route run shoal shoals shore shores skyway spring springs spur spurs squares "
    "station stations stravenue stream streets summit throughway trace track trafficway "
    "tunnel underpass union unions valley valleys viaduct view views village villages ville "
    "vista walk walks wall ways well wells green"
)
ABBREVIATIONS = words(
    "st str ave av rd blvd ln dr ct cres ter sq pl hwy pkwy trl wy expy fwy tpke plz cir "
    "apt ste fl bldg rm ul al pl avda"
)
# Street words that come before the name ("Rua Augusta 12", "ul. Miła 57").
PREFIXES = words(
    "ul ulica aleja al rua avenida avda av calle carrer avinguda paseo passeig plaza praça praca "
    "largo travessa via viale piazza piazzale corso strada vicolo rue avenue boulevard bd "
    "chemin allée allee impasse quai place cours route straße strasse gasse odos οδός "
    "πλατεία λεωφόρος leoforos plac náměstí namesti trg calea bulevardul strada"
)
# Endings of street names written as one word ("Koskikatu", "Friedhofstrasse", "Sludevej").
SUFFIXES = tuple(
    sorted(
        words(
            "katu kuja tie polku raitti väylä strasse straße str gasse weg allee platz ring damm "
            "ufer gatan gata vägen väg gränd vej gade stræde veien vegen vegur stræti braut laan "
            "straat plein gracht kade dreef singel steeg wei utca út tér ulica cesta ulice "
            "tee põik puiestee sokak sokağı caddesi bulvarı odos"
        )
    )
)
STANDALONE_SUFFIXES = words("tee kapu utca út tér vej gade gata väg weg")
UNIT_WORDS = words("apt apartment suite ste unit flat room rm floor fl bldg building lot space")
# Lowercase words inside place names ("Soto del Barco", "Begunje na Gorenjskem").
PARTICLES = words(
    "de del della da do dos das di la le les van von der den na nad pod e y sur am an im"
)
DIRECTIONS = words("n s e w ne nw se sw north south east west")
STOPWORDS = words(
    "a an the and or but of to in on at by for from with as is are was were be been my your "
    "our his her their its this that these those i you he she we they it me us him them "
    "down up over into onto about near than then there here very more most some any all "
    "each every no not so too just only also per via if when while where which who what "
    "miles mile km minutes hours days years times people dollars euros"
)
US_STATES = words(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP AA AE AP"
)
ADDRESS_CUES = re.compile(
    r"\b(?:address|addresses|live|lives|living|lived|located|locate|location|reside|resides|"
    r"residence|ship|shipped|send|sent|deliver|delivered|delivery|mail|post|office|visit|"
    r"moved|move|meet|return|drops?|stay|staying|side of|corner of|at)\b[^.!?\n]{0,40}$",
    re.IGNORECASE,
)
PLACE_PREPOSITIONS = re.compile(
    r"\b(?:from|to|in|at|near|visit|visiting|visited|via|around|across)\s{1,2}$", re.IGNORECASE
)
# "to Anna", "at Gary": after these a known small place is as likely a person.
WEAK_PREPOSITIONS = re.compile(r"\b(?:to|at|via)\s{1,2}$", re.IGNORECASE)
# Phrases that say where someone lives or goes, so an unknown name after them is a place.
RESIDENCE_CUES = re.compile(
    r"\b(?:(?:grew\sup|born|raised|live[sd]?|living|based|staying|stay|settled|located|"
    r"reside[sd]?|moved(?:\s(?:back|here|there|away))?|move|relocated?|originally|"
    r"flew|fly(?:ing)?|travel(?:l?ing|l?ed)?|going|went|drove|arrived|returned|visit(?:ing|ed)?|"
    r"com(?:e|es|ing)|came|"
    r"headed|heading|trip)\s(?:\w+\s)?(?:in|from|to|at|back\sto)|"
    r"(?:in|to|from)\s(?:the\s)?(?:city|town|village)\sof)\s{1,2}$",
    re.IGNORECASE,
)

_TOKEN = re.compile(
    r"\d{1,4}(?:st|nd|rd|th)(?!\w)|\d{1,6}(?:-\d{1,4})?[A-Za-z]?(?![\w])|[^\W\d_][\w'’-]{0,40}|\S"
)
_MILITARY = re.compile(
    r"(?<!\w)(?:(?:PSC|Unit|CMR)\s{1,2}\d{3,5},?\s{1,2}Box\s{1,2}\d{3,5}"
    r"|(?:USNS|USNV|USS|USCGC)\s{1,2}[A-Z][a-z]{1,20})"
    r"(?:\s{0,3}\n?\s{0,3}(?:APO|FPO|DPO)\s{1,2}(?:AA|AE|AP)\s{1,2}\d{5})?(?!\w)",
    re.IGNORECASE,
)
_PO_BOX = re.compile(
    r"(?<!\w)(?:\d{1,6}\s{1,2})?(?:P\.?\s?O\.?\s?Box|Post\s(?:Office\s)?Box)\s{1,2}\d{1,6}(?!\w)",
    re.IGNORECASE,
)
_CITY_STATE_ZIP = re.compile(
    r"(?<!\w)[A-Z][a-z]{1,20}(?:\s[A-Z][a-z]{1,20}){0,2},\s{1,2}(?P<state>[A-Z]{2})\s{1,2}"
    r"\d{5}(?:-\d{4})?(?!\w)"
)
_UNIT = re.compile(
    r"(?<![\w.])(?:apt|apartment|suite|ste|unit|flat|room|rm|floor|fl|bldg|building)\.?\s{0,2}#?\s?"
    r"\d{1,6}[A-Za-z]?(?!\w)|#\s?\d{1,6}[A-Za-z]?(?!\w)",
    re.IGNORECASE,
)
# A comma or a line break; a new line may start with quote or bullet marks ("> ", "* ").
_SEP_HARD = re.compile(
    r"[ \t]{0,3}(?:,[ \t]{0,3}\n?|\n)(?:[ \t]{0,4}[>*•?|]{1,3})?[ \t]{0,4}(?:,[ \t]{0,3})?"
)
_SEP_SOFT = re.compile(r"[ \t]{1,3}")
_SEP_DOT = re.compile(r"\.[ \t]{1,3}")
_ZIP = re.compile(
    r"(?:\d{4,6}(?:-\d{4})?|\d{2}-\d{3}|[A-Z]\d[A-Z]\s?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2})"
    r"(?![\w-])"
)
_STATE = re.compile(r"(?:[A-Z]{2}|\d{2})(?=[ \t]{0,3}(?:\d|,|\n|$))")
_PLACE_WORDS = re.compile(
    r"[^\W\d_][\w'’.-]{0,30}(?:[ \t]{1,2}(?:[^\W\d_][\w'’.-]{0,30}|\([^\W\d_][\w ]{0,20}\)|\d{1,2}"
    r"(?![\w-]))){0,4}"
)


class _Tok:
    """A token with its shape computed once (the parser looks at each many times)."""

    __slots__ = ("end", "is_cap", "is_num", "is_word", "low", "start", "text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.low = text.lower()
        first = text[0]
        self.is_num = first.isdigit()
        self.is_word = first.isalpha()
        self.is_cap = first.isupper()


_PLACES_LOCK = threading.Lock()
_PLACES: dict[str, bool] | None = None


def _fold(name: str) -> str:
    """Case- and accent-insensitive key for gazetteer look-ups."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def places() -> dict[str, bool]:
    """Folded place name -> is it a major place (country, US state, city of 300k+).

    Loaded on first use from the bundled gazetteer (see scripts/build_places.py).
    """
    global _PLACES
    if _PLACES is None:
        with _PLACES_LOCK:
            if _PLACES is None:
                table: dict[str, bool] = {}
                try:
                    ref = resources.files("modlab.detectors").joinpath(
                        "resources/places/places.txt.gz"
                    )
                    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
                        for line in fh:
                            name, _, flag = line.rstrip("\n").partition("\t")
                            if name:
                                table[name] = flag == "1"
                except (FileNotFoundError, ModuleNotFoundError, OSError):
                    table = {}
                _PLACES = table
    return _PLACES


def _is_place(words: str) -> bool:
    return _fold(words) in places()


def _name_ok(tok: _Tok, need_cap: bool) -> bool:
    if tok.is_num:
        return bool(re.fullmatch(r"\d{1,4}(?:st|nd|rd|th)?", tok.low))
    if not tok.is_word or tok.low in STOPWORDS or tok.low in UNIT_WORDS:
        return False
    return tok.is_cap or not need_cap


class _Parser:
    """Grows address spans from anchors over one text's tokens (one instance per call)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[_Tok] = []
        for m in _TOKEN.finditer(text):
            prev = self.toks[-1] if self.toks else None
            # "St." / "ul.": the dot belongs to the abbreviation (see ``end_of``), not a token.
            if m.group() == "." and prev and prev.end == m.start() and prev.low in ABBREVIATIONS:
                continue
            self.toks.append(_Tok(m.group(), m.start(), m.end()))
        self.spans: list[tuple[int, int, Mode]] = []

    def gap_ok(self, a: _Tok, b: _Tok, newline: bool = False) -> bool:
        """Tokens on one line separated by spaces (and an abbreviation dot)."""
        between = self.text[a.end : b.start]
        if a.low in ABBREVIATIONS and between.startswith("."):
            between = between[1:]
        if newline:
            return bool(re.fullmatch(r"[ \t]{0,3}\n?[ \t]{0,3}", between)) and b.start > a.end
        return bool(re.fullmatch(r"[ \t]{1,3}", between))

    def end_of(self, tok: _Tok) -> int:
        """Token end, plus the dot of an abbreviation ("St.", "Ave.")."""
        if tok.low in ABBREVIATIONS and self.text.startswith(".", tok.end):
            return tok.end + 1
        return tok.end

    def left_numbers(self, i: int) -> int:
        """Index of the first of up to two building numbers just left of token ``i``."""
        j = i
        for _ in range(2):
            if (
                j - 1 >= 0
                and self.toks[j - 1].is_num
                and self.gap_ok(self.toks[j - 1], self.toks[j])
            ):
                j -= 1
            else:
                break
        return j

    def house_number(self, i: int) -> int | None:
        """Index of a house number right after token ``i`` ("Diagon Alley 123")."""
        k = i + 1
        if k < len(self.toks) and self.gap_ok(self.toks[i], self.toks[k]):
            tok = self.toks[k]
            if tok.is_num and re.fullmatch(r"\d{1,5}(?:-\d{1,4})?[A-Za-z]?", tok.text):
                return k
        return None

    def add(self, first: int, last: int, level: Mode) -> None:
        start = self.toks[first].start
        end = self.continuation(self.end_of(self.toks[last]))
        self.spans.append((start, end, level))

    # --- anchors -------------------------------------------------------------------
    def street_types(self) -> None:
        toks = self.toks
        for i, tok in enumerate(toks):
            if not tok.is_word or i == 0:
                continue
            low = tok.low
            strong = low in STRONG_TYPES
            if not strong and low not in WEAK_TYPES:
                continue
            # Names to the left on the same line.
            j = i
            while j - 1 >= 0 and i - (j - 1) <= 4 and self.gap_ok(toks[j - 1], toks[j]):
                if not _name_ok(toks[j - 1], need_cap=False):
                    break
                j -= 1
            # Trim leading numbers back out of the name: they are building numbers.
            first_name = j
            while first_name < i and toks[first_name].text.isdigit():
                first_name += 1
            if first_name == i:
                continue
            names = toks[first_name:i]
            all_cap = all(t.is_cap or t.is_num for t in names)
            start = self.left_numbers(first_name)
            has_building = start < first_name or any(t.text.isdigit() for t in names)
            house = self.house_number(i)
            last = house if house is not None else i
            direction = last + 1
            if (
                direction < len(toks)
                and toks[direction].low in DIRECTIONS
                and (toks[direction].text.isupper() or len(toks[direction].text) > 2)
                and self.gap_ok(toks[last], toks[direction])
            ):
                last = direction  # "Pennsylvania Avenue NW"
            if has_building or house is not None:
                if not all_cap and not strong:  # "scored 98 points" is no street
                    continue
                level = Mode.NORMAL if (strong or all_cap) else Mode.SUSPICIOUS
            elif all_cap:
                level = Mode.NORMAL if strong else Mode.SUSPICIOUS
                # "The Road" or a lone capitalised word at a sentence start is not a street.
                if len(names) == 1 and names[0].low in STOPWORDS:
                    continue
            else:
                continue
            self.add(start, last, level)

    def prefixed(self) -> None:
        toks = self.toks
        for i, tok in enumerate(toks):
            if not tok.is_word or tok.low not in PREFIXES:
                continue
            # Up to six name words (particles like "de", "da" allowed), then a number.
            k = i
            found = None
            named = i  # last word that still reads as part of the name
            while k + 1 < len(toks) and k - i < 7 and self.gap_ok(toks[k], toks[k + 1]):
                nxt = toks[k + 1]
                if nxt.is_num:
                    found = k + 1 if k > i else None
                    break
                if not nxt.is_word:
                    break
                if named == k and nxt.low not in STOPWORDS | UNIT_WORDS:
                    named = k + 1
                k += 1
            start = self.left_numbers(i)
            if found is None:
                # "26 rue des Lilas": a building number before the prefix is enough.
                while named > i and toks[named].low in PARTICLES:
                    named -= 1
                if start == i or named == i:
                    continue
                found = named
            self.add(start, found, Mode.NORMAL)

    def suffixed(self) -> None:
        toks = self.toks
        for i, tok in enumerate(toks):
            if not tok.is_word:
                continue
            low = tok.low
            if not ((low.endswith(SUFFIXES) and len(low) > 5) or low in STANDALONE_SUFFIXES):
                continue
            house = self.house_number(i)
            if house is None:
                continue
            j = i
            short = low in STANDALONE_SUFFIXES or len(low) <= 6
            while j - 1 >= 0 and i - (j - 1) <= 2 and self.gap_ok(toks[j - 1], toks[j]):
                # "Luite tee 87" needs its name; "Brucker Bundesstrasse 31" may have one.
                if toks[j - 1].is_num or not _name_ok(toks[j - 1], need_cap=not short):
                    break
                j -= 1
            if short and j == i:
                continue
            start = self.left_numbers(j)
            self.add(start, house, Mode.NORMAL)

    def numbered_words(self) -> None:
        """ "6750 Koskikatu 25" (two numbers around a name) and "Jahu 80" (cue-dependent)."""
        toks = self.toks
        for i, tok in enumerate(toks):
            if not tok.is_num or i == 0:
                continue
            # Name words immediately to the left of a house number.
            j = i
            while j - 1 >= 0 and i - (j - 1) <= 3 and self.gap_ok(toks[j - 1], toks[j]):
                if not toks[j - 1].is_word or not _name_ok(toks[j - 1], need_cap=False):
                    break
                j -= 1
            if j == i:
                continue
            names = toks[j:i]
            start = self.left_numbers(j)
            capitalised = names[0].is_cap
            if start < j:
                if capitalised:
                    level = Mode.NORMAL
                elif len(toks[start].text) >= 3:  # "2407 somestreet 6", not "7 example 8"
                    level = Mode.SUSPICIOUS
                else:
                    continue
            elif capitalised:
                before = self.text[max(0, toks[j].start - 60) : toks[j].start]
                level = Mode.SUSPICIOUS if ADDRESS_CUES.search(before) else Mode.PARANOID
                if self.continuation(self.end_of(toks[i]), strong_only=True) > toks[i].end:
                    level = Mode.NORMAL
            else:
                continue
            self.add(start, i, level)

    def double_numbers(self) -> None:
        """ "9816 214 Pavlou Drandaki": building and street number, then a capitalised name."""
        toks = self.toks
        for i in range(len(toks) - 2):
            a, b = toks[i], toks[i + 1]
            if not (a.text.isdigit() and b.text.isdigit() and self.gap_ok(a, b)):
                continue
            if i > 0 and toks[i - 1].is_num and self.gap_ok(toks[i - 1], a):
                continue
            k = i + 1
            while k + 1 < len(toks) and k - i < 5 and self.gap_ok(toks[k], toks[k + 1]):
                nxt = toks[k + 1]
                if not (nxt.is_word and nxt.is_cap and nxt.low not in STOPWORDS):
                    break
                k += 1
            if k > i + 1:
                self.add(i, k, Mode.NORMAL)

    def regex_anchors(self) -> None:
        for pattern in (_MILITARY, _PO_BOX):
            for m in pattern.finditer(self.text):
                self.spans.append((m.start(), self.continuation(m.end()), Mode.NORMAL))
        for m in _CITY_STATE_ZIP.finditer(self.text):
            if m.group("state") in US_STATES:
                self.spans.append((m.start(), m.end(), Mode.NORMAL))
        for m in _UNIT.finditer(self.text):
            if m.group().startswith("#"):
                continue  # "#1" alone is a rank, not a flat
            self.spans.append((m.start(), self.continuation(m.end()), Mode.SUSPICIOUS))

    def places(self) -> None:
        """Place names: a location someone discloses ("grew up in Espoo", "from Norway").

        Known place after a place preposition: NORMAL; a major place alone: SUSPICIOUS;
        an unknown capitalised name after a residence phrase ("grew up in", "flew to"):
        NORMAL, after a bare preposition: PARANOID.
        """
        toks = self.toks
        known = places()
        i = 0
        while i < len(toks):
            tok = toks[i]
            if not tok.is_word or tok.low in STOPWORDS:
                i += 1
                continue
            before = self.text[max(0, tok.start - 40) : tok.start]
            if not tok.is_cap:
                # All-lowercase writing: "we moved here from tunisia".
                if RESIDENCE_CUES.search(before) and tok.low in known:
                    self.spans.append((tok.start, tok.end, Mode.NORMAL))
                i += 1
                continue
            cue = PLACE_PREPOSITIONS.search(before) is not None
            best = None
            for n in (4, 3, 2, 1):
                group = toks[i : i + n]
                if len(group) < n or not all(g.is_word and g.is_cap for g in group):
                    continue
                if any(not self.gap_ok(a, b) for a, b in zip(group, group[1:], strict=False)):
                    continue
                major = known.get(_fold(self.text[group[0].start : group[-1].end]))
                if major is None:
                    continue
                # A small town's name alone is more often a person's ("Mary", "Alma").
                weak = WEAK_PREPOSITIONS.search(before) and not RESIDENCE_CUES.search(before)
                if major and self.own_line(group[0].start, group[-1].end):
                    best = (i + n - 1, Mode.NORMAL)  # a place line of a postal block
                elif self.inside_proper_noun(i, i + n - 1):
                    pass  # "Boston Consulting Group", "Arpin Van Lines", "Zizi Konya"
                elif cue and not weak:
                    best = (i + n - 1, Mode.NORMAL)
                elif major:
                    best = (i + n - 1, Mode.SUSPICIOUS)
                elif cue:
                    best = (i + n - 1, Mode.PARANOID)
                break
            if best is None and cue:
                k = i
                last = i
                while k + 1 < len(toks) and k - i < 4 and self.gap_ok(toks[k], toks[k + 1]):
                    nxt = toks[k + 1]
                    if not nxt.is_word or not (nxt.is_cap or nxt.low in PARTICLES):
                        break
                    k += 1
                    if nxt.is_cap:
                        last = k  # "Reguengos de Monsaraz", not "Reguengos de"
                k = last
                strong = RESIDENCE_CUES.search(before) is not None
                best = (k, Mode.NORMAL if strong else Mode.PARANOID)
            if best is not None:
                last, level = best
                self.spans.append((tok.start, toks[last].end, level))
                i = last + 1
            else:
                i += 1

    def inside_proper_noun(self, first: int, last: int) -> bool:
        """Whether capitalised words sit right before or after tokens first..last."""
        toks = self.toks

        def proper(k: int) -> bool:
            tok = toks[k]
            return tok.is_word and tok.is_cap and tok.low not in STOPWORDS

        before = first > 0 and proper(first - 1) and self.gap_ok(toks[first - 1], toks[first])
        after = (
            last + 1 < len(toks) and proper(last + 1) and self.gap_ok(toks[last], toks[last + 1])
        )
        return bool(before or after)

    def own_line(self, start: int, end: int) -> bool:
        """Whether [start, end) is a whole line of a multi-line text ("Los Angeles\\nUSA")."""
        text = self.text
        if "\n" not in text:
            return False
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        return not text[line_start:start].strip(" \t>*,") and not text[end:line_end].strip(" \t.,")

    # --- continuation --------------------------------------------------------------
    def continuation(self, pos: int, strong_only: bool = False) -> int:
        """Extend an address over its unit, city, region, country and postcode parts.

        With ``strong_only`` the result only moves past ``pos`` when the continuation has
        a unit, a postcode or a known place (mere capitalised words prove nothing).
        """
        text = self.text
        end = pos
        after_part = False
        strong = False
        for _ in range(7):
            hard = _SEP_HARD.match(text, end)
            soft = None if hard else _SEP_SOFT.match(text, end)
            if sep_dot := (None if hard or soft else _SEP_DOT.match(text, end)):
                # "utca 76. Apt. 289": a dot after a house number, then the unit.
                unit = _UNIT.match(text, sep_dot.end())
                if unit:
                    end = unit.end()
                    after_part = strong = True
                    continue
            sep = hard or soft
            if sep is None:
                break
            at = sep.end()
            unit = _UNIT.match(text, at)
            if unit:
                end = unit.end()
                after_part = strong = True
                continue
            zip_m = _ZIP.match(text, at)
            if zip_m:
                end = zip_m.end()
                after_part = strong = True
                continue
            if hard:
                state = _STATE.match(text, at)
                if state:
                    end = state.end()
                    continue
            words = _PLACE_WORDS.match(text, at)
            if words:
                kept = self._place_tokens(words.group(), hard, after_part)
                if kept:
                    strong = strong or _is_place(" ".join(kept))
                    end = text.find(kept[-1], at) + len(kept[-1])
                    after_part = False
                    continue
            break
        if strong_only and not strong:
            return pos
        return end

    @staticmethod
    def _place_tokens(phrase: str, hard: bool, after_part: bool) -> list[str]:
        """The leading words of ``phrase`` that read as a city/region/country name."""
        tokens = phrase.rstrip(".").split()
        caps: list[str] = []
        for n, t in enumerate(tokens):
            particle = t.lower() in PARTICLES and n + 1 < len(tokens) and tokens[n + 1][0].isupper()
            if particle and caps:
                caps.append(t)
                continue
            if t.lower() in STOPWORDS or not (t[0].isupper() or t[0] == "(" or t.isdigit()):
                break
            if t.endswith(".") and t.rstrip(".").lower() not in ABBREVIATIONS:
                caps.append(t.rstrip("."))  # a sentence ends here
                break
            caps.append(t)
        if not caps:
            return []
        if hard or after_part:
            return caps
        # After a plain space, only names we know or shouting capitals ("HUTTON HENRY").
        if " ".join(caps).isupper() and len(caps[0]) > 2:
            return caps
        for n in range(len(caps), 0, -1):
            if _is_place(" ".join(caps[:n])):
                return caps[:n]
        return []

    def corners(self) -> None:
        """ "the corner of A and B" is one address."""
        for m in re.finditer(r"(?:the\s)?corner\sof\s", self.text, re.IGNORECASE):
            first = [s for s in self.spans if s[0] == m.end()]
            if not first:
                continue
            a = max(first, key=lambda s: s[1])
            joiner = re.match(r"\s{1,2}(?:and|&)\s{1,2}", self.text[a[1] :])
            if not joiner:
                continue
            b_start = a[1] + joiner.end()
            second = [s for s in self.spans if s[0] == b_start]
            if second:
                b = max(second, key=lambda s: s[1])
                # Named as a corner, the weaker street is as certain as the stronger one.
                self.spans.append((m.start(), b[1], min(a[2], b[2])))


@register(ENTITY)
class AddressDetector(Detector):
    """Finds street addresses, PO boxes and (in looser modes) place names."""

    def detect(
        self, text: str, mode: Mode = Mode.NORMAL, options: DetectorOptions = DEFAULT_OPTIONS
    ) -> list[Match]:
        mode = Mode.parse(mode)
        parser = _Parser(text)
        parser.street_types()
        parser.prefixed()
        parser.suffixed()
        parser.numbered_words()
        parser.double_numbers()
        parser.regex_anchors()
        parser.corners()
        parser.places()
        spans = sorted((s, e, lvl) for s, e, lvl in parser.spans if e > s and lvl <= mode)
        found = [make_match(ENTITY, text, s, e, lvl) for s, e, lvl in _merge_adjacent(text, spans)]
        return finalize(found, mode)


_ADJACENT = re.compile(r"[ \t]{1,3}|[ \t]{0,3}(?:,[ \t]{0,3}\n?|\n)[ \t]{0,4}")


def _merge_adjacent(text: str, spans: list[tuple[int, int, Mode]]) -> list[tuple[int, int, Mode]]:
    """Two address parts side by side are one address ("Bundesstrasse 31 Zezig Streets")."""
    merged: list[list] = []
    for start, end, level in spans:
        if merged and (start <= merged[-1][1] or _ADJACENT.fullmatch(text, merged[-1][1], start)):
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] = min(merged[-1][2], level)
        else:
            merged.append([start, end, level])
    return [(s, e, lvl) for s, e, lvl in merged]
