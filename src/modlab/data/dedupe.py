"""Text normalisation, exact-duplicate hashes and MinHash near-duplicate search."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # datasketch pulls in scipy (seconds); import it only when hashing
    from datasketch import LeanMinHash

NUM_PERM = 64
SEED = 1
SCHEME = "affine32"
SHINGLE = 5  # character n-grams: robust for short texts (chat lines, SMS, comments)
DEFAULT_NEAR_THRESHOLD = 0.8
# Shingles are hashed with CRC-32 (a C builtin, ~40x cheaper per call than datasketch's SHA-1
# wrapper); datasketch's affine32 scheme mixes it with MurmurHash3's finaliser before permuting.
# Stored signatures start with this tag; a different tag (or length) is recomputed from the text.
SIGNATURE_TAG = b"\x01"

_NON_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Unicode-compatibility form, case-folded, whitespace collapsed (the exact-duplicate key)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_hash(text: str) -> str:
    """SHA-256 of the normalised text: equal for texts that differ only in case or spacing."""
    return hashlib.sha256(normalise(text).encode("utf-8", "surrogatepass")).hexdigest()


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    """Character ``k``-grams of the normalised text with punctuation folded into spaces."""
    norm = normalise(text)
    folded = _NON_WORD.sub(" ", norm).strip() or norm
    if len(folded) <= k:
        return {folded}
    return {folded[i : i + k] for i in range(len(folded) - k + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def signatures(shingle_sets: list[set[str]]) -> list[LeanMinHash]:
    """MinHash signatures for many shingle sets (one shared set of permutations)."""
    if not shingle_sets:
        return []
    from datasketch import LeanMinHash, MinHash

    encoded = [[s.encode("utf-8", "surrogatepass") for s in sh] for sh in shingle_sets]
    minhashes = MinHash.bulk(
        encoded, num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=zlib.crc32
    )
    return [LeanMinHash(m) for m in minhashes]


def to_bytes(sig: LeanMinHash) -> bytes:
    return SIGNATURE_TAG + np.asarray(sig.hashvalues, dtype="<u4").tobytes()


def from_bytes(data: bytes | None) -> LeanMinHash | None:
    if not data or len(data) != 1 + NUM_PERM * 4 or data[:1] != SIGNATURE_TAG:
        return None
    from datasketch import LeanMinHash

    values = np.frombuffer(data[1:], dtype="<u4").astype(np.uint32)
    return LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME)


class NearDuplicateIndex:
    """Texts indexed by MinHash LSH; candidates are confirmed with the exact shingle Jaccard."""

    def __init__(self, threshold: float = DEFAULT_NEAR_THRESHOLD) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("near-duplicate threshold must be in (0, 1]")
        from datasketch import MinHashLSH

        self.threshold = threshold
        self._lsh: Any = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        # Texts, not shingle sets: shingles are recomputed for the few LSH candidates only,
        # which keeps memory at the size of the texts.
        self._texts: dict[Hashable, str] = {}

    def add(self, key: Hashable, text: str, sig: LeanMinHash) -> None:
        self._lsh.insert(key, sig, check_duplication=False)
        self._texts[key] = text

    def remove(self, key: Hashable) -> None:
        if key in self._texts:
            self._lsh.remove(key)
            del self._texts[key]

    def matches(self, shingle_set: set[str], sig: LeanMinHash) -> list[tuple[Hashable, float]]:
        """Indexed keys whose text is a near duplicate, best first."""
        found = []
        for key in self._lsh.query(sig):
            sim = jaccard(shingle_set, shingles(self._texts[key]))
            if sim >= self.threshold:
                found.append((key, sim))
        found.sort(key=lambda kv: (-kv[1], str(kv[0])))
        return found
