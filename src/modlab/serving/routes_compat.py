"""Drop-in routes for the hosted APIs modlab replaces: OpenAI and Sightengine."""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from modlab.analyzers.base import flags
from modlab.analyzers.builtin import SIGHTENGINE_CLASSES
from modlab.analyzers.registry import AnalyzerUnavailable, get_analyzer
from modlab.detectors import Mode, get_detector
from modlab.projects import ProjectView
from modlab.serving.errors import ApiError, require_project
from modlab.serving.runtime import Runtime

MAX_BATCH = 256
SIGHTENGINE_LANGS_ML = ("en",)


class OpenAIModerationRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    input: str | list[str] = Field(description="a text or a list of texts")
    model: str | None = None


def _analyzer_or_503(name: str):
    try:
        return get_analyzer(name)
    except AnalyzerUnavailable as exc:
        raise ApiError(503, str(exc)) from None


def build_compat_router(runtime: Runtime, caller, caller_inline=None) -> APIRouter:
    router = APIRouter()
    settings = runtime.settings

    def project_key_caller(request: Request):
        return require_project(caller(request))

    async def project_key_inline(request: Request):
        """``project_key_caller`` on the event loop (no thread hop; see app.caller_inline)."""
        return require_project(await caller_inline(request) if caller_inline else caller(request))

    # Not an ``Annotated`` alias: with ``from __future__ import annotations`` FastAPI
    # resolves annotations against module globals, so a local alias would silently turn
    # ``project`` into a required body field (400 "project: field required").
    @router.post("/v1/moderations", response_model=dict)
    def openai_moderations(
        body: OpenAIModerationRequest, project: ProjectView = Depends(project_key_inline)
    ) -> JSONResponse:
        texts = [body.input] if isinstance(body.input, str) else list(body.input)
        if not texts:
            raise ApiError(400, "input: must be a string or a non-empty list of strings")
        if len(texts) > MAX_BATCH:
            raise ApiError(400, f"input: at most {MAX_BATCH} texts per request")
        for i, text in enumerate(texts):
            if len(text) > settings.max_text_chars:
                where = "input" if isinstance(body.input, str) else f"input[{i}]"
                raise ApiError(
                    413,
                    f"{where} has {len(text)} characters; the limit is {settings.max_text_chars}",
                )
        analyzer = _analyzer_or_503("openai")
        entry = project.filter.get("openai", {})
        thresholds = {**analyzer.default_thresholds, **(entry.get("thresholds") or {})}
        results = []
        for result in analyzer.predict(texts):
            scores = {c: float(result.label_scores.get(c, 0.0)) for c in analyzer.labels}
            flagged_labels = set(flags(scores, thresholds, neutral=None))
            results.append(
                {
                    "flagged": bool(flagged_labels),
                    "categories": {c: c in flagged_labels for c in scores},
                    "category_scores": scores,
                }
            )
        runtime.requests.count_usage_many(project.id, texts)  # one write per batch
        return JSONResponse(  # ready JSON: no response validation/jsonable_encoder walk
            {
                "id": "modr-" + secrets.token_hex(12),
                "model": f"modlab-moderation-{analyzer.version}",
                "results": results,
            }
        )

    def sightengine_project(request: Request, api_user: str | None, api_secret: str | None):
        if api_secret:
            project = runtime.projects.authenticate(api_secret)
            if project is None or (api_user and api_user not in (project.id, project.name)):
                raise ApiError(401, "invalid api_user/api_secret")
            return project
        return project_key_caller(request)

    @router.post("/1.0/text/check.json")
    def sightengine_check(
        request: Request,
        text: Annotated[str, Form()],
        lang: Annotated[str, Form()] = "en",
        mode: Annotated[str, Form()] = "ml",
        api_user: Annotated[str | None, Form()] = None,
        api_secret: Annotated[str | None, Form()] = None,
        categories: Annotated[str | None, Form()] = None,
    ) -> dict:
        project = sightengine_project(request, api_user, api_secret)
        if len(text) > settings.max_text_chars:
            raise ApiError(
                413, f"text has {len(text)} characters; the limit is {settings.max_text_chars}"
            )
        modes = {m.strip() for m in mode.split(",") if m.strip()}
        if not modes or not modes <= {"ml", "rules"}:
            raise ApiError(400, "mode: must be 'ml', 'rules' or 'ml,rules'")
        langs = [code.strip().lower() for code in lang.split(",") if code.strip()] or ["en"]
        out: dict[str, Any] = {
            "status": "success",
            "request": {
                "id": "req_" + secrets.token_hex(10),
                "timestamp": round(time.time(), 3),
                "operations": 1,
            },
        }
        if "ml" in modes:
            out["moderation_classes"] = _sightengine_ml(text, langs)
        if "rules" in modes:
            out.update(_sightengine_rules(text, langs, project))
        runtime.requests.count_usage(project.id, text)
        return out

    return router


def _sightengine_ml(text: str, langs: list[str]) -> dict[str, Any]:
    """Scores for the five classes, only where the model covers the text's language.

    The classifier is English-only: for text in another language it reports no
    available classes rather than a confident wrong score (as Sightengine does for
    unsupported languages).
    """
    from modlab.analyzers.language import detect_language_code

    detected = detect_language_code(text, reliable_only=True)
    supported = any(code in SIGHTENGINE_LANGS_ML for code in langs) and (
        detected is None or detected in SIGHTENGINE_LANGS_ML
    )
    if not supported:
        return {"available": [], "language": detected or langs[0]}
    analyzer = _analyzer_or_503("sightengine")
    scores = analyzer.predict([text])[0].label_scores
    return {"available": list(SIGHTENGINE_CLASSES)} | {
        c: round(float(scores.get(c, 0.0)), 4) for c in SIGHTENGINE_CLASSES
    }


_PERSONAL = ("email", "phone", "url", "username", "address")


def _sightengine_rules(text: str, langs: list[str], project: ProjectView) -> dict[str, Any]:
    from modlab.detectors import DetectorOptions

    options = DetectorOptions(
        region=project.settings.get("region", "US"), languages=tuple(langs) or ("en",)
    )
    profanity = [
        {
            "type": "inappropriate",
            "intensity": "high" if m.level == Mode.NORMAL else "medium",
            "match": m.text,
            "start": m.start,
            "end": m.end - 1,
        }
        for m in get_detector("profanity").detect(text, Mode.SUSPICIOUS, options)
    ]
    personal = []
    for name in _PERSONAL:
        for m in get_detector(name).detect(text, Mode.NORMAL, options):
            kind = "phone_number_" + options.region.lower() if name == "phone" else name
            personal.append({"type": kind, "match": m.text, "start": m.start, "end": m.end - 1})
    personal.sort(key=lambda item: item["start"])
    return {"profanity": {"matches": profanity}, "personal": {"matches": personal}}
