"""Synthetic training data and training for the name CRF (used by scripts/train_name_model.py).

Sentences come from presidio-research's templates (shared data, MIT) plus modlab's own
chat/social-media templates below, filled with identities from the FakeNameGenerator file
and with the multicultural name lists in ``resources/names/``. Every name placeholder is
labelled per component (FIRST/MIDDLE/LAST, B/I). Nothing from synth_dataset_v2.json is used:
that file is the evaluation set. Generation is seeded, so training is deterministic.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from modlab.detectors.name import (
    MODEL_PATH,
    NAMES_DIR,
    STOPWORDS,
    Gazetteers,
    _cached_features,
    _read_words,
    gazetteers,
    sentence_features,
    tokenize,
)

# Share of names hidden from the gazetteer features during training, so the model also
# learns to find names it has never seen from context and shape (not only from the lists).
GAZETTEER_DROPOUT = 0.3

# modlab's own templates: chat, social media, support tickets, names beside other PII,
# names at sentence start, lower-case names. Same placeholder syntax as presidio's.
OWN_TEMPLATES = [
    "hey {{first_name}} are u coming tonight?",
    "lol {{first_name}} you're crazy",
    "omg {{first_name}} did you see that",
    "@{{first_name}} thanks for the follow!",
    "thx {{first_name}}!!",
    "{{first_name}} pls call me back asap",
    "{{first_name}}, can you send me the file?",
    "{{person}} is the best teacher ever",
    "i think {{first_name}} likes you",
    "tell {{first_name}} i said hi",
    "me and {{first_name}} are going to the mall",
    "{{first_name}} and {{first_name}} are getting married!!",
    "this is {{person}} from accounting, call me at {{phone_number}}",
    "my name is {{person}} and my email is {{email}}",
    "my name's {{first_name}}, I live at {{address}}",
    "Hi, I'm {{person}}. My phone number is {{phone_number}}.",
    "I'm {{first_name}} btw",
    "im {{first_name}} {{last_name}}, nice to meet u",
    "call me {{first_name}}",
    "You can reach {{person}} at {{email}} or {{phone_number}}.",
    "Contact: {{person}}, {{email}}",
    "{{person}} ({{email}}) wrote:",
    "From: {{person}} <{{email}}>",
    "Sent by {{person}} on {{day_of_week}}",
    "Dear {{prefix}} {{last_name}}, thank you for your order.",
    "Dear {{first_name}},",
    "Regards,\n{{person}}",
    "Best,\n{{first_name}}",
    "Thanks, {{first_name}}",
    "Cheers {{first_name}}",
    "{{last_name}} scored twice in the second half.",
    "Coach {{last_name}} was not happy with the referee.",
    "{{prefix}} {{last_name}} will see you now.",
    "Please ask for {{prefix}} {{person}} at the front desk.",
    "The package was signed for by {{person}}.",
    "Who is {{person}}?",
    "Do you know {{first_name}}'s number?",
    "{{first_name}}'s mom called again",
    "{{person}} won the election in {{city}}.",
    "{{person}}, {{age}}, of {{city}}, was arrested on {{day_of_week}}.",
    "Interview with {{person}}, CEO of {{organization}}",
    "Written by {{person}} | {{organization}}",
    "Photo: {{person}} / {{organization}}",
    "{{first_name}} posted a photo in {{city}}",
    "{{first_name}} {{last_name}} liked your comment",
    "{{person}} shared a link: {{url}}",
    "RT @{{first_name}}: {{person}} is trending again",
    "Happy birthday {{first_name}}!!! 🎉",
    "rip {{person}} 🙏",
    "i miss you {{first_name}}",
    "{{first_name}} stop texting me",
    "ugh {{first_name}} is so annoying",
    "ask {{first_name}} or {{first_name}} about it",
    "{{first_name}} wants to know if {{first_name}} is free on {{day_of_week}}",
    "Account holder: {{person}}\nCard: {{credit_card_number}}",
    "Name: {{person}}\nDOB: {{date_of_birth}}\nSSN: {{ssn}}",
    "Patient {{person}}, born {{date_of_birth}}, was admitted with chest pain.",
    "Ticket #{{building_number}} opened by {{person}}",
    "Assigned to {{person}}",
    "{{person}} commented on your post",
    "meeting with {{first_name}} at {{organization}} tomorrow",
    "{{last_name}} said the report would be ready by {{day_of_week}}.",
    "According to {{last_name}}, the numbers are wrong.",
    "The {{last_name}} family moved to {{city}} last year.",
    "{{first_name}} {{middle_name}} {{last_name}} was born in {{city}}.",
    "Full name: {{first_name}} {{middle_name}} {{last_name}}",
    "My full name is {{first_name}} {{middle_name}} {{last_name}}",
    "My name is {{first_name}} {{middle_name}} {{last_name}}",
    "my name is {{person}}",
    "{{first_name}} {{middle_name}} {{last_name}} signed the letter.",
    "Meet {{person}}, our new intern.",
    "We spoke with {{first_name}} {{last_name}} and {{first_name}} {{last_name}}.",
    "Signed, {{first_name}} {{middle_initial}} {{last_name}}",
    "{{first_name}} {{middle_initial}} {{last_name}} was appointed CFO.",
    "Hi, this is {{person}} speaking.",
    "this is {{first_name}} from {{organization}}",
    "{{person}} here, just checking in",
    "It's {{first_name}}! Call me back.",
    "Hi {{first_name}}, this is {{first_name}}.",
    "Hello {{person}}, your appointment is confirmed.",
    "Good morning {{prefix}} {{last_name}}.",
    "I met {{person}} at the conference.",
    "Have you met {{person}}?",
    "{{first_name}} {{last_name}} speaking, how can I help?",
    "Speak to {{person}} in HR.",
    "Congrats {{first_name}}!!",
    "Shoutout to {{person}} for the help",
    "{{person}} is my best friend",
    "my friend {{first_name}} told me about it",
    "with love, {{first_name}}",
    "xoxo {{first_name}}",
    "By {{person}}, Staff Writer",
    "Author: {{person}}",
    "{{person}} and {{person}} will host the show.",
    "Our speaker today is {{prefix}} {{person}}.",
    "Can I talk to {{first_name}} please?",
    "Please call {{prefix}} {{last_name}} tomorrow.",
    "{{prefix}} {{last_name}} will call you back.",
    "Ask {{prefix}} {{last_name}} about the results.",
    "I have an appointment with {{prefix}} {{last_name}} on {{day_of_week}}.",
    "Thank you, {{prefix}} {{last_name}}.",
    # negatives: capitalised non-names, places, organisations, products
    "The Monday meeting at {{organization}} was moved to {{city}}.",
    "Visit {{city}} this summer and enjoy the Grand Canyon.",
    "Apple and Microsoft reported earnings on {{day_of_week}}.",
    "I love New York in the Spring.",
    "Welcome to {{organization}}! Your order ships from {{city}}.",
    "Happy New Year from all of us at {{organization}}",
    "The Supreme Court ruled on Tuesday.",
    "Great Barrier Reef and Sydney Opera House are in Australia.",
    "Please Reply ASAP, Thanks",
    "Order Confirmation: Your Package Has Shipped",
    "lol that was so funny",
    "Call me when you get to {{city}}",
    "My phone number is {{phone_number}}",
    "Is this the right address: {{address}}?",
    "The Eiffel Tower is in Paris, France.",
    "Breaking News: Storm hits {{city}}",
    "Black Friday deals at {{organization}}",
    "Christmas Eve dinner at Grandma's house",
    "Netflix and YouTube were down for an hour.",
    "Google Chrome needs an update.",
    "Amazon Prime Day starts {{day_of_week}}",
    "I work at {{organization}} in {{city}}.",
]

NEGATIVE_SENTENCES = 1000  # plain sentences from lingua's English test data, all "O"
# Sentences of other languages (lingua test data, lines 500-800: lines 0-300 stay unseen for
# checking false positives), all "O": without them every unknown word of a German or Dutch
# sentence looks like a name to a model trained on English.
FOREIGN_NEGATIVES = slice(500, 800)

# Share of made-up names (never in a gazetteer), so unseen names are found from context.
INVENTED_NAMES = 0.15

# A few name templates per language, so names stay detectable in non-English text.
FOREIGN_TEMPLATES = [
    "Ich heiße {{person}} und wohne in {{city}}.",
    "Hallo {{first_name}}, wie geht es dir?",
    "Herr {{last_name}} ist heute nicht im Büro.",
    "Frau {{person}} hat gestern angerufen.",
    "Je m'appelle {{person}} et j'habite à {{city}}.",
    "Bonjour {{first_name}}, comment vas-tu ?",
    "Monsieur {{last_name}} arrive demain.",
    "Me llamo {{person}} y vivo en {{city}}.",
    "Hola {{first_name}}, ¿cómo estás?",
    "El señor {{last_name}} llega mañana.",
    "Mi chiamo {{person}} e abito a {{city}}.",
    "Ciao {{first_name}}, come stai?",
    "Meu nome é {{person}}.",
    "Olá {{first_name}}, tudo bem?",
    "Ik heet {{person}} en ik woon in {{city}}.",
    "Hoi {{first_name}}, hoe gaat het?",
    "Jag heter {{person}}.",
    "Jeg hedder {{person}}.",
    "Jeg heter {{person}} og bor i {{city}}.",
    "Hej {{first_name}}!",
    "Nazywam się {{person}}.",
    "Minun nimeni on {{person}}.",
    "Jmenuji se {{person}}.",
    "A nevem {{person}}.",
    "Benim adım {{person}}.",
    "Меня зовут {{person}}.",
]

PREFIX_MALE = ["Mr.", "Mr", "Dr.", "Dr", "Prof.", "Sir"]
PREFIX_FEMALE = ["Mrs.", "Ms.", "Ms", "Miss", "Dr.", "Prof."]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NATIONALITIES = [
    "American", "British", "French", "German", "Italian", "Spanish", "Japanese", "Chinese",
    "Indian", "Brazilian", "Mexican", "Canadian", "Swedish", "Polish", "Nigerian", "Korean",
]  # fmt: skip
STREET_SUFFIXES = [
    "Street", "St.", "Avenue", "Ave", "Road", "Rd.", "Lane", "Loop", "Route", "Radial",
    "Turnpike", "Courts", "Court", "Rapids", "Way", "Green", "Pass", "Drive", "Boulevard",
    "Place", "Square", "Park", "Hill", "Heights", "Crossing", "Gardens", "Terrace", "Trail",
    "Parkway", "Plaza", "Ridge", "Views", "Station", "Village", "Mews", "Crescent",
]  # fmt: skip
COMPANY_SUFFIXES = ["Inc", "Inc.", "LLC", "Ltd", "Group", "PLC", "and Sons", "& Co.", "GmbH"]
JOBS_FALLBACK = ["nurse", "engineer", "teacher", "lawyer", "chef", "driver", "accountant"]

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
NAME_KINDS = {
    "person": "full", "name": "full", "name_male": "full", "name_female": "full",
    "first_name": "first", "first_name_male": "first", "first_name_female": "first",
    "first_name_nonbinary": "first", "last_name": "last", "last_name_male": "last",
    "last_name_female": "last", "middle_name": "middle", "middle_initial": "middle",
}  # fmt: skip


@dataclass(frozen=True)
class Identity:
    first: str
    middle_initial: str
    last: str
    fields: dict[str, str]


@dataclass
class Sample:
    text: str
    parts: list[tuple[int, int, str]]  # (start, end, component) of every name part


def load_identities(path: Path) -> list[Identity]:
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    return [
        Identity(r["GivenName"], r["MiddleInitial"], r["Surname"], r)
        for r in rows
        if r.get("GivenName") and r.get("Surname")
    ]


def load_templates(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [ln.replace("\\n", "\n").strip() for ln in lines if ln.strip()]


class Generator:
    """Fills templates; every name placeholder records its component spans."""

    def __init__(
        self, identities: list[Identity], seed: int = 7, use_fng_names: bool = True
    ) -> None:
        self.rng = random.Random(seed)
        self.identities = identities
        own_first = sorted(_read_words(NAMES_DIR / "first_names.txt"))
        own_last_lines = [
            ln.strip()
            for ln in (NAMES_DIR / "last_names.txt").read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("#")
        ]
        own_first += [
            "jean-luc", "anne-marie", "marie-claire", "jean-pierre", "hans-peter", "mary-kate",
            "karl-heinz", "ana-maria", "li-na", "seo-yeon",
        ]  # fmt: skip
        own_last_lines += [
            "Smith-Jones", "Lloyd-Webber", "García-Márquez", "Müller-Lüdenscheidt", "von Trapp",
            "von Braun", "van der Merwe", "van Houten", "de la Cruz", "de la Fuente", "da Silva",
            "dos Santos", "di Stefano", "del Rio", "bin Laden", "al-Rashid", "Le Roux", "ter Horst",
        ]  # fmt: skip

        def ok(name: str) -> bool:
            return name.lower() not in STOPWORDS

        self.own_first = [
            "-".join(p[:1].upper() + p[1:] for p in n.split("-")) for n in own_first if ok(n)
        ]
        self.own_last = [n for n in own_last_lines if ok(n)]
        fng_first = sorted({i.first for i in identities}) if use_fng_names else []
        fng_last = sorted({i.last for i in identities}) if use_fng_names else []
        self.fng_first = [n for n in fng_first if ok(n)]
        self.fng_last = [n for n in fng_last if ok(n)]
        self.use_fng = use_fng_names

    # ---- names
    _ONSETS = ("b", "br", "d", "dr", "f", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "r",
               "s", "st", "t", "th", "v", "w", "z", "ch", "sh", "kh")  # fmt: skip
    _NUCLEI = ("a", "e", "i", "o", "u", "ai", "ei", "ou", "ia", "y")
    _CODAS = ("", "", "n", "r", "s", "l", "m", "x", "ck", "rd", "ld", "th", "sk", "nd")

    def _invented(self) -> str:
        """A pronounceable made-up name, never in any gazetteer (Albus, Dumbledore...)."""
        rng = self.rng
        syllables = rng.randint(2, 3)
        word = "".join(
            rng.choice(self._ONSETS) + rng.choice(self._NUCLEI) for _ in range(syllables)
        ) + rng.choice(self._CODAS)
        return word[:1].upper() + word[1:]

    def _first(self) -> str:
        if self.rng.random() < INVENTED_NAMES:
            return self._invented()
        if self.fng_first and self.rng.random() < 0.6:
            return self.rng.choice(self.fng_first)
        return self.rng.choice(self.own_first)

    def _last(self) -> str:
        if self.rng.random() < INVENTED_NAMES:
            return self._invented()
        if self.fng_last and self.rng.random() < 0.6:
            return self.rng.choice(self.fng_last)
        return self.rng.choice(self.own_last)

    def _person(self, kind: str, casing: str) -> list[tuple[str, str]]:
        """[(text, component)] pieces of one name; pieces are joined by single spaces."""
        rng = self.rng
        if kind == "first":
            pieces = [(self._first(), "first")]
        elif kind == "last":
            pieces = [(self._last(), "last")]
        elif kind == "middle":
            pieces = [(self._first(), "middle")]
        else:
            r = rng.random()
            first, last = self._first(), self._last()
            if r < 0.68:
                pieces = [(first, "first"), (last, "last")]
            elif r < 0.8:
                initial = rng.choice("ABCDEFGHIJKLMNOPRSTUVW")
                initial += "." if rng.random() < 0.6 else ""
                pieces = [(first, "first"), (initial, "middle"), (last, "last")]
            elif r < 0.9:
                pieces = [(first, "first"), (self._first(), "middle"), (last, "last")]
            elif r < 0.95:
                pieces = [(first, "first"), (self._last(), "last"), (last, "last")]
            else:
                pieces = [(first, "first"), (last, "last")]
        if casing == "lower":
            pieces = [(t.lower(), c) for t, c in pieces]
        elif casing == "upper":
            pieces = [(t.upper(), c) for t, c in pieces]
        return pieces

    # ---- other placeholders
    def _digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def _street(self, ident: Identity) -> str:
        """A street from the identity, or "<Name> <Suffix>" (streets named after people)."""
        rng = self.rng
        if rng.random() < 0.5:
            return re.sub(r"^\d+\s*", "", ident.fields.get("StreetAddress", "Main Street"))
        name = self._first() if rng.random() < 0.5 else self._last()
        return f"{name} {rng.choice(STREET_SUFFIXES)}"

    def _organization(self, ident: Identity) -> str:
        """A company: from the identity, or named after people ("Barnett, Melton and Garcia")."""
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            return ident.fields.get("Company") or "Acme Inc."
        if r < 0.75:
            return f"{self._last()}, {self._last()} and {self._last()}"
        if r < 0.9:
            return f"{self._last()} {rng.choice(COMPANY_SUFFIXES)}"
        return f"{self._last()}-{self._last()}"

    def _other(self, key: str, ident: Identity) -> str:
        rng, f = self.rng, ident.fields
        street = self._street(ident)
        values = {
            "city": f.get("City", "Springfield"),
            "country": f.get("CountryFull", "Canada"),
            "address": f"{rng.randint(1, 9999)} {street}, {f.get('City')} {f.get('ZipCode')}",
            "street_name": street,
            "building_number": str(rng.randint(1, 9999)),
            "secondary_address": rng.choice(["Apt. ", "Suite ", "Unit "])
            + str(rng.randint(1, 999)),
            "organization": self._organization(ident),
            "phone_number": f.get("TelephoneNumber", "555-0100"),
            "email": f.get("EmailAddress", "someone@example.com"),
            "credit_card_number": " ".join(self._digits(4) for _ in range(4)),
            "iban": "DE" + self._digits(20),
            "url": "https://www." + f.get("Domain", "example.com"),
            "job": f.get("Occupation") or rng.choice(JOBS_FALLBACK),
            "age": str(rng.randint(18, 90)),
            "year": str(rng.randint(1950, 2024)),
            "date_time": f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/{rng.randint(1990, 2024)}",
            "date_of_birth": f.get("Birthday", "1/1/1990"),
            "state_abbr": f.get("State", "CA"),
            "zipcode": f.get("ZipCode", "90210"),
            "postcode": f.get("ZipCode", "90210"),
            "nationality": rng.choice(NATIONALITIES),
            "nation_woman": "a " + rng.choice(NATIONALITIES) + " woman",
            "nation_plural": rng.choice(NATIONALITIES) + "s",
            "ssn": f"{self._digits(3)}-{self._digits(2)}-{self._digits(4)}",
            "ip_address": ".".join(str(rng.randint(1, 254)) for _ in range(4)),
            "day_of_week": rng.choice(DAYS),
            "us_driver_license": self._digits(9),
            "prefix": rng.choice(PREFIX_MALE + PREFIX_FEMALE),
            "prefix_male": rng.choice(PREFIX_MALE),
            "prefix_female": rng.choice(PREFIX_FEMALE),
        }
        return values.get(key, "something")

    def fill(self, template: str, chat: bool = False) -> Sample:
        rng = self.rng
        ident = rng.choice(self.identities)
        r = rng.random()
        lower_p = 0.25 if chat else 0.06
        casing = "lower" if r < lower_p else "upper" if r < lower_p + 0.01 else "title"
        out: list[str] = []
        parts: list[tuple[int, int, str]] = []
        pos = 0
        cursor = 0
        for m in _PLACEHOLDER.finditer(template):
            literal = template[cursor : m.start()]
            out.append(literal)
            pos += len(literal)
            key = m.group(1)
            kind = NAME_KINDS.get(key)
            if kind is None:
                value = self._other(key, ident)
                out.append(value)
                pos += len(value)
            else:
                if key == "middle_initial":
                    initial = rng.choice("ABCDEFGHJKLMNPRSTW")
                    pieces = [(initial + ("." if rng.random() < 0.6 else ""), "middle")]
                else:
                    pieces = self._person(kind, casing)
                for k, (piece, comp) in enumerate(pieces):
                    if k:
                        out.append(" ")
                        pos += 1
                    out.append(piece)
                    parts.append((pos, pos + len(piece), comp))
                    pos += len(piece)
            cursor = m.end()
        out.append(template[cursor:])
        return Sample("".join(out), parts)


def bio_labels(sample: Sample, spans: list[tuple[int, int]]) -> list[str]:
    labels = ["O"] * len(spans)
    for start, end, comp in sample.parts:
        first = True
        for i, (s, e) in enumerate(spans):
            if s >= start and e <= end or s < end and e > start:
                labels[i] = ("B-" if first else "I-") + comp.upper()
                first = False
    return labels


def generate(
    templates_path: Path,
    identities_path: Path,
    negatives_path: Path | None = None,
    *,
    foreign_negatives: list[Path] = (),
    seed: int = 7,
    per_name_template: int = 90,
    per_other_template: int = 12,
    use_fng_names: bool = True,
) -> Iterator[tuple[str, list[tuple[int, int]], list[str]]]:
    """Yield (text, token spans, labels) for every generated training sentence."""
    identities = load_identities(identities_path)
    gen = Generator(identities, seed=seed, use_fng_names=use_fng_names)
    presidio = load_templates(templates_path)
    jobs: list[tuple[str, bool]] = [(t, False) for t in presidio] + [
        (t, True) for t in OWN_TEMPLATES + FOREIGN_TEMPLATES
    ]
    for template, chat in jobs:
        has_name = any(k in NAME_KINDS for k in _PLACEHOLDER.findall(template))
        count = per_name_template if has_name else per_other_template
        for _ in range(count):
            sample = gen.fill(template, chat=chat)
            spans = tokenize(sample.text)
            if spans:
                yield sample.text, spans, bio_labels(sample, spans)
    if negatives_path is not None and negatives_path.exists():
        lines = negatives_path.read_text(encoding="utf-8").splitlines()
        for line in [ln.strip() for ln in lines if ln.strip()][:NEGATIVE_SENTENCES]:
            spans = tokenize(line)
            if spans:
                yield line, spans, ["O"] * len(spans)
    for path in foreign_negatives:
        if not path.exists():
            continue
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        for line in lines[FOREIGN_NEGATIVES]:
            spans = tokenize(line)
            if spans:
                yield line, spans, ["O"] * len(spans)


def write_gazetteers(identities_path: Path) -> None:
    """Given names and surnames of the FakeNameGenerator identities, as gazetteer files."""
    identities = load_identities(identities_path)
    header = (
        "# From presidio-research's FakeNameGenerator.com_3000.csv (MIT, see LICENSE-fng.txt)\n"
    )
    for name, values in (
        ("fng_first.txt", sorted({i.first for i in identities})),
        ("fng_last.txt", sorted({i.last for i in identities})),
    ):
        (NAMES_DIR / name).write_text(header + "\n".join(values) + "\n", encoding="utf-8")
    gazetteers.cache_clear()
    _cached_features.cache_clear()


def _kept(name: str, dropout: float) -> bool:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return digest[0] / 256.0 >= dropout


def training_gazetteers(dropout: float = GAZETTEER_DROPOUT, include_fng: bool = True) -> Gazetteers:
    """The shipped gazetteers minus a deterministic share of names (see GAZETTEER_DROPOUT)."""
    full = gazetteers(include_fng)
    return Gazetteers(
        first=frozenset(n for n in full.first if _kept(n, dropout)),
        last=frozenset(n for n in full.last if _kept("L:" + n, dropout)),
        common=full.common,
    )


def train(
    data: Iterator[tuple[str, list[tuple[int, int]], list[str]]],
    model_path: Path = MODEL_PATH,
    *,
    c1: float = 0.15,
    c2: float = 0.05,
    max_iterations: int = 120,
    dropout: float = GAZETTEER_DROPOUT,
    include_fng: bool = True,
) -> int:
    """Train the CRF (L-BFGS, deterministic) and write it to ``model_path``."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    gaz = training_gazetteers(dropout, include_fng)
    n = 0
    for text, spans, labels in data:
        trainer.append(sentence_features(text, spans, gaz), labels)
        n += 1
    trainer.select("lbfgs")
    trainer.set_params(
        {
            "c1": c1,
            "c2": c2,
            "max_iterations": max_iterations,
            "feature.possible_transitions": True,
            "feature.minfreq": 2,
        }
    )
    model_path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(model_path))
    return n
