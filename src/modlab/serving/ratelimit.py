"""Per-project request limits (sliding window, in process memory).

In-process state is enough for the default single-worker service; a multi-worker
deployment should put this in Redis (documented in the README's scale-out section).
"""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, limit: int, window_s: float) -> float | None:
        """Record a hit; return None if allowed, else seconds until a slot frees up."""
        if limit <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= window_s:
                hits.popleft()
            if len(hits) >= limit:
                return max(0.0, window_s - (now - hits[0]))
            hits.append(now)
            return None
