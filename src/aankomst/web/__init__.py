"""aankomst.web (see docs/architecture.md)."""
