"""The examples in the docstrings run and give what they show.

Each module's doctests run with :func:`doctest.testmod`; a module must have at least one example
(``attempted > 0``) and none may fail. ``aankomst.indicators.engine.compute`` opens an atlas
named ``demo_path``: the session's demo atlas (``demo_atlas_path`` in ``conftest.py``).
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path
from typing import Any

import pytest

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

MODULES = [
    "aankomst.classification",
    "aankomst.classification.core",
    "aankomst.classification.natural_breaks",
    "aankomst.classification.schemes",
    "aankomst.indicators.spec",
    "aankomst.indicators.result",
    "aankomst.indicators.registry",
    "aankomst.indicators.catalog",
    "aankomst.store.hierarchy",
    "aankomst.privacy",
    "aankomst.csvsafe",
    "aankomst.plugins",
]
"""Modules whose doctests need nothing but the package."""


def _run(name: str, extraglobs: dict[str, Any] | None = None) -> doctest.TestResults:
    # importlib, not attribute access: ``aankomst.classification.natural_breaks`` is also the
    # name of a function the package re-exports
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs=extraglobs, optionflags=OPTIONS, report=True)
    assert result.attempted > 0, f"{name} has no doctest examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples of {name} failed (see the output above)"
    return result


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    _run(name)


def test_engine_doctests(demo_atlas_path: Path) -> None:
    _run("aankomst.indicators.engine", extraglobs={"demo_path": str(demo_atlas_path)})
