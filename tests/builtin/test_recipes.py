"""Recipes: documented labels, label mapping, and no evaluation text in any training set."""

from __future__ import annotations

from collections import Counter

import pytest

from modlab.analyzers.builtin import BUILTIN_LABELS, OPENAI_CATEGORIES, SIGHTENGINE_CLASSES
from modlab.builtin import datasets as ds
from modlab.builtin.datasets import recipes as recipe_mod
from modlab.builtin.datasets import seeds as seed_mod
from modlab.training.splits import normalise_text


@pytest.fixture(scope="module")
def recipes():
    return {name: ds.recipe(name) for name in ds.BUILDABLE}


def test_recipes_use_the_documented_labels(recipes):
    for name, r in recipes.items():
        assert r.label_names == BUILTIN_LABELS[name]
        used = {lbl for lab in r.labels for lbl in (lab if isinstance(lab, list) else [lab])}
        assert used <= set(r.label_names)
    assert recipes["toxicity"].label_names == ("TOXICITY", "PROFANITY", "DISCRIMINATION", "NEUTRAL")
    assert recipes["quality"].label_names == ("SPAM", "INCOHERENT", "UNSUBSTANTIAL", "NEUTRAL")
    assert recipes["openai"].label_names == OPENAI_CATEGORIES
    assert recipes["sightengine"].label_names == SIGHTENGINE_CLASSES
    assert recipes["openai"].neutral_label is None and recipes["sightengine"].neutral_label is None
    assert recipes["toxicity"].multi_label and not recipes["quality"].multi_label


def test_labels_with_data_have_examples_and_the_rest_are_declared(recipes):
    for name, r in recipes.items():
        counts = r.label_counts()
        missing = set(ds.NO_DATA_LABELS.get(name, ()))
        for label, count in counts.items():
            assert (count == 0) == (label in missing), (name, label, count)
    # every category now has data (hand-written seeds + LLM labels for the rare ones)
    assert not ds.NO_DATA_LABELS["openai"] and not ds.NO_DATA_LABELS["sightengine"]


def test_categories_co_occur(recipes):
    tox = recipes["toxicity"]
    combos = {tuple(sorted(lab)) for lab in tox.labels}
    assert ("DISCRIMINATION", "PROFANITY", "TOXICITY") in combos
    assert all("NEUTRAL" not in lab or lab == ["NEUTRAL"] for lab in tox.labels)


def test_label_mapping_of_sources():
    dav = {"hate": True, "offensive": True, "profane": False}
    ex = ds.Example("x", "davidson", dav)
    assert ds.concept_labels("toxicity", ex) == ["TOXICITY", "DISCRIMINATION"]
    assert ds.concept_labels("openai", ex) == ["hate", "harassment"]
    assert ds.concept_labels("sightengine", ex) == ["discriminatory", "insulting", "toxic"]
    none = ds.Example("y", "x", dict.fromkeys(ds.CONCEPTS, False))
    assert ds.concept_labels("toxicity", none) == ["NEUTRAL"]
    assert ds.concept_labels("openai", none) == []


def test_hard_negatives_are_trained_as_harmless(recipes):
    tox = recipes["toxicity"]
    held_out = ds.eval_keys()  # the comment-spam evaluation holds out some ordinary comments
    negatives = {t for t in ds.hard_negatives() if normalise_text(t) not in held_out}
    assert len(negatives) >= 100
    seen = [lab for t, lab in zip(tox.texts, tox.labels, strict=True) if t in negatives]
    assert len(seen) == len(negatives)
    assert all(lab == ["NEUTRAL"] for lab in seen)


@pytest.mark.parametrize("name", ds.BUILDABLE)
def test_no_evaluation_text_reaches_training(recipes, name):
    train = {normalise_text(t) for t in recipes[name].texts}
    for es in ds.eval_sets().values():
        leaked = [t for t in es.texts if normalise_text(t) in train]
        assert not leaked, (name, es.name, leaked[:3])


def test_evaluation_splits_are_fixed_and_sized():
    sets = ds.eval_sets()
    assert len(sets["tweeteval_hate"].texts) == 2970
    assert len(sets["tweeteval_offensive"].texts) == 860
    n_dav = len(ds.read_davidson())
    assert 0.17 * n_dav < len(sets["davidson_hate"].texts) < 0.23 * n_dav
    assert sum(sets["sms_spam"].y) > 100
    comments = sets["comment_spam"]  # SPAM beyond SMS: both sides held out from every recipe
    assert sum(comments.y) >= 40 and len(comments.y) - sum(comments.y) >= 20
    # the held-out choice depends on the text only (same on every machine)
    assert ds.heldout("Some  TEXT") == ds.heldout("some text")
    assert sets["davidson_hate"].texts == ds.eval_sets()["davidson_hate"].texts


def test_quality_data_covers_every_label(recipes):
    counts = recipes["quality"].label_counts()
    assert min(counts.values()) >= 500
    gibberish = ds.incoherent_texts(8)
    assert len(set(gibberish)) == 8 and gibberish == ds.incoherent_texts(8)
    assert "ok" in ds.unsubstantial_texts(10)


def test_quick_recipe_keeps_every_label_with_data():
    r = ds.recipe("openai", quick=True)
    assert 200 < len(r.texts) < 2000
    counts = r.label_counts()
    assert counts["hate"] > 0 and counts["harassment"] > 0


def test_unknown_analyzers_are_refused_with_the_buildable_list():
    with pytest.raises(ValueError, match="no recipe for 'nope' .buildable: toxicity"):
        ds.recipe("nope")


def test_profanity_label_skips_names_that_contain_a_listed_word():
    assert not ds.is_profane("I grew up reading Dick Tracy's comics")
    assert not ds.is_profane("a great tit was singing")
    assert ds.is_profane("what a dick")
    assert ds.is_profane("Moby Dick? more like moby dick-head, what a dick")


def test_toxicity_trains_on_the_seeds_training_share(recipes):
    tox = recipes["toxicity"]
    labels = {normalise_text(t): lab for t, lab in zip(tox.texts, tox.labels, strict=True)}
    seeds = ds.read_seeds()
    hate = [s for s in seeds if "hate" in s.concepts and not ds.seed_heldout(s.text)]
    assert len(hate) >= 30
    assert all("DISCRIMINATION" in labels[normalise_text(s.text)] for s in hate)
    neutral = [s for s in seeds if not s.concepts and not ds.is_profane(s.text)]
    kept = [s for s in neutral if normalise_text(s.text) in labels]
    assert kept and all(labels[normalise_text(s.text)] == ["NEUTRAL"] for s in kept)
    held = [s for s in seeds if ds.seed_heldout(s.text)]
    assert held and not any(normalise_text(s.text) in labels for s in held)


def test_small_recipes_get_everyday_sms_as_neutral_filler(recipes):
    sms = recipe_mod._neutral_sms(ds.SMS_FILLER, 0, set())
    spam = {t for t, is_spam in ds.read_sms() if is_spam}
    keywords = ds.keyword_rx(*ds.CONCEPT_KEYWORDS)
    assert len(sms) == ds.SMS_FILLER and not spam & set(sms)
    assert not any(keywords.search(t) or recipe_mod._SMS_ROMANCE.search(t) for t in sms)
    assert "Thank you princess! I want to see your nice juicy booty..." not in sms
    for name in ("nsfw", "propriety"):
        r = recipes[name]
        filler = [lab for lab, src in zip(r.labels, r.sources, strict=True) if src == "sms"]
        assert len(filler) == ds.SMS_FILLER, name
        assert all(lab == ["NEUTRAL"] for lab in filler), name
    # ham carries sentiment: in the sentiment recipe only with a lexicon label (below)
    assert "sms" not in set(recipes["sentiment"].sources)


def test_everyday_first_person_wishes_are_neutral_in_the_small_recipes(recipes):
    wishes = ds.everyday_first_person()
    assert len(wishes) == len(set(wishes)) == 600 and wishes == ds.everyday_first_person()
    assert not any(ds.keyword_rx("sexual", "self_harm", "threat").search(t) for t in wishes)
    for name in ("nsfw", "propriety"):
        r = recipes[name]
        labels = [lab for t, lab in zip(r.texts, r.labels, strict=True) if t in set(wishes)]
        assert len(labels) == len(wishes) and all(lab == ["NEUTRAL"] for lab in labels), name


def test_identity_templates_teach_that_hate_needs_a_protected_group(recipes):
    templates = ds.read_labelled_lines(ds.IDENTITY_TEMPLATES_FILE)
    assert len(templates) >= 100 and all("{g}" in t.text for t in templates)
    train, held = ds.identity_template_examples(), ds.identity_template_examples(held_out=True)
    assert train == ds.identity_template_examples()  # the same groups on every build
    held_keys = {normalise_text(e.text) for e in held}
    assert not any(normalise_text(e.text) in held_keys for e in train)
    protected = {g.lower() for g in seed_mod._IDENTITY_GROUPS}
    for e in train + held:
        target_is_protected = any(g in e.text.lower() for g in protected)
        if e.concepts["hate"]:
            assert target_is_protected and e.concepts["offensive"], e.text
        assert e.concepts["hate_threat"] == (e.concepts["hate"] and e.concepts["threat"])
    abuse = [e for e in train if e.concepts["offensive"] and not e.concepts["hate"]]
    assert abuse and all(any(t in e.text for t in seed_mod._OTHER_TARGETS) for e in abuse)
    # the evaluation set: every held-out template with every protected group
    es = ds.eval_sets()["identity_templates"]
    assert es.texts == [e.text for e in held] and 0.3 < sum(es.y) / len(es.y) < 0.6
    # in the recipes: the same words are DISCRIMINATION / hate only against a protected group
    tox = dict(zip(recipes["toxicity"].texts, recipes["toxicity"].labels, strict=True))
    oai = dict(zip(recipes["openai"].texts, recipes["openai"].labels, strict=True))
    for e in train:
        assert ("DISCRIMINATION" in tox[e.text]) == e.concepts["hate"], e.text
        assert ("hate/threatening" in oai[e.text]) == e.concepts["hate_threat"], e.text
        if not e.concepts["offensive"] and not ds.is_profane(e.text):
            assert tox[e.text] == ["NEUTRAL"] and oai[e.text] == [], e.text


def test_casual_profanity_is_profane_but_not_harassment(recipes):
    train, held = ds.casual_profanity_examples(), ds.casual_profanity_examples(held_out=True)
    assert len(train) >= 50 and len(held) >= 15
    assert sum(e.concepts["profane"] for e in train) >= 0.8 * len(train)
    held_keys = {normalise_text(e.text) for e in held}
    tox = dict(zip(recipes["toxicity"].texts, recipes["toxicity"].labels, strict=True))
    oai = dict(zip(recipes["openai"].texts, recipes["openai"].labels, strict=True))
    sight = dict(zip(recipes["sightengine"].texts, recipes["sightengine"].labels, strict=True))
    for e in train:
        profane = e.concepts["profane"]
        assert tox[e.text] == (["PROFANITY"] if profane else ["NEUTRAL"]), e.text
        assert oai[e.text] == [], e.text  # no harassment, no hate
        assert sight[e.text] == (["toxic"] if profane else []), e.text
    for name in ("toxicity", "openai", "sightengine"):
        assert not held_keys & {normalise_text(t) for t in recipes[name].texts}, name


def _assert_never_trained(recipes, texts):
    """``texts`` are evaluation keys, and no recipe trains on any of them."""
    banned = {normalise_text(t) for t in texts}
    assert banned <= ds.eval_keys()
    for analyzer, r in recipes.items():
        assert not banned & {normalise_text(t) for t in r.texts}, analyzer


@pytest.mark.parametrize(
    ("name", "size", "positives", "concept"),
    [
        ("identity_statements", 45, 15, "hate"),
        ("threat_statements", 60, 30, "threat"),
        ("self_harm_statements", 50, 20, "self_harm"),
    ],
)
def test_hand_written_statements_are_an_evaluation_set_only(
    recipes, name, size, positives, concept
):
    es = ds.eval_sets()[name]
    assert len(es.texts) == size and sum(es.y) == positives and es.concept == concept
    _assert_never_trained(recipes, es.texts)


def test_everyday_text_is_a_negative_in_the_moderation_recipes_and_its_held_out_share_never(
    recipes,
):
    held = ds.everyday_heldout()
    assert len(held["sms_ham"]) > 800 and len(held["prose"]) > 150
    held_keys = {normalise_text(t) for texts in held.values() for t in texts}
    assert held_keys <= ds.eval_keys()
    for name, r in recipes.items():
        assert not held_keys & {normalise_text(t) for t in r.texts}, name
    everyday = set(ds.everyday_texts())
    assert not held_keys & {normalise_text(t) for t in everyday}
    tox = recipes["toxicity"]
    seen = [lab for t, lab, src in zip(tox.texts, tox.labels, tox.sources, strict=True)
            if src == "everyday"]  # fmt: skip
    assert len(seen) > 3000 and all(lab == ["NEUTRAL"] for lab in seen)
    assert "Sorry, I'll call later" in held["sms_ham"]  # the docstring's example: held out
    # swearing SMS are left out: whether they offend depends on whom they address
    assert not any(ds.is_profane(t) for t, src in zip(tox.texts, tox.sources, strict=True)
                   if src == "everyday")  # fmt: skip


def test_sentiment_learns_everyday_text_at_the_ends_the_lexicon_is_sure_of(recipes):
    assert ds.lexicon_sentiment("Depends on where u going lor.") == "neutral"  # no sentiment word
    assert ds.lexicon_sentiment("Thank you so much, I love it, it's wonderful!") == "positive"
    assert ds.lexicon_sentiment("Sorry, I'll call later") is None  # between the ends: left out
    assert ds.lexicon_sentiment("I hate this, it's awful") is None  # negative end: never
    r = recipes["sentiment"]
    rows = [(t, lab, src) for t, lab, src in zip(r.texts, r.labels, r.sources, strict=True)
            if src.startswith("lexicon_")]  # fmt: skip
    counts = Counter((src.removeprefix("lexicon_"), lab.lower()) for _, lab, src in rows)
    assert counts == ds.LEXICON_SENTIMENT_ROWS
    assert all(ds.lexicon_sentiment(t) == lab.lower() for t, lab, _ in rows)
    training_share = set(ds.everyday_texts())  # never the held-out share (evaluation data)
    assert all(t in training_share for t, _, _ in rows)


def test_real_texts_labelled_for_sentiment_are_an_evaluation_set_only(recipes):
    rows = ds.sentiment_real()
    assert len(rows) >= 200 and {r[1] for r in rows} == set(ds.SENTIMENTS)
    assert min(sum(r[1] == s for r in rows) for s in ds.SENTIMENTS) >= 40
    # drawn from texts that are evaluation data already, so never trained on
    held = ds.everyday_heldout()
    tweets = set(ds.eval_sets()["tweeteval_offensive"].texts) | set(
        ds.eval_sets()["tweeteval_hate"].texts
    )
    origin = {"tweeteval_test": tweets, "sms_ham_heldout": set(held["sms_ham"]),
              "lingua_en_heldout": set(held["prose"])}  # fmt: skip
    assert all(text in origin[source] for text, _, source in rows)
    _assert_never_trained(recipes, [r[0] for r in rows])


def test_real_texts_labelled_for_sexual_content_are_an_evaluation_set_only(recipes):
    sets = ds.eval_sets()
    sexual, flirt = sets["sexual_real"], sets["flirtation_real"]
    assert len(sexual.texts) >= 100 and sum(sexual.y) >= 30 and sexual.concept == "sexual"
    assert sum(flirt.y) >= 15 and set(flirt.texts) <= set(sexual.texts)  # spam: not judged
    # drawn from evaluation data only: held-out SMS and Davidson tweets, TweetEval test
    held_sms = {t for t, _ in ds.read_sms() if ds.heldout(t)}
    held_dav = {t for t, _ in ds.read_davidson() if ds.heldout(t)}
    tweets = set(sets["tweeteval_offensive"].texts) | set(sets["tweeteval_hate"].texts)
    assert all(t in held_sms | held_dav | tweets for t in sexual.texts)
    _assert_never_trained(recipes, sexual.texts)


def test_reviewed_real_texts_train_with_their_hand_labels(recipes):
    rows = ds.read_reviewed_real()
    assert len(rows) >= 100
    # from the training shares only (their evaluation is sexual_real, from the held-out shares)
    assert not any(ds.heldout(s.text) for s in rows)
    assert not {normalise_text(s.text) for s in rows} & ds.eval_keys()
    for name, label in (("openai", "sexual"), ("propriety", "SEXUALLY_EXPLICIT")):
        r = recipes[name]
        rows_of = zip(r.texts, r.labels, r.sources, strict=True)
        got = {normalise_text(t): lab for t, lab, src in rows_of if src == "reviewed"}
        assert len(got) == len(rows), name
        assert all((label in got[normalise_text(s.text)]) == ("sexual" in s.concepts) for s in rows)
    # an insult that uses a sexual word is harassment for openai, not sexual
    oa = recipes["openai"]
    insult = next(s for s in rows if s.concepts == {"offensive"} and "pussy" in s.text.lower())
    labels = oa.labels[oa.texts.index(insult.text)]
    assert "harassment" in labels and "sexual" not in labels


def test_hand_labelled_json_lines_name_the_bad_line(tmp_path, monkeypatch):
    from modlab.builtin.datasets import evalsets, sources

    monkeypatch.setattr(sources, "REPO_DATA_DIR", tmp_path)
    (tmp_path / ds.REVIEWED_REAL_FILE).write_text(
        '{"text": "ok", "concepts": [], "source": "sms_ham_train"}\n\n'
        '{"text": "bad", "concepts": ["sexy"], "source": "sms_ham_train"}\n'
    )
    with pytest.raises(ValueError, match=r"reviewed_real.jsonl:3: unknown concepts \['sexy'\]"):
        seed_mod.read_reviewed_real.__wrapped__()
    (tmp_path / ds.SENTIMENT_REAL_FILE).write_text(
        '{"text": "x", "sentiment": "happy", "source": "s"}\n'
    )
    with pytest.raises(ValueError, match="sentiment_real.jsonl:1: unknown sentiment 'happy'"):
        evalsets.sentiment_real.__wrapped__()
