"""Readers of official files and of the product's own CSV formats.

Each reader is a pure function ``read(path) -> list[LoadBatch]`` registered in
:mod:`aankomst.sources.catalogue` with a recogniser (by name and content). Readers validate
completely before anything is written; the store writes all batches in one transaction.
"""
