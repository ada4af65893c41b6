"""aankomst.indicators (see docs/architecture.md)."""
