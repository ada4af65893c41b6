"""aankomst.outputs (see docs/architecture.md)."""
