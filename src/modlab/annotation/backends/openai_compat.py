"""Auto-labelling through any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp).

``POST {base_url}/v1/chat/completions`` with the schema's system prompt and the text as the user
turn, temperature 0. The answer is constrained to the label set twice over:

- structured output: ``{"label": <one of the labels>}`` (or ``{"labels": [...]}``) requested
  through ``response_format`` and enforced by the server with a grammar. ``constrain="auto"``
  (default) tries the OpenAI form ``{"type": "json_schema", ...}`` (OpenAI, vLLM, Ollama,
  llama.cpp's ``llama-server``), then ``{"type": "json_object", "schema": ...}``
  (llama-cpp-python's server), then plain text, and remembers what the server accepted;
- every reply is parsed against the label set and anything else is *rejected* (``label=None``,
  score 0, the reply quoted in the rationale) after one corrective re-ask.

The score is the model's probability of the label it wrote (``exp`` of the summed token
logprobs of the label's span) when the server returns logprobs, else 1.0 for a valid label.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from modlab.annotation.autolabel import AutoLabel, AutoLabeler, Schema
from modlab.annotation.backends._prompt import (
    match_label,
    none_answer,
    rationale_from,
    system_prompt,
    user_prompt,
)

_FORMATS = ("json_schema", "json_object", "none")


def _refusal(resp: Any) -> bool:
    """A request the server rejected as invalid (some answer validation errors with HTTP 500)."""
    if resp.status_code in (400, 422):
        return True
    if resp.status_code != 500:
        return False
    text = resp.text.lower()
    return "validation error" in text and ("response_format" in text or "logprob" in text)


class LLMEndpointError(RuntimeError):
    """The endpoint could not be used (unreachable, auth, bad responses)."""


def chat_completions_url(base_url: str) -> str:
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if base.endswith("/v1"):
        return base + "/chat/completions"
    return base + "/v1/chat/completions"


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    get = getattr(value, "get_secret_value", None)
    return get() if get else str(value)


class OpenAICompatibleBackend(AutoLabeler):
    """Labels with a chat model behind an OpenAI-compatible HTTP API."""

    name = "openai"

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        *,
        rationale: bool = False,
        constrain: str = "auto",
        logprobs: bool = True,
        concurrency: int = 1,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        max_tokens: int | None = None,
        client: Any = None,
    ) -> None:
        super().__init__()
        from modlab.settings import get_settings

        settings = get_settings()
        base_url = base_url or settings.llm_base_url
        if not base_url:
            raise LLMEndpointError(
                "no LLM endpoint: pass base_url= or set MODLAB_LLM_BASE_URL "
                "(and MODLAB_LLM_API_KEY / MODLAB_LLM_MODEL)"
            )
        if constrain not in ("auto", *_FORMATS):
            raise ValueError(f"constrain must be 'auto' or one of {_FORMATS}")
        self.url = chat_completions_url(base_url)
        self.api_key = api_key if api_key is not None else _secret(settings.llm_api_key)
        self.model = model or settings.llm_model
        self.rationale = rationale
        self.constrain = constrain
        self.logprobs = logprobs
        self.concurrency = max(1, int(concurrency))
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        if client is None:
            import httpx

            headers = {"Content-Type": "application/json"}
            if self.api_key:
                headers["Authorization"] = f"Bearer {self.api_key}"
            client = httpx.Client(timeout=timeout_s, headers=headers)
            self._owns_client = True
        else:
            self._owns_client = False
        self.client = client
        self._formats = list(_FORMATS) if constrain == "auto" else [constrain]
        self._logprobs_ok = logprobs

    @property
    def agent(self) -> str:
        return f"openai:{self.model}"

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    # -- requests -------------------------------------------------------------------------------

    def _response_format(self, schema: Schema, kind: str) -> dict[str, Any]:
        if schema.multi_label:
            props: dict[str, Any] = {
                "labels": {"type": "array", "items": {"type": "string", "enum": schema.candidates}}
            }
        else:
            props = {"label": {"type": "string", "enum": schema.names}}
        required = list(props)
        if self.rationale:
            props["rationale"] = {"type": "string"}
            required.append("rationale")
        json_schema = {
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": False,
        }
        if kind == "json_object":
            return {"type": "json_object", "schema": json_schema}
        return {
            "type": "json_schema",
            "json_schema": {
                "name": "labels" if schema.multi_label else "label",
                "strict": True,
                "schema": json_schema,
            },
        }

    def _system(self, schema: Schema, json_mode: bool) -> str:
        prompt = system_prompt(schema, rationale=self.rationale and not json_mode)
        if json_mode:
            key = '"labels": [...]' if schema.multi_label else '"label": "..."'
            extra = ', "rationale": "<one short sentence>"' if self.rationale else ""
            prompt = prompt.rsplit("\n", 1)[0] + f"\nAnswer as JSON: {{{key}{extra}}}."
        return prompt

    def _post(self, body: dict[str, Any]) -> Any:
        import httpx

        delay = 0.5
        for attempt in range(self.max_retries + 1):
            try:
                resp = self.client.post(self.url, json=body)
            except httpx.TransportError as exc:
                if attempt == self.max_retries:
                    raise LLMEndpointError(f"cannot reach {self.url}: {exc}") from exc
            else:
                if resp.status_code in (401, 403):
                    raise LLMEndpointError(
                        f"{self.url} refused the API key (HTTP {resp.status_code}): "
                        "set MODLAB_LLM_API_KEY"
                    )
                if (resp.status_code < 500 and resp.status_code != 429) or _refusal(resp):
                    return resp
                if attempt == self.max_retries:
                    raise LLMEndpointError(
                        f"{self.url} answered HTTP {resp.status_code}: {resp.text[:300]}"
                    )
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _complete(self, messages: list[dict[str, str]], schema: Schema) -> tuple[str, Any, bool]:
        """``(content, logprobs content list or None, json_mode)`` for one chat request."""
        kind = self._formats[0]
        json_mode = kind != "none"
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.max_tokens or (120 if self.rationale else 48),
            "seed": 0,
        }
        if self._logprobs_ok:
            body["logprobs"] = True
            body["top_logprobs"] = 5
        if json_mode:
            body["response_format"] = self._response_format(schema, kind)
            body["messages"] = [
                {"role": "system", "content": self._system(schema, True)},
                *messages[1:],
            ]
        resp = self._post(body)
        if resp.status_code in (400, 422) or _refusal(resp):
            # Degrade gracefully on servers without this structured-output form or logprobs.
            text = resp.text.lower()
            if self._logprobs_ok and "logprob" in text:
                self._logprobs_ok = False
            elif len(self._formats) > 1:
                self._formats.pop(0)
            elif self._logprobs_ok:
                self._logprobs_ok = False
            else:
                raise LLMEndpointError(
                    f"{self.url} answered HTTP {resp.status_code}: {resp.text[:300]}"
                )
            return self._complete(messages, schema)
        if resp.status_code >= 400:
            raise LLMEndpointError(
                f"{self.url} answered HTTP {resp.status_code}: {resp.text[:300]}"
            )
        self._formats = self._formats[:1]  # settled: keep what the server accepted
        data = resp.json()
        try:
            choice = data["choices"][0]
            content = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMEndpointError(f"not a chat completion: {str(data)[:300]}") from exc
        lp = (choice.get("logprobs") or {}).get("content") if isinstance(choice, dict) else None
        return content, lp, json_mode

    # -- parsing --------------------------------------------------------------------------------

    @staticmethod
    def _span_prob(logprobs: Any, start: int, end: int) -> float | None:
        """Probability of the tokens covering ``content[start:end]`` (None without logprobs)."""
        if not logprobs or end <= start:
            return None
        pos = 0
        total = 0.0
        seen = False
        for tok in logprobs:
            text = tok.get("token", "")
            t0, t1 = pos, pos + len(text)
            pos = t1
            if t1 <= start or t0 >= end:
                continue
            lp = tok.get("logprob")
            if lp is None:
                return None
            total += float(lp)
            seen = True
        return math.exp(total) if seen else None

    def _parse(
        self, content: str, logprobs: Any, json_mode: bool, schema: Schema
    ) -> tuple[list[str], list[str], str | None, float | None, dict[str, float]]:
        """``(labels, rejected, rationale, score, per-label scores)``."""
        rationale = None
        spans: list[tuple[str, int, int]] = []  # (raw item, start, end) in content
        if json_mode:
            try:
                obj = json.loads(content)
            except json.JSONDecodeError:
                obj = None
            if isinstance(obj, dict):
                rationale = obj.get("rationale") or None
                raw_items = obj.get("labels") if schema.multi_label else [obj.get("label")]
                if isinstance(raw_items, str):
                    raw_items = [raw_items]
                cursor = 0
                for item in raw_items or []:
                    item = "" if item is None else str(item)
                    m = re.compile(re.escape(json.dumps(item)[1:-1])).search(content, cursor)
                    if m:
                        spans.append((item, m.start(), m.end()))
                        cursor = m.end()
                    else:
                        spans.append((item, -1, -1))
            else:
                json_mode = False  # the server ignored response_format: read it as text
        if not json_mode:
            rationale = rationale_from(content) if self.rationale else None
            first = content.strip().splitlines()[0] if content.strip() else ""
            offset = content.find(first) if first else 0
            if schema.multi_label:
                for m in re.finditer(r"[^,;|]+", first):
                    if m.group().strip():
                        spans.append((m.group().strip(), offset + m.start(), offset + m.end()))
            else:
                spans.append((first, offset, offset + len(first)))
        labels: list[str] = []
        rejected: list[str] = []
        scores: dict[str, float] = {}
        none_norm = {none_answer(schema).casefold(), "none"}
        for raw, start, end in spans:
            if schema.multi_label and raw.strip().casefold() in none_norm:
                continue
            names = schema.candidates if schema.multi_label else schema.names
            hit = match_label(raw, names)
            if hit is None:
                rejected.append(raw)
                continue
            if hit in labels:
                continue
            labels.append(hit)
            p = self._span_prob(logprobs, start, end) if start >= 0 else None
            scores[hit] = p if p is not None else 1.0
        score = None
        if labels:
            score = float(sum(scores[n] for n in labels) / len(labels))
        elif schema.multi_label and not rejected and spans is not None:
            score = 1.0  # an explicit "none applies"
        return labels, rejected, rationale, score, scores

    # -- labelling ------------------------------------------------------------------------------

    def _label_one(self, text: str, schema: Schema, system: str) -> AutoLabel:
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": user_prompt(text)},
        ]
        reply = ""
        for attempt in range(2):
            content, logprobs, json_mode = self._complete(messages, schema)
            reply = content
            labels, rejected, rationale, score, scores = self._parse(
                content, logprobs, json_mode, schema
            )
            valid = bool(labels) or (schema.multi_label and not rejected and score is not None)
            if valid and (not rejected or labels):
                if schema.multi_label:
                    label = labels[0] if labels else schema.neutral
                else:
                    label = labels[0]
                if rejected:
                    note = f"ignored labels outside the set: {', '.join(rejected)}"
                    rationale = f"{rationale}; {note}" if rationale else note
                return AutoLabel(
                    label=label,
                    labels=labels,
                    score=float(score if score is not None else 1.0),
                    rationale=rationale,
                    agent=self.agent,
                    scores=scores,
                )
            if attempt == 0:
                allowed = ", ".join(schema.candidates if schema.multi_label else schema.names)
                messages = [
                    *messages,
                    {"role": "assistant", "content": content},
                    {
                        "role": "user",
                        "content": f"That is not a valid answer. Answer with only: {allowed}.",
                    },
                ]
        short = reply.strip().replace("\n", " ")[:120]
        return AutoLabel(
            label=None,
            labels=[],
            score=0.0,
            rationale=f"rejected: reply {short!r} is not in the label set",
            agent=self.agent,
        )

    def _label(self, texts: list[str], schema: Schema, bar: Any) -> list[AutoLabel]:
        def one(text: str) -> AutoLabel:
            # Fixed per run: built once json support is known (first request decides).
            system = self._system(schema, False)
            result = self._label_one(text, schema, system)
            bar.update(1)
            return result

        if not texts:
            return []
        # The first request settles whether structured output works before fanning out.
        first = one(texts[0])
        rest: Sequence[str] = texts[1:]
        if self.concurrency == 1 or not rest:
            return [first, *[one(t) for t in rest]]
        with ThreadPoolExecutor(self.concurrency) as pool:
            return [first, *pool.map(one, rest)]
