"""``aankomst registry …``: create, fill, export and administer the arrival-infrastructure
registry (see docs/registry.md). Heavy imports happen inside the commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

DEFAULT_URL = "sqlite:///aankomst-registry.sqlite"


def _url(url: str | None) -> str:
    return url or os.environ.get("AANKOMST_REGISTRY_URL") or DEFAULT_URL


URL_HELP = ("registry database: sqlite:///FILE or postgresql://user@host:port/db "
            "(default: $AANKOMST_REGISTRY_URL, else sqlite:///aankomst-registry.sqlite)")


def register(app: typer.Typer) -> None:
    """Add the ``registry`` command group to ``app``."""
    reg = typer.Typer(help="Arrival-infrastructure registry: local resources newcomers rely on.",
                      no_args_is_help=True)
    user_app = typer.Typer(help="Accounts (editor scoped to municipalities, admin).", no_args_is_help=True)
    token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
    reg.add_typer(user_app, name="user")
    reg.add_typer(token_app, name="token")
    app.add_typer(reg, name="registry")

    @reg.command("init")
    def init(
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
        atlas: Path | None = typer.Option(
            None, "--db", help="atlas file: also copy its municipality boundaries into the registry "
                               "(editor scopes are checked against them)"),
    ) -> None:
        """Create or upgrade the registry schema (Alembic migrations) and load the taxonomies."""
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError
        from aankomst.registry.db import init_db, safe_url

        try:
            rev = init_db(_url(url))
        except AankomstError as exc:
            fail(exc)
        except Exception as exc:  # noqa: BLE001 - connection problems: short message, no trace
            fail(AankomstError(f"cannot initialise the registry at {safe_url(_url(url))}: "
                               f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"))
        typer.echo(f"registry ready at {safe_url(_url(url))} (schema {rev})")
        if atlas is not None:
            _load_boundaries(_url(url), atlas)

    def _load_boundaries(u: str, atlas: Path) -> None:
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError, InputError
        from aankomst.registry.areas import load_boundaries
        from aankomst.registry.db import check_ready

        if not atlas.exists():
            fail(InputError(str(atlas), "file not found", expected="an atlas DuckDB file"))
        try:
            check_ready(u)
            n = load_boundaries(u, str(atlas))
        except AankomstError as exc:
            fail(exc)
        typer.echo(f"copied {n} municipality boundaries from {atlas} into the registry")

    @reg.command("boundaries")
    def boundaries(
        atlas: Path = typer.Option(..., "--db", help="atlas file with municipality geometry"),
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
    ) -> None:
        """Copy (replace) the registry's municipality boundaries from an atlas: editor scopes
        follow the municipality a resource's point lies in, also when the server runs
        without an atlas."""
        _load_boundaries(_url(url), atlas)

    @reg.command("import")
    def import_(
        file: Path = typer.Argument(..., help="CSV or GeoJSON file (see docs/registry.md)"),
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
        fmt: str | None = typer.Option(None, "--format", help="csv or geojson (default: from the extension)"),
        atlas: Path | None = typer.Option(None, "--db", help="atlas file, to derive missing municipality codes from the location"),
        dry_run: bool = typer.Option(False, "--dry-run", help="validate only, write nothing"),
        as_user: str = typer.Option("cli", "--as", help="name recorded in the audit log"),
    ) -> None:
        """Import resources, all or nothing, and print the validation report."""
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError, InputError
        from aankomst.registry.db import check_ready, session_factory
        from aankomst.registry.io import import_records, read_records

        u = _url(url)
        if not file.exists():
            fail(InputError(str(file), "file not found", expected="an existing CSV or GeoJSON file"))
        try:
            check_ready(u)
            records = read_records(file, fmt=fmt)
            report = import_records(session_factory(u, write=True), records, actor=as_user,
                                    atlas_path=str(atlas) if atlas else None, dry_run=dry_run,
                                    file=str(file))
        except AankomstError as exc:
            fail(exc)
        if not report["ok"]:
            typer.echo(f"error: {file}: {report['problems_total']} problem(s); nothing was imported", err=True)
            for p in report["problems"][:50]:
                where = f"row {p['row']}, " if p["row"] is not None else ""
                exp = f" (expected: {p['expected']})" if p["expected"] else ""
                typer.echo(f"  - {where}column {p['column']!r}: {p['message']}{exp}", err=True)
            raise typer.Exit(2)
        verb = "would create" if dry_run else "created"
        typer.echo(f"{file}: {report['rows']} rows; {verb} {report['created']}, updated {report['updated']}")

    @reg.command("export")
    def export(
        fmt: str = typer.Option("csv", "--format", help="csv or geojson"),
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
        out: Path | None = typer.Option(None, "--out", "-o", help="output file (default: stdout)"),
    ) -> None:
        """Export all (non-deleted) resources."""
        import json

        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError
        from aankomst.registry import service
        from aankomst.registry.db import check_ready, session_factory
        from aankomst.registry.io import export_rows, to_csv, to_geojson

        if fmt not in ("csv", "geojson"):
            raise typer.BadParameter(f"unknown format {fmt!r}; use csv or geojson")
        u = _url(url)
        try:
            check_ready(u)
        except AankomstError as exc:
            fail(exc)
        with session_factory(u)() as s:
            rows = export_rows(service.all_resources(s))
        text = to_csv(rows) if fmt == "csv" else json.dumps(to_geojson(rows), ensure_ascii=False, indent=1) + "\n"
        if out:
            out.write_text(text, encoding="utf-8")
            typer.echo(f"wrote {len(rows)} resources to {out}", err=True)
        else:
            sys.stdout.write(text)

    @user_app.command("add")
    def user_add(
        name: str = typer.Argument(..., help="user name"),
        role: str = typer.Option(..., "--role", help="editor or admin (viewer: public read needs no account)"),
        scope: str | None = typer.Option(None, "--scope", help="editor: municipality NIS codes, comma separated"),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from standard input"),
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
    ) -> None:
        """Create an account (password prompted, or read from stdin)."""
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError
        from aankomst.registry.auth import add_user
        from aankomst.registry.db import check_ready, session_factory

        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        u = _url(url)
        try:
            check_ready(u)
            with session_factory(u, write=True)() as s, s.begin():
                user = add_user(s, name, password, role, (scope or "").split(","))
                scopes = user.scope_codes
        except AankomstError as exc:
            fail(exc)
        typer.echo(f"user {name!r} added as {role}" + (f" for {', '.join(scopes)}" if scopes else ""))

    @token_app.command("create")
    def token_create(
        user: str = typer.Argument(..., help="user name the token acts as"),
        name: str = typer.Option("cli", "--name", help="label of the token"),
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
    ) -> None:
        """Create an API token (printed once; only its hash is stored)."""
        from sqlalchemy import select

        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError
        from aankomst.registry.auth import create_token
        from aankomst.registry.db import check_ready, session_factory
        from aankomst.registry.models import User

        u = _url(url)
        try:
            check_ready(u)
            with session_factory(u, write=True)() as s, s.begin():
                usr = s.scalar(select(User).where(User.name == user))
                if usr is None:
                    raise AankomstError(f"no user {user!r}; add one with 'aankomst registry user add'")
                _, secret = create_token(s, usr, name)
        except AankomstError as exc:
            fail(exc)
        typer.echo(secret)

    @reg.command("profile")
    def profile(
        area: str = typer.Argument(..., help="area code, e.g. a neighbourhood 11002A12-"),
        db: Path = typer.Option(..., "--db", help="atlas file"),
        level: str = typer.Option("neighbourhood", "--level"),
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
    ) -> None:
        """Print the institutional-completeness profile and gap list of one area."""
        import math

        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError
        from aankomst.registry.analysis import area_completeness

        try:
            table, s = area_completeness(str(db), _url(url), level=level)
        except AankomstError as exc:
            fail(exc)
        sub = table[table["area_code"] == area]
        if sub.empty:
            from aankomst.errors import UnknownCodeError

            fail(UnknownCodeError(level, area, known=list(s.codes)))
        for rec in sub.to_dict("records"):
            d = rec["nearest_m"]
            dist = "—" if not math.isfinite(d) else f"{d:,.0f} m"
            typer.echo(f"{rec['domain']:<16} {rec['status']:<12} nearest {dist:>10}  {rec['nearest_name'] or ''}")
