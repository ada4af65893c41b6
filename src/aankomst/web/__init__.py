"""The web atlas: FastAPI app, open API and the static map front-end (see docs/web.md, docs/api.md).

Modules: ``app`` (``create_app``, ``serve``, errors, security headers), ``api`` (routes),
``service`` (answers as functions of an atlas, from the indicators' one declaration, cached),
``profile`` (area profiles and time series), ``geo`` (geometry per zoom bucket, compact form),
``classes`` (map classes: classification and the categories of categorical indicators),
``fastpath`` (response cache middleware), ``state`` (read-only connections per thread, the one
LRU cache).
"""
