"""The atlas store: one embedded DuckDB file with a versioned schema (see ``schema.py``)."""
