"""Languages of the registry's pages and error messages: Dutch (default), French, English.

The strings are a data table, ``data/registry/ui_strings.csv`` (``key, nl, fr, en``; keys
``error.<code>`` are the sentences of the error codes of the one JSON error shape). Taxonomy
labels come from the vocabularies' ``label_nl``/``label_fr``/``label_en`` columns. The language
is chosen with ``?lang=nl|fr|en`` like the atlas (``web/static/js/common.js``); pages keep it
in every link and form they render.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aankomst.errors import InputError
from aankomst.paths import package_data

LANGS: tuple[str, ...] = ("nl", "fr", "en")
"""Interface languages, Dutch first."""
DEFAULT_LANG = "nl"


@lru_cache(maxsize=1)
def strings() -> dict[str, dict[str, str]]:
    """``{lang: {key: text}}`` from ``data/registry/ui_strings.csv``.

    Raises
    ------
    InputError
        For a row with an empty key or text (naming row and column).

    Examples
    --------
    >>> strings()["fr"]["nav_practices"]
    'Pratiques'
    """
    path = package_data("registry/ui_strings.csv")
    out: dict[str, dict[str, str]] = {lang: {} for lang in LANGS}
    with open(path, encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            for col in ("key", *LANGS):
                if not (row.get(col) or "").strip():
                    raise InputError(str(path), f"empty {col}", row=i, column=col,
                                     expected="a text in every language")
            for lang in LANGS:
                out[lang][row["key"].strip()] = row[lang].strip()
    return out


def pick_lang(value: Any) -> str:
    """The interface language for a ``lang`` parameter (unknown or missing: Dutch).

    Examples
    --------
    >>> pick_lang("fr"), pick_lang("xx"), pick_lang(None)
    ('fr', 'nl', 'nl')
    """
    v = str(value or "").strip().lower()[:5]
    return v if v in LANGS else DEFAULT_LANG


def translator(lang: str) -> Callable[..., str]:
    """A function ``t(key, **fields)`` giving the text of ``key`` in ``lang`` (``{field}``
    placeholders filled in); an unknown key gives the key itself.

    Examples
    --------
    >>> translator("fr")("profile_summary", local=1, n=11, pct=9.1)
    '1 domaines sur 11 présents localement (9.1 %)'
    """
    table = strings()[pick_lang(lang)]

    def t(key: str, **fields: Any) -> str:
        text = table.get(key, key)
        return text.format(**fields) if fields else text

    return t


def term_label(term: Mapping[str, Any] | None, lang: str, code: str = "") -> str:
    """The label of a vocabulary term in ``lang`` (Dutch when it has none).

    Examples
    --------
    >>> term_label({"label_nl": "Taal", "label_fr": "Langue", "label_en": "Language"}, "fr")
    'Langue'
    """
    if not term:
        return code
    return str(term.get(f"label_{pick_lang(lang)}") or term.get("label_nl") or code)


def error_sentence(code: str, lang: str) -> str:
    """The general sentence of an error code in ``lang`` (e.g. ``not_found`` -> "Introuvable.").

    Examples
    --------
    >>> error_sentence("not_found", "nl")
    'Niet gevonden.'
    """
    table = strings()[pick_lang(lang)]
    return table.get(f"error.{code}") or table["error.bad_request"]


def with_lang(url: str, lang: str) -> str:
    """``url`` with ``lang=`` set (left out for Dutch, the default).

    Examples
    --------
    >>> with_lang("/resources?domain=health", "fr")
    '/resources?domain=health&lang=fr'
    >>> with_lang("/resources?lang=fr", "nl")
    '/resources'
    """
    parts = urlsplit(url)
    q = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    if pick_lang(lang) != DEFAULT_LANG:
        q.append(("lang", pick_lang(lang)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(q), parts.fragment))
