"""aankomst.register (see docs/architecture.md)."""
