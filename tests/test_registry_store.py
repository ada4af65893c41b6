"""Registry storage on SQLite and PostgreSQL: migrations, taxonomies, validation, audit,
soft delete, optimistic concurrency, all-or-nothing import (also under kill -9), CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from test_registry_support import PASSWORD, _registry_templates, make_user, payload, registry_url

ROOT = Path(__file__).resolve().parents[1]


def _admin(url):
    from aankomst.registry.models import User

    return User(id=None, name="tester", role="admin", active=True, password_hash="")


def _sess(url, write=True):
    from aankomst.registry.db import session_factory

    return session_factory(url, write=write)()


def _count(url, table):
    from aankomst.registry.db import get_engine

    with get_engine(url).connect() as c:
        return c.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def test_init_is_idempotent_and_loads_taxonomies(registry_url):
    from aankomst.registry.db import check_ready, head_revision, init_db

    assert init_db(registry_url) == head_revision() == "0004"
    check_ready(registry_url)
    from aankomst.registry.db import get_engine

    with get_engine(registry_url).connect() as c:
        rows = dict(c.execute(text("SELECT vocabulary, count(*) FROM terms GROUP BY vocabulary")).fetchall())
    assert rows["domain"] == 11 and rows["sphere"] == 3 and rows["provider_type"] == 6
    assert rows["scale"] == 4 and rows["function"] == 6


def test_uninitialised_registry_gives_clear_error(tmp_path):
    from aankomst.errors import AankomstError
    from aankomst.registry.db import check_ready

    with pytest.raises(AankomstError, match="not initialised.*registry init"):
        check_ready(f"sqlite:///{tmp_path / 'empty.sqlite'}")


def test_sqlite_pragmas(tmp_path):
    from aankomst.registry.db import get_engine, init_db

    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    init_db(url)
    with get_engine(url).connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_create_update_delete_restore_audited(registry_url):
    from aankomst.registry import service as svc
    from aankomst.registry.models import AuditEntry

    admin = _admin(registry_url)
    with _sess(registry_url) as s, s.begin():
        r = svc.create_resource(s, admin, payload())
        rid = r.id
    with _sess(registry_url) as s, s.begin():
        r = svc.update_resource(s, admin, rid, {"name": "Nieuwe naam", "domains": "health;language"}, 1)
        assert r.version == 2
    with _sess(registry_url) as s, s.begin():
        svc.delete_resource(s, admin, rid)
    with _sess(registry_url, write=False) as s:
        assert svc.search(s)[1] == 0
        with pytest.raises(svc.NotFound):
            svc.get_resource(s, rid)
    with _sess(registry_url) as s, s.begin():
        svc.restore_resource(s, admin, rid)
    with _sess(registry_url, write=False) as s:
        hits, total = svc.search(s)
        assert total == 1 and hits[0][0].name == "Nieuwe naam"
        h = svc.history(s, rid)
        assert [e["action"] for e in h] == ["create", "update", "delete", "restore"]
        assert h[1]["before"]["name"] == "Wijkgezondheidscentrum De Brug"
        assert h[1]["after"]["name"] == "Nieuwe naam"
        assert set(h[1]["changed"]) == {"name", "domains"}
        assert h[1]["after"]["domains"] == ["health", "language"]
        assert all(e["user"] == "tester" for e in h)
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 4


def test_validation_names_field_value_and_fix(registry_url):
    from aankomst.registry import service as svc
    from aankomst.registry.validate import ValidationFailed

    bad = payload(domains="health;astrology", lat=4.4, lon=51.2, valid_from="2024-05-01",
                  valid_to="2023-01-01", provider_type="")
    with _sess(registry_url) as s, s.begin(), pytest.raises(ValidationFailed) as ei:
        svc.create_resource(s, _admin(registry_url), bad)
    cols = {p.column for p in ei.value.problems}
    assert {"domains", "lat", "lon", "valid_to", "provider_type"} <= cols
    msg = {p.column: str(p) for p in ei.value.problems}
    assert "astrology" in msg["domains"] and "health" in msg["domains"]
    assert "swapped" in msg["lat"]
    assert _count(registry_url, "resources") == 0


def test_closed_service_stays_in_history_but_not_in_current_search(registry_url):
    from datetime import date

    from aankomst.registry import service as svc

    with _sess(registry_url) as s, s.begin():
        svc.create_resource(s, _admin(registry_url), payload(name="Gesloten", valid_from="2015-01-01",
                                                             valid_to="2020-06-30"))
        svc.create_resource(s, _admin(registry_url), payload(name="Open"))
    with _sess(registry_url, write=False) as s:
        assert [r.name for r, _ in svc.search(s)[0]] == ["Open"]
        assert [r.name for r, _ in svc.search(s, as_of=date(2019, 1, 1))[0]] == ["Gesloten", "Open"]
        assert svc.search(s, include_closed=True)[1] == 2


def test_eligibility_filter_uses_includes(registry_url):
    from aankomst.registry import service as svc

    with _sess(registry_url) as s, s.begin():
        svc.create_resource(s, _admin(registry_url), payload(name="A", eligibility=["status_all"]))
        svc.create_resource(s, _admin(registry_url), payload(name="B", eligibility=["undocumented"]))
        svc.create_resource(s, _admin(registry_url), payload(name="C", eligibility=["belgian"]))
        svc.create_resource(s, _admin(registry_url), payload(name="D", eligibility=[], domains=["work"]))
    with _sess(registry_url, write=False) as s:
        names = [r.name for r, _ in svc.search(s, eligible="undocumented", domain="health")[0]]
        assert names == ["A", "B"]
        assert [r.name for r, _ in svc.search(s, domain="work")[0]] == ["D"]
        assert [r.name for r, _ in svc.search(s, q="KERKSTRAAT")[0]] == ["A", "B", "C", "D"]  # ILIKE
        assert [r.name for r, _ in svc.search(s, q="kerkstraat", domain="work")[0]] == ["D"]
        assert svc.search(s, q="%")[1] == 0  # wildcard is literal


def test_near_filter_distance(registry_url):
    from test_registry_support import lonlat

    from aankomst.registry import service as svc

    with _sess(registry_url) as s, s.begin():
        for i, x in enumerate((150500, 151500, 152500, 170500)):
            lon, lat = lonlat(x, 210500)
            svc.create_resource(s, _admin(registry_url), payload(name=f"R{i}", lon=lon, lat=lat,
                                                                 municipality_nis="11002"))
    lon, lat = lonlat(150500, 210500)
    with _sess(registry_url, write=False) as s:
        hits, total = svc.search(s, near=f"{lat},{lon}", radius_m=1500)
    assert [r.name for r, _ in hits] == ["R0", "R1"]
    assert hits[0][1] == pytest.approx(0, abs=1)
    # Lambert 72 is conformal; 1 km on the grid is ~1 km on the ground here (scale factor ~1)
    assert hits[1][1] == pytest.approx(1000, rel=0.01)


def test_concurrent_editors_one_wins_other_conflicts(registry_url):
    """Two editors load version 1 and save at the same time: exactly one succeeds."""
    from aankomst.registry import service as svc

    make_user(registry_url, "ann", "editor", ["11002"])
    make_user(registry_url, "bob", "editor", ["11002"])
    from aankomst.registry.models import User

    with _sess(registry_url) as s, s.begin():
        rid = svc.create_resource(s, _admin(registry_url), payload()).id
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def edit(name: str, new_desc: str) -> None:
        with _sess(registry_url) as s:
            user = s.scalar(select(User).where(User.name == name))
            s.expunge(user)
        barrier.wait()
        try:
            with _sess(registry_url) as s, s.begin():
                svc.update_resource(s, user, rid, {"description": new_desc}, 1)
            results[name] = "ok"
        except svc.Conflict:
            results[name] = "conflict"

    ts = [threading.Thread(target=edit, args=(n, f"tekst van {n}")) for n in ("ann", "bob")]
    [t.start() for t in ts]
    [t.join(60) for t in ts]
    assert sorted(results.values()) == ["conflict", "ok"], results
    winner = next(n for n, v in results.items() if v == "ok")
    with _sess(registry_url, write=False) as s:
        r = svc.get_resource(s, rid)
        assert r.version == 2 and r.description == f"tekst van {winner}"
        h = svc.history(s, rid)
    assert [e["action"] for e in h] == ["create", "update"] and h[1]["user"] == winner
    # the loser re-reads, re-applies and succeeds: nothing is lost
    loser = next(n for n, v in results.items() if v == "conflict")
    with _sess(registry_url) as s, s.begin():
        user = s.scalar(select(User).where(User.name == loser))
        r = svc.update_resource(s, user, rid, {"description": r.description + f" + tekst van {loser}"}, 2)
    assert "ann" in r.description and "bob" in r.description


def _csv_rows(n: int, start: int = 0) -> str:
    from test_registry_support import lonlat

    lon, lat = lonlat(150500, 210500)
    lines = ["name,domains,spheres,provider_type,formality,scale,municipality_nis,lon,lat,languages"]
    for i in range(start, start + n):
        lines.append(f"Bron {i},health;language,redistribution,public,formal,municipality,11002,"
                     f"{lon + (i % 50) * 1e-5:.6f},{lat:.6f},nl;fr")
    return "\n".join(lines) + "\n"


def test_import_all_or_nothing_with_report(registry_url, tmp_path):
    from aankomst.registry.db import session_factory
    from aankomst.registry.io import import_records, read_records

    good = tmp_path / "good.csv"
    good.write_text(_csv_rows(30), encoding="utf-8")
    rep = import_records(session_factory(registry_url, write=True), read_records(good))
    assert rep["ok"] and rep["created"] == 30 and _count(registry_url, "resources") == 30
    assert _count(registry_url, "audit_log") == 30
    text_ = _csv_rows(5, 100).splitlines()
    text_[3] = text_[3].replace("health;language", "health;bogus")
    text_[5] = text_[5].replace(",11002,", ",1100,")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(text_) + "\n", encoding="utf-8")
    rep = import_records(session_factory(registry_url, write=True), read_records(bad), file="bad.csv")
    assert not rep["ok"] and not rep["written"]
    probs = {(p["row"], p["column"]) for p in rep["problems"]}
    assert probs == {(4, "domains"), (6, "municipality_nis")}
    assert _count(registry_url, "resources") == 30


def test_import_export_roundtrip_csv_and_geojson(registry_url, tmp_path):
    from aankomst.registry import service as svc
    from aankomst.registry.db import session_factory
    from aankomst.registry.io import export_rows, import_records, read_records, to_csv, to_geojson

    with _sess(registry_url) as s, s.begin():
        svc.create_resource(s, _admin(registry_url), payload(name="=HYPERLINK(\"x\")", contact="+32 3 000"))
    with _sess(registry_url, write=False) as s:
        rows = export_rows(svc.all_resources(s))
    csv_text = to_csv(rows)
    assert "'=HYPERLINK" in csv_text  # formula guarded for spreadsheets
    recs = read_records(csv_text.encode(), fmt="csv")
    assert recs[0][1]["name"] == '=HYPERLINK("x")' and recs[0][1]["contact"] == "+32 3 000"
    # re-import as new rows (drop ids) from GeoJSON
    gj = to_geojson(rows)
    for f in gj["features"]:
        f["properties"].pop("id"), f["properties"].pop("version")
        f.pop("id")
    rep = import_records(session_factory(registry_url, write=True),
                         read_records(json.dumps(gj).encode(), fmt="geojson"))
    assert rep["ok"] and rep["created"] == 1
    with _sess(registry_url, write=False) as s:
        a, b = [svc.to_dict(r) for r in svc.all_resources(s)]
    for k in ("name", "domains", "languages", "lon", "lat", "eligibility", "contact"):
        assert a[k] == b[k]
    # an update row with a stale version is refused, nothing changes
    rows[0]["name"] = "changed"
    rows[0]["version"] = 7
    rep = import_records(session_factory(registry_url, write=True),
                         read_records(to_csv(rows[:1]).encode(), fmt="csv"))
    assert not rep["ok"] and "changed by someone else" in rep["problems"][0]["message"]


def test_bad_files_name_row_and_column(tmp_path):
    from aankomst.errors import InputError
    from aankomst.registry.io import read_records

    with pytest.raises(InputError, match="unknown column.*'colour'"):
        read_records(b"name,colour\nx,red\n", fmt="csv")
    with pytest.raises(InputError, match="row 3.*3 fields instead of 2"):
        read_records(b"name,lon\nx,4\ny,4,5\n", fmt="csv")
    with pytest.raises(InputError, match="not UTF-8"):
        read_records("name\nCaf\xe9\n".encode("latin-1"), fmt="csv")
    with pytest.raises(InputError, match="feature 1 has geometry 'LineString'"):
        read_records(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []}, "properties": {}}]}).encode())


KILL_SCRIPT = r"""
import sys, time, pathlib
from aankomst.registry.db import session_factory
from aankomst.registry.io import import_records, read_records
url, path, marker = sys.argv[1:4]
def progress(n):
    if n >= 1000:
        pathlib.Path(marker).write_text(str(n))
        time.sleep(600)
import_records(session_factory(url, write=True), read_records(pathlib.Path(path)), on_progress=progress, chunk=500)
"""


def test_import_killed_midway_leaves_database_as_before(registry_url, tmp_path):
    """kill -9 of a process in the middle of a bulk import: the registry is unchanged."""
    from aankomst.registry.db import dispose_all, session_factory
    from aankomst.registry.io import import_records, read_records

    first = tmp_path / "first.csv"
    first.write_text(_csv_rows(10), encoding="utf-8")
    import_records(session_factory(registry_url, write=True), read_records(first))
    before = (_count(registry_url, "resources"), _count(registry_url, "resource_terms"),
              _count(registry_url, "audit_log"))
    big = tmp_path / "big.csv"
    big.write_text(_csv_rows(3000, 10), encoding="utf-8")
    marker = tmp_path / "marker"
    dispose_all()
    p = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, registry_url, str(big), str(marker)],
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert p.poll() is None, "import process ended before reaching the kill point"
            assert time.monotonic() < deadline, "import did not reach the kill point"
            time.sleep(0.05)
        assert int(marker.read_text()) >= 1000  # rows were written (uncommitted) when killed
        os.kill(p.pid, signal.SIGKILL)
        p.wait(30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == -signal.SIGKILL
    after = (_count(registry_url, "resources"), _count(registry_url, "resource_terms"),
             _count(registry_url, "audit_log"))
    assert after == before
    # and the registry still works
    rep = import_records(session_factory(registry_url, write=True), read_records(first))
    assert rep["ok"] and _count(registry_url, "resources") == before[0] + 10


class _Res:
    def __init__(self, code, out, err):
        self.returncode, self.stdout, self.stderr = code, out, err


def _cli(*args, stdin=None):
    """Run the real Typer app in-process (same code path as the console script)."""
    from typer.testing import CliRunner

    from aankomst.cli import make_app

    r = CliRunner().invoke(make_app(), list(args), input=stdin)
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return _Res(r.exit_code, r.stdout, r.stderr)


def test_cli_console_script_runs(tmp_path):
    """The installed ``aankomst`` entry point reaches the registry commands."""
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    r = subprocess.run([str(ROOT / ".venv" / "bin" / "aankomst"), "registry", "init", "--url", url],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "schema 0004" in r.stdout, r.stderr


def test_cli_contract(registry_url, tmp_path):
    from aankomst.registry.db import dispose_all

    dispose_all()
    r = _cli("registry", "init", "--url", registry_url)
    assert r.returncode == 0, r.stderr
    r = _cli("registry", "user", "add", "eva", "--role", "editor", "--scope", "11002,11005",
             "--password-stdin", "--url", registry_url, stdin=PASSWORD + "\n")
    assert r.returncode == 0 and "11002, 11005" in r.stdout, r.stderr
    r = _cli("registry", "user", "add", "eva", "--role", "editor", "--scope", "11002",
             "--password-stdin", "--url", registry_url, stdin=PASSWORD + "\n")
    assert r.returncode == 2 and "exists already" in r.stderr
    r = _cli("registry", "token", "create", "eva", "--url", registry_url)
    assert r.returncode == 0 and r.stdout.strip().startswith("akr_")
    f = tmp_path / "in.csv"
    f.write_text(_csv_rows(3), encoding="utf-8")
    r = _cli("registry", "import", str(f), "--url", registry_url)
    assert r.returncode == 0 and "created 3" in r.stdout, r.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text(_csv_rows(2).replace("public", "martian"), encoding="utf-8")
    r = _cli("registry", "import", str(bad), "--url", registry_url)
    assert r.returncode == 2 and "row 2, column 'provider_type'" in r.stderr and "Traceback" not in r.stderr
    r = _cli("registry", "export", "--format", "geojson", "--url", registry_url)
    assert r.returncode == 0 and len(json.loads(r.stdout)["features"]) == 3
    r = _cli("registry", "export", "--format", "csv", "--url", registry_url)
    assert r.stdout.count("\n") == 4 and r.stdout.startswith('"id","version","name"')
    r = _cli("registry", "export", "--url", f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert r.returncode == 2 and "not initialised" in r.stderr


def test_production_password_hashing_is_argon2id(monkeypatch):
    from aankomst.registry import auth

    monkeypatch.delenv("AANKOMST_REGISTRY_ARGON2", raising=False)
    monkeypatch.setattr(auth, "_HASHER", None)
    h = auth.hash_password("a long enough password")
    assert h.startswith("$argon2id$") and "m=65536" in h
    assert auth.verify_password(h, "a long enough password")
    assert not auth.verify_password(h, "a long enough passwort")
    monkeypatch.setattr(auth, "_HASHER", None)  # back to the test profile for later tests


@settings(max_examples=150, deadline=None)
@given(text_=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
                     min_size=1, max_size=60).map(str.strip).filter(bool),
       extra=st.sampled_from(["", "=", "+", "-", "@", "'", "''", "'=", "\r\n", ";", ",", '"']))
def test_csv_export_import_roundtrips_any_text(text_, extra):
    """Any name/description (formula characters, quotes, apostrophes, separators, line breaks,
    non-Latin scripts) survives export -> import unchanged."""
    from aankomst.registry.io import EXPORT_COLUMNS, read_records, to_csv
    from aankomst.registry.validate import clean_record

    name = (extra + text_).strip() or text_
    desc = text_ + extra + text_
    row = {c: None for c in EXPORT_COLUMNS}
    row.update(name=name, description=desc, domains=["health"], lon=4.4, lat=51.2)
    recs = read_records(to_csv([row]).encode("utf-8"), fmt="csv")
    assert len(recs) == 1
    got = recs[0][1]
    assert got["name"] == name and got["description"] == desc
    clean, _ = clean_record({"name": got["name"], "description": got["description"]}, partial=True)
    assert clean["name"] == name.strip() and clean["description"] == desc.strip()
