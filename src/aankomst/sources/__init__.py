"""Readers of official files and of the product's own CSV formats.

Each reader is a pure function ``read(path) -> list[LoadBatch]`` registered in
:mod:`aankomst.sources.catalogue` with a recogniser (by name and content). Readers validate
completely before anything is written; the store writes all batches in one transaction.

Layers point one way: this package imports the store (what it accepts,
:class:`aankomst.store.batch.LoadBatch`, and the schema), never the other way round. Every file of
a data folder is read, listed (documentation, shapefile part, known family without a reader) or an
error (:func:`aankomst.sources.catalogue.scan`).
"""
