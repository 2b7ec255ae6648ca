"""Per-project request limits (sliding window).

``RateLimiter`` keeps the window in process memory: exact for one service process (the
default with ``MODLAB_SERVICE_WORKERS=1``, tests, notebooks). ``SharedRateLimiter`` keeps it in
a small SQLite file beside the database so that all worker processes of one service count
together (the service uses it whenever it runs more than one worker); it costs one short
write transaction per request, and only for projects that have a limit. Several hosts behind
a load balancer need a shared store such as Redis (README, scale-out).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from pathlib import Path


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


class SharedRateLimiter:
    """The same sliding window as :class:`RateLimiter`, shared by processes through SQLite."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, ts REAL NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS ix_hits_key_ts ON hits (key, ts)")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")  # counters, not records: speed over durability
        return conn

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def check(self, key: str, limit: int, window_s: float) -> float | None:
        """Record a hit; return None if allowed, else seconds until a slot frees up."""
        if limit <= 0:
            return None
        conn = self._conn()
        now = time.time()  # wall clock: comparable between processes
        conn.execute("BEGIN IMMEDIATE")  # one writer at a time across processes
        try:
            conn.execute("DELETE FROM hits WHERE key = ? AND ts <= ?", (key, now - window_s))
            count, oldest = conn.execute(
                "SELECT count(*), min(ts) FROM hits WHERE key = ?", (key,)
            ).fetchone()
            if count >= limit:
                return max(0.0, window_s - (now - oldest))
            conn.execute("INSERT INTO hits (key, ts) VALUES (?, ?)", (key, now))
            return None
        finally:
            conn.execute("COMMIT")
