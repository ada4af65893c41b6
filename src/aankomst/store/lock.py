"""One writer per atlas: an exclusive lock held for the whole of a build.

DuckDB locks the database file only while a connection is open, and a build opens it only after
reading every input (tens of seconds). :func:`writer_lock` closes that gap: it takes an exclusive
lock on a small file next to the atlas (``atlas.duckdb.lock``) before anything is read, so a
second ``aankomst build`` of the same atlas waits (``wait`` seconds) or stops at once with
:class:`AtlasBusyError`, before it touches the atlas. The lock is the operating system's
(``flock`` on POSIX, ``msvcrt.locking`` on Windows): it is released when the holder exits, even
when it is killed, so a stale lock file never blocks anyone. The file records who holds it
(process id, command, start time) for the message.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO

from aankomst.errors import AankomstError

POLL_SECONDS = 0.2
"""How often a waiting process tries the lock again."""


class AtlasBusyError(AankomstError):
    """Another process is writing the atlas (or has it open while this one wants to write)."""


def lock_path(db_path: str | Path) -> Path:
    """The lock file of an atlas: the atlas file name with ``.lock`` appended.

    Examples
    --------
    >>> lock_path("data/atlas.duckdb").name
    'atlas.duckdb.lock'
    """
    p = Path(db_path)
    return p.with_name(p.name + ".lock")


def _try_lock(fh: IO[str]) -> bool:
    """Take the exclusive lock on an open file without blocking; False when another process has it."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        fh.seek(0)
        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fh: IO[str]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _still_ours(fh: IO[str], path: Path) -> bool:
    """True when ``path`` still names the file we locked (a holder that finished may have removed
    it; then the lock we got is on a file nobody else will look at, and we must start again)."""
    if sys.platform == "win32":  # pragma: no cover - an open file cannot be removed there
        return True
    try:
        return os.stat(path).st_ino == os.fstat(fh.fileno()).st_ino
    except FileNotFoundError:
        return False


def holder(db_path: str | Path) -> dict[str, object]:
    """Who holds (or last held) the writer lock of an atlas: ``pid``, ``command``, ``since``;
    an empty dict when unknown.

    Examples
    --------
    >>> holder("/nonexistent/atlas.duckdb")
    {}
    """
    try:
        info = json.loads(lock_path(db_path).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def busy_message(db_path: str | Path, info: dict[str, object] | None = None, *, waited: float = 0.0) -> str:
    """The message for a second writer: names the atlas, the holder and what to do."""
    info = holder(db_path) if info is None else info
    who = ", ".join(str(x) for x in (f"PID {info['pid']}" if info.get("pid") else "", info.get("command") or "",
                                     f"since {info['since']}" if info.get("since") else "") if x)
    text = f"atlas {str(db_path)!r}: another process is writing this atlas" + (f" ({who})" if who else "")
    if waited:
        text += f"; waited {waited:g} s"
    return (text + ". Nothing was changed; run the build again when that one has finished "
            "(or give --wait SECONDS to wait for it)")


@contextmanager
def writer_lock(db_path: str | Path, *, wait: float = 0.0, command: str = "") -> Iterator[Path]:
    """Hold the exclusive writer lock of the atlas ``db_path`` for the duration of a ``with`` block.

    Parameters
    ----------
    db_path
        The atlas file (it need not exist yet).
    wait
        Seconds to wait for another writer to finish; ``0`` stops at once.
    command
        What this process is doing, shown to a process that has to wait (e.g. ``"aankomst build"``).

    Yields
    ------
    pathlib.Path
        The lock file.

    Raises
    ------
    AtlasBusyError
        When another process still holds the lock after ``wait`` seconds.
    AankomstError
        When the lock file cannot be created (e.g. the directory does not exist or is read-only).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "atlas.duckdb"
    >>> with writer_lock(db, command="example"):
    ...     holder(db)["command"]
    'example'
    """
    path = lock_path(db_path)
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the whole lock
        except OSError as exc:
            raise AankomstError(f"cannot create the lock file {str(path)!r} next to the atlas ({exc.strerror}); "
                                "the atlas directory must exist and be writable") from exc
        if _try_lock(fh):
            if _still_ours(fh, path):
                break
            fh.close()
            continue
        fh.close()
        if time.monotonic() >= deadline:
            raise AtlasBusyError(busy_message(db_path, waited=wait))
        time.sleep(POLL_SECONDS)
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "command": command or Path(sys.argv[0]).name,
                             "since": datetime.now().isoformat(timespec="seconds")}))
        fh.flush()
        yield path
    finally:
        if sys.platform != "win32":
            path.unlink(missing_ok=True)  # before unlocking: a waiter that then gets the lock re-checks the path
        _unlock(fh)
        fh.close()
