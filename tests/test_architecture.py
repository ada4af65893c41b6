"""Architecture rules, checked on the source text (no import is executed).

* **Imports point one way.** Every top-level package of ``aankomst`` has a layer; a package
  imports only packages of lower layers (the foundation modules ``errors``, ``paths``,
  ``privacy``, ``csvsafe`` from anywhere). ``plugins`` (the composition root that registers the
  indicator plug-ins), ``cli``, ``demo`` and ``web`` sit on top.
* **Our own modules are never optional**: no ``try/except ImportError`` around an import of
  ``aankomst``; no ``importlib.import_module`` of our own modules by name.
* **One home per mechanism**: the output column list is spelt out once
  (:data:`aankomst.indicators.result.OUTPUT_COLUMNS`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "aankomst"

FOUNDATION = {"errors", "paths", "privacy", "csvsafe", "__init__"}
LAYER = {
    "store": 1,
    "sources": 2,
    "indicators": 3,
    "classification": 3,
    "analysis": 4,
    "register": 4,
    "registry": 4,
    "ocmw": 4,
    "outputs": 5,
    "web": 6,
    "plugins": 5,
    "demo": 7,
    "cli": 8,
}


def _modules() -> list[tuple[str, Path, ast.Module]]:
    out = []
    for f in sorted(SRC.rglob("*.py")):
        rel = f.relative_to(SRC)
        if "migrations" in rel.parts or rel.parts[0] == "data":
            continue
        top = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        out.append((top, rel, ast.parse(f.read_text(encoding="utf-8"))))
    return out


def _first_party(node: ast.AST) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        names = [node.module]
    elif isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        return []
    return [n.split(".")[1] for n in names if n.startswith("aankomst.")]


def test_import_layers() -> None:
    bad = []
    for top, rel, tree in _modules():
        if top in FOUNDATION and top != "privacy":
            mine = 0
        else:
            mine = LAYER.get(top, 0 if top in FOUNDATION else 99)
        for node in ast.walk(tree):
            for other in _first_party(node):
                if other == top or other in FOUNDATION:
                    continue
                if top == "__init__" and other in ("plugins", "store"):
                    continue  # aankomst.open(): the package's own entry point
                theirs = LAYER.get(other, 99)
                if theirs >= mine:
                    bad.append(f"{rel}:{node.lineno} imports aankomst.{other} "
                               f"(layer {theirs} >= {top}'s {mine})")
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def test_no_guarded_first_party_imports() -> None:
    bad = []
    for _top, rel, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Try):
                continue
            catches = {getattr(h.type, "id", None) for h in node.handlers}
            catches |= {e.id for h in node.handlers if isinstance(h.type, ast.Tuple)
                        for e in h.type.elts if isinstance(e, ast.Name)}
            if not catches & {"ImportError", "ModuleNotFoundError"}:
                continue
            for sub in node.body:
                for n in ast.walk(sub):
                    if _first_party(n):
                        bad.append(f"{rel}:{node.lineno}")
    assert not bad, "first-party imports inside try/except ImportError: " + ", ".join(bad)


def test_no_imports_by_name() -> None:
    bad = []
    for _top, rel, tree in _modules():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "import_module"):
                arg = node.args[0] if node.args else None
                if not (isinstance(arg, ast.Constant) and not str(arg.value).startswith("aankomst")):
                    bad.append(f"{rel}:{node.lineno}")
    assert not bad, "modules imported by name (register plug-ins explicitly): " + ", ".join(bad)


def test_output_columns_spelt_once() -> None:
    needle = '"area_code", "area_name", "level", "layout", "period", "group", "value"'
    hits = [str(rel) for _t, rel, _tree in _modules()
            if needle in " ".join((SRC / rel).read_text(encoding="utf-8").split())]
    assert hits == [str(Path("indicators") / "result.py")], hits


@pytest.mark.parametrize("package", sorted(LAYER))
def test_every_package_has_a_layer(package: str) -> None:
    assert (SRC / package).is_dir() or (SRC / f"{package}.py").is_file()
