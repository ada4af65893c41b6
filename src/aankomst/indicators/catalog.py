"""The texts of the indicators: ``aankomst/data/indicators/*.csv`` (one file per subsystem).

Columns: ``id, theme, label_nl, label_fr, label_en, definition_nl, definition_fr,
definition_en, unit, unit_nl, unit_fr, unit_en, numerator, denominator, source`` and optionally ``class_hint`` (e.g.
``jenks:5``, ``diverging:0.5``); every label and definition is filled in all three languages.
Parameter descriptions (``params.csv``) have ``description_en, description_nl,
description_fr``. Everything else about an indicator — what it reads, its parameters, levels,
kind and categories — is its :class:`~aankomst.indicators.spec.IndicatorSpec`
(:mod:`aankomst.indicators.registry`); :func:`listing` joins the two for the CLI, the API and
``docs/indicators.md``.
"""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from aankomst.errors import AankomstError, InputError, InputProblem, UnknownCodeError
from aankomst.paths import package_data

REQUIRED = ["id", "theme", "label_nl", "label_fr", "label_en", "definition_nl", "definition_fr",
            "definition_en", "unit", "unit_nl", "unit_fr", "unit_en", "numerator", "denominator",
            "source"]
OPTIONAL = ["class_hint"]
TEXTS = [f"{kind}_{lang}" for kind in ("label", "definition", "unit") for lang in ("nl", "fr", "en")]
"""The per-language text columns every indicator row must fill (Dutch, French, English); ``unit``
itself is the language-neutral code the results carry, ``unit_nl/fr/en`` its labels."""


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
            raise InputError(str(path), f"catalogue file lacks columns {missing}", row=1,
                             column=missing[0], expected=", ".join(REQUIRED))
        empty = [InputProblem(str(path), i, c, f"indicator {r['id']!r} has an empty {c}",
                              "a label and a definition in Dutch, French and English")
                 for i, r in enumerate(rows, start=2) for c in TEXTS if not (r[c] or "").strip()]
        if empty:
            raise InputError(str(path), empty[0].message, problems=empty)
        df = pd.DataFrame(rows)
        df["file"] = path.name
        frames.append(df)
    cat = pd.concat(frames, ignore_index=True).fillna("")
    dup = cat[cat["id"].duplicated()]["id"].tolist()
    if dup:
        raise AankomstError(f"indicator id(s) {dup} defined twice in aankomst/data/indicators")
    for c in OPTIONAL:
        if c not in cat.columns:
            cat[c] = ""
    return cat.set_index("id", drop=False)


def catalogue() -> pd.DataFrame:
    """All indicators of all subsystems, one row per id (index = id).

    Returns
    -------
    pandas.DataFrame
        The :data:`REQUIRED` and :data:`OPTIONAL` columns plus ``file`` (the CSV it came from).

    Example
    -------
    >>> cat = catalogue()
    >>> cat.loc["density", ["label_nl", "label_fr", "label_en", "unit"]].tolist()
    ['Bevolkingsdichtheid', 'Densité de population', 'Population density', 'persons/km²']
    """
    return _load().copy()


def ids() -> list[str]:
    """Stable indicator ids (in file order: ``core.csv`` first).

    Example
    -------
    >>> ids()[:2]
    ['population', 'density']
    """
    return list(_load()["id"])


def entry(indicator_id: str) -> dict[str, str]:
    """The catalogue row of one indicator as a dict (labels and definitions in nl/fr/en).

    Raises
    ------
    UnknownCodeError
        For an id not in the catalogue (the message lists the known ids).

    Example
    -------
    >>> entry("foreign_nationality_share")["label_fr"]
    'Part de nationalité étrangère'
    """
    cat = _load()
    if indicator_id not in cat.index:
        raise UnknownCodeError("indicator", indicator_id, known=ids(),
                               hint="'aankomst indicators' lists them")
    return dict(cat.loc[indicator_id])


@lru_cache(maxsize=1)
def param_docs() -> dict[str, dict[str, str]]:
    with open(package_data("indicators/params.csv"), encoding="utf-8", newline="") as fh:
        return {r["name"]: r for r in csv.DictReader(fh)}


def parameters(indicator_id: str) -> list[dict[str, Any]]:
    """Parameters of an indicator from its spec: name, type, default, choices, description.

    Always starts with ``level`` and ``period``; ends with ``layout`` and the generic
    ``min_population``, ``within`` and ``rank``.
    """
    from aankomst.indicators.registry import get

    spec = get(indicator_id)
    out: list[dict[str, Any]] = [
        {"name": "level", "type": "level", "default": None, "required": True, "choices": [],
         "description": "Area level: " + ", ".join(spec.levels)},
        {"name": "period", "type": {"window": "window", "year": "year"}.get(spec.period, "date"),
         "default": None, "required": True, "choices": [],
         "description": {"window": "Window 'Y0-Y1' or end year (with window)",
                         "year": "Calendar or income year",
                         "edition": "Edition year"}.get(spec.period,
                                                         "Reference year (1 January) or date")},
    ]
    if spec.groups == "optional":
        out.append({"name": "group", "type": "group", "default": None, "required":
                    bool(spec.extra.get("group_required")), "choices": [],
                    "description": param_docs().get("group", {}).get("description_en", ""),
                    "description_nl": param_docs().get("group", {}).get("description_nl", ""),
                    "description_fr": param_docs().get("group", {}).get("description_fr", "")})
    docs = param_docs()
    for p in spec.all_params:
        d = docs.get(p.name, {})
        out.append({**p.describe(), "required": False,
                    "description": d.get("description_en", ""),
                    "description_nl": d.get("description_nl", ""),
                    "description_fr": d.get("description_fr", "")})
    return out


def listing(fmt: str = "table") -> str | list[dict[str, Any]]:
    """Catalogue as records (``fmt='json'`` returns JSON text) or a Markdown page.

    Only the indicators whose specs are registered are listed (``aankomst.plugins.install()``
    registers the subsystems' ones).

    Parameters
    ----------
    fmt
        ``'records'``/``'table'`` (list of dicts), ``'json'`` or ``'markdown'``.

    Example
    -------
    >>> rec = {r["id"]: r for r in listing("records")}["internal_migration_balance"]
    >>> rec["label_fr"]
    'Solde migratoire interne avec les autres communes belges pour 1 000 habitants'
    >>> rec["unit"], rec["kind"]
    ('per 1,000 inhabitants per year', 'rate')
    """
    from aankomst.indicators.registry import specs

    cat = _load()
    recs = []
    for spec in specs():
        if spec.id not in cat.index:
            raise AankomstError(f"indicator {spec.id!r} is declared but has no row in "
                                "aankomst/data/indicators/*.csv (labels and definitions)")
        r = cat.loc[spec.id]
        rec: dict[str, Any] = {k: r[k] for k in [*REQUIRED, *OPTIONAL]}
        rec["kind"] = spec.kind
        rec["levels"] = list(spec.levels)
        rec["inputs"] = [i.describe() for i in spec.inputs]
        rec["groups"] = spec.groups
        rec["period_kind"] = spec.period
        rec["parameters"] = parameters(spec.id)
        rec["categories"] = [c.__dict__ for c in spec.category_list()]
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
        "| id | label (nl / fr / en) | unit | theme |",
        "|---|---|---|---|",
    ]
    for r in recs:
        lines.append(f"| [`{r['id']}`](#{r['id'].replace('_', '-')}) | {r['label_nl']} / "
                     f"{r['label_fr']} / {r['label_en']} | {r['unit']} | {r['theme']} |")
    for r in recs:
        lines += ["", f"## {r['id']}", "", f"**{r['label_en']}** — *{r['label_nl']}* — *{r['label_fr']}*",
                  "", r["definition_en"], "", f"> {r['definition_nl']}", "",
                  f"> {r['definition_fr']}", "",
                  f"* unit: {r['unit']} (nl: {r['unit_nl']}; fr: {r['unit_fr']}; en: {r['unit_en']})",
                  f"* numerator: {r['numerator'] or '—'}",
                  f"* denominator: {r['denominator'] or '—'}",
                  f"* inputs: {', '.join(r['inputs'])}",
                  f"* levels: {', '.join(r['levels'])}",
                  f"* source: {r['source']}",
                  f"* class hint for maps: {r.get('class_hint') or '—'}",
                  f"* kind: {r['kind']}; period: {r['period_kind']}; groups: {r['groups']}", "",
                  "| parameter | type | default | description |", "|---|---|---|---|"]
        for p in r["parameters"]:
            d = "(required)" if p["required"] else ("" if p["default"] is None else f"`{p['default']}`")
            ch = f" ({', '.join(p['choices'])})" if p.get("choices") else ""
            lines.append(f"| `{p['name']}` | {p['type']}{ch} | {d} | {p['description']} |")
    return "\n".join(lines) + "\n"
