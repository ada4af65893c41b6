"""aankomst.analysis (see docs/architecture.md)."""
