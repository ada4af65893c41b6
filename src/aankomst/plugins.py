"""The one place where the indicator plug-ins of the subsystems are registered.

The core indicators live in :mod:`aankomst.indicators`; the register (arrival typology, recent
immigrants …), deprivation (BIMD, Atlas 2010), registry (local resources) and OCMW (social
assistance by origin) subsystems sit
beside the main data flow and add their indicators here, explicitly — no module names in
strings, no import guards: a broken plug-in is an error, not a silently smaller catalogue.

Called by :func:`aankomst.open`, the CLI and the web application; idempotent.
"""

from __future__ import annotations


def install() -> None:
    """Register the indicators of every subsystem (idempotent).

    Examples
    --------
    >>> from aankomst.plugins import install
    >>> from aankomst.indicators.registry import get, plugins
    >>> install()
    >>> get("arrival_typology").kind, plugins()
    ('categorical', ['core', 'deprivation', 'ocmw', 'register', 'registry'])
    """
    from aankomst.analysis.specs import SPECS as deprivation
    from aankomst.indicators.registry import register
    from aankomst.ocmw.specs import SPECS as ocmw
    from aankomst.register.specs import SPECS as register_specs
    from aankomst.registry.specs import SPECS as registry

    register(deprivation, plugin="deprivation")
    register(register_specs, plugin="register")
    register(registry, plugin="registry")
    register(ocmw, plugin="ocmw")
