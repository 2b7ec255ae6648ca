"""Readers of the public data sets (../shared/data) and of modlab's own lists (data/builtin)."""

from __future__ import annotations

import csv
import hashlib
import html
import re
from functools import lru_cache
from pathlib import Path

from modlab.settings import REPO_ROOT, get_settings
from modlab.training.splits import normalise_text

HELDOUT_PERCENT = 20


REPO_DATA_DIR = REPO_ROOT / "data" / "builtin"


def shared_data_dir() -> Path:
    return get_settings().shared_dir / "data"


def heldout(text: str, percent: int = HELDOUT_PERCENT) -> bool:
    """True for the fixed evaluation share of Davidson / SMS spam (hash of normalised text)."""
    digest = hashlib.sha1(normalise_text(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


_MENTION = re.compile(r"@\w+")


_URL = re.compile(r"https?://\S+|www\.\S+")


_RT = re.compile(r"(^|\s)RT\s+(?=@)")


_SPACE = re.compile(r"\s+")


def clean_tweet(text: str) -> str:
    """Davidson's raw tweets in TweetEval's form: ``@user`` mentions, no ``RT``, no entities.

    Removing the source's artefacts keeps the model from learning *which data set* a text
    came from (Davidson is 77 % offensive, so ``RT @`` would become an offensive cue).
    """
    text = html.unescape(html.unescape(text))
    text = _URL.sub("http", text)
    text = _RT.sub(" ", text)
    text = _MENTION.sub("@user", text)
    text = text.lstrip("!: ").strip()
    return _SPACE.sub(" ", text)


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def repo_jsonl(name: str) -> list[tuple[int, dict]]:
    """``(line number, object)`` of a JSON-lines file in data/builtin (blank lines skipped)."""
    import json

    lines = read_lines(REPO_DATA_DIR / name)
    return [(n, json.loads(line)) for n, line in enumerate(lines, 1) if line.strip()]


def repo_list(name: str) -> list[str]:
    out = []
    for line in read_lines(REPO_DATA_DIR / name):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


@lru_cache(maxsize=1)
def read_davidson() -> list[tuple[str, int]]:
    """``(clean text, class)`` per tweet: 0 hate, 1 offensive, 2 neither."""
    rows = []
    with (shared_data_dir() / "davidson" / "labeled_data.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows.append((clean_tweet(row["tweet"]), int(row["class"])))
    return rows


@lru_cache(maxsize=4)
def read_tweeteval(task: str, split: str) -> list[tuple[str, int]]:
    base = shared_data_dir() / "tweeteval" / task
    texts = read_lines(base / f"{split}_text.txt")
    labels = [int(v) for v in read_lines(base / f"{split}_labels.txt")]
    if len(texts) != len(labels):
        raise ValueError(f"tweeteval/{task}/{split}: {len(texts)} texts, {len(labels)} labels")
    return [(t.strip(), y) for t, y in zip(texts, labels, strict=True)]


@lru_cache(maxsize=1)
def read_toxigen() -> list[tuple[str, bool]]:
    rows = []
    with (shared_data_dir() / "toxigen" / "toxigen_seed_sentences.tsv").open(
        encoding="utf-8"
    ) as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            text = (row.get("text") or "").strip().lstrip("- ").strip()
            if text:
                rows.append((text, row["label"].strip() == "hate"))
    return rows


@lru_cache(maxsize=1)
def read_sms() -> list[tuple[str, bool]]:
    rows = []
    with (shared_data_dir() / "sms_spam" / "sms.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 2:
                rows.append(("\t".join(row[1:]).strip(), row[0] == "spam"))
    return rows


@lru_cache(maxsize=1)
def read_english_sentences() -> list[str]:
    path = shared_data_dir() / "lingua_testdata" / "language-testdata" / "sentences" / "en.txt"
    return [s.strip() for s in read_lines(path) if s.strip()]


def everyday_by_kind(held_out: bool) -> dict[str, list[str]]:
    """Ordinary text that is not social media, SMS ham and lingua English sentences: the
    fixed held-out share (:func:`heldout`) or the rest."""
    return {
        "sms_ham": [t for t, spam in read_sms() if not spam and heldout(t) == held_out],
        "prose": [s for s in read_english_sentences() if heldout(s) == held_out],
    }


def everyday_texts() -> list[str]:
    """The everyday text to train on (the held-out share is the false-positive evaluation).

    The tweet sets' negatives are tweets; trained on them alone, toxicity flagged 23 % of
    ordinary SMS ("Sorry, I'll call later") and 4 % of clean prose.
    """
    return [t for texts in everyday_by_kind(held_out=False).values() for t in texts]


def hard_negatives() -> list[str]:
    return repo_list("hard_negatives.txt")


def hard_negative_sections() -> list[tuple[str, str]]:
    """``(section title, text)`` of hard_negatives.txt (its ``## title`` comment lines)."""
    out, section = [], ""
    for line in read_lines(REPO_DATA_DIR / "hard_negatives.txt"):
        line = line.strip()
        if line.startswith("##"):
            section = line.lstrip("# ").lower()
        elif line and not line.startswith("#"):
            out.append((section, line))
    return out
