"""Names of protected groups, hidden from an n-gram hate classifier.

Hate speech is about a group, so in every public hate set the group's name is the strongest
single n-gram: trained on them, the built-in linear models scored "Women are amazing"
DISCRIMINATION 0.78 and "Being gay is perfectly normal" 0.78 ("women are" +1.37, "gay" +1.07
in the logit, "amazing" -0.21), and flagged half of 30 ordinary sentences about groups. More
neutral identity sentences move this little (the known fix for identity-term bias, Dixon et
al. 2018; measured here with five times the weight: 10 of 15 still flagged).

A trainer with ``mask_identity_terms=True`` deletes the names from the text and adds one 0/1
feature, "names a protected group", the same for every group. The model then judges what is
*said* about a group ("… are rats", "deport all …", slurs) and can still learn that hate is
about a group, but no group's name is the hate: "Women are amazing" and "Christians are
amazing" score the same. Deleting the names without that feature made exclusion phrases the
cue instead ("I want to go home" hate 0.33). Figures: README, "What is said about whom".

Slurs are not identity terms and are kept; so are words such as "girls" that other labels
(sexual/minors) need, and non-protected targets ("politicians"), which is how the models
learn that abuse of them is offensive, not hate.
"""

from __future__ import annotations

import re

# Plural and adjective forms of the groups in modlab's identity templates and the public
# sets (HatEval: women, immigrants; Davidson: race, sexuality; ToxiGen's 13 groups).
IDENTITY_TERMS = (
    r"muslims?", r"islam(?:ic)?", r"jews?", r"jewish", r"christians?", r"catholics?",
    r"hindus?", r"sikhs?", r"buddhists?", r"atheists?",
    r"blacks?", r"whites?", r"asians?", r"africans?", r"mexicans?", r"latin(?:o|a|x)s?",
    r"hispanics?", r"arabs?", r"indians?", r"chinese", r"natives?",
    r"immigrants?", r"migrants?", r"refugees?", r"foreigners?",
    r"women", r"woman", r"men", r"females?",
    r"gays?", r"lesbians?", r"bisexuals?", r"homosexuals?", r"trans", r"transgenders?",
    r"disabled",
)  # fmt: skip
# "Black people", "Native Americans": the noun after the name goes too, or "people" alone
# would stand for every group that needs it ("people are a disease" flagged, "are a disease"
# not).
_FOLLOWERS = r"people|persons|folks?|americans?|communit(?:y|ies)|men|women|guys"
_IDENTITY_RE = re.compile(
    r"\b(?:" + "|".join(IDENTITY_TERMS) + r")(?:\s+(?:" + _FOLLOWERS + r"))?\b", re.IGNORECASE
)
_SPACES = re.compile(r"  +")


def names_identity_group(text: str) -> bool:
    """Whether ``text`` names a protected group (what the masked names leave of them)."""
    return _IDENTITY_RE.search(text) is not None


def mask_identity_terms(text: str) -> str:
    """``text`` without the names of protected groups ("Women are amazing" -> "are amazing")."""
    masked, found = _IDENTITY_RE.subn("", text)
    return _SPACES.sub(" ", masked).strip() if found else text
