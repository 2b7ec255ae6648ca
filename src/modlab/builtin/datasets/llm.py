"""LLM-labelled concepts: from the local LLM's label probabilities to concepts.

No public labelled data exists here for sexual / flirting / violence / threat / self-harm /
drugs / sensitive-topic content or for sentiment, so these follow the product's own
auto-labelling workflow (see data/builtin/README.md):

* hand-written label descriptions (data/builtin/llm_schemas.json);
* hand-written, hand-labelled seeds and hard negatives (data/builtin/llm_seeds.txt,
  :mod:`.seeds`): the reviewed core; a fixed share (``seed_heldout``) is never trained on and
  measures the builds;
* an unlabelled pool of real text (tweets, SMS, lingua sentences; keyword-enriched for rare
  concepts) scored by the local LLM (scripts/llm_label_builtin.py →
  data/builtin/llm_labels.jsonl: each label's first-answer-token probability);
* concepts from those probabilities by per-concept thresholds (``LLM_THRESHOLDS``), chosen on
  the seeds' own LLM scores (the agreement figures in data/builtin/README.md), corrected by
  reviewed overrides (data/builtin/llm_overrides.jsonl).
"""

from __future__ import annotations

import re
from functools import lru_cache

from modlab.builtin.datasets.concepts import IMPLIED_CONCEPTS, LLM_CONCEPTS
from modlab.builtin.datasets.sources import REPO_DATA_DIR
from modlab.training.splits import normalise_text

LLM_LABELS_FILE = "llm_labels.jsonl"


# Content label of the LLM schema -> (concept, low, high, keyword group). The small LLM puts
# most probability on "none", so a concept holds when its label's first-token probability is
# >= high, or >= low and the text matches the concept's keyword group (CONCEPT_KEYWORDS): a
# documented correction rule, chosen on the seeds' own LLM scores (scripts/llm_label_builtin.py
# --report prints the F1 of each rule on the seeds).
LLM_THRESHOLDS: dict[str, tuple[str, float, float, str]] = {
    # seeds' F1 of this rule (LLM alone at its best plain threshold): see data/builtin/README.md
    "sexual": ("sexual", 0.01, 0.03, "sexual"),  # 0.72 (0.68)
    "flirting": ("flirtation", 0.10, 0.30, "flirt"),  # 0.77 (0.71)
    "threat": ("threat", 0.15, 0.15, "threat"),  # 0.69 (0.69)
    "violence": ("violence", 0.15, 0.20, "violence"),  # 0.76 (0.75)
    "suicide": ("self_harm", 0.01, 0.30, "self_harm"),  # 0.43 (0.33)
    "drugs": ("drugs_weapons", 0.005, 0.70, "drugs"),  # 0.49 (0.47)
    "politics": ("sensitive", 0.003, 0.005, "sensitive"),  # 0.52 (0.52)
}


# Subtype schemas: (schema, answer, concept, minimum probability); only when the parent holds.
LLM_SUBTYPE_THRESHOLDS: tuple[tuple[str, str, str, float], ...] = (
    # The small LLM leans to the first answer of these schemas (median p(graphic) 0.9 on the
    # pool's violent texts): high thresholds keep only its surest answers; these labels come
    # mostly from the hand-written seeds.
    ("sexual_minors", "minor", "sexual_minors", 0.5),
    ("violence_detail", "graphic", "violence_graphic", 0.95),
    ("self_harm_type", "intent", "self_harm_intent", 0.8),
    ("self_harm_type", "instructions", "self_harm_instructions", 0.5),
)


# Sentiment: the LLM's most probable answer, kept only when at least this probable.
LLM_SENTIMENT_MIN_P = 0.5


# Keyword groups (word-start match) used to enrich the LLM pool with candidates of rare
# concepts, and to leave unreviewed look-alikes out of the negatives (see _unreviewed_risky).
CONCEPT_KEYWORDS: dict[str, str] = {
    "sexual": r"sex|sexy|nude|naked|horny|porn|boob|tits|dick|cock|pussy|cum|suck|fuck me|"
    r"orgasm|blowjob|thong|lingerie|nipple|erect|bang her|bang him|ride me|hooker|stripper",
    "flirt": r"cute|gorgeous|beautiful|handsome|sexy|babe|baby girl|date me|your number|crush|"
    r"kiss|single\b|marry me|hottie|wink|miss you|love you|ur hot|you're hot|youre hot",
    "threat": r"i'?ll kill|gonna kill|going to kill|i will kill|kill you|shoot you|stab|"
    r"beat (your|ur|you)|punch|slap|choke|hang (them|him|her)|should die|deserve to die|"
    r"murder|break your|i'?ll hurt",
    "violence": r"kill|shot|shoot|gun|blood|bleed|stab|murder|dead|beat|fight|punch|bomb|"
    r"knife|war\b|attack|torture|massacre|behead|corpse",
    "self_harm": r"suicid|kill myself|kms|want to die|wanna die|cut myself|cutting|self harm|"
    r"self-harm|end it all|overdose|anorex|bulimi|starv|hang myself|slit|no reason to live",
    "drugs": r"weed|blunt|cocaine|coke\b|molly|xan|pills|high af|stoned|420|crack|meth|heroin|"
    r"drunk|wasted|shots\b|glock|rifle|ammo|ak47|pistol",
    "sensitive": r"trump|obama|hillary|election|vote|congress|senate|president|god\b|jesus|"
    r"church|pray|muslim|islam|christian|religion|abortion|immigra|refugee|terror|isis|"
    r"police|war\b|funeral|cancer",
}


@lru_cache(maxsize=16)
def keyword_rx(*groups: str) -> re.Pattern[str]:
    pattern = "|".join(CONCEPT_KEYWORDS[g] for g in groups)
    return re.compile(r"(?<![a-z])(?:" + pattern + r")", re.IGNORECASE)


def llm_concepts(llm: dict, text: str = "") -> dict[str, bool]:
    """LLM first-token probabilities (one llm_labels.jsonl row's ``llm``) → concepts."""
    content = llm.get("content", {})
    out = dict.fromkeys(LLM_CONCEPTS, False)
    for label, (concept, low, high, group) in LLM_THRESHOLDS.items():
        p = content.get(label, 0.0)
        out[concept] = p >= high or (p >= low and bool(keyword_rx(group).search(text)))
    parents = {c: p[0] for c, p in IMPLIED_CONCEPTS.items()}
    for schema, answer, concept, threshold in LLM_SUBTYPE_THRESHOLDS:
        parent = parents[concept]
        scores = llm.get(schema, {})
        ok = out[parent] or (concept == "violence_graphic" and out["threat"])
        out[concept] = ok and scores.get(answer, 0.0) >= threshold
    if out["violence_graphic"]:
        out["violence"] = True
    return out


def llm_sentiment(llm: dict) -> str | None:
    scores = llm.get("sentiment") or {}
    if not scores:
        return None
    best = max(scores, key=scores.get)
    return best if scores[best] >= LLM_SENTIMENT_MIN_P else None


@lru_cache(maxsize=1)
def read_llm_labels() -> tuple[dict, ...]:
    """Rows of data/builtin/llm_labels.jsonl (pool rows only: seeds are labelled by hand)."""
    import json

    path = REPO_DATA_DIR / LLM_LABELS_FILE
    if not path.exists():
        return ()
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("source") not in ("seed", "hard_negative") and "content" in row["llm"]:
                rows.append(row)
    return tuple(rows)


LLM_OVERRIDES_FILE = "llm_overrides.jsonl"


@lru_cache(maxsize=1)
def llm_overrides() -> dict[str, dict[str, bool]]:
    """Reviewed corrections (data/builtin/llm_overrides.jsonl): normalised text -> concepts.

    Rows are matched on a prefix of the text, as long as the row gives (texts are quoted
    cut at 120 characters when reviewed).
    """
    import json

    path = REPO_DATA_DIR / LLM_OVERRIDES_FILE
    out: dict[str, dict[str, bool]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if "text" in row:
                unknown = set(row["set"]) - set(LLM_CONCEPTS)
                if unknown:
                    raise ValueError(f"{LLM_OVERRIDES_FILE}: unknown concepts {unknown}")
                out[normalise_text(row["text"].rstrip("…"))] = dict(row["set"])
    return out


def apply_overrides(text: str, concepts: dict[str, bool]) -> None:
    key = normalise_text(text)
    for prefix, changes in llm_overrides().items():
        if key.startswith(prefix):
            concepts.update(changes)
