"""Connecting to a registry database, migrating it (Alembic) and loading the taxonomies.

URLs
----
``sqlite:///FILE`` (embedded default; WAL journal, foreign keys on, 10 s busy timeout) or
``postgresql://user@host:port/db`` (shared multi-user deployments; the psycopg 3 driver is used
whatever driver the URL names). A bare file path is taken as a SQLite file.
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from aankomst.errors import AankomstError, InputError
from aankomst.paths import package_data

VOCAB_FILES: dict[str, str] = {
    "domain": "domains.csv",
    "sphere": "spheres.csv",
    "provider_type": "provider_types.csv",
    "formality": "formality.csv",
    "scale": "scales.csv",
    "eligibility": "eligibility.csv",
    "function": "functions.csv",
    "language": "languages.csv",
}
"""Vocabulary name -> CSV file in ``aankomst/data/registry``."""

_ENGINES: dict[tuple[str, bool], Engine] = {}
_LOCK = threading.Lock()


def normalise_url(url: str) -> str:
    """Return a SQLAlchemy URL for ``url`` (adds the psycopg driver, accepts bare paths).

    Raises
    ------
    AankomstError
        For a scheme other than sqlite or postgresql.
    """
    url = str(url).strip()
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    scheme, rest = url.split("://", 1)
    base = scheme.split("+", 1)[0]
    if base in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    if base == "sqlite":
        return url
    raise AankomstError(
        f"registry URL {url!r} has an unsupported scheme {scheme!r}; use "
        "sqlite:///FILE or postgresql://user@host:port/database"
    )


def make_engine(url: str, *, immediate: bool = False) -> Engine:
    """Create an engine (uncached) with the registry's connection settings.

    For SQLite, transactions are begun explicitly: ``BEGIN IMMEDIATE`` when ``immediate``
    (writers take the write lock up front, so a concurrent writer waits instead of failing
    on a stale snapshot), plain ``BEGIN`` otherwise.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        eng = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        begin_sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"

        @event.listens_for(eng, "connect")
        def _pragmas(dbapi_con: Any, _rec: Any) -> None:
            dbapi_con.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(eng, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql(begin_sql)

        return eng
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine(url: str, *, write: bool = False) -> Engine:
    """Return a process-wide cached engine for ``url`` (``write``: SQLite BEGIN IMMEDIATE)."""
    key = normalise_url(url)
    if not key.startswith("sqlite"):
        write = False
    with _LOCK:
        eng = _ENGINES.get((key, write))
        if eng is None:
            eng = _ENGINES[(key, write)] = make_engine(key, immediate=write)
        return eng


def dispose_all() -> None:
    """Dispose every cached engine (tests, forked processes)."""
    with _LOCK:
        for eng in _ENGINES.values():
            eng.dispose()
        _ENGINES.clear()


def session_factory(url: str, *, write: bool = False) -> sessionmaker[Session]:
    """Return a session factory bound to the cached engine of ``url``.

    Use ``write=True`` for sessions that change data.
    """
    return sessionmaker(get_engine(url, write=write), expire_on_commit=False)


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(url: str) -> str | None:
    """Alembic revision of the database (``None`` when not initialised)."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as con:
        return MigrationContext.configure(con).get_current_revision()


def head_revision() -> str:
    """The newest migration shipped with this Aankomst."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head() or ""


def init_db(url: str) -> str:
    """Create or upgrade the registry schema and (re)load the taxonomies.

    Parameters
    ----------
    url
        Registry database URL (``sqlite:///FILE`` or ``postgresql://…``).

    Returns
    -------
    str
        The schema revision after migration.
    """
    from alembic import command

    eng = get_engine(url, write=True)
    if eng.dialect.name == "sqlite":
        db = eng.url.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
    with eng.begin() as con:
        command.upgrade(_alembic_config(con), "head")
    load_taxonomies(url)
    return current_revision(url) or ""


def check_ready(url: str) -> None:
    """Raise a clear error when the registry at ``url`` is not initialised or outdated."""
    try:
        rev = current_revision(url)
    except Exception as exc:  # connection problems: name the URL (never a password)
        raise AankomstError(
            f"cannot open the registry at {safe_url(url)}: {type(exc).__name__}; check the URL "
            "and that the server is running"
        ) from None
    if rev is None:
        raise AankomstError(
            f"the registry at {safe_url(url)} is not initialised; run "
            "'aankomst registry init --url URL' first"
        )
    if rev != head_revision():
        raise AankomstError(
            f"the registry at {safe_url(url)} has schema revision {rev}, this Aankomst expects "
            f"{head_revision()}; run 'aankomst registry init --url URL' to upgrade"
        )


def safe_url(url: str) -> str:
    """The URL with any password masked (for messages)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except Exception:
        return "<registry url>"


def read_vocabulary(vocab: str) -> list[dict[str, Any]]:
    """Read one taxonomy CSV into term dicts (vocabulary, code, nl/en/fr labels, extra columns).

    A missing ``label_fr`` falls back to the English label.

    Raises
    ------
    InputError
        When a row lacks a code or a label.
    """
    path = package_data(f"registry/{VOCAB_FILES[vocab]}")
    out: list[dict[str, Any]] = []
    with open(path, encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            for col in ("code", "label_nl", "label_en"):
                if not (row.get(col) or "").strip():
                    raise InputError(str(path), f"empty {col}", row=i, column=col,
                                     expected="a non-empty value")
            extra = {k: v for k, v in row.items()
                     if k not in ("code", "label_nl", "label_en", "label_fr", "definition_en", "sort_order")}
            out.append(
                {
                    "vocabulary": vocab,
                    "code": row["code"].strip(),
                    "label_nl": row["label_nl"].strip(),
                    "label_en": row["label_en"].strip(),
                    "label_fr": (row.get("label_fr") or "").strip() or row["label_en"].strip(),
                    "definition_en": (row.get("definition_en") or "").strip() or None,
                    "sort_order": int(row.get("sort_order") or i),
                    "extra": extra or None,
                }
            )
    return out


def load_taxonomies(url: str) -> int:
    """Upsert every taxonomy CSV into ``terms``. Returns the number of terms."""
    from aankomst.registry.models import Term

    n = 0
    with session_factory(url, write=True)() as s, s.begin():
        for vocab in VOCAB_FILES:
            for t in read_vocabulary(vocab):
                s.merge(Term(**t))
                n += 1
    return n


def table_names(url: str) -> list[str]:
    """Tables present in the database (diagnostics)."""
    return sorted(inspect(get_engine(url)).get_table_names())
