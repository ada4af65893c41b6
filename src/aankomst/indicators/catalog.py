"""The indicator catalogue: ``aankomst/data/indicators/*.csv`` (one file per subsystem).

Columns (at least): ``id, theme, label_nl, label_en, definition_nl, definition_en, unit,
numerator, denominator, inputs, levels, params, implementation, source``; optional
``class_hint`` (e.g. ``jenks:5``, ``diverging:0.5``) and ``value_is_count`` (``true`` when the
value is a count of persons, for the small-cell rule). Lists inside a cell are separated by
``;``. ``implementation`` is ``module:function``.
"""

from __future__ import annotations

import csv
import importlib
import inspect
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from aankomst.errors import AankomstError, UnknownCodeError
from aankomst.paths import package_data

REQUIRED = ["id", "theme", "label_nl", "label_en", "definition_nl", "definition_en", "unit",
            "numerator", "denominator", "inputs", "levels", "params", "implementation", "source"]
GENERIC_PARAMS = ["min_population", "within"]
"""Parameters handled by :func:`aankomst.indicators.compute` for every indicator."""
_SKIP = {"atlas", "level", "period", "_"}


def _catalogue_files() -> list[Path]:
    d = package_data("indicators")
    return sorted(p for p in Path(d).glob("*.csv") if p.name not in ("params.csv", "published_shares.csv"))


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    frames = []
    for path in _catalogue_files():
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        if not rows:
            continue
        missing = [c for c in REQUIRED if c not in rows[0]]
        if missing:
            from aankomst.errors import InputError

            raise InputError(str(path), f"catalogue file lacks columns {missing}", row=1,
                             column=missing[0], expected=", ".join(REQUIRED))
        df = pd.DataFrame(rows)
        df["file"] = path.name
        frames.append(df)
    cat = pd.concat(frames, ignore_index=True).fillna("")
    dup = cat[cat["id"].duplicated()]["id"].tolist()
    if dup:
        raise AankomstError(f"indicator id(s) {dup} defined twice in aankomst/data/indicators")
    for c in ("class_hint", "value_is_count"):
        if c not in cat.columns:
            cat[c] = ""
    return cat.set_index("id", drop=False)


def catalogue() -> pd.DataFrame:
    """All indicators of all subsystems, one row per id (index = id)."""
    return _load().copy()


def ids() -> list[str]:
    """Stable indicator ids."""
    return list(_load()["id"])


def entry(indicator_id: str) -> dict[str, str]:
    """The catalogue row of one indicator as a dict.

    Raises
    ------
    UnknownCodeError
        For an id not in the catalogue (the message lists the known ids).
    """
    cat = _load()
    if indicator_id not in cat.index:
        raise UnknownCodeError("indicator", indicator_id, known=ids(),
                               hint="'aankomst indicators' lists them")
    return dict(cat.loc[indicator_id])


def implementation(indicator_id: str) -> Callable[..., pd.DataFrame]:
    """Import the function implementing an indicator (``module:function``)."""
    spec = entry(indicator_id)["implementation"]
    mod, _, fn = spec.partition(":")
    try:
        return getattr(importlib.import_module(mod), fn)
    except (ImportError, AttributeError) as exc:
        raise AankomstError(f"indicator {indicator_id!r}: implementation {spec!r} is not "
                            f"available ({exc}); that subsystem may not be installed yet") from exc


@lru_cache(maxsize=1)
def param_docs() -> dict[str, dict[str, str]]:
    with open(package_data("indicators/params.csv"), encoding="utf-8", newline="") as fh:
        return {r["name"]: r for r in csv.DictReader(fh)}


def parameters(indicator_id: str) -> list[dict[str, Any]]:
    """Parameters of an indicator: name, type, default (from the implementation), description.

    Always includes ``level`` and ``period`` and the generic ``min_population`` / ``within``.
    """
    e = entry(indicator_id)
    names = [p.strip() for p in e["params"].split(";") if p.strip()]
    defaults: dict[str, Any] = {}
    try:
        sig = inspect.signature(implementation(indicator_id))
        for p in sig.parameters.values():
            if p.name in _SKIP or p.kind is p.VAR_KEYWORD:
                continue
            if p.name not in names:
                names.append(p.name)
            if p.default is not inspect.Parameter.empty:
                defaults[p.name] = p.default
    except AankomstError:
        pass
    out = [
        {"name": "level", "type": "level", "default": None, "required": True,
         "description": "Area level: " + e["levels"].replace(";", ", ")},
        {"name": "period", "type": "year|date|window", "default": None, "required": True,
         "description": "Reference year (1 January), date, or window end year / 'Y0-Y1'"},
    ]
    docs = param_docs()
    for n in [*names, *GENERIC_PARAMS]:
        d = docs.get(n, {})
        out.append({"name": n, "type": d.get("type", "str"),
                    "default": defaults.get(n, d.get("default") or None), "required": False,
                    "description": d.get("description_en", "")})
    return out


def listing(fmt: str = "table") -> str | list[dict[str, Any]]:
    """Catalogue as records (``fmt='json'`` returns JSON text) or a Markdown page."""
    cat = _load()
    recs = []
    for _, r in cat.iterrows():
        rec = {k: r[k] for k in [*REQUIRED, "class_hint"]}
        rec["levels"] = [x for x in r["levels"].split(";") if x]
        rec["inputs"] = [x for x in r["inputs"].split(";") if x]
        rec["parameters"] = parameters(r["id"])
        del rec["params"]
        recs.append(rec)
    if fmt == "json":
        return json.dumps(recs, ensure_ascii=False, indent=1, default=str)
    if fmt == "markdown":
        return markdown(recs)
    return recs


def markdown(recs: list[dict[str, Any]]) -> str:
    """The catalogue as the Markdown of ``docs/indicators.md``."""
    lines = [
        "# Indicators",
        "",
        "Generated from the catalogue (`src/aankomst/data/indicators/*.csv`) by "
        "`aankomst indicators --format markdown`; do not edit by hand.",
        "",
        "Every indicator is computed from counts summed along crosswalks from the finest level "
        "that has the data (never from means of rates), carries its definition, unit, reference "
        "period(s) and sources, and obeys the small-cell rule (`suppressed` column). "
        "Python: `aankomst.indicators.compute(atlas, id, level=..., period=..., **params)`; "
        "CLI: `aankomst indicator ID --db FILE --level L --year Y [options]`.",
        "",
        "## Conventions",
        "",
        "* **Levels**: `region, province, arrondissement, municipality, deelgemeente, "
        "neighbourhood, sector, brussels_neighbourhood, area_type` (current layout by default; "
        "`--layout 2018` or `municipality@2018` for an older one). When no data reaches the "
        "current layout for the period, the newest layout that has it is used and a note says so.",
        "* **Periods**: a year means 1 January for stocks (population), the calendar year for "
        "flows and the income year for income. Windows: `--year 2012 --window 3` = `--year "
        "2010-2012`; rates over a window are per year (window sum ÷ number of years).",
        "* **Groups**: `--scheme nationality --group ETR` or `--group nationality_group6:"
        "north_africa`. Schemes `nationality_group6`, `nationality_municipal6`, `eu_status`, "
        "`eu_wave` (EU+12) are derived from counts by country (ISO 3166 alpha-3) with EU "
        "membership on the reference date (flows: 1 July of the year) — see "
        "`src/aankomst/data/groups/README.md`. Published shares (Brussels monitoring, "
        "`ibsa_nationality`) are used where no counts exist, with a note.",
        "* **Sources**: per area exactly one loaded file is used (no double counts): counts "
        "published for the unit itself before sums of finer units, then the file covering most "
        "areas, then the finest level; a share's denominator comes from its numerator's file "
        "wherever that file has it. Crosswalk chains multiply weights; split units are flagged "
        "(`meta.split_units`, a note). Group counts are derived from counts by country only "
        "where the countries add up to the population (never from a partial list). Flow files "
        "holding the same moves at several levels are read at their finest level only; when "
        "several files hold flows for one area and year, its arrivals and departures come from "
        "one file (both directions first, then the finest); balances are not made from "
        "arrivals-only files (e.g. census 'residence one year before'), and an area whose files "
        "miss a year of the window gets no value (a note says so).",
        "* **Generic parameters**: `min_population` (ranking: drop smaller areas, add `rank` "
        "and `population`), `within` (only areas inside a code). `aankomst indicator … "
        "--compare CODE` puts an area next to its municipality, province, region and area "
        "types (13 centre cities …).",
        "* **Missing inputs** raise `MissingInputError` naming the input and the years; "
        "nothing is returned as a silent NaN. Empty values only occur with `suppressed = "
        "true` (small-cell rule, threshold from the atlas `settings`).",
        "* **Output metadata**: JSON `{\"meta\", \"data\"}`; Parquet key-value metadata "
        "`aankomst`; CSV with `--out F.csv` gets a sidecar `F.csv.meta.json`, or `--csv-meta "
        "header` writes `# key: value` lines above the header (`pandas.read_csv(f, "
        "comment='#')`).",
        "",
        "## Catalogue",
        "",
        "| id | label (nl / en) | unit | theme |",
        "|---|---|---|---|",
    ]
    for r in recs:
        lines.append(f"| [`{r['id']}`](#{r['id'].replace('_', '-')}) | {r['label_nl']} / "
                     f"{r['label_en']} | {r['unit']} | {r['theme']} |")
    for r in recs:
        lines += ["", f"## {r['id']}", "", f"**{r['label_en']}** — *{r['label_nl']}*", "",
                  r["definition_en"], "", f"> {r['definition_nl']}", "",
                  f"* unit: {r['unit']}",
                  f"* numerator: {r['numerator'] or '—'}",
                  f"* denominator: {r['denominator'] or '—'}",
                  f"* inputs: {', '.join(r['inputs'])}",
                  f"* levels: {', '.join(r['levels'])}",
                  f"* source: {r['source']}",
                  f"* class hint for maps: {r.get('class_hint') or '—'}",
                  f"* implementation: `{r['implementation']}`", "",
                  "| parameter | type | default | description |", "|---|---|---|---|"]
        for p in r["parameters"]:
            d = "(required)" if p["required"] else ("" if p["default"] is None else f"`{p['default']}`")
            lines.append(f"| `{p['name']}` | {p['type']} | {d} | {p['description']} |")
    return "\n".join(lines) + "\n"
