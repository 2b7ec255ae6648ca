from __future__ import annotations

import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modlab.detectors import DetectorOptions, Mode, get_detector
from modlab.detectors.name import MODEL_PATH, NameDetector, tokenize
from modlab.settings import get_settings

ALL_MODES = list(Mode)
DUMBLEDORE = "My name is Albus Percival Dumbledore"


@pytest.fixture(scope="module")
def detector() -> NameDetector:
    return NameDetector()


def found(detector: NameDetector, text: str, mode: Mode = Mode.NORMAL, **opts: object) -> list[str]:
    options = DetectorOptions(**opts) if opts else DetectorOptions()
    matches = detector.detect(text, mode, options)
    for m in matches:
        assert m.text == text[m.start : m.end]
        assert m.entity == "name"
        assert m.level <= mode
        assert 0.0 <= m.score <= 1.0
    assert [m.start for m in matches] == sorted(m.start for m in matches)
    return [m.text for m in matches]


def test_model_is_shipped_and_small() -> None:
    assert MODEL_PATH.exists()
    assert MODEL_PATH.stat().st_size < 5_000_000


def test_registered() -> None:
    assert isinstance(get_detector("name"), NameDetector)


# The seed's components examples, in every mode.
@pytest.mark.parametrize(
    ("components", "expected"),
    [
        (("first", "middle", "last"), ["Albus Percival Dumbledore"]),
        (("middle", "last"), ["Percival Dumbledore"]),
        (("last",), ["Dumbledore"]),
        (("first",), ["Albus"]),
        (("first", "last"), ["Albus", "Dumbledore"]),
        (("middle",), ["Percival"]),
    ],
)
@pytest.mark.parametrize("mode", ALL_MODES)
def test_components_examples(
    detector: NameDetector, components: tuple[str, ...], expected: list[str], mode: Mode
) -> None:
    assert found(detector, DUMBLEDORE, mode, components=components) == expected


def test_component_labels(detector: NameDetector) -> None:
    [full] = detector.detect(DUMBLEDORE)
    assert full.component == "first+middle+last"
    parts = detector.detect(DUMBLEDORE, options=DetectorOptions(components=("first", "last")))
    assert [m.component for m in parts] == ["first", "last"]


def test_seed_moderation_example(detector: NameDetector) -> None:
    assert found(detector, "Hi, this is Albus Dumbledore speaking.") == ["Albus Dumbledore"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Please call Dr. Okafor tomorrow.", ["Okafor"]),
        ("Wei Zhang and Kwame Mensah met in Accra.", ["Wei Zhang", "Kwame Mensah"]),
        ("Thanks, Priya!", ["Priya"]),
        ("hey john are u coming tonight?", ["john"]),
        ("My name is Maria García and my email is maria@example.com", ["Maria García"]),
        ("Signed, Sadia A. Rezaei", ["Sadia A. Rezaei"]),
        ("Seán O'Brien called twice.", ["Seán O'Brien"]),
        ("Ingrid Johansson lives in Oslo.", ["Ingrid Johansson"]),
    ],
)
def test_finds_names(detector: NameDetector, text: str, expected: list[str]) -> None:
    assert found(detector, text) == expected
    # Higher modes find at least as much.
    for mode in (Mode.SUSPICIOUS, Mode.PARANOID):
        spans = found(detector, text, mode)
        assert all(any(e in s or s in e for s in spans) for e in expected)


@pytest.mark.parametrize(
    "text",
    [
        "Apple released the iPhone in California.",
        "The Supreme Court ruled on Tuesday.",
        "Capitalized words like Wisdom and Discipline are often mistaken with names.",
        "I love New York in the Spring.",
        "Order Confirmation: Your Package Has Shipped",
        "My brother just turned 60",
        "Here's my SSN: 054-28-6917",
        "The Eiffel Tower is in Paris, France.",
        "ok",
        "lol that was so funny",
    ],
)
@pytest.mark.parametrize("mode", [Mode.NORMAL, Mode.SUSPICIOUS])
def test_no_names_in_name_free_text(detector: NameDetector, text: str, mode: Mode) -> None:
    assert found(detector, text, mode) == []


@pytest.mark.parametrize("text", ["", "   ", "12345", "!!!", "🙂"])
@pytest.mark.parametrize("mode", ALL_MODES)
def test_empty_and_odd_input(detector: NameDetector, text: str, mode: Mode) -> None:
    assert found(detector, text, mode) == []


def test_spans_with_unicode_and_newlines(detector: NameDetector) -> None:
    text = "🙂 Regards,\nÉlodie Lefebvre\n12 Rue de la Paix"
    matches = detector.detect(text)
    assert [m.text for m in matches] == ["Élodie Lefebvre"]
    assert "\n" not in matches[0].text


def test_modes_are_monotonic(detector: NameDetector) -> None:
    text = "i talked to sarah and mike yesterday, then Hermione Granger called"
    normal = set(found(detector, text, Mode.NORMAL))
    suspicious = found(detector, text, Mode.SUSPICIOUS)
    paranoid = found(detector, text, Mode.PARANOID)
    assert all(any(n in s for s in suspicious) for n in normal)
    assert all(any(s in p for p in paranoid) for s in suspicious)
    assert "yesterday" not in " ".join(paranoid)


def test_tokenize_keeps_name_punctuation() -> None:
    text = "Jean-Luc O'Brien D. Smith"
    assert [text[s:e] for s, e in tokenize(text)] == ["Jean-Luc", "O'Brien", "D", ".", "Smith"]


def test_thread_safe(detector: NameDetector) -> None:
    results: list[list[str]] = []

    def work() -> None:
        for _ in range(20):
            results.append(found(detector, DUMBLEDORE))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [["Albus Percival Dumbledore"]] * 80


def test_fast_enough(detector: NameDetector) -> None:
    text = "hey john, can you send the report to Maria Garcia before Friday?"
    detector.detect(text)
    start = time.perf_counter()
    for _ in range(100):
        detector.detect(text, Mode.PARANOID)
    assert (time.perf_counter() - start) / 100 < 0.01  # typical ~0.3 ms; generous for CI


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=1_000),
    mode=st.sampled_from(ALL_MODES),
    components=st.lists(st.sampled_from(["first", "middle", "last"]), min_size=1, unique=True),
)
def test_random_unicode_never_raises(text: str, mode: Mode, components: list[str]) -> None:
    matches = NameDetector().detect(text, mode, DetectorOptions(components=tuple(components)))
    for m in matches:
        assert text[m.start : m.end] == m.text
        assert m.level <= mode
        assert set(m.component.split("+")) <= set(components)
    for a, b in zip(matches, matches[1:], strict=False):
        assert a.end <= b.start


@pytest.mark.parametrize(
    "text", ["Abc " * 2_500, "a" * 10_000, "A. " * 3_000, "John Smith, " * 800, ". " * 5_000]
)
def test_adversarial_input_is_linear(detector: NameDetector, text: str) -> None:
    start = time.perf_counter()
    detector.detect(text, Mode.PARANOID)
    assert time.perf_counter() - start < 3.0


SYNTH = get_settings().shared_dir / "data/presidio_research/synth_dataset_v2.json"


@pytest.mark.skipif(not SYNTH.exists(), reason="shared presidio-research data not present")
def test_person_f2_on_presidio_synth_test_half(detector: NameDetector) -> None:
    from modlab.detectors.evaluation import evaluate, load_presidio_synth, split_dev_test

    _, test = split_dev_test(load_presidio_synth(SYNTH))

    def spans(text: str) -> list[tuple[int, int]]:
        return [(m.start, m.end) for m in detector.detect(text, Mode.NORMAL)]

    counts = evaluate(test, {"name": spans})["name"].counts
    assert counts.f_beta(2) >= 0.85
    assert counts.precision >= 0.85
