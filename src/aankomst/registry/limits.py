"""Limits on what one request to the registry may ask of the server (see docs/security.md).

Every limit has a default here and can be changed per deployment with an environment variable
``AANKOMST_REGISTRY_LIMIT_<NAME>`` (upper case, e.g. ``AANKOMST_REGISTRY_LIMIT_IMPORT_BYTES``)
or by passing a :class:`Limits` to :func:`aankomst.registry.web.make_router`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

from aankomst.errors import AankomstError

ID_MAX = 2_147_483_647
"""Largest id the database can hold (PostgreSQL ``integer``); larger ids cannot exist."""

ENV_PREFIX = "AANKOMST_REGISTRY_LIMIT_"


@dataclass(frozen=True)
class Limits:
    """Size and work limits of the registry's web routes and imports.

    Attributes
    ----------
    json_body_bytes
        Largest JSON request body (create, change, tokens).
    login_body_bytes
        Largest login request body (JSON or form).
    form_body_bytes
        Largest HTML form submission (other than an import).
    import_bytes
        Largest import file (API body or uploaded file).
    import_rows
        Most rows (CSV) or features (GeoJSON) in one import.
    json_depth
        Deepest nesting of arrays/objects in a JSON body or GeoJSON file.
    list_items
        Most items in one JSON array (other than an import's features) and in one
        multi-valued field (``domains``, ``languages`` …; record validation uses the
        process-wide value, :func:`current`, also on the command line).
    string_chars
        Longest text in a JSON body (the resource fields have their own, smaller limits).
    query_chars
        Longest search text ``q``.
    param_chars
        Longest value of any other query parameter.
    filter_codes
        Most codes in one filter (``municipality=a,b,…``).
    max_offset
        Largest ``offset`` of a search.
    form_fields
        Most fields in one HTML form.
    password_chars
        Longest password accepted by a login (longer ones are refused before hashing).
    login_workers
        Password checks (argon2) that may run at the same time; the others wait without
        holding a thread. One argon2id check uses up to 4 threads and 64 MiB, so one at a
        time leaves CPU for everyone else on a small server.
    import_workers
        Imports (parsing, validation, writing) that may run at the same time.
    login_queue
        Logins that may wait for a password check; more get 503 with ``Retry-After``.
    """

    json_body_bytes: int = 1_000_000
    login_body_bytes: int = 16_384
    form_body_bytes: int = 1_000_000
    import_bytes: int = 20_000_000
    import_rows: int = 50_000
    json_depth: int = 20
    list_items: int = 200
    string_chars: int = 100_000
    query_chars: int = 500
    param_chars: int = 2_000
    filter_codes: int = 100
    max_offset: int = 1_000_000
    form_fields: int = 1_000
    password_chars: int = 1_024
    login_workers: int = 1
    import_workers: int = 1
    login_queue: int = 64

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """Defaults overridden by ``AANKOMST_REGISTRY_LIMIT_<NAME>`` variables.

        Parameters
        ----------
        environ
            Environment to read (default ``os.environ``).

        Raises
        ------
        AankomstError
            When a variable is not a positive integer.
        """
        env = os.environ if environ is None else environ
        over: dict[str, int] = {}
        for f in fields(cls):
            key = ENV_PREFIX + f.name.upper()
            raw = env.get(key)
            if raw in (None, ""):
                continue
            if not raw.strip().isdigit() or int(raw) < 1:
                raise AankomstError(f"{key}={raw!r} is not a positive integer (default {f.default})")
            over[f.name] = int(raw)
        return replace(cls(), **over)

    def as_dict(self) -> dict[str, int]:
        """The limits as a plain dict (for docs and diagnostics)."""
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}


_CURRENT: Limits | None = None


def current() -> Limits:
    """The process-wide limits (from the environment, read once)."""
    global _CURRENT
    if _CURRENT is None:
        _CURRENT = Limits.from_env()
    return _CURRENT
