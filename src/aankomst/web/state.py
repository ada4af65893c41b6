"""Server state: read-only atlas connections (one per worker thread) and the one cache.

DuckDB connections are not thread-safe. FastAPI runs the API's ``def`` endpoints in a thread
pool, so every worker thread gets its own read-only :class:`~aankomst.store.atlas.Atlas`
(DuckDB shares one database instance between connections to the same file in a process).
The atlas is opened read-only and never changes while the server runs, so answers are cached
in one bounded :class:`LRU` whose keys carry the atlas file's identity
(:func:`atlas_identity`), and served as pre-encoded, pre-compressed :class:`Payload` bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from aankomst.errors import AankomstError

log = logging.getLogger("aankomst.web")


class AtlasUnavailable(AankomstError):
    """The server was started without an atlas (HTTP 503 on the atlas endpoints)."""


@dataclass(frozen=True)
class Payload:
    """A response body encoded once: raw bytes, gzip bytes and an ETag."""

    body: bytes
    gz: bytes
    etag: str
    media_type: str = "application/json"

    @classmethod
    def make(cls, body: bytes, media_type: str = "application/json") -> Payload:
        """Encode ``body`` (gzip level 6) and hash it for the ETag."""
        return cls(
            body=body,
            gz=gzip.compress(body, compresslevel=6, mtime=0),
            etag='"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"',
            media_type=media_type,
        )


def atlas_identity(path: str | None) -> tuple[str, int, int] | None:
    """The identity of an atlas file: resolved path, size and modification time (ns).

    Two files (or one file rebuilt in place) never share an identity, so cache entries of one
    atlas are never served for another.

    Parameters
    ----------
    path
        The atlas DuckDB file, or ``None`` (no atlas).

    Returns
    -------
    tuple or None
        ``(path, size, mtime_ns)``; ``None`` without an atlas.
    """
    if path is None:
        return None
    st = os.stat(path)
    return (str(Path(path).resolve()), int(st.st_size), int(st.st_mtime_ns))


class LRU:
    """The web atlas's one cache: a small thread-safe LRU scoped to one atlas file.

    Every key is stored as ``(scope, key)``, where ``scope`` is the atlas identity
    (:func:`atlas_identity`). :meth:`get_or_make` computes a missing value once, also when many
    threads ask for it at the same time; an :class:`~aankomst.errors.AankomstError` raised by
    the computation is cached too, so a request for data that do not exist is answered at once
    the next time.

    Parameters
    ----------
    maxsize
        Number of entries kept (least recently used ones are dropped first).
    scope
        The atlas identity (or any hashable naming what the entries were computed from).

    Examples
    --------
    >>> c = LRU(2, scope=("atlas.duckdb", 1, 1))
    >>> c.get_or_make("a", lambda: 1), c.get_or_make("a", lambda: 2), c.get("b")
    (1, 1, None)
    """

    def __init__(self, maxsize: int = 2048, scope: Hashable = None) -> None:
        if maxsize < 1:
            raise ValueError(f"LRU maxsize must be at least 1, not {maxsize}")
        self.maxsize = maxsize
        self.scope = scope
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable) -> Any:
        """The cached value (or cached error) of ``key``, ``None`` when absent."""
        k = (self.scope, key)
        with self._lock:
            if k in self._data:
                self._data.move_to_end(k)
                return self._data[k]
        return None

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value`` under ``key`` (dropping the least recently used entries)."""
        k = (self.scope, key)
        with self._lock:
            self._data[k] = value
            self._data.move_to_end(k)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The cached value of ``key``, or ``make()`` computed once and cached.

        Raises
        ------
        AankomstError
            The (cached) error of ``make()``.
        """
        hit = self.get(key)
        if hit is None:
            with self._lock:
                klock = self._key_locks.setdefault(key, threading.Lock())
            with klock:
                hit = self.get(key)
                if hit is None:
                    try:
                        hit = make()
                    except AankomstError as exc:
                        hit = exc
                    self.put(key, hit)
            with self._lock:
                self._key_locks.pop(key, None)
        if isinstance(hit, AankomstError):
            raise hit
        return hit

    def __len__(self) -> int:
        return len(self._data)


class AtlasPool:
    """Read-only atlas connections, one per thread.

    Parameters
    ----------
    path
        The atlas DuckDB file.
    """

    def __init__(self, path: str) -> None:
        import aankomst

        self.path = str(path)
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        # Open once in the calling thread: fails early (clear message) for a missing file or
        # an atlas of another schema version.
        first = aankomst.open(self.path, read_only=True)
        self._local.atlas = first
        self._all.append(first)

    def get(self) -> Any:
        """The calling thread's read-only :class:`Atlas` (opened on first use)."""
        atlas = getattr(self._local, "atlas", None)
        if atlas is None:
            import aankomst

            atlas = aankomst.open(self.path, read_only=True)
            self._local.atlas = atlas
            with self._lock:
                self._all.append(atlas)
        return atlas

    def close(self) -> None:
        """Close every connection opened by this pool."""
        with self._lock:
            for a in self._all:
                try:
                    a.close()
                except Exception:  # closing on shutdown must not fail
                    log.debug("closing an atlas connection failed", exc_info=True)
            self._all.clear()
        self._local = threading.local()


class Busy:
    """Counts computations in flight, so that shutdown can wait for them.

    A request whose client went away leaves its worker thread computing; DuckDB must not be
    inside a query when the interpreter exits (that aborts the process).
    """

    def __init__(self) -> None:
        self._n = 0
        self._cond = threading.Condition()

    def __enter__(self) -> Self:
        with self._cond:
            self._n += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._n -= 1
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 120.0) -> bool:
        """Block until nothing is computing (or ``timeout`` seconds); ``True`` when idle."""
        with self._cond:
            return self._cond.wait_for(lambda: self._n == 0, timeout=timeout)
