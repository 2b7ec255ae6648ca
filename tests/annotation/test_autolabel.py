"""Auto-labelling: the similarity backend with the real MiniLM encoder, the OpenAI-compatible
client against a local protocol server on 127.0.0.1, and llama.cpp where the extra is installed."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np
import pytest

from modlab.annotation.autolabel import (
    AutoLabel,
    Label,
    Schema,
    agreement,
    as_schema,
    get_backend,
    humanize,
    review,
    with_descriptions,
)
from modlab.annotation.backends._prompt import match_label, system_prompt, user_prompt
from modlab.annotation.backends.similarity import SimilarityBackend, label_phrases

SPAM = Schema(
    name="sms",
    labels=(
        Label(
            "ham",
            "An ordinary personal message between friends, family or colleagues.",
            phrase="a personal text message",
        ),
        Label(
            "spam",
            "Unsolicited advertising or fraud: prizes, offers, premium-rate numbers.",
            phrase="spam advertisement",
        ),
    ),
)
SPAM_TEXTS = [
    ("WINNER!! You have won a £1000 cash prize. Call 09061701461 now to claim!", "spam"),
    ("FREE ringtones! Text TONE to 87121 to get yours. Std msg rates apply", "spam"),
    ("Congratulations, you have been selected for a free holiday. Reply YES to claim", "spam"),
    ("URGENT: your mobile number won a prize draw. Call now to collect your reward", "spam"),
    ("Cheap loans approved today, no credit check! Text LOAN to 80082", "spam"),
    ("Hey, are we still meeting for lunch tomorrow?", "ham"),
    ("I'll be home late tonight, don't wait up for me", "ham"),
    ("Can you pick up some milk on your way back?", "ham"),
    ("Happy birthday mum! Love you, see you on Sunday", "ham"),
    ("Sorry I missed your call, I was in a meeting. Talk later?", "ham"),
]

TOPICS = Schema(
    name="topics",
    multi_label=True,
    neutral="NONE",
    labels=(
        Label("SPORTS", examples=("the team won the football match", "he scored a goal")),
        Label("FOOD", examples=("we cooked pasta for dinner", "this pizza tastes great")),
        Label("WEATHER", examples=("it is raining all day", "a sunny warm afternoon")),
        Label("NONE"),
    ),
)


# -- schemas and prompts ---------------------------------------------------------------------


def test_schema_from_dict_and_protocol_object() -> None:
    s = as_schema(
        {
            "name": "t",
            "type": "multi-label",
            "labels": [{"name": "A", "description": "a", "examples": ["x"]}, "B"],
        }
    )
    assert s.multi_label and s.names == ["A", "B"] and s.get("A").examples == ("x",)

    class Spec:  # any object with the attributes will do (a Protocol, not a base class)
        def __init__(self, name: str) -> None:
            self.name, self.description, self.examples = name, f"about {name}", ["e"]

    class Obj:
        name, multi_label, labels, neutral = "o", False, [Spec("X"), Spec("Y")], "Y"

    o = as_schema(Obj())
    assert o.names == ["X", "Y"] and o.neutral == "Y" and o.get("X").description == "about X"
    with pytest.raises(ValueError, match="duplicate"):
        Schema("d", (Label("A"), Label("a")))


def test_product_label_schema_is_accepted() -> None:
    schemas = pytest.importorskip("modlab.data.schemas")
    ls = schemas.LabelSchema(
        model="tox",
        version=1,
        multi_label=False,
        labels=(schemas.LabelSpec("TOXIC", "rude", ("you idiot",)), schemas.LabelSpec("NEUTRAL")),
        neutral="NEUTRAL",
    )
    s = as_schema(ls)
    assert s.name == "tox" and s.names == ["TOXIC", "NEUTRAL"] and s.neutral == "NEUTRAL"
    assert s.get("TOXIC").examples == ("you idiot",)


def test_with_descriptions_copies() -> None:
    s2 = with_descriptions(SPAM, spam="Marketing texts", examples={"ham": ["see you soon"]})
    assert s2.get("spam").description == "Marketing texts"
    assert s2.get("ham").examples == ("see you soon",)
    assert SPAM.get("spam").description.startswith("Unsolicited")  # original untouched
    with pytest.raises(KeyError, match="unknown labels"):
        with_descriptions(SPAM, nope="x")


def test_prompt_is_text_independent_and_lists_descriptions() -> None:
    p = system_prompt(SPAM)
    assert "Unsolicited advertising or fraud" in p and "ham, spam" in p
    assert system_prompt(SPAM) == p  # identical prefix across calls (llama.cpp prefix cache)
    assert "hello" in user_prompt("hello") and "hello" not in p
    multi = system_prompt(TOPICS)
    assert "SPORTS, FOOD, WEATHER" in multi and "answer NONE" in multi


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("spam", "spam"),
        ("SPAM", "spam"),
        ('"Spam".', "spam"),
        ("**ham**\nbecause it is personal", "ham"),
        ("Label: ham", "ham"),
        ("This is spam.", "spam"),
        ("maybe", None),
        ("ham or spam", None),
        ("", None),
    ],
)
def test_match_label(raw: str, expected: str | None) -> None:
    assert match_label(raw, ["ham", "spam"]) == expected


def test_match_label_prefers_longer_name() -> None:
    assert match_label("NOT_HATE", ["HATE", "NOT_HATE"]) == "NOT_HATE"
    assert match_label("not hate", ["hate", "not-hate"]) == "not-hate"
    assert match_label("hate", ["hate", "not-hate"]) == "hate"


def test_humanize() -> None:
    assert humanize("NOT_HATE") == "not hate"
    assert humanize("SexuallyExplicit") == "sexually explicit"


# -- similarity backend (real encoder) ---------------------------------------------------------


@pytest.fixture(scope="module")
def sim() -> SimilarityBackend:
    return SimilarityBackend()


def test_label_phrases_skip_long_descriptions() -> None:
    long = Label("spam", "Unsolicited commercial or fraudulent text messages: prizes and offers")
    assert label_phrases(long) == ["spam"]
    assert label_phrases(Label("spam", "junk advertising")) == ["spam", "junk advertising"]
    assert label_phrases(Label("S", "x", phrase="spam message")) == ["spam message", "x"]


def test_prototypes_normalised_and_pulled_by_examples(sim: SimilarityBackend) -> None:
    from modlab.annotation.embeddings import encode

    protos = sim.prototypes(SPAM)
    assert protos.names == ["ham", "spam"] and protos.vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(protos.vectors, axis=1), 1.0, atol=1e-5)
    assert sim.prototypes(SPAM) is protos  # cached per schema content
    examples = ["Text WIN to 80086 for a free iPod", "Claim your prize now, call 0800"]
    with_ex = with_descriptions(SPAM, examples={"spam": examples})
    target = encode(examples).mean(0)
    before = float(protos.vectors[1] @ target)
    after = float(sim.prototypes(with_ex).vectors[1] @ target)
    assert after > before + 0.1


def test_similarity_labels_obvious_examples(sim: SimilarityBackend) -> None:
    texts = [t for t, _ in SPAM_TEXTS]
    gold = [g for _, g in SPAM_TEXTS]
    results = sim.label(texts, SPAM, progress=False)
    assert all(isinstance(r, AutoLabel) for r in results)
    assert all(r.agent == "similarity:all-MiniLM-L6-v2" for r in results)
    assert all(0.5 <= r.score <= 1.0 and r.rationale.startswith("closest to") for r in results)
    assert all(abs(sum(r.scores.values()) - 1.0) < 1e-5 for r in results)
    agree = agreement(results, gold)
    assert agree["accuracy"] >= 0.8, review(texts, results, gold)
    assert agree["n"] == 10 and agree["coverage"] == 1.0
    scores = sim.similarity_scores(texts[:2], SPAM)
    assert set(scores[0]) == {"ham", "spam"} and scores[0]["spam"] > scores[0]["ham"]


def test_dry_run_and_run_stats(sim: SimilarityBackend) -> None:
    texts = [t for t, _ in SPAM_TEXTS]
    results = sim.label(texts, SPAM, dry_run=3, progress=False)
    assert len(results) == 3
    assert sim.last_run is not None and sim.last_run.n == 3 and sim.last_run.per_second > 0
    assert sim.label(texts, SPAM, dry_run=0, progress=False) == []
    assert len(sim.label(texts[0], SPAM, progress=False)) == 1
    with pytest.raises(ValueError):
        sim.label(texts, SPAM, dry_run=-1)


def test_multi_label_thresholds(sim: SimilarityBackend) -> None:
    texts = [
        "after the football match we ate pizza",
        "the team scored three goals",
        "heavy rain and strong wind tonight",
        "my tax return is due next week",
    ]
    sims = sim.similarities(texts, TOPICS)
    names = sim.prototypes(TOPICS).names
    # Thresholds between the pair's similarities select exactly what they should.
    s_sport, s_food = sims[0, names.index("SPORTS")], sims[0, names.index("FOOD")]
    assert s_sport > 0.3 and s_food > 0.3
    strict = SimilarityBackend(thresholds={"SPORTS": 0.3, "FOOD": 0.3, "WEATHER": 0.3})
    out = strict.label(texts, TOPICS, progress=False)
    assert set(out[0].labels) == {"SPORTS", "FOOD"}
    assert out[1].labels == ["SPORTS"] and out[2].labels == ["WEATHER"]
    assert out[3].labels == [] and out[3].label == "NONE" and "threshold" in out[3].rationale
    assert "NONE" not in out[0].scores  # the neutral label is never a candidate
    none = SimilarityBackend(thresholds=0.99).label(texts[:1], TOPICS, progress=False)[0]
    assert none.labels == [] and none.label == "NONE"
    # Fitted thresholds reproduce the gold sets on these texts.
    gold = [["SPORTS", "FOOD"], ["SPORTS"], ["WEATHER"], []]
    fitted = SimilarityBackend()
    thr = fitted.fit_thresholds(texts, gold, TOPICS)
    assert set(thr) == {"SPORTS", "FOOD", "WEATHER"}
    preds = fitted.label(texts, TOPICS, progress=False)
    assert agreement(preds, gold, labels=TOPICS.candidates)["macro_f1"] == 1.0


def test_encode_is_normalised_batched_and_ordered() -> None:
    from modlab.annotation.embeddings import encode

    texts = ["short", "a much longer sentence about something else entirely", "mid length text"]
    full = encode(texts)
    assert full.shape == (3, 384) and full.dtype == np.float32
    assert np.allclose(np.linalg.norm(full, axis=1), 1.0, atol=1e-5)
    small = encode(texts, batch_size=1)
    assert np.allclose(full, small, atol=1e-5)
    assert np.allclose(encode(texts[1]), full[1:2], atol=1e-5)
    assert encode([]).shape == (0, 384)


# -- agreement -------------------------------------------------------------------------------


def test_agreement_single_label_matches_sklearn() -> None:
    from sklearn.metrics import cohen_kappa_score, f1_score

    gold = ["a", "a", "b", "b", "b", None]
    pred = ["a", "b", "b", "b", "a", "a"]
    out = agreement(pred, gold)
    g, p = gold[:5], pred[:5]
    assert out["n"] == 5 and out["coverage"] == 1.0
    assert out["accuracy"] == pytest.approx(3 / 5)
    assert out["macro_f1"] == pytest.approx(f1_score(g, p, average="macro"))
    assert out["kappa"] == pytest.approx(cohen_kappa_score(g, p))
    # Unanswered (rejected) auto labels are left out and lower coverage.
    rejected = AutoLabel(label=None, score=0.0, rationale="rejected")
    ok = AutoLabel(label="a", labels=["a"], score=0.9)
    out2 = agreement([ok, rejected], ["a", "b"])
    assert out2["n"] == 1 and out2["coverage"] == 0.5 and out2["accuracy"] == 1.0


def test_agreement_multi_label() -> None:
    gold = [["A"], ["A", "B"], [], ["B"]]
    pred = [["A"], ["A"], [], ["B"]]
    out = agreement(pred, gold, labels=["A", "B"])
    assert out["accuracy"] == pytest.approx(0.75)
    assert 0 < out["macro_f1"] < 1 and not math.isnan(out["kappa"])


# -- OpenAI-compatible backend against a local protocol server --------------------------------


@pytest.fixture
def fake_llm(llm_server):
    """The root conftest's protocol server, answering "spam" with logprobs by default."""
    llm_server.reply = lambda body: llm_server.completion("spam", [("sp", -0.1), ("am", -0.05)])
    return llm_server


def _json_reply(fake_llm, label: str, lp: float = -0.2) -> Any:
    content = json.dumps({"label": label})
    prefix, rest = content.split(label, 1)
    return lambda body: fake_llm.completion(content, [(prefix, 0.0), (label, lp), (rest, 0.0)])


def test_openai_structured_output_with_logprobs(fake_llm) -> None:
    fake_llm.reply = _json_reply(fake_llm, "spam", -0.2)
    backend = get_backend("openai", base_url=fake_llm.url, api_key="test-key", model="m1")
    out = backend.label(["WIN a prize, call now"], SPAM, progress=False)[0]
    assert out.label == "spam" and out.labels == ["spam"]
    assert out.score == pytest.approx(math.exp(-0.2), abs=1e-6)
    assert out.agent == "openai:m1"
    body, headers = fake_llm.requests[0], fake_llm.headers[0]
    assert headers["Authorization"] == "Bearer test-key"
    assert body["model"] == "m1" and body["temperature"] == 0 and body["logprobs"] is True
    system = body["messages"][0]["content"]
    assert "Unsolicited advertising or fraud" in system  # the label descriptions steer the LLM
    assert "An ordinary personal message" in system
    assert "WIN a prize" in body["messages"][1]["content"]
    enum = body["response_format"]["json_schema"]["schema"]["properties"]["label"]["enum"]
    assert enum == ["ham", "spam"]
    backend.close()


def test_openai_falls_back_to_text_and_rejects_labels_outside_the_set(fake_llm) -> None:
    fake_llm.refuse_response_format = True
    fake_llm.reply = lambda body: fake_llm.completion("ham\nIt is a personal note.", None)
    backend = get_backend(
        "openai", base_url=fake_llm.url + "/v1", api_key="test-key", rationale=True
    )
    out = backend.label(["see you at 8"], SPAM, progress=False)[0]
    assert out.label == "ham" and out.score == 1.0 and out.rationale == "It is a personal note."
    # json_schema refused -> llama-cpp-python's json_object form refused -> plain text.
    kinds = [r.get("response_format", {}).get("type") for r in fake_llm.requests]
    assert kinds == ["json_schema", "json_object", None]

    fake_llm.requests.clear()
    fake_llm.reply = lambda body: fake_llm.completion("PHISHING", [("PH", -0.1), ("ISHING", -0.1)])
    out = backend.label(["click this link"], SPAM, progress=False)[0]
    assert out.label is None and out.labels == [] and out.score == 0.0
    assert "rejected" in out.rationale and "PHISHING" in out.rationale
    assert len(fake_llm.requests) == 2  # one corrective re-ask, then rejected
    assert "Answer with only: ham, spam" in fake_llm.requests[1]["messages"][-1]["content"]
    assert agreement([out], ["spam"])["coverage"] == 0.0


def test_openai_multi_label_drops_unknown_labels(fake_llm) -> None:
    content = json.dumps({"labels": ["SPORTS", "FOOD", "POLITICS"]})
    fake_llm.reply = lambda body: fake_llm.completion(content, None)
    backend = get_backend("openai", base_url=fake_llm.url, api_key="test-key")
    out = backend.label(["pizza after the match"], TOPICS, progress=False)[0]
    assert out.labels == ["SPORTS", "FOOD"] and out.label == "SPORTS"
    assert "POLITICS" in out.rationale
    schema = fake_llm.requests[0]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["labels"]["items"]["enum"] == ["SPORTS", "FOOD", "WEATHER"]

    fake_llm.reply = lambda body: fake_llm.completion(json.dumps({"labels": []}), None)
    none = backend.label(["tax return"], TOPICS, progress=False)[0]
    assert none.labels == [] and none.label == "NONE" and none.score == 1.0


def test_openai_uses_settings_and_reports_bad_key(
    fake_llm, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modlab.annotation.backends.openai_compat import LLMEndpointError
    from modlab.settings import get_settings

    monkeypatch.setenv("MODLAB_LLM_BASE_URL", fake_llm.url)
    monkeypatch.setenv("MODLAB_LLM_API_KEY", "test-key")
    monkeypatch.setenv("MODLAB_LLM_MODEL", "from-settings")
    get_settings.cache_clear()
    fake_llm.reply = _json_reply(fake_llm, "ham")
    backend = get_backend("openai-compatible")
    assert backend.label(["hi mum"], SPAM, progress=False)[0].label == "ham"
    assert fake_llm.requests[-1]["model"] == "from-settings"
    bad = get_backend("openai", api_key="wrong")
    with pytest.raises(LLMEndpointError, match="refused the API key"):
        bad.label(["hi"], SPAM, progress=False)


def test_openai_without_endpoint_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from modlab.annotation.backends.openai_compat import LLMEndpointError

    monkeypatch.delenv("MODLAB_LLM_BASE_URL", raising=False)
    with pytest.raises(LLMEndpointError, match="MODLAB_LLM_BASE_URL"):
        get_backend("openai")


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="similarity"):
        get_backend("nope")


# -- llama.cpp backend -----------------------------------------------------------------------


def test_llama_cpp_missing_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from modlab.annotation.backends.llama_cpp import LlamaCppNotInstalled

    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if not installed
    with pytest.raises(LlamaCppNotInstalled, match=r"'llm' extra.*GGML_NATIVE=OFF"):
        get_backend("llama_cpp")


def _llama_cpp_skip_reason() -> str | None:
    from modlab.annotation.backends.llama_cpp import llama_cpp_status

    status = llama_cpp_status()
    return None if status == "ok" else f"llama.cpp backend unavailable: {status}"


@pytest.mark.slow
@pytest.mark.skipif(_llama_cpp_skip_reason() is not None, reason=str(_llama_cpp_skip_reason()))
def test_llama_cpp_labels_obvious_examples() -> None:
    backend = get_backend("llama_cpp")
    picks = [SPAM_TEXTS[0], SPAM_TEXTS[1], SPAM_TEXTS[5], SPAM_TEXTS[6]]
    out = backend.label([t for t, _ in picks], SPAM, progress=False)
    assert sum(o.label == g for o, (_, g) in zip(out, picks, strict=True)) >= 3
    assert all(abs(sum(o.scores.values()) - 1.0) < 1e-6 and 0.5 <= o.score <= 1 for o in out)
    assert all(o.agent.startswith("llama_cpp:") for o in out)
    multi = backend.label(["we ate pizza after the football match"], TOPICS, progress=False)[0]
    assert set(multi.labels) <= {"SPORTS", "FOOD", "WEATHER"} and multi.labels
