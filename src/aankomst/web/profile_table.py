"""The profile table: every area's profile precomputed into the atlas.

An area profile (:mod:`aankomst.web.profile`) shows, for every indicator defined at the area's
level, the area's value and the values of its comparison columns (municipality, region, area
type) for the same period. Computed on the fly that means some 30 indicators × 4 levels of the
indicator engine for one cold profile (seconds on the real atlas). :func:`build_table` computes
each indicator **once per level for all areas of that level** and writes what the profiles need
into five tables of the atlas:

``profile_state``      ``key, value``: the atlas version the table was built for (see
                       :func:`version_key`), when and how long the build took;
``profile_columns``    ``level, layout, code, col, to_level, to_layout, to_code, basis, name_nl,
                       name_fr, name_en``: the comparison columns of every area
                       (:func:`comparison_parents`, :func:`with_names`);
``profile_latest``     ``indicator, level, layout, period, reason``: the newest period on offer
                       of each indicator at each level and layout (``reason`` when there is none);
``profile_earlier``    ``level, layout, code, indicator, period``: areas without a value in the
                       newest period, and the newest earlier period that has one (at most
                       :data:`EARLIER_TRIES` periods back, as the PDF report's ``†`` rows);
``profile_values``     ``level, layout, code, indicator, period, fields``: one published row
                       (JSON, as the API answers it) per area, indicator and period needed;
``profile_meta``       ``indicator, level, layout, period, meta, error``: the meta of each
                       computation used (labels, unit, sources) or its error.

The table is *derived*: it is valid for one atlas version (:func:`version_key`: the loads of
:func:`aankomst.store.hierarchy.atlas_version`, the settings, the declared indicators and
:data:`TABLE_FORMAT`). ``aankomst build`` writes it inside the load's transaction (a failed load
leaves table and data as they were), ``aankomst demo`` after its extensions; any other load
makes it stale, and a stale or absent table is never read (the web profile then computes on
the fly, :func:`aankomst.web.profile.build_profile_live`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from aankomst.errors import AankomstError
from aankomst.indicators import get, specs
from aankomst.store.hierarchy import atlas_version
from aankomst.store.schema import CURRENT_LAYOUT
from aankomst.web import service
from aankomst.web.service import Service

TABLE_FORMAT = 4
"""Bumped when the layout or the meaning of the profile tables changes (older tables are stale)."""

EARLIER_TRIES = 6
"""Periods tried before the newest one when an area has no value in the newest (as the report)."""

COLUMN_LEVELS = service.COMPARE_LEVELS
"""Comparison columns after the area itself."""

META_FIELDS = ("label_nl", "label_en", "definition_nl", "definition_en", "unit", "sources")
"""The parts of an indicator result's meta that a profile shows."""

DROPPED_FIELDS = ("area_code", "area_name", "level", "layout", "unit")
"""Columns of a result row that a profile cell leaves out (the column says them)."""

TABLES = ("profile_state", "profile_columns", "profile_latest", "profile_earlier", "profile_values",
          "profile_meta")

_DDL = (
    "CREATE TABLE IF NOT EXISTS profile_state (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS profile_columns (level VARCHAR, layout VARCHAR, code VARCHAR, col VARCHAR, "
    "to_level VARCHAR, to_layout VARCHAR, to_code VARCHAR, basis VARCHAR, name_nl VARCHAR, name_fr VARCHAR, "
    "name_en VARCHAR)",
    "CREATE TABLE IF NOT EXISTS profile_latest (indicator VARCHAR, level VARCHAR, layout VARCHAR, "
    "period VARCHAR, reason VARCHAR)",
    "CREATE TABLE IF NOT EXISTS profile_earlier (level VARCHAR, layout VARCHAR, code VARCHAR, "
    "indicator VARCHAR, period VARCHAR)",
    "CREATE TABLE IF NOT EXISTS profile_values (level VARCHAR, layout VARCHAR, code VARCHAR, "
    "indicator VARCHAR, period VARCHAR, fields VARCHAR)",
    "CREATE TABLE IF NOT EXISTS profile_meta (indicator VARCHAR, level VARCHAR, layout VARCHAR, "
    "period VARCHAR, meta VARCHAR, error VARCHAR)",
)


_INDEXES = (
    "CREATE INDEX profile_columns_code ON profile_columns (code)",
    "CREATE INDEX profile_earlier_code ON profile_earlier (code)",
    "CREATE INDEX profile_values_code ON profile_values (code)",
)


@dataclass
class TableReport:
    """What :func:`build_table` wrote.

    Attributes
    ----------
    seconds
        Wall-clock time of the build (computation and writing), in seconds.
    areas
        Areas with a precomputed profile.
    rows
        Rows of ``profile_values``.
    computations
        Indicator computations run (each for all areas of one level and layout).
    per_level
        Seconds spent per ``level@layout``.
    """

    seconds: float = 0.0
    areas: int = 0
    rows: int = 0
    computations: int = 0
    per_level: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- version
def version_key(atlas: Any) -> str:
    """The atlas version a profile table is valid for (JSON text).

    Made of the loads (:func:`aankomst.store.hierarchy.atlas_version` without the file path, so a
    copied atlas keeps its table), the settings (the small-cell rule), the ids of the declared
    indicators and :data:`TABLE_FORMAT`.

    Parameters
    ----------
    atlas
        An open :class:`~aankomst.store.atlas.Atlas`.

    Returns
    -------
    str

    Examples
    --------
    >>> from aankomst.store.atlas import Atlas
    >>> with Atlas(":memory:") as a:
    ...     json.loads(version_key(a))["loads"]
    [0, 0, 'None']
    """
    _, n, last, at = atlas_version(atlas)
    settings = [list(r) for r in atlas.con.execute("SELECT key, value FROM settings ORDER BY key").fetchall()]
    ids = hashlib.sha256(" ".join(sorted(s.id for s in specs())).encode()).hexdigest()[:16]
    return json.dumps({"format": TABLE_FORMAT, "loads": [n, last, at], "settings": settings, "indicators": ids})


def status(atlas: Any) -> str:
    """``"fresh"`` (the table holds this atlas version), ``"stale"`` or ``"absent"``.

    Examples
    --------
    >>> from aankomst.store.atlas import Atlas
    >>> with Atlas(":memory:") as a:
    ...     status(a)
    'absent'
    """
    have = atlas.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN "
        f"({', '.join('?' for _ in TABLES)})", list(TABLES)).fetchall()[0][0]
    if have < len(TABLES):
        return "absent"
    got = atlas.con.execute("SELECT value FROM profile_state WHERE key = 'version'").fetchall()
    return "fresh" if got and got[0][0] == version_key(atlas) else "stale"


# --------------------------------------------------------------------------- comparison columns
def comparison_parents(atlas: Any, level: str, layout: str, codes: Iterable[str] | None = None) -> pd.DataFrame:
    """The comparison columns (municipality, region, area type) of areas of one level, vectorised.

    From ``crosswalks`` (largest weight first; for the area type the widest type the area
    belongs to, e.g. the 13 centre cities); a neighbourhood, sector or deelgemeente without a
    link to a municipality takes the municipality of its NIS code prefix; the region follows from
    the municipality's links, else from its NIS code.

    Parameters
    ----------
    atlas
        An open atlas.
    level, layout
        The areas' level and layout.
    codes
        Area codes (default: every area of the level and layout).

    Returns
    -------
    pandas.DataFrame
        ``code, col, to_level, to_layout, to_code, basis`` (``basis``: ``crosswalk`` or
        ``code``), at most one row per area and column, the area itself left out.

    Examples
    --------
    >>> comparison_parents(demo_atlas, "neighbourhood", "2025", ["97001W01"])[["col", "to_code"]].values.tolist()  # doctest: +SKIP
    [['municipality', '97001'], ['region', '09000']]
    """
    want = None if codes is None else [str(c) for c in codes]
    if want is None:
        want = [str(c) for c in atlas.query("SELECT code FROM areas WHERE level = ? AND layout = ? ORDER BY code",
                                            [level, layout])["code"]]
    found: dict[tuple[str, str], tuple[str, str, str, str]] = {}  # (code, col) -> to_level, to_layout, to_code, basis
    if level in COLUMN_LEVELS:
        for c in want:
            found[(c, level)] = (level, layout, c, "self")
    _links(atlas, level, layout, want, found)
    if level in ("neighbourhood", "sector", "deelgemeente"):
        guess = {c: c[:5] for c in want if (c, "municipality") not in found and c[:5].isdigit()}
        if guess:
            mun = _current(atlas, "municipality", sorted(set(guess.values())))
            for c, m in guess.items():
                if m in mun:
                    found[(c, "municipality")] = ("municipality", mun[m], m, "code")
    muns = {c: found[(c, "municipality")] for c in want if (c, "municipality") in found}
    by_mun: dict[tuple[str, str], list[str]] = {}
    for c, (_, ly, m, basis) in muns.items():
        if basis != "self":
            by_mun.setdefault((ly, m), []).append(c)
    for ly in sorted({k[0] for k in by_mun}):
        sub: dict[tuple[str, str], tuple[str, str, str, str]] = {}
        _links(atlas, "municipality", ly, sorted(m for (l2, m) in by_mun if l2 == ly), sub)
        for (m, col), target in sub.items():
            for c in by_mun[(ly, m)]:
                found.setdefault((c, col), target)
    need = {c: m[2] for c, m in muns.items() if (c, "region") not in found and m[2][:5].isdigit()}
    if need:
        regions = _current(atlas, "region", sorted({_region_of(m) for m in need.values()}))
        for c, m in need.items():
            r = _region_of(m)
            if r in regions:
                found[(c, "region")] = ("region", regions[r], r, "code")
    rows = [(c, col, *found[(c, col)]) for c in want for col in COLUMN_LEVELS
            if (c, col) in found and found[(c, col)][3] != "self"]
    return pd.DataFrame(rows, columns=["code", "col", "to_level", "to_layout", "to_code", "basis"])


def with_names(atlas: Any, par: pd.DataFrame) -> pd.DataFrame:
    """:func:`comparison_parents` rows with the columns' names (``name_nl, name_fr, name_en``)."""
    if par.empty:
        return par.assign(name_nl=None, name_fr=None, name_en=None)
    keys = par[["to_level", "to_layout", "to_code"]].drop_duplicates()
    atlas.con.register("_profile_keys", keys)
    try:
        names = atlas.query("SELECT k.to_level, k.to_layout, k.to_code, a.name_nl, a.name_fr, a.name_en "
                            "FROM _profile_keys k JOIN areas a ON a.level = k.to_level AND a.layout = k.to_layout "
                            "AND a.code = k.to_code")
    finally:
        atlas.con.unregister("_profile_keys")
    out = par.merge(names, on=["to_level", "to_layout", "to_code"], how="left")
    for c in ("name_nl", "name_fr", "name_en"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _region_of(mun: str) -> str:
    """The region of a NIS municipality code (Brussels 21…, Wallonia 25/5/6/8/9…, else Flanders)."""
    return "04000" if mun.startswith("21") else ("03000" if mun[0] in "5689" or mun.startswith("25") else "02000")


def _current(atlas: Any, level: str, codes: list[str]) -> dict[str, str]:
    """``code -> layout`` of areas of ``level`` with these codes (the current layout preferred)."""
    df = atlas.query(f"SELECT code, layout FROM areas WHERE level = ? AND code IN ({', '.join('?' for _ in codes)})",
                     [level, *codes])
    df["cur"] = (df["layout"] != CURRENT_LAYOUT.get(level)).astype(int)
    df = df.sort_values(["cur", "layout"], ascending=[True, False], kind="stable").drop_duplicates("code")
    return dict(zip(df["code"].astype(str), df["layout"].astype(str)))


def _links(atlas: Any, level: str, layout: str, codes: list[str],
           out: dict[tuple[str, str], tuple[str, str, str, str]]) -> None:
    """Fill ``out[(code, col)]`` from the crosswalks of ``codes`` (columns not yet filled)."""
    if not codes:
        return
    atlas.con.register("_profile_codes", pd.DataFrame({"code": codes}))
    try:
        df = atlas.query(
            "WITH m AS (SELECT to_level, to_code, count(*) AS members FROM crosswalks "
            "WHERE to_level IN ('municipality', 'region', 'area_type') GROUP BY ALL) "
            "SELECT c.from_code AS code, c.to_level, c.to_layout, c.to_code, c.weight, m.members "
            "FROM crosswalks c JOIN _profile_codes k ON k.code = c.from_code "
            "JOIN m ON m.to_level = c.to_level AND m.to_code = c.to_code "
            "WHERE c.from_level = ? AND c.from_layout = ? AND c.to_level IN ('municipality', 'region', 'area_type')",
            [level, layout])
    finally:
        atlas.con.unregister("_profile_codes")
    if df.empty:
        return
    df["wide"] = df["members"].where(df["to_level"] == "area_type", 0)
    df = df.sort_values(["code", "to_level", "wide", "weight", "to_code"],
                        ascending=[True, True, False, False, True], kind="stable")
    df = df.drop_duplicates(["code", "to_level"])
    for r in df.itertuples(index=False):
        out.setdefault((str(r.code), str(r.to_level)), (str(r.to_level), str(r.to_layout), str(r.to_code), "crosswalk"))


# --------------------------------------------------------------------------- cells
def has_value(df: pd.DataFrame) -> pd.Series:
    """Rows of a published result that hold a figure: a value, a suppressed cell or a class."""
    got = df["value"].notna() | df["suppressed"].astype(bool)
    if "class" in df.columns:
        got = got | (df["class"].notna() & (df["class"].astype(str) != ""))
    return got


def _with_value(df: pd.DataFrame | None) -> set[str]:
    """Codes whose first row in a published result holds a figure (:func:`has_value`)."""
    if df is None or df.empty:
        return set()
    first = df[~df["area_code"].duplicated()]
    return set(first.loc[has_value(first), "area_code"].astype(str))


def cells(df: pd.DataFrame, codes: Iterable[str] | None = None) -> dict[str, str]:
    """``area_code -> JSON`` of a published result's first row per area (as the API answers it,
    without the columns :data:`DROPPED_FIELDS`), for ``codes`` (default all)."""
    sub = df[~df["area_code"].duplicated()]
    if codes is not None:
        sub = sub[sub["area_code"].isin(set(codes))]
    if sub.empty:
        return {}
    keep = sub.drop(columns=[c for c in DROPPED_FIELDS if c in sub.columns])
    lines = keep.to_json(orient="records", lines=True, date_format="iso").splitlines()
    return dict(zip(sub["area_code"].astype(str), lines))


def meta_json(meta: dict[str, Any]) -> str:
    """The part of a result's meta that a profile shows (:data:`META_FIELDS`), as JSON."""
    return json.dumps({k: meta.get(k) for k in META_FIELDS}, ensure_ascii=False, default=str)


# --------------------------------------------------------------------------- build
class _Builder:
    """One build: computations memoised, rows collected, then written at once."""

    def __init__(self, atlas: Any, tries: int) -> None:
        self.atlas = atlas
        self.svc = Service(None, maxsize=100_000)
        self.tries = tries
        self.metas: dict[tuple[str, str, str, str], tuple[str | None, str | None]] = {}
        self.values: dict[tuple[str, str, str, str, str], str] = {}
        self.latest: list[tuple[str, str, str, str | None, str | None]] = []
        self.earlier: list[tuple[str, str, str, str, str]] = []
        self.columns: list[pd.DataFrame] = []
        self.n = 0

    def compute(self, ind: str, lv: str, ly: str, per: str) -> pd.DataFrame | None:
        key = (ind, lv, ly, per)
        try:
            df, meta = self.svc.compute(self.atlas, ind, lv, per, params={"layout": ly})
        except AankomstError as exc:
            self.metas.setdefault(key, (None, str(exc)))
            return None
        if key not in self.metas:
            self.n += 1
            self.metas[key] = (meta_json(meta), None)
        return df

    def keep(self, ind: str, lv: str, ly: str, per: str, df: pd.DataFrame | None, codes: Iterable[str]) -> None:
        if df is None:
            return
        for code, js in cells(df, codes).items():
            self.values.setdefault((lv, ly, code, ind, per), js)

    def node(self, lv: str, ly: str) -> int:
        codes = [str(c) for c in self.atlas.query(
            "SELECT code FROM areas WHERE level = ? AND layout = ? ORDER BY code", [lv, ly])["code"]]
        par = with_names(self.atlas, comparison_parents(self.atlas, lv, ly, codes))
        par.insert(0, "layout", ly)
        par.insert(0, "level", lv)
        self.columns.append(par)
        for spec in specs():
            if not spec.has_level(lv):
                continue
            self.indicator(spec.id, lv, ly, codes, par)
        return len(codes)

    def indicator(self, ind: str, lv: str, ly: str, codes: list[str], par: pd.DataFrame) -> None:
        try:
            periods = self.svc.periods(self.atlas, ind, lv, params={"layout": ly})
        except AankomstError as exc:
            self.latest.append((ind, lv, ly, None, str(exc)))
            return
        if not periods:
            self.latest.append((ind, lv, ly, None, f"no values at level {lv}"))
            return
        newest = periods[-1]
        self.latest.append((ind, lv, ly, newest, None))
        df = self.compute(ind, lv, ly, newest)
        got = _with_value(df)
        missing = [c for c in codes if c not in got]
        use: dict[str, list[str]] = {}
        for per in list(reversed(periods))[1:self.tries + 1]:
            if not missing:
                break
            d2 = self.compute(ind, lv, ly, per)
            if d2 is None:
                continue
            h2 = _with_value(d2)
            hit = [c for c in missing if c in h2]
            if hit:
                use[per] = hit
                self.earlier += [(lv, ly, c, ind, per) for c in hit]
                hit_set = set(hit)
                missing = [c for c in missing if c not in hit_set]
        moved = {c for hit in use.values() for c in hit}
        use[newest] = [c for c in codes if c not in moved]
        for per, those in use.items():
            self.keep(ind, lv, ly, per, df if per == newest else self.compute(ind, lv, ly, per), those)
            sub = par[par["code"].isin(set(those))]
            for (tl, ty), grp in sub.groupby(["to_level", "to_layout"], sort=True):
                if not get(ind).has_level(str(tl)):
                    continue
                self.keep(ind, str(tl), str(ty), per, self.compute(ind, str(tl), str(ty), per),
                          set(grp["to_code"].astype(str)))


ALL_LAYOUTS = ("neighbourhood",)
"""Levels whose every layout is precomputed (the map shows neighbourhoods in the layout their
data reach); other levels: the current layout. Profiles of other layouts are computed on the fly."""


def default_nodes(atlas: Any) -> list[tuple[str, str]]:
    """The ``(level, layout)`` pairs :func:`build_table` precomputes: the current layout of every
    level of the atlas, and every layout of the levels in :data:`ALL_LAYOUTS`."""
    df = atlas.query("SELECT DISTINCT level, layout FROM areas ORDER BY level, layout")
    return [(str(a), str(b)) for a, b in zip(df["level"], df["layout"])
            if a in ALL_LAYOUTS or CURRENT_LAYOUT.get(str(a)) == str(b)]


def build_table(atlas: Any, *, nodes: list[tuple[str, str]] | None = None, tries: int = EARLIER_TRIES,
                own_transaction: bool = True, progress: Callable[[str], None] | None = None) -> TableReport:
    """Compute every area's profile and write the profile tables (replacing their contents).

    Each indicator is computed once per level and layout, for all its areas (and once per
    comparison level and period needed), with :meth:`aankomst.web.service.Service.compute` —
    exactly the figures an on-the-fly profile shows.

    Parameters
    ----------
    atlas
        A writable :class:`~aankomst.store.atlas.Atlas`.
    nodes
        ``(level, layout)`` pairs to precompute (default :func:`default_nodes`: all).
    tries
        Earlier periods tried for areas without a value in the newest one.
    own_transaction
        Write in a transaction of its own; ``False`` when called inside one (the hook of
        :meth:`aankomst.store.atlas.Atlas.load`: table and data then commit or roll back together).
    progress
        Called with ``"level@layout"`` before each level.

    Returns
    -------
    TableReport

    Examples
    --------
    >>> report = build_table(atlas)  # doctest: +SKIP
    >>> status(atlas)  # doctest: +SKIP
    'fresh'
    """
    if getattr(atlas, "read_only", False):
        raise AankomstError(f"atlas {getattr(atlas, 'path', '')!r} is open read-only: the profile table cannot be written")
    t0 = time.perf_counter()
    b = _Builder(atlas, tries)
    report = TableReport()
    for lv, ly in (default_nodes(atlas) if nodes is None else nodes):
        if progress:
            progress(f"{lv}@{ly}")
        t = time.perf_counter()
        report.areas += b.node(lv, ly)
        report.per_level[f"{lv}@{ly}"] = round(time.perf_counter() - t, 3)
    report.computations = b.n
    report.rows = len(b.values)
    if own_transaction:
        atlas.con.execute("BEGIN TRANSACTION")
    try:
        _write(atlas, b, time.perf_counter() - t0)
        if own_transaction:
            atlas.con.execute("COMMIT")
    except BaseException:
        if own_transaction:
            atlas.con.execute("ROLLBACK")
        raise
    report.seconds = time.perf_counter() - t0
    return report


def _write(atlas: Any, b: _Builder, seconds: float) -> None:
    con = atlas.con
    for t in TABLES:
        con.execute(f"DROP TABLE IF EXISTS {t}")
    for ddl in _DDL:
        con.execute(ddl)
    cols = pd.concat(b.columns, ignore_index=True) if b.columns else pd.DataFrame(
        columns=["level", "layout", "code", "col", "to_level", "to_layout", "to_code", "basis", "name_nl", "name_fr",
                 "name_en"])
    vals = pd.DataFrame([(*k, v) for k, v in b.values.items()],
                        columns=["level", "layout", "code", "indicator", "period", "fields"])
    vals = vals.sort_values(["level", "layout", "code", "indicator", "period"], kind="stable")
    frames = {
        "profile_columns": cols.sort_values(["level", "layout", "code"], kind="stable"),
        "profile_latest": pd.DataFrame(b.latest, columns=["indicator", "level", "layout", "period", "reason"]),
        "profile_earlier": pd.DataFrame(b.earlier, columns=["level", "layout", "code", "indicator", "period"]),
        "profile_values": vals,
        "profile_meta": pd.DataFrame([(*k, m, e) for k, (m, e) in b.metas.items()],
                                     columns=["indicator", "level", "layout", "period", "meta", "error"]),
    }
    for name, frame in frames.items():
        con.register("_profile_rows", frame)
        try:
            con.execute(f"INSERT INTO {name} SELECT * FROM _profile_rows")
        finally:
            con.unregister("_profile_rows")
    for ddl in _INDEXES:  # point look-ups of one area's rows (a profile reads a handful)
        con.execute(ddl)
    con.executemany("INSERT INTO profile_state VALUES (?, ?)", [
        ["version", version_key(atlas)], ["seconds", f"{seconds:.3f}"],
        ["built_at", pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")]])


def refresh(atlas: Any) -> TableReport:
    """Hook for :meth:`aankomst.store.atlas.Atlas.load` (``after=``): rebuild the profile table
    inside the load's transaction.

    Examples
    --------
    >>> atlas.load(batches, after=refresh)  # doctest: +SKIP
    """
    return build_table(atlas, own_transaction=False)


def ensure(atlas: Any) -> TableReport | None:
    """Rebuild the profile table when it is absent or stale and the atlas is writable.

    Returns
    -------
    TableReport or None
        ``None`` when the table was fresh (or the atlas is read-only: profiles are then
        computed on the fly).
    """
    if getattr(atlas, "read_only", False) or status(atlas) == "fresh":
        return None
    return build_table(atlas)


# --------------------------------------------------------------------------- read
def read(atlas: Any, level: str, layout: str, code: str) -> dict[str, Any]:
    """The stored rows of one area's profile (assembled by :mod:`aankomst.web.profile`).

    Returns
    -------
    dict
        ``columns`` (DataFrame ``col, to_level, to_layout, to_code, basis, name_nl, name_fr,
        name_en``), ``latest`` (``indicator -> (period, reason)``), ``earlier`` (``indicator ->
        period``), ``values`` (``(level, layout, code, indicator, period) -> dict``), ``metas``
        (``(indicator, level, layout, period) -> (meta dict | None, error | None)``).
    """
    con = atlas.con
    names = ["col", "to_level", "to_layout", "to_code", "basis", "name_nl", "name_fr", "name_en"]
    cols = pd.DataFrame(con.execute(f"SELECT {', '.join(names)} FROM profile_columns "
                                    "WHERE code = ? AND level = ? AND layout = ?", [code, level, layout]).fetchall(),
                        columns=names)
    cols = cols.astype(object).where(cols.notna(), None)  # a missing name is null in JSON, never NaN
    latest: dict[str, tuple[str | None, str | None]] = {}
    earlier: dict[str, str] = {}
    for kind, ind, per, reason in con.execute(
            "SELECT 'latest', indicator, period, reason FROM profile_latest WHERE level = ? AND layout = ? "
            "UNION ALL SELECT 'earlier', indicator, period, NULL FROM profile_earlier "
            "WHERE code = ? AND level = ? AND layout = ?", [level, layout, code, level, layout]).fetchall():
        if kind == "latest":
            latest[ind] = (per, reason)
        else:
            earlier[ind] = per
    keys = {(level, layout, code), *[(str(r.to_level), str(r.to_layout), str(r.to_code)) for r in cols.itertuples()]}
    codes = sorted({k[2] for k in keys})
    values: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    for lv, ly, c, ind, per, fields in con.execute(
            "SELECT level, layout, code, indicator, period, fields FROM profile_values "
            f"WHERE code IN ({', '.join('?' for _ in codes)})", codes).fetchall():
        if (lv, ly, c) in keys:
            values[(lv, ly, c, ind, per)] = json.loads(fields)
    nodes = sorted({(k[0], k[1]) for k in keys})
    where = " OR ".join("(level = ? AND layout = ?)" for _ in nodes)
    metas = {(r[0], r[1], r[2], r[3]): (json.loads(r[4]) if r[4] else None, r[5]) for r in con.execute(
        f"SELECT indicator, level, layout, period, meta, error FROM profile_meta WHERE {where}",
        [x for n in nodes for x in n]).fetchall()}
    return {"columns": cols, "latest": latest, "earlier": earlier, "values": values, "metas": metas}
