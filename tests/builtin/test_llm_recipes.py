"""The analyzers built from hand seeds + LLM labels: propriety, nsfw, sentiment, and the new
openai / sightengine categories (data/builtin/llm_seeds.txt, llm_labels.jsonl).

Needs no LLM: the committed JSONL is the data.
"""

from __future__ import annotations

import pytest

from modlab.analyzers.builtin import BUILTIN_LABELS
from modlab.builtin import datasets as ds
from modlab.training.splits import normalise_text

NEW = ("propriety", "nsfw", "sentiment")


@pytest.fixture(scope="module")
def recipes():
    return {name: ds.recipe(name) for name in (*NEW, "openai", "sightengine")}


def test_new_analyzers_are_buildable_with_every_label(recipes):
    for name in NEW:
        assert name in ds.BUILDABLE
        r = recipes[name]
        assert r.label_names == BUILTIN_LABELS[name]
        assert r.neutral_label == "NEUTRAL"
        counts = r.label_counts()
        assert min(counts.values()) >= 20, (name, counts)
    assert recipes["propriety"].multi_label and recipes["nsfw"].multi_label
    assert not recipes["sentiment"].multi_label


def test_every_openai_and_sightengine_label_has_data(recipes):
    for name in ("openai", "sightengine", "propriety", "nsfw"):
        assert not ds.NO_DATA_LABELS.get(name), (name, ds.NO_DATA_LABELS.get(name))
        counts = recipes[name].label_counts()
        assert all(v > 0 for v in counts.values()), (name, counts)
    counts = recipes["openai"].label_counts()
    for label in ("sexual", "violence", "self-harm", "harassment/threatening"):
        assert counts[label] >= 30, (label, counts[label])


def test_multi_label_rows_co_occur_and_neutral_is_alone(recipes):
    prop = recipes["propriety"]
    assert any(set(lab) == {"FLIRTATION", "SEXUALLY_EXPLICIT"} for lab in prop.labels)
    oa = recipes["openai"]
    assert any({"harassment/threatening", "violence"} <= set(lab) for lab in oa.labels)
    for name in ("propriety", "nsfw"):
        assert all("NEUTRAL" not in lab or lab == ["NEUTRAL"] for lab in recipes[name].labels)


@pytest.mark.parametrize("name", (*NEW, "openai", "sightengine"))
def test_no_evaluation_text_or_heldout_seed_reaches_training(recipes, name):
    train = {normalise_text(t) for t in recipes[name].texts}
    assert not train & ds.eval_keys()
    heldout = {normalise_text(s.text) for s in ds.read_seeds() if ds.seed_heldout(s.text)}
    assert heldout and not train & heldout


def test_recipes_are_deterministic(recipes):
    for name in NEW:
        again = ds.recipe(name)
        assert again.texts == recipes[name].texts and again.labels == recipes[name].labels
        q1, q2 = ds.recipe(name, quick=True), ds.recipe(name, quick=True)
        assert q1.texts == q2.texts and len(q1.texts) <= len(recipes[name].texts)


def test_seeds_are_labelled_and_hard_negatives_are_negative():
    seeds = ds.read_seeds()
    assert len(seeds) >= 250
    by = {s.text: s for s in seeds}
    for text in ("I read a book to kill time on the train", "I grew up reading Dick Tracy's comics",
                 "I'm not used to failure, but I'll learn from this"):  # fmt: skip
        assert not by[text].concepts
    # subtypes imply their parent concept
    assert all("sexual" in s.concepts for s in seeds if "sexual_minors" in s.concepts)
    assert all("self_harm" in s.concepts for s in seeds if "self_harm_intent" in s.concepts)
    # every concept has seeds, on both sides of the held-out split
    for concept in ds.LLM_CONCEPTS:
        mine = [s for s in seeds if concept in s.concepts]
        assert len(mine) >= 5, concept
        assert any(not ds.seed_heldout(s.text) for s in mine), concept


def test_llm_rows_map_to_concepts():
    rows = ds.read_llm_labels()
    assert len(rows) >= 800
    assert all(r["agent"].startswith("llama_cpp:") for r in rows)
    c = ds.llm_concepts(
        {
            "content": {"threat": 0.6, "violence": 0.2, "none": 0.2},
            "violence_detail": {"graphic": 0.99},
        }
    )
    assert c["threat"] and c["violence_graphic"] and c["violence"] and not c["sexual"]
    assert (
        ds.llm_sentiment({"sentiment": {"positive": 0.4, "negative": 0.35, "neutral": 0.25}})
        is None
    )


@pytest.fixture(scope="module")
def quick_built(tmp_path_factory, builtin_data_dir):
    from modlab.builtin.build import build_builtin
    from modlab.settings import get_settings

    get_settings.cache_clear()
    models = tmp_path_factory.mktemp("llm_models")
    return {
        name: build_builtin(name, quick=True, models_dir=models, log=False)
        for name in (*NEW, "openai")
    }


def _scores(path, texts):
    from modlab.analyzers.trained import PredictorAnalyzer

    return [r.label_scores for r in PredictorAnalyzer.from_dir("x", path).predict(texts)]


@pytest.mark.parametrize(
    ("name", "label", "positive", "negative"),
    [
        ("propriety", "SEXUALLY_EXPLICIT", "send nudes babe, I'm so horny tonight",
         "Sex education classes cover consent and puberty."),
        ("propriety", "FLIRTATION", "hey cutie, can I get your number? 😘",
         "great presentation today, your slides were really clear"),
        ("nsfw", "UNSAFE", "I'm going to stab you and watch you bleed",
         "I read a book to kill time"),
        ("sentiment", "POSITIVE", "I love this, best day ever, thank you so much!",
         "worst service ever, I hate this place"),
        ("sentiment", "NEGATIVE", "worst service ever, I hate this place",
         "I love this, best day ever, thank you so much!"),
        ("openai", "violence", "I'm going to stab you and watch you bleed",
         "I grew up reading Dick Tracy's comics"),
    ],
)  # fmt: skip
def test_quick_builds_score_obvious_examples_above_hard_negatives(
    quick_built, name, label, positive, negative
):
    from modlab.builtin.build import build_info

    path = quick_built[name]
    info = build_info(name, path.parent)
    assert tuple(info["labels"]) == BUILTIN_LABELS[name]
    pos, neg = _scores(path, [positive, negative])
    assert tuple(pos) == BUILTIN_LABELS[name]
    assert pos[label] > neg[label], (label, pos, neg)
