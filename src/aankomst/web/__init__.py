"""The web atlas: FastAPI app, open API and the static map front-end (see docs/web.md, docs/api.md).

Modules: ``app`` (``create_app``, ``serve``, errors, security headers), ``api`` (routes),
``service`` (answers as functions of an atlas, caches), ``profile`` (area profiles and time
series), ``geo`` (geometry per zoom bucket, compact form), ``engine`` (adapters to the indicator
engine, classification and the small-cell rule), ``fastpath`` (response cache middleware),
``state`` (read-only connections per thread, LRU caches).
"""
