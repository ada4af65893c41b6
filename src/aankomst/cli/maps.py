"""CLI: ``aankomst map ID --db FILE --level L --year Y --classes S --out FILE.png|svg``.

Mirrors :func:`aankomst.outputs.maps.render_map`; the indicator options are those of
``aankomst indicator``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def register(app: typer.Typer) -> None:
    """Add ``map`` to the app."""

    @app.command("map")
    def map_cmd(
        indicator_id: str = typer.Argument(..., help="indicator id (see 'aankomst indicators')"),
        db: Path = typer.Option(..., "--db", help="atlas database (DuckDB file)"),
        level: str = typer.Option(..., "--level", "-l", help="municipality, neighbourhood, region, "
                                  "brussels_neighbourhood, … (LEVEL@LAYOUT for an older layout, "
                                  "e.g. municipality@2018)"),
        year: str = typer.Option(..., "--year", "-y", help="year (1 January for stocks), date, "
                                 "or window Y0-Y1; several years Y1,Y2,… make one map per year "
                                 "with shared class limits (put {year} in --out)"),
        out: Path = typer.Option(..., "--out", "-o", help="output file: .png or .svg "
                                 "(with {year} for several years)"),
        classes: str | None = typer.Option(
            None, "--classes", "-c",
            help="jenks:5 | quantiles:5 | equal:5 | manual:0,5,10 | diverging:0.5[:2,5] "
            "(default: the indicator's class hint, else jenks:5)"),
        base_year: str | None = typer.Option(None, "--base-year", help="base year of a change"),
        group: str | None = typer.Option(None, "--group", help="group (or SCHEME:GROUP)"),
        scheme: str | None = typer.Option(None, "--scheme", help="group scheme"),
        circles: bool = typer.Option(False, "--circles", help="add proportional circles of the counts"),
        lang: str = typer.Option("nl", "--lang", help="nl or en"),
        title: str | None = typer.Option(None, "--title", help="replace the automatic title"),
        palette: str | None = typer.Option(None, "--palette", help="palette id (data/palettes.csv)"),
        window: int | None = typer.Option(None, "--window", help="years in the window"),
        layout: str | None = typer.Option(None, "--layout", help="layout of the level"),
        within: str | None = typer.Option(None, "--within", help="only areas inside this code"),
        reference: str | None = typer.Option(None, "--reference", help="reference area code"),
        param: list[str] | None = typer.Option(None, "--param", "-p", help="KEY=VALUE"),
        dpi: int = typer.Option(110, "--dpi", help="PNG resolution (dots per inch)"),
        compact: bool = typer.Option(False, "--compact", help="256-colour PNG (smaller file)"),
    ) -> None:
        """Draw an indicator as a classed map (PNG or SVG) with legend, definition and source."""
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError

        if lang not in ("nl", "en"):
            raise typer.BadParameter(f"--lang {lang!r}: use nl or en")
        if Path(str(out)).suffix.lower() not in (".png", ".svg"):
            raise typer.BadParameter(f"--out {str(out)!r}: give a .png or .svg file name")
        if not Path(db).exists():
            fail(AankomstError(f"atlas database {str(db)!r} does not exist; build it with "
                               "'aankomst build --data DIR --db FILE' or 'aankomst demo'"))
        params: dict[str, Any] = {}
        for it in param or []:
            if "=" not in it:
                raise typer.BadParameter(f"--param {it!r}: use KEY=VALUE, e.g. --param window=3")
            k, v = it.split("=", 1)
            params[k.strip()] = v.strip()
        for key, val in (("window", window), ("layout", layout), ("within", within),
                         ("reference", reference)):
            if val is not None:
                params[key] = val
        years = [y.strip() for y in str(year).split(",") if y.strip()]
        try:
            from aankomst.outputs.maps import render_map, render_maps

            common: dict[str, Any] = dict(level=level, base_year=base_year, group=group, scheme=scheme,
                                          classes=classes, circles=circles, lang=lang, title=title,
                                          palette=palette, dpi=dpi, compact=compact, **params)
            if len(years) > 1:
                results = render_maps(str(db), indicator_id, years=years, out=out, **common)
            else:
                results = [render_map(str(db), indicator_id, year=years[0], out=out, **common)]
        except AankomstError as exc:
            fail(exc)
            return
        for res in results:
            c = res.classification
            n_sup = int(res.data["suppressed"].sum()) if "suppressed" in res.data else 0
            typer.echo(
                f"wrote {res.path}: {len(res.data)} areas, {c.k} classes ({res.meta.get('classes')}), "
                f"{n_sup} suppressed, {max(c.n_missing - n_sup, 0)} without data",
                err=True,
            )
