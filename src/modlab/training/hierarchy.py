"""Label hierarchies of multi-label models: a subcategory's score never exceeds its parent's.

OpenAI's moderation categories are a hierarchy ("harassment/threatening" is harassment that
threatens; "self-harm/intent" is self-harm), and every training row that carries the child
label carries the parent too. Labels learned one by one do not know that: the built-in
``openai`` model scored the 34 held-out threat seeds harassment/threatening 0.50 and
harassment 0.29 (medians), so answered ``"harassment/threatening": true, "harassment":
false``. Since the child implies the parent, P(parent) >= P(child); ``apply_parents``
enforces it (the parent keeps the larger of the two calibrated scores), and training chooses
the thresholds on scores that obey it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def slash_parents(labels: Sequence[str]) -> dict[str, str]:
    """``{child: parent}`` from names such as ``"self-harm/intent"`` whose prefix is a label.

    The naming convention of the OpenAI and Perspective-style taxonomies; nested names
    (``"a/b/c"``) point at their nearest ancestor that is a label.
    """
    names = set(labels)
    parents: dict[str, str] = {}
    for label in labels:
        prefix = label
        while "/" in prefix:
            prefix = prefix.rsplit("/", 1)[0]
            if prefix in names:
                parents[label] = prefix
                break
    return parents


def check_parents(
    parents: Mapping[str, str], labels: Sequence[str], neutral_label: str | None = None
) -> dict[str, str]:
    """``parents`` validated against ``labels``: known names, no neutral label, no cycles."""
    names = set(labels)
    for child, parent in parents.items():
        unknown = [n for n in (child, parent) if n not in names]
        if unknown:
            raise ValueError(f"label_parents names unknown labels {unknown}; labels: {labels}")
        if neutral_label is not None and neutral_label in (child, parent):
            raise ValueError(f"{neutral_label!r} is the neutral label: not part of a hierarchy")
        if child == parent:
            raise ValueError(f"label_parents: {child!r} is its own parent")
    for start in parents:
        seen = {start}
        node = start
        while node in parents:
            node = parents[node]
            if node in seen:
                raise ValueError(f"label_parents has a cycle through {node!r}")
            seen.add(node)
    return dict(parents)


def _depth(label: str, parents: Mapping[str, str]) -> int:
    depth = 0
    while label in parents:
        label = parents[label]
        depth += 1
    return depth


def apply_parents(
    proba: np.ndarray, labels: Sequence[str], parents: Mapping[str, str]
) -> np.ndarray:
    """A copy of ``(n, n_labels)`` scores where each parent is at least each of its children
    (deepest children first, so grandchildren reach their grandparents)."""
    if not parents:
        return proba
    out = np.array(proba, dtype=float, copy=True)
    index = {name: i for i, name in enumerate(labels)}
    for child in sorted(parents, key=lambda c: -_depth(c, parents)):
        parent = index[parents[child]]
        np.maximum(out[:, parent], out[:, index[child]], out=out[:, parent])
    return out
