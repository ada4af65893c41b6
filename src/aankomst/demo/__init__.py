"""The seeded synthetic demo region *Demoland* (see ``docs/demo.md``).

``build_demo(db_path, seed=42)`` generates a capital (Hoofdstad), a port city with an arrival
neighbourhood (Havenstad, Havenstad-Noord), a centre city (Aalstrode), a suburb receiving
secondary movers (Liedevelde) and rural municipalities, with populations, migration flows and
measures over 2010–2023, and writes them into an atlas offline. Nothing is computed at import
time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from aankomst.demo.build import DemoReport

__all__ = ["KEY_AREAS", "DemoReport", "build_demo", "generate"]


def build_demo(db_path: Any, *, seed: int = 42, progress: bool = False, extensions: bool = True,
               profiles: bool = True) -> DemoReport:
    """Build the demo atlas; see :func:`aankomst.demo.build.build_demo`."""
    from aankomst.demo.build import build_demo as _build

    return _build(db_path, seed=seed, progress=progress, extensions=extensions, profiles=profiles)


def generate(seed: int = 42) -> dict[str, Any]:
    """Generate the demo tables in memory; see :func:`aankomst.demo.build.generate`."""
    from aankomst.demo.build import generate as _generate

    return _generate(seed)


def __getattr__(name: str) -> Any:
    if name in ("DemoReport", "KEY_AREAS", "extensions"):
        from aankomst.demo import build

        return getattr(build, name)
    raise AttributeError(name)
