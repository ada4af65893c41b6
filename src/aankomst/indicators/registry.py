"""The set of declared indicators (:class:`~aankomst.indicators.spec.IndicatorSpec` by id).

The core indicators (population, shares, migration, income) are declared in
:mod:`aankomst.indicators.core` and present as soon as an indicator is looked up. The indicators
of the other subsystems — register, deprivation (analysis), registry of local resources — are
plug-ins: :func:`aankomst.plugins.install` registers them, explicitly and in one place, and
:func:`aankomst.open`, the CLI and the web application call it. Nothing is registered by module
names in strings.
"""

from __future__ import annotations

from collections.abc import Iterable

from aankomst.errors import UnknownCodeError
from aankomst.indicators.spec import IndicatorSpec, check_specs

_SPECS: dict[str, IndicatorSpec] = {}
_PLUGINS: set[str] = set()


def _ensure_core() -> None:
    if "population" not in _SPECS:
        from aankomst.indicators.core import SPECS

        register(SPECS)


def register(specs: Iterable[IndicatorSpec], *, plugin: str = "core") -> None:
    """Add indicator specs (re-registering the same spec object is a no-op).

    Parameters
    ----------
    specs
        The specs to add.
    plugin
        Name of the subsystem they come from (``core``, ``register``, ``deprivation``,
        ``registry``); listed by :func:`plugins`.

    Raises
    ------
    ValueError
        Two different specs with one id, or an inconsistent spec.
    """
    if plugin != "core":
        _ensure_core()
    specs = list(specs)
    check_specs(specs)
    for s in specs:
        old = _SPECS.get(s.id)
        if old is not None and old is not s:
            if old.function is s.function and old == s:
                continue
            raise ValueError(f"indicator {s.id!r} is already registered (by another spec)")
        _SPECS[s.id] = s
    _PLUGINS.add(plugin)


def plugins() -> list[str]:
    """Names of the subsystems whose indicators are registered."""
    _ensure_core()
    return sorted(_PLUGINS)


def get(indicator_id: str) -> IndicatorSpec:
    """The spec of an indicator.

    Raises
    ------
    UnknownCodeError
        For an id that is not registered; the message lists the known ids and, when the
        plug-ins are not installed, says how to install them.

    Examples
    --------
    >>> get("population").kind
    'count'
    """
    _ensure_core()
    try:
        return _SPECS[indicator_id]
    except KeyError:
        hint = "'aankomst indicators' lists them"
        if len(_PLUGINS) == 1:
            hint += ("; the register, deprivation and registry indicators are added by "
                     "aankomst.plugins.install() (aankomst.open() calls it)")
        raise UnknownCodeError("indicator", indicator_id, known=ids(), hint=hint) from None


def specs() -> list[IndicatorSpec]:
    """All registered specs, in catalogue order (core first)."""
    _ensure_core()
    return list(_SPECS.values())


def ids() -> list[str]:
    """Ids of all registered indicators."""
    _ensure_core()
    return list(_SPECS)
