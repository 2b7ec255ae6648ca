from __future__ import annotations

import pytest

from modlab.analyzers.language import (
    LanguageAnalyzer,
    analyze_language,
    detect_language_code,
    evaluate_language_accuracy,
)
from modlab.settings import get_settings


@pytest.mark.parametrize(
    ("text", "code", "label"),
    [
        ("This is an english text written to check the analyzer.", "en", "ENGLISH"),
        ("Bonjour tout le monde, comment allez-vous aujourd'hui ?", "fr", "FRENCH"),
        ("Wie geht es dir heute? Ich hoffe, es geht dir gut.", "de", "GERMAN"),
        ("¿Dónde está la estación de tren más cercana, por favor?", "es", "SPANISH"),
        ("Привет, как у тебя дела? Давно не виделись.", "ru", "RUSSIAN"),
        ("今日はとても良い天気ですね。散歩に行きましょう。", "ja", "JAPANESE"),
        ("Jeg heter Ola og bor i Oslo sammen med familien min og hunden vår.", "no", "NORWEGIAN"),
    ],
)
def test_detects_configured_languages(text: str, code: str, label: str) -> None:
    result = analyze_language(text)
    assert result.code == code
    assert result.label == label
    assert 0.0 < result.score <= 1.0
    assert result.reliable is True
    assert detect_language_code(text) == code


def test_contract_shape() -> None:
    data = analyze_language("This is an english text").to_dict()
    assert set(data) == {"code", "label", "score", "reliable"}
    assert data["code"] == "en" and data["label"] == "ENGLISH"
    assert isinstance(data["score"], float) and isinstance(data["reliable"], bool)


@pytest.mark.parametrize("text", ["", "   ", "1234 5678", "!!! ???", "🙂🙂"])
def test_empty_or_letterless_text_is_undetermined(text: str) -> None:
    result = analyze_language(text)
    assert result.code == "und"
    assert result.label is None
    assert result.score == 0.0
    assert result.reliable is False
    assert detect_language_code(text) is None


@pytest.mark.parametrize("text", ["ok", "lol", "Hi", "taxi"])
def test_short_text_is_not_reliable(text: str) -> None:
    result = analyze_language(text)
    assert result.reliable is False
    assert detect_language_code(text, reliable_only=True) is None


def test_restricted_analyzer_only_answers_its_languages() -> None:
    analyzer = LanguageAnalyzer(["en", "de"])
    result = analyzer.analyze("Bonjour tout le monde, comment allez-vous aujourd'hui ?")
    assert result.code in {"en", "de"}
    assert analyzer.analyze("Das ist ein deutscher Satz über das Wetter.").code == "de"


def test_non_string_input_gives_error_result() -> None:
    result = LanguageAnalyzer(["en", "fr"]).analyze(None)  # type: ignore[arg-type]
    assert result.code == "und" and result.error


def test_unknown_configured_language_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="xx"):
        LanguageAnalyzer(["en", "xx"]).analyze("hello there my friend")


SENTENCES = get_settings().shared_dir / "data/lingua_testdata/language-testdata/sentences"


@pytest.mark.skipif(not SENTENCES.exists(), reason="shared lingua test data not present")
def test_accuracy_on_lingua_sentences() -> None:
    report = evaluate_language_accuracy(SENTENCES, ["en", "de", "fr", "es", "ru", "ja"], limit=40)
    assert set(report) == {"en", "de", "fr", "es", "ru", "ja"}
    for code, row in report.items():
        assert row["n"] == 40
        assert row["accuracy"] >= 0.9, code


def test_low_accuracy_mode() -> None:
    analyzer = LanguageAnalyzer(["en", "de", "fr"], low_accuracy=True)
    assert analyzer.analyze("Das ist ein deutscher Satz über das Wetter.").code == "de"
    assert analyzer.analyze("This is an english text about the weather.").code == "en"
