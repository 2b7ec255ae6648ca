"""Language analyzer: which language a text is written in (lingua, restricted languages).

lingua with every language loaded takes ~1.3 GB; restricting it to the languages the
product is configured for (``Settings.languages``) keeps it to a fraction of that (measured
here with the default 22 languages: ~480 MB RSS in high-accuracy mode, ~40 MB in
low-accuracy mode). The detector is built lazily, once per process, and shared by all
threads; ``warm_up()`` loads it at service start-up instead of on the first request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

# Codes in settings that lingua spells differently. Norwegian ("no") is loaded as both
# written standards and reported back as "no", so callers see the code they configured.
_ALIASES: dict[str, tuple[str, ...]] = {"no": ("nb", "nn")}
UNDETERMINED = "und"

# A guess is "reliable" when the text has enough letters, the top language is clearly
# ahead of the runner-up and its relative confidence is high.
MIN_LETTERS = 12
MIN_SCORE = 0.5
MIN_MARGIN = 0.15


@dataclass(frozen=True, slots=True)
class LanguageResult:
    """``code`` is ISO 639-1 (``und`` when undetermined), ``label`` the upper-case name."""

    code: str
    label: str | None
    score: float
    reliable: bool
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["error"] is None:
            del data["error"]
        return data


class LanguageAnalyzer:
    """Lazy wrapper around a lingua detector for a fixed set of ISO 639-1 codes."""

    def __init__(
        self, languages: Iterable[str] | None = None, *, low_accuracy: bool | None = None
    ) -> None:
        """``languages``: ISO 639-1 codes (default: settings). ``low_accuracy``: lingua's
        trigram-only mode, ~12x less memory (22 languages: ~40 MB instead of ~480 MB RSS) and
        ~4x faster, at some cost on short texts (lingua test sentences: 98.2% vs 99.3%; their
        first four words: 87% vs 94%). Default: ``Settings.language_low_accuracy`` if the
        settings define it, else high accuracy."""
        self._codes = tuple(languages) if languages is not None else None
        self._low_accuracy = low_accuracy
        self._detector: Any = None
        self._reverse: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def codes(self) -> tuple[str, ...]:
        if self._codes is None:
            from modlab.settings import get_settings

            self._codes = tuple(get_settings().languages)
        return self._codes

    def _load(self) -> Any:
        if self._detector is not None:
            return self._detector
        with self._lock:
            if self._detector is None:
                from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                languages = []
                reverse: dict[str, str] = {}
                for code in self.codes:
                    for lingua_code in _ALIASES.get(code.lower(), (code.lower(),)):
                        try:
                            iso = getattr(IsoCode639_1, lingua_code.upper())
                        except AttributeError:
                            raise ValueError(
                                f"language {code!r} is not supported by the language analyzer"
                            ) from None
                        language = Language.from_iso_code_639_1(iso)
                        if language not in languages:
                            languages.append(language)
                        reverse[language.name] = code.lower()
                if len(languages) == 1:
                    # lingua needs at least two candidates; English is the natural foil.
                    extra = (
                        Language.ENGLISH if languages[0] != Language.ENGLISH else Language.SPANISH
                    )
                    languages.append(extra)
                    reverse.setdefault(extra.name, extra.iso_code_639_1.name.lower())
                self._reverse = reverse
                builder = LanguageDetectorBuilder.from_languages(*languages)
                low = self._low_accuracy
                if low is None:
                    from modlab.settings import get_settings

                    low = bool(getattr(get_settings(), "language_low_accuracy", False))
                if low:
                    builder = builder.with_low_accuracy_mode()
                self._detector = builder.build()
        return self._detector

    def analyze(self, text: str) -> LanguageResult:
        if not isinstance(text, str):
            return LanguageResult(UNDETERMINED, None, 0.0, False, "value must be a string")
        letters = sum(1 for ch in text if ch.isalpha())
        if letters == 0:
            return LanguageResult(UNDETERMINED, None, 0.0, False)
        detector = self._load()
        values = detector.compute_language_confidence_values(text)
        if not values or values[0].value <= 0:
            return LanguageResult(UNDETERMINED, None, 0.0, False)
        # Aggregate by reported code (Norwegian's two standards count as one language).
        by_code: dict[str, float] = {}
        names: dict[str, str] = {}
        for value in values:
            lang = value.language
            code = self._reverse.get(lang.name, lang.iso_code_639_1.name.lower())
            by_code[code] = by_code.get(code, 0.0) + float(value.value)
            names.setdefault(code, lang.name)
        ranked = sorted(by_code.items(), key=lambda kv: -kv[1])
        code, score = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        score = round(min(1.0, score), 4)
        # Scripts that use few letters per word (CJK) need fewer letters to be reliable.
        cjk = code in {"zh", "ja", "ko"}
        enough = letters >= (4 if cjk else MIN_LETTERS)
        reliable = bool(enough and score >= MIN_SCORE and score - second >= MIN_MARGIN)
        label = "NORWEGIAN" if code == "no" else names[code]
        return LanguageResult(code, label, score, reliable)


_DEFAULT: LanguageAnalyzer | None = None
_DEFAULT_LOCK = threading.Lock()


def get_language_analyzer() -> LanguageAnalyzer:
    """The process-wide analyzer for the configured languages."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = LanguageAnalyzer()
    return _DEFAULT


_LIGHT: LanguageAnalyzer | None = None


def light_analyzer() -> LanguageAnalyzer:
    """For callers that only need a sentence-level guess (e.g. the profanity detector's
    "is this another language?" check): the shared analyzer when it is already loaded,
    else a low-accuracy one (~40 MB, loads in under a second) so that such a check never
    pulls the ~480 MB high-accuracy models into a process that does not use them."""
    global _LIGHT
    default = get_language_analyzer()
    if default._detector is not None:
        return default
    if _LIGHT is None:
        with _DEFAULT_LOCK:
            if _LIGHT is None:
                _LIGHT = LanguageAnalyzer(low_accuracy=True)
    return _LIGHT


def warm_up() -> None:
    """Build the detector and load its language models now (service start-up), not on the
    first request; takes a few seconds with the default 22 languages."""
    get_language_analyzer().analyze("Warming up the language models for every language.")


def analyze_language(text: str) -> LanguageResult:
    """Detect the language of ``text`` (never raises on odd input; ``code='und'`` if unknown)."""
    return get_language_analyzer().analyze(text)


def detect_language_code(text: str, *, reliable_only: bool = False) -> str | None:
    """ISO 639-1 code of ``text``'s language, or ``None`` when it cannot be determined."""
    result = analyze_language(text)
    if result.code == UNDETERMINED or (reliable_only and not result.reliable):
        return None
    return result.code


def _testdata_file(sentences_dir: Any, code: str) -> Any:
    from pathlib import Path

    base = Path(sentences_dir)
    for candidate in (code, *_ALIASES.get(code, ())):
        path = base / f"{candidate}.txt"
        if path.exists():
            return path
    return None


def evaluate_language_accuracy(
    sentences_dir: Any, codes: Iterable[str] | None = None, limit: int = 300
) -> dict[str, dict[str, float]]:
    """Accuracy per language on lingua's test sentences (one sentence per line, file = code).

    Returns ``{code: {"n", "accuracy", "reliable_share", "reliable_accuracy", "ms"}}``.
    """
    import time

    analyzer = LanguageAnalyzer(codes) if codes is not None else get_language_analyzer()
    analyzer._load()
    report: dict[str, dict[str, float]] = {}
    for code in analyzer.codes:
        path = _testdata_file(sentences_dir, code)
        if path is None:
            continue
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        lines = lines[:limit]
        correct = reliable = reliable_correct = 0
        start = time.perf_counter()
        for line in lines:
            result = analyzer.analyze(line)
            ok = result.code == code
            correct += ok
            reliable += result.reliable
            reliable_correct += ok and result.reliable
        elapsed = time.perf_counter() - start
        n = len(lines)
        report[code] = {
            "n": n,
            "accuracy": correct / n if n else 0.0,
            "reliable_share": reliable / n if n else 0.0,
            "reliable_accuracy": reliable_correct / reliable if reliable else 0.0,
            "ms": 1000 * elapsed / n if n else 0.0,
        }
    return report
