"""Download the official open files (addresses in ``data/sources.csv``) or copy them from a local
mirror, into the directory layout :func:`aankomst.sources.build.build_atlas` reads."""

from __future__ import annotations

import shutil
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from aankomst.errors import AankomstError


def _rows(table: Path | None, family: str | None) -> pd.DataFrame:
    from aankomst.sources.meta import sources_table

    t = pd.read_csv(table, dtype=str, keep_default_na=False) if table else sources_table()
    if family:
        t = t[t["family"] == family]
        if t.empty:
            raise AankomstError(f"no file of family {family!r} in the sources table; see 'aankomst sources --list'")
    return t


def check_reachable(url: str, timeout: float) -> None:
    """Fail fast (one short connection attempt) when the host of ``url`` cannot be reached."""
    u = urlparse(url)
    host = u.hostname or ""
    port = u.port or (443 if u.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise AankomstError(
            f"cannot reach {host}:{port} ({exc.__class__.__name__}: {exc}); you seem to be offline or behind a "
            "proxy. Copy the files from a local mirror instead: 'aankomst fetch --to DIR --mirror MIRROR_DIR'"
        ) from exc


def fetch(to: str | Path, *, mirror: str | Path | None = None, family: str | None = None, timeout: float = 10.0,
          table: Path | None = None, log: Callable[[str], None] = print) -> dict:
    """Download (or copy from ``mirror``) every file of the sources table into ``to``.

    Files already present with the same size are skipped. Returns counts and the list of files
    that could not be obtained.

    Raises
    ------
    AankomstError
        When downloading and the first host is unreachable (fails within ``timeout`` seconds).
    """
    to = Path(to)
    rows = _rows(table, family)
    done, skipped, missing = 0, 0, []
    if mirror is not None:
        mirror = Path(mirror)
        if not mirror.is_dir():
            raise AankomstError(f"mirror directory {str(mirror)!r} does not exist")
        for rel in rows["path"]:
            src, dst = mirror / rel, to / rel
            if not src.exists():
                missing.append(rel)
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            if dst.exists() and dst.stat().st_size == src.stat().st_size:
                skipped += 1
                continue
            shutil.copy2(src, dst)
            done += 1
        log(f"copied {done} file(s) from {mirror}")
        return {"done": done, "skipped": skipped, "missing": missing}
    urls = [u for u in rows["url"] if u]
    if not urls:
        raise AankomstError("the sources table has no download addresses")
    checked: set[str] = set()
    for rel, url in zip(rows["path"], rows["url"]):
        if not url:
            skipped += 1
            continue
        host = urlparse(url).hostname or ""
        if host not in checked:
            check_reachable(url, timeout)
            checked.add(host)
        dst = to / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_suffix(dst.suffix + ".part")
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as fh:
                shutil.copyfileobj(resp, fh, 1 << 20)
            tmp.replace(dst)
            done += 1
            log(f"downloaded {rel}")
        except (urllib.error.URLError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            missing.append(rel)
            log(f"[yellow]could not download {rel}[/]: {exc}")
    return {"done": done, "skipped": skipped, "missing": missing}
