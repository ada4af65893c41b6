"""CLI: ``aankomst indicators`` (the catalogue) and ``aankomst indicator ID`` (compute one).

Output metadata (definition, unit, reference dates, sources, notes):

* ``--format json``: ``{"meta": {...}, "data": [...]}``;
* ``--format parquet``: the file's key-value metadata ``aankomst`` (JSON);
* ``--format csv``: with ``--out FILE.csv`` a sidecar ``FILE.csv.meta.json`` is written next to
  it (default ``--csv-meta sidecar``); ``--csv-meta header`` puts ``# key: value`` lines above
  the header instead (read back with ``pandas.read_csv(..., comment='#')``); ``none`` writes
  neither.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, List, Optional

import typer

from aankomst.errors import AankomstError
from aankomst.indicators.result import OUTPUT_COLUMNS


def _parse_params(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for it in items or []:
        if "=" not in it:
            raise typer.BadParameter(f"--param {it!r}: use KEY=VALUE, e.g. --param origin=brussels")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _meta_lines(meta: dict) -> list[str]:
    keys = ["id", "kind", "label_nl", "label_en", "definition_en", "definition_nl", "unit", "numerator",
            "denominator", "level", "layout", "period", "reference_periods", "group",
            "parameters", "source_text", "restricted", "notes", "small_cell_threshold", "suppressed_rows",
            "generated_at"]
    lines = []
    for k in keys:
        v = meta.get(k)
        if v in (None, "", [], {}):
            continue
        if isinstance(v, (list, tuple)):
            v = "; ".join(map(str, v))
        elif isinstance(v, dict):
            v = ", ".join(f"{a}={b}" for a, b in v.items())
        lines.append(f"# {k}: {str(v).replace(chr(10), ' ')}")
    return lines


def write_result(df, meta: dict, fmt: str, out: Path | None, csv_meta: str = "sidecar") -> None:
    """Write an indicator result as csv/json/parquet with its metadata (see module docstring)."""
    import json

    fmt = fmt.lower()
    if fmt == "csv":
        from aankomst.csvsafe import to_csv

        cols = [c for c in ["role", *OUTPUT_COLUMNS] if c in df.columns]
        cols += [c for c in df.columns if c not in cols]
        text = to_csv(df[cols], lineterminator="\n") or ""
        if csv_meta == "header":
            text = "\n".join(_meta_lines(meta)) + "\n" + text
        if out:
            Path(out).write_text(text, encoding="utf-8")
            if csv_meta == "sidecar":
                Path(str(out) + ".meta.json").write_text(
                    json.dumps(meta, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    from aankomst.cli._common import write_frame

    write_frame(df, fmt, out, meta)


def register(app: typer.Typer) -> None:
    """Add ``indicators`` and ``indicator`` to the app."""

    @app.command("indicators")
    def indicators_cmd(
        fmt: str = typer.Option("table", "--format", "-f", help="table, json or markdown"),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="write to this file"),
    ) -> None:
        """List the declared indicators (ids, labels, kinds, units, levels, parameters)."""
        from aankomst.indicators import catalog
        from aankomst.plugins import install

        install()

        fmt = fmt.lower()
        if fmt not in ("table", "json", "markdown"):
            raise typer.BadParameter(f"unknown format {fmt!r}; use table, json or markdown")
        if fmt in ("json", "markdown"):
            text = catalog.listing(fmt)
            assert isinstance(text, str)  # the json and markdown listings are text
            if out:
                Path(out).write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text if text.endswith("\n") else text + "\n")
            return
        from rich.console import Console
        from rich.table import Table

        t = Table(title="Aankomst indicators")
        for c in ("id", "label (en)", "kind", "unit", "parameters"):
            t.add_column(c)
        records = catalog.listing("table")
        assert isinstance(records, list)  # the table listing is records
        for r in records:
            params = [p["name"] for p in r["parameters"] if p["name"] not in ("level", "period")]
            t.add_row(r["id"], r["label_en"], r["kind"], r["unit"], ", ".join(params))
        Console(width=160).print(t)

    @app.command("indicator")
    def indicator_cmd(
        indicator_id: str = typer.Argument(..., help="indicator id (see 'aankomst indicators')"),
        db: Path = typer.Option(..., "--db", help="atlas database (DuckDB file)"),
        level: str = typer.Option(..., "--level", "-l", help="region, province, arrondissement, "
                                  "municipality, deelgemeente, neighbourhood, sector, "
                                  "brussels_neighbourhood, area_type"),
        year: str = typer.Option(..., "--year", "-y", help="year (1 January for stocks), date, "
                                 "or window Y0-Y1"),
        base_year: Optional[str] = typer.Option(None, "--base-year", help="base year of a change"),
        scheme: Optional[str] = typer.Option(None, "--scheme", help="group scheme"),
        group: Optional[str] = typer.Option(None, "--group", help="group (or SCHEME:GROUP)"),
        window: Optional[int] = typer.Option(None, "--window", help="years in the window"),
        min_population: Optional[int] = typer.Option(None, "--min-population",
                                                     help="ranking: leave out smaller areas"),
        layout: Optional[str] = typer.Option(None, "--layout", help="layout of the level"),
        within: Optional[str] = typer.Option(None, "--within", help="only areas inside this code"),
        reference: Optional[str] = typer.Option(None, "--reference", help="reference area code"),
        param: Optional[List[str]] = typer.Option(
            None, "--param", "-p", help="KEY=VALUE, any parameter of the indicator (checked "
            "against its declaration: 'aankomst indicators --format json' lists them)"),
        compare_code: Optional[str] = typer.Option(None, "--compare", help="compare this area "
                                                   "with its municipality, province, region and "
                                                   "area types"),
        fmt: str = typer.Option("csv", "--format", "-f", help="csv, json or parquet"),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="output file"),
        csv_meta: str = typer.Option("sidecar", "--csv-meta", help="sidecar, header or none"),
    ) -> None:
        """Compute one indicator for every area of a level and write it with its metadata."""
        import aankomst
        from aankomst.cli._common import fail
        from aankomst.indicators import compare, compute

        if csv_meta not in ("sidecar", "header", "none"):
            raise typer.BadParameter("--csv-meta must be sidecar, header or none")
        if fmt.lower() not in ("csv", "json", "parquet"):
            raise typer.BadParameter(f"unknown format {fmt!r}; use csv, json or parquet")
        if fmt.lower() == "parquet" and out is None:
            raise typer.BadParameter("parquet output needs --out FILE")
        if not Path(db).exists():
            fail(AankomstError(f"atlas database {str(db)!r} does not exist; build it with "
                               "'aankomst build --data DIR --db FILE' or 'aankomst demo'"))
        params: dict[str, Any] = dict(_parse_params(param))
        for k, v in (("base_year", base_year), ("window", window), ("layout", layout),
                     ("min_population", min_population), ("within", within),
                     ("reference", reference)):
            if v is not None:
                params[k] = v
        try:
            with aankomst.open(str(db), read_only=True) as atlas:
                if compare_code:
                    params.pop("min_population", None)
                    params.pop("within", None)
                    df = compare(atlas, indicator_id, compare_code, level=level, period=year,
                                 group=group, scheme=scheme, **params)
                    res = compute(atlas, indicator_id, level=level, period=year, group=group,
                                  scheme=scheme, within=compare_code, **params)
                    meta = {**res.meta, "comparison_of": compare_code}
                else:
                    res = compute(atlas, indicator_id, level=level, period=year, group=group,
                                  scheme=scheme, **params)
                    df, meta = res.data, res.meta
        except AankomstError as exc:
            fail(exc)
            return
        write_result(df, meta, fmt, out, csv_meta)
        if out:
            typer.echo(f"wrote {len(df)} rows of {indicator_id} to {out}", err=True)
