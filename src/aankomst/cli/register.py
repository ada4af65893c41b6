"""CLI commands of the register subsystem: ``register generate|load|validate|fit`` and ``typology``.

The command names and options are a stable contract (other tools script them)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add ``register …`` and ``typology`` to ``app``."""
    reg = typer.Typer(help="Population-register extracts: synthetic generator, validation, aggregation to the atlas.",
                      no_args_is_help=True)

    @reg.command("generate")
    def generate_cmd(
        out: Path = typer.Option(..., "--out", help="output folder (Parquet tables + geography + manifest)"),
        persons: int | None = typer.Option(None, "--persons", help="residents on the calibration date (default: the geography's own size)"),
        seed: int = typer.Option(0, "--seed", help="random seed (same seed = same files)"),
        calibrate_from: Path | None = typer.Option(None, "--calibrate-from", help="mirror folder with statbel/OPEN DATA_SECTOREN_2019.xlsx and TF_SOC_POP_STRUCT_2009..2015.zip"),
        start_year: int | None = typer.Option(None, "--start-year"),
        end_year: int | None = typer.Option(None, "--end-year"),
        params: Path | None = typer.Option(None, "--params", help="parameter table (default data/register_params.csv)"),
        report: bool = typer.Option(True, "--report/--no-report", help="print the calibration fit report"),
    ) -> None:
        """Generate a seeded synthetic population register (events 2005–2020 by default)."""
        import json

        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError
        from aankomst.register.generate import generate
        from aankomst.register.params import load_params

        try:
            r = generate(out, persons=persons, seed=seed, calibrate_from=calibrate_from,
                         params=load_params(params) if params else None, start_year=start_year,
                         end_year=end_year, progress=True)
        except AankomstError as exc:
            fail(exc)
            return
        typer.echo(f"{r.persons:,} persons ({r.residents_end:,} residents at the end), {r.address_rows:,} address "
                   f"periods, {r.moves:,} moves in {r.seconds:.1f} s -> {r.out} ({r.mode})")
        if report and r.mode == "calibrated":
            from aankomst.register.calibration import fit_report, format_report

            rep = fit_report(out)
            (Path(out) / "fit_report.json").write_text(json.dumps(rep, indent=1), encoding="utf-8")
            typer.echo(format_report(rep))
        typer.echo(f"next: aankomst register load {out} --db atlas.duckdb")

    @reg.command("validate")
    def validate_cmd(
        folder: Path = typer.Argument(..., help="extract folder"),
        db: Path | None = typer.Option(None, "--db", help="atlas whose sector codes the extract must use"),
    ) -> None:
        """Check an extract against the documented schema (no data is written)."""
        import aankomst
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError
        from aankomst.register.load import atlas_sectors, connect, read_geography
        from aankomst.register.schema import create_views, locate, validate

        try:
            files = locate(folder)
            con = connect()
            create_views(con, files)
            known = None
            if db is not None:
                atlas = aankomst.open(str(db), read_only=True)
                known = atlas_sectors(atlas, con)[2]
                atlas.close()
            if known is None:
                geo = read_geography(Path(folder))
                known = geo["sector"].astype(str).tolist() if geo is not None else None
            counts = validate(con, files, known)
        except AankomstError as exc:
            fail(exc)
            return
        typer.echo("valid: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))

    @reg.command("load")
    def load_cmd(
        folder: Path = typer.Argument(..., help="extract folder"),
        db: Path = typer.Option(..., "--db", help="atlas database (created when absent)"),
        source_id: str | None = typer.Option(None, "--source-id", help="provenance id (default register/<folder>)"),
        no_validate: bool = typer.Option(False, "--no-validate", help="skip validation (trusted extracts only)"),
        typology: bool = typer.Option(True, "--typology/--no-typology", help="also store the arrival typology"),
    ) -> None:
        """Validate an extract, aggregate it (all levels) and write only the aggregates to the atlas."""
        import aankomst
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError
        from aankomst.register.load import load_register

        try:
            with aankomst.open(str(db)) as atlas:
                r = load_register(folder, atlas, source_id=source_id, validate_input=not no_validate, typology=typology)
        except AankomstError as exc:
            fail(exc)
            return
        typer.echo(f"loaded {r.source_id} (privacy: restricted) into {db}")
        if r.counts:
            typer.echo("  read: " + ", ".join(f"{k} {v:,}" for k, v in r.counts.items()))
        typer.echo("  wrote: " + ", ".join(f"{k} {v:,} rows" for k, v in r.rows.items()))
        typer.echo("  levels: " + ", ".join(r.levels))
        for t, p in r.protection.items():
            typer.echo(f"  small-cell rule: {p['small']:,} of {p['cells']:,} {t} cells are counts of 1-4 and are "
                       "suppressed (with complementary cells) wherever they are published")
        for w in r.warnings:
            typer.echo(f"  warning: {w}")
        typer.echo("  time: " + ", ".join(f"{k} {v:.1f} s" for k, v in r.seconds.items()))

    @reg.command("fit")
    def fit_cmd(folder: Path = typer.Argument(..., help="generated register folder")) -> None:
        """Print the calibration fit report of a calibrated synthetic register."""
        from aankomst.register.calibration import fit_report, format_report

        typer.echo(format_report(fit_report(folder)))

    app.add_typer(reg, name="register")

    @app.command("typology")
    def typology_cmd(
        db: Path = typer.Option(..., "--db", help="atlas database"),
        level: str = typer.Option("neighbourhood", "--level", help="sector, neighbourhood, municipality, …"),
        period: str = typer.Option("2016-2020", "--period", help="a window, e.g. 2016-2020, or its last year (with --window)"),
        window: int = typer.Option(5, "--window", min=1, help="years of the window ending in --period when it is one year"),
        fmt: str = typer.Option("csv", "--format", help="csv, json or parquet"),
        out: Path | None = typer.Option(None, "--out", help="file (default: stdout)"),
        rules: Path | None = typer.Option(None, "--rules", help="rule table (default data/typology_rules.csv)"),
        set_: list[str] = typer.Option([], "--set", help="override a threshold: class.indicator=value"),
    ) -> None:
        """Classify areas as arrival areas (gateway, gateway and secondary destination, secondary
        destination, transit, not an arrival area), each with its explanation."""
        import aankomst
        from aankomst.cli._common import fail, write_frame
        from aankomst.errors import AankomstError
        from aankomst.register.typology import classify_areas

        overrides = {}
        for s in set_:
            if "=" not in s:
                raise typer.BadParameter(f"--set {s!r}: use class.indicator=value")
            k, v = s.split("=", 1)
            overrides[k.strip()] = float(v)
        try:
            with aankomst.open(str(db), read_only=True) as atlas:
                res = classify_areas(atlas, level=level, period=period, window=window, rules=rules,
                                     overrides=overrides)
        except AankomstError as exc:
            fail(exc)
            return
        meta = {"indicator": "arrival_typology", "level": level, "period": period, "window": window,
                "rules": str(rules or "data/typology_rules.csv"), "overrides": overrides,
                "reference_periods": res.periods, "load_ids": sorted(res.load_ids),
                "restricted": bool(res.restricted), "notes": res.notes,
                "privacy": "feature values are the published ones: empty where withheld under the "
                           "small-cell rule; classes never depend on a withheld value"}
        write_frame(res.values, fmt, out, meta)
