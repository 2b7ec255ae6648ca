"""Auto-labelling backends (see :mod:`modlab.annotation.autolabel` for the interface).

Imported lazily by :func:`modlab.annotation.autolabel.get_backend`, so the optional
``llama_cpp`` dependency is only needed when that backend is asked for.
"""

from __future__ import annotations

__all__ = ["LlamaCppBackend", "OpenAICompatibleBackend", "SimilarityBackend"]


def __getattr__(name: str):
    if name == "SimilarityBackend":
        from modlab.annotation.backends.similarity import SimilarityBackend

        return SimilarityBackend
    if name == "LlamaCppBackend":
        from modlab.annotation.backends.llama_cpp import LlamaCppBackend

        return LlamaCppBackend
    if name == "OpenAICompatibleBackend":
        from modlab.annotation.backends.openai_compat import OpenAICompatibleBackend

        return OpenAICompatibleBackend
    raise AttributeError(name)
