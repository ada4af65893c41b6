"""aankomst.demo (see docs/architecture.md)."""
