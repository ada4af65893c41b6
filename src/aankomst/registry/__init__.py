"""aankomst.registry (see docs/architecture.md)."""
