"""aankomst.classification (see docs/architecture.md)."""
