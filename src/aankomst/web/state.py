"""Server state: read-only atlas connections (one per worker thread) and bounded caches.

DuckDB connections are not thread-safe. FastAPI runs the API's ``def`` endpoints in a thread
pool, so every worker thread gets its own read-only :class:`~aankomst.store.atlas.Atlas`
(DuckDB shares one database instance between connections to the same file in a process).
The atlas is opened read-only and never changes while the server runs, so computed results
are cached (bounded LRU) and served as pre-encoded, pre-compressed bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from aankomst.errors import AankomstError


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


class LRUCache:
    """A small thread-safe LRU cache; :meth:`get_or_make` computes a missing value once.

    Parameters
    ----------
    maxsize
        Number of entries kept.
    """

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """Return the cached value or compute it (one computation per key at a time).

        Errors are cached too (as the raised :class:`AankomstError`), so a request for an
        unavailable combination is answered at once the next time.
        """
        hit = self.get(key)
        if hit is not None:
            if isinstance(hit, AankomstError):
                raise hit
            return hit
        with self._lock:
            klock = self._key_locks.setdefault(key, threading.Lock())
        with klock:
            hit = self.get(key)
            if hit is None:
                try:
                    hit = make()
                except AankomstError as exc:
                    self.put(key, exc)
                    raise
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
                except Exception:  # noqa: BLE001 - closing on shutdown must not fail
                    pass
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

    def __enter__(self) -> "Busy":
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
