"""A response cache in front of the API: answers a repeated GET without routing or validation.

The atlas is opened read-only, so an answer of the cached endpoints (values, change, areas,
profiles, series) is a function of the path and the query string. The first answer goes
through FastAPI (validation, errors, computation) and is stored by
:func:`aankomst.web.api._cached` in the service's one cache under ``("http", path, sorted
query items)``; this ASGI middleware
serves the same key straight from memory — the pre-compressed bytes, an ETag and ``304`` on
``If-None-Match`` — which is what keeps latency flat under many concurrent clients.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from starlette.datastructures import QueryParams

from aankomst.web.state import Payload

CACHED_PREFIXES = ("/api/values", "/api/change", "/api/areas")


def cache_key(path: str, query_string: bytes | str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """The response-cache key of a request (path and sorted query items)."""
    qs = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    return ("http", path, tuple(sorted(QueryParams(qs).multi_items())))


def payload_response(payload: Payload, *, if_none_match: str | None, accept_gzip: bool,
                     filename: str | None = None) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body for a cached payload (``304`` on a matching ETag)."""
    headers = [(b"etag", payload.etag.encode()), (b"cache-control", b"public, max-age=300"),
               (b"vary", b"Accept-Encoding")]
    if filename:
        headers.append((b"content-disposition", f'attachment; filename="{filename}"'.encode()))
    if if_none_match == payload.etag:
        return 304, headers, b""
    body = payload.gz if accept_gzip else payload.body
    if accept_gzip:
        headers.append((b"content-encoding", b"gzip"))
    headers += [(b"content-type", payload.media_type.encode()), (b"content-length", str(len(body)).encode())]
    return 200, headers, body


class FastPath:
    """ASGI middleware serving cached GET answers of :data:`CACHED_PREFIXES` from memory."""

    def __init__(self, app: Any, service: Any) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith(CACHED_PREFIXES):
            hit = self.service.cache.get(cache_key(scope["path"], scope.get("query_string", b"")))
            if isinstance(hit, Payload):
                inm = gz = None
                for k, v in scope["headers"]:
                    if k == b"if-none-match":
                        inm = v.decode("latin-1")
                    elif k == b"accept-encoding":
                        gz = b"gzip" in v.lower()
                status, headers, body = payload_response(hit, if_none_match=inm, accept_gzip=bool(gz))
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
