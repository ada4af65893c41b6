"""``aankomst demo``: build the seeded synthetic demo atlas offline, summarise it, optionally serve it."""

from __future__ import annotations

from pathlib import Path

import typer


def _next_steps(db: str) -> list[str]:
    return [
        f"aankomst indicator foreign_nationality_share --db {db} --level neighbourhood --year 2023",
        f"aankomst indicator first_entry_share --db {db} --level municipality --year 2022",
        f"aankomst indicator newcomer_concentration --db {db} --level neighbourhood --year 2022 --within 97001",
        (f"aankomst map group_share_change --db {db} --level neighbourhood --year 2023 --base-year 2010 "
         "--group nationality:ETR --classes diverging:0.5 --out change.png"),
        f"aankomst sql --db {db} \"SELECT level, count(*) FROM areas GROUP BY level\"",
        f"aankomst serve --db {db}",
    ]


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""

    @app.command("demo")
    def demo(
        db: Path = typer.Option(Path("demo.duckdb"), "--db", help="atlas file to create (DuckDB)"),
        seed: int = typer.Option(42, "--seed", help="seed of the generator (same seed = same atlas)"),
        serve: bool = typer.Option(False, "--serve/--no-serve", help="start the web atlas afterwards"),
        host: str = typer.Option("127.0.0.1", "--host", help="address of the web atlas (with --serve)"),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="port of the web atlas (with --serve)"),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress display"),
        extensions: bool = typer.Option(True, "--extensions/--no-extensions",
                                        help="also run the demo extensions (register, analysis, registry)"),
        profiles: bool = typer.Option(True, "--profiles/--no-profiles",
                                      help="precompute every area's profile for the web atlas (about a minute)"),
    ) -> None:
        """Build the demo atlas *Demoland* (synthetic, seeded, offline) and show what to open next.

        Demoland has a bilingual capital (Hoofdstad), a port city with an arrival neighbourhood
        (Havenstad-Noord), a centre city (Aalstrode), a suburb receiving secondary movers from the
        capital (Liedevelde) and rural municipalities, with population by nationality, sex and
        age on 1 January 2010–2023, migration flows, income and unemployment. No external data
        or network is used.
        """
        from rich.console import Console
        from rich.table import Table

        from aankomst.cli._common import fail
        from aankomst.demo import build_demo
        from aankomst.errors import AankomstError

        console = Console()
        try:
            report = build_demo(db, seed=seed, progress=progress, extensions=extensions, profiles=profiles)
        except AankomstError as exc:
            fail(exc)
            return
        console.print(f"[bold green]Demo atlas written:[/] {db}  (seed {seed}, {report.seconds:.1f} s)")
        tab = Table(title="Demoland", show_lines=False)
        tab.add_column("table / level")
        tab.add_column("rows", justify="right")
        for key in ("areas", "crosswalks", "population", "flows", "measures"):
            tab.add_row(key, f"{report.counts.get(key, 0):,}")
        plural = {"region": "regions", "province": "provinces", "arrondissement": "arrondissements",
                  "municipality": "municipalities", "neighbourhood": "neighbourhoods", "sector": "sectors"}
        for lv, label in plural.items():
            tab.add_row(f"  {label}", f"{report.counts.get(lv, 0):,}")
        console.print(tab)
        console.print(f"Population on 1 January {report.years[0]}–{report.years[-1]}; flows "
                      f"{report.years[0]}–{report.years[-2]}.")
        areas = Table(title="Main areas (codes)")
        areas.add_column("area")
        areas.add_column("level")
        areas.add_column("code")
        for name, (level, code) in report.key_areas.items():
            if "," not in code:
                areas.add_row(name, level, code)
        console.print(areas)
        adj = report.key_areas.get("adjacent_to_havenstad_noord")
        if adj:
            console.print(f"Neighbourhoods adjacent to Havenstad-Noord (receive onward movers): {adj[1]}",
                          highlight=False)
        for name, state in report.extensions.items():
            if state != "ran":
                console.print(f"[dim]extension {name}: {state}[/]")
        for line in report.lines:
            console.print(line, highlight=False)
        console.print("[bold]Open next:[/]")
        for line in _next_steps(str(db)):
            console.print(f"  {line}", highlight=False, soft_wrap=True)
        if serve:
            from aankomst.web.app import serve as serve_app

            registry = db.parent / f"{db.stem}_files" / "registry.sqlite"
            registry_url = f"sqlite:///{registry.resolve()}" if registry.exists() else None
            console.print(f"[bold]Serving[/] http://{host}:{port}/  (Ctrl+C to stop)")
            serve_app(str(db), host, port, registry_url=registry_url)
