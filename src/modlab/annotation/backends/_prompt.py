"""Prompts and answer parsing shared by the LLM backends.

The system prompt depends only on the schema (names, descriptions, examples) and the answer
format, never on the text, so it is byte-identical across calls and llama.cpp's prefix cache
(and server-side prompt caches) reuse it; the text goes in the user turn.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from modlab.annotation.autolabel import Schema

MAX_EXAMPLES_PER_LABEL = 3
MAX_EXAMPLE_CHARS = 160
MAX_TEXT_CHARS = 2000
NONE_ANSWER = "NONE"


def none_answer(schema: Schema) -> str:
    """What a multi-label answer says when no label applies."""
    return schema.neutral or NONE_ANSWER


def system_prompt(schema: Schema, *, rationale: bool = False) -> str:
    lines = [
        f'You are a careful annotator labelling texts for the task "{schema.name}".',
    ]
    if schema.description:
        lines.append(schema.description.strip())
    lines += ["", "Labels:"]
    for lab in schema.labels:
        desc = " ".join((lab.description or "").split())
        lines.append(f"- {lab.name}: {desc}" if desc else f"- {lab.name}")
        for ex in list(lab.examples)[:MAX_EXAMPLES_PER_LABEL]:
            ex = " ".join(str(ex).split())
            if len(ex) > MAX_EXAMPLE_CHARS:
                ex = ex[: MAX_EXAMPLE_CHARS - 1] + "…"
            lines.append(f'  example: "{ex}"')
    lines.append("")
    names = ", ".join(schema.names)
    if schema.multi_label:
        cands = ", ".join(schema.candidates)
        lines.append(
            f"Answer with every label that applies to the text, from: {cands}; separated by "
            f"commas, most relevant first. If none applies, answer {none_answer(schema)}."
        )
    else:
        lines.append(f"Answer with exactly one label from: {names}.")
    if rationale:
        lines.append(
            "Write the label(s) on the first line, then one short sentence explaining why "
            "on the second line."
        )
    else:
        lines.append("Answer with the label name only.")
    return "\n".join(lines)


def user_prompt(text: str, *, max_chars: int = MAX_TEXT_CHARS) -> str:
    text = str(text)
    if len(text) > max_chars:
        text = text[:max_chars] + " […]"
    return f'Text:\n"""\n{text}\n"""'


def _norm(s: str) -> str:
    return re.sub(r"[\s_\-]+", " ", s.strip().strip("\"'`*.:;,()[]{}<>").casefold()).strip()


def match_label(raw: str, names: Sequence[str]) -> str | None:
    """The label ``raw`` names, or ``None`` when it is not (unambiguously) one of ``names``.

    Accepts case/underscore/space variants and quoting (``"spam"``, ``Not hate``, ``**HAM**``),
    or a reply that mentions exactly one label as a whole word. Anything else is rejected.
    """
    if raw is None:
        return None
    first = raw.strip().splitlines()[0] if raw.strip() else ""
    by_norm = {_norm(n): n for n in names}
    for cand in (first, re.sub(r"^(label|answer)\s*[:=]\s*", "", first, flags=re.I)):
        hit = by_norm.get(_norm(cand))
        if hit is not None:
            return hit
    hits = set()
    for n in names:
        pattern = r"(?<![\w])" + re.escape(n).replace(r"\_", "[ _-]").replace(r"\ ", "[ _-]")
        if re.search(pattern + r"(?![\w])", first, flags=re.I):
            hits.add(n)
    # "NOT_HATE" contains "HATE": prefer the longer label when one contains another.
    hits = {h for h in hits if not any(h != o and _norm(h) in _norm(o) for o in hits)}
    return hits.pop() if len(hits) == 1 else None


def rationale_from(raw: str) -> str | None:
    lines = [ln.strip() for ln in (raw or "").strip().splitlines() if ln.strip()]
    if len(lines) < 2:
        return None
    text = re.sub(r"^(reason|rationale|because|explanation)\s*[:\-]\s*", "", lines[1], flags=re.I)
    return text[:300] or None
