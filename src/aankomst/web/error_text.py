"""API error messages in the request's language (Dutch, French, English).

The message of the one JSON error shape (:func:`aankomst.web.app.error_body`) is written from the
error's ``code`` and ``detail`` with the texts of ``data/web_errors.csv`` (one row per code,
``{value}``, ``{kind}``, ``{parameter}``, ``{indicator}``, ``{period}``, ``{path}``,
``{message}``, ``{status}`` filled in). The language is ``?lang=`` when given, else the first of
nl/fr/en in ``Accept-Language``; in English, or without either, the original message (the most
detailed; the ``en`` column says its gist) is kept. Codes without a row keep it too.
"""

from __future__ import annotations

import csv
import json
import re
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from aankomst.paths import package_data

LANGS = ("nl", "fr", "en")


@lru_cache(maxsize=1)
def texts() -> dict[str, dict[str, str]]:
    """``code -> {lang: template}`` from ``data/web_errors.csv``."""
    with open(package_data("web_errors.csv"), encoding="utf-8", newline="") as f:
        return {r["code"]: {lang: r[lang] for lang in LANGS} for r in csv.DictReader(f)}


def request_lang(request: Request) -> str | None:
    """The language asked by ``?lang=`` or ``Accept-Language`` (``None``: not asked).

    Examples
    --------
    >>> from starlette.requests import Request
    >>> scope = {"type": "http", "query_string": b"", "headers": [(b"accept-language", b"de, fr-BE;q=0.9, nl;q=0.8")]}
    >>> request_lang(Request(scope))
    'fr'
    """
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    best: tuple[float, int, str] | None = None
    for i, part in enumerate(request.headers.get("accept-language", "").split(",")):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower().split("-")[0]
        q = 1.0
        for b in bits[1:]:
            m = re.fullmatch(r"\s*q=([0-9.]+)\s*", b)
            if m:
                q = float(m.group(1))
        if tag in LANGS and q > 0 and (best is None or (q, -i) > (best[0], best[1])):
            best = (q, -i, tag)
    return best[2] if best else None


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        raise KeyError(key)


def message(code: str, detail: Any, original: str, status: int, path: str, lang: str) -> str:
    """The message of an error in ``lang`` (the original when no text fits).

    Examples
    --------
    >>> message("unknown_area", {"kind": "area", "value": "99999"}, "unknown area '99999'", 404, "/", "fr")
    'Zone inconnue « 99999 » ; cherchez une zone avec GET /api/search?q=NOM.'
    """
    table = texts()
    row = table.get(code)
    if row is None and code.startswith("unknown_"):
        row = table["unknown_area"] if code.endswith("_area") else table["unknown"]
    if row is None:
        return original
    fields = _Fields(message=original, status=status, path=path)
    if isinstance(detail, dict):
        fields.update({k: v for k, v in detail.items() if isinstance(v, (str, int, float))})
        if "kind" in detail and "parameter" not in fields:
            fields["parameter"] = str(detail["kind"])
    elif isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        fields.update(parameter=first.get("parameter") or first.get("column") or "?",
                      value=first.get("input") if first.get("input") is not None else "")
    try:
        return row[lang].format_map(fields)
    except (KeyError, IndexError, ValueError):
        return original


def localise_errors(app: FastAPI) -> None:
    """Wrap the app's exception handlers so that the JSON error message is in the request's
    language (called once the handlers are installed)."""
    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = _wrap(handler)


def _wrap(handler: Any) -> Any:
    async def localised(request: Request, exc: Exception) -> Any:
        resp = await handler(request, exc)
        lang = request_lang(request)
        if lang in (None, "en") or not isinstance(resp, JSONResponse):
            return resp
        try:
            body = json.loads(bytes(resp.body))
            err = body["error"]
        except (ValueError, KeyError, TypeError):
            return resp
        err["message"] = message(str(err.get("code")), err.get("detail"), str(err.get("message")),
                                 int(err.get("status") or resp.status_code), request.url.path, lang)
        return JSONResponse(body, status_code=resp.status_code, headers={
            k: v for k, v in resp.headers.items() if k.lower() not in ("content-length", "content-type")})
    return localised
