"""CLI of the OCMW monitor: ``aankomst ocmw generate|load|dashboard`` (``docs/ocmw.md``)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add ``ocmw …`` to ``app``."""
    oc = typer.Typer(help="OCMW monitor: social assistance by origin (inputs, synthetic extract, dashboard).",
                     no_args_is_help=True)

    @oc.command("generate")
    def generate_cmd(
        out: Path = typer.Option(..., "--out", help="output folder of the synthetic OCMW extract"),
        register_dir: Path | None = typer.Option(None, "--register", help="register extract to link to "
                                                 "(default: a small standalone synthetic register in OUT/register)"),
        seed: int = typer.Option(0, "--seed", help="random seed (same seed = same files)"),
        persons: int = typer.Option(20000, "--persons", help="size of the standalone register (without --register)"),
        params: Path | None = typer.Option(None, "--params", help="parameter table (default data/ocmw/params.csv)"),
    ) -> None:
        """Generate a seeded synthetic OCMW client extract linked to a register extract."""
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError
        from aankomst.ocmw.generate import generate, read_params

        try:
            if register_dir is None:
                from aankomst.register.generate import generate as generate_register

                register_dir = Path(out) / "register"
                generate_register(register_dir, persons=persons, seed=seed)
                typer.echo(f"standalone synthetic register -> {register_dir}")
            r = generate(out, register=register_dir, seed=seed, params=read_params(params) if params else None)
        except AankomstError as exc:
            fail(exc)
            return
        ok = int((r.fit["target"] == r.fit["generated"]).sum()) if len(r.fit) else 0
        typer.echo(f"{r.clients:,} clients, {r.episodes:,} episodes, {r.labour:,} labour statuses, extract end "
                   f"{r.extract_end} in {r.seconds:.1f} s -> {r.out}")
        if len(r.fit):
            typer.echo(f"2010 calibration: {ok} of {len(r.fit)} OCMW × group targets met exactly (fit_2010.csv)")
        typer.echo(f"next: aankomst ocmw load {out} --db atlas.duckdb --register {register_dir}")

    @oc.command("load")
    def load_cmd(
        path: Path = typer.Argument(..., help="leefloon_ocmw_2010.csv, an OCMW counts CSV or an extract folder"),
        db: Path = typer.Option(..., "--db", help="atlas (built with aankomst build)"),
        register_dir: Path | None = typer.Option(None, "--register", help="register extract linked by person_id"),
        restricted: bool = typer.Option(False, "--restricted", help="counts CSV: figures from the OCMW's own "
                                        "files (complementary suppression everywhere)"),
        months: bool = typer.Option(True, "--months/--no-months", help="extracts: also monthly figures"),
    ) -> None:
        """Validate and load OCMW figures into an atlas (all or nothing)."""
        import aankomst
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError
        from aankomst.ocmw.load import load

        try:
            atlas = aankomst.open(str(db))
            try:
                r = load(path, atlas, register=register_dir, privacy="restricted" if restricted else "open",
                         months=months)
            finally:
                atlas.close()
        except AankomstError as exc:
            fail(exc)
            return
        typer.echo(f"{r.source_id} ({r.family}): {r.rows:,} rows, periods "
                   f"{r.periods[0] if r.periods else '–'}–{r.periods[-1] if r.periods else '–'}")
        for w in r.warnings:
            typer.echo(f"  note: {w}")
        if r.family == "ocmw_extract":
            typer.echo(f"  {r.small_cells:,} stored cells of 1–4 persons will be suppressed when published")

    @oc.command("dashboard")
    def dashboard_cmd(
        code: str = typer.Argument(..., help="NIS code of the OCMW's municipality, e.g. 11002"),
        db: Path = typer.Option(..., "--db", help="atlas with OCMW figures"),
        fmt: str = typer.Option("html", "--format", help="html, json or csv"),
        lang: str = typer.Option("nl", "--lang", help="nl, fr or en"),
        measure: str = typer.Option("leefloon", "--measure", help="measure of the key figures"),
        out: Path | None = typer.Option(None, "--out", help="file to write (default: standard output)"),
    ) -> None:
        """Key figures, trends, breakdowns, trajectories and comparison of one OCMW."""
        import json

        import aankomst
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError, UnknownCodeError

        try:
            if fmt not in ("html", "json", "csv"):
                raise UnknownCodeError("format", fmt, known=["html", "json", "csv"])
            if lang not in ("nl", "fr", "en"):
                raise UnknownCodeError("language", lang, known=["nl", "fr", "en"])
            from aankomst.ocmw.dashboard import dashboard, export_table

            atlas = aankomst.open(str(db), read_only=True)
            try:
                d = dashboard(atlas, code, lang=lang, measure=measure)
            finally:
                atlas.close()
            if fmt == "html":
                from aankomst.web.ocmw_routes import render_dashboard

                text = render_dashboard(d, standalone=True)
            elif fmt == "json":
                from aankomst.web.ocmw_routes import json_ready

                text = json.dumps(json_ready(d), ensure_ascii=False, indent=1)
            else:
                from aankomst.csvsafe import to_csv

                text = str(to_csv(export_table(d)))
        except AankomstError as exc:
            fail(exc)
            return
        if out is None:
            typer.echo(text)
        else:
            Path(out).write_text(text, encoding="utf-8")
            typer.echo(f"dashboard of {code} -> {out}")

    app.add_typer(oc, name="ocmw")
