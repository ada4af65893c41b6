"""The catalogue of file families: how each file is recognised (name and content) and read.

:func:`recognisers` lists every :class:`~aankomst.sources.base.Recogniser`: the official families
of this module, of :mod:`aankomst.sources.census`, :mod:`aankomst.sources.deprivation` and
:mod:`aankomst.sources.leefloon`, then the own CSV formats (matched last). :func:`scan` sorts
the files of a directory: **every file is data (with its recogniser), documentation, a part of
a shapefile, a known family without a reader yet, or a problem** — a file whose name matches a
family but whose content does not, or a file nothing recognises. A build stops on problems (``aankomst build --skip-unknown`` lists them and
goes on).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from aankomst.errors import InputError, InputProblem
from aankomst.sources._util import (
    CSV_ENCODINGS,
    decode_text,
    describe_content,
    first_line,
    xlsx_header,
)
from aankomst.sources.base import Reader, Recogniser
from aankomst.sources.sniff import (
    geojson_has,
    header_has,
    json_has,
    shp_ok,
    xlsx_has,
    zip_header_any,
)
from aankomst.store.batch import LoadBatch

#: Documentation files, listed as such (never loaded, never an error), by name.
DOC_PATTERNS: tuple[str, ...] = (
    "readme*", "license*", "licence*", "notice*", "copying*", "changelog*", "*.md", "*.pdf", "*.doc", "*.docx",
    "*.odt", "*.rtf", "*.html", "*.htm", "*columns_description*.xlsx", "census2011_readme*.xlsx",
)

#: Parts of a shapefile, read together with the .shp of the same name (``x.shx``, ``x.dbf``, …,
#: and metadata ``x.shp.xml``).
SIDECARS: tuple[str, ...] = (".shx", ".dbf", ".prj", ".cpg", ".qmd", ".sbn", ".sbx", ".xml", ".qix", ".fix")


@dataclass(frozen=True)
class KnownFamily:
    """A family of official files Aankomst knows but does not read yet: listed in the build
    summary with ``note``, not an error."""

    family: str
    patterns: tuple[str, ...]
    note: str


#: Known families without a reader (yet): none at the moment (``leefloon_ocmw`` has one since
#: :mod:`aankomst.sources.leefloon`).
KNOWN_NOT_LOADED: tuple[KnownFamily, ...] = ()

UNKNOWN_EXPECTED = ("a file of a family listed by 'aankomst sources --list', under its published name; an Aankomst "
                    "CSV (docs/formats.md); or documentation (README*, LICENSE*, *.md, *.pdf). "
                    "'aankomst build --skip-unknown' leaves unrecognised files out")


def _own() -> list[Recogniser]:
    from aankomst.sources import own_formats as of

    fmt = "',' or ';'-separated UTF-8 (or Windows-1252) text with the header "
    return [
        Recogniser("user_areas", ("*.csv",), of.read_areas_csv, of.sniff_areas,
                   "Aankomst area definitions (level,layout,code,name_nl[,parent_*][,wkt])", order=15,
                   expected=fmt + ", ".join(of.AREAS_REQUIRED)),
        Recogniser("user_population", ("*.csv",), of.read_population_csv, of.sniff_population,
                   "Aankomst population counts (level,layout,code,ref_date,scheme,grp[,sex,age_band],count)", order=55,
                   expected=fmt + ", ".join(of.POPULATION_REQUIRED)),
        Recogniser("user_flows", ("*.csv",), of.read_flows_csv, of.sniff_flows,
                   "Aankomst migration flows (year, origin, destination, scheme, grp, count)", order=56,
                   expected=fmt + ", ".join(of.FLOWS_SHORT_REQUIRED)),
    ]


def _builtin() -> list[Recogniser]:
    from aankomst.sources import boundaries as b
    from aankomst.sources import brussels as x
    from aankomst.sources import crosswalks as c
    from aankomst.sources import statbel as s
    from aankomst.sources import statbel_income as i
    from aankomst.sources import statbel_population as p
    from aankomst.sources.boundaries import SHAPEFILES
    from aankomst.sources.statbel_population import HEADER as BEV_HEADER

    xlsx = "an Excel workbook whose first row has the columns "
    return [
        Recogniser("boundaries", tuple(f"{k}.shp" for k in SHAPEFILES), b.read_shapefile, shp_ok,
                   "Provincies in Cijfers boundary shapefiles (EPSG:31370)", order=10, expected="an ESRI shapefile (.shp)"),
        Recogniser("brussels_monitor_boundaries", ("monitoring_quartiers_boundaries*.geojson",),
                   b.read_brussels_monitor_boundaries, geojson_has("mdrc"),
                   "Brussels monitoring neighbourhoods (GeoJSON, EPSG:4326)", order=10,
                   expected="GeoJSON features with the property mdrc"),
        Recogniser("sector_basis", ("statsec_als_basis.xlsx", "statsec20??_als_basis.xlsx"), c.read_als_basis,
                   xlsx_has("gemeente"), "every sector with the units it lies in (names, hierarchy)", order=11,
                   expected=xlsx + "geoitem, gemeente, …"),
        Recogniser("area_definitions", ("def_*.xlsx",), c.read_def, xlsx_has("geoitem code"),
                   "code and name lists per level", order=12, expected=xlsx + "'geoitem code', 'geoitem naam'"),
        Recogniser("statbel_sectors", ("OPEN DATA_SECTOREN_*.xlsx", "OPEN_DATA_SECTOREN_*.xlsx"),
                   s.read_open_data_sectors, xlsx_has("CD_SECTOR", "POPULATION"),
                   "Statbel population per statistical sector", order=13,
                   expected=xlsx + "CD_REFNIS, CD_SECTOR, POPULATION, …"),
        Recogniser("statbel_pop_struct", ("TF_SOC_POP_STRUCT_????.zip",), s.read_pop_struct,
                   zip_header_any("CD_REFNIS", "CD_MUNTY_REFNIS"),
                   "Statbel population by municipality × sex × nationality × age", order=14,
                   expected="a zip archive with pipe-separated text, columns CD_REFNIS (or CD_MUNTY_REFNIS), CD_SEX, …"),
        Recogniser("crosswalks", ("agg_*.xlsx",), c.read_agg, None,
                   "aggregation tables level A -> level B", order=20),
        Recogniser("brussels_sector_neighbourhoods", ("secteurs_quartiers_*.csv",), x.read_sectors_neighbourhoods,
                   header_has("cd_sector"), "Brussels sector -> monitoring neighbourhood", order=21,
                   expected="';'-separated text with the columns id, cd_sector"),
        Recogniser("statbel_population_municipality", ("Bevolking_per_gemeente*.xlsx", "Bevolking per gemeente*.xlsx"),
                   p.read_population_per_municipality, xlsx_has(*BEV_HEADER, rows=4),
                   "Statbel population per municipality by sex, 1 January 1992–2021 (one sheet per year)", order=57,
                   expected="an Excel workbook with one sheet per year ('Bevolking in 2021' …), a title row and the "
                            "columns " + ", ".join(BEV_HEADER)),
        Recogniser("statbel_fisc_sectors", ("fisc20??_*.xls", "fisc20??_*.xlsx"), s.read_fisc_sectors,
                   xlsx_has("cd_sector"), "Statbel fiscal income per sector", order=60,
                   expected=xlsx + "cd_sector, nb_declaration, revenu_total_net_imposable, …"),
        Recogniser("statbel_income_munty", ("TF_PSNL_INC_TAX_MUNTY*.zip",), i.read_income_munty,
                   zip_header_any("MS_TOT_NET_TAXABLE_INC"), "Statbel taxable income per municipality", order=60,
                   expected="a zip archive with pipe-separated text, columns CD_MUNTY_REFNIS, MS_TOT_NET_TAXABLE_INC, …"),
        Recogniser("census_housing", ("census_2011_logements*.xls", "census_2011_logements*.xlsx"),
                   i.read_census_housing, xlsx_has("Secteur statistique"),
                   "Census 2011 occupied dwellings per sector by tenure", order=60,
                   expected=xlsx + "'Secteur statistique', …"),
        Recogniser("brussels_monitor", ("ibsa_monitoring_quartiers_export*.xlsx",), x.read_monitor_export, None,
                   "IBSA neighbourhood-monitoring export", order=50),
        Recogniser("brussels_monitor_json", ("ibsa_monitoring_quartiers_series*.json",), x.read_monitor_series_json,
                   json_has("neighborhoods"), "IBSA monitoring series JSON (duplicate of the export)", order=90,
                   expected="JSON with the key 'neighborhoods'"),
        Recogniser("brussels_migration", ("brussels_communes_migration*.json",), x.read_communes_migration,
                   json_has("communes"), "Brussels communes: population and internal migration", order=50,
                   expected="JSON with the key 'communes'"),
        Recogniser("brussels_nationalities", ("nationalites_secteurs_bxl_*.csv",), x.read_nationalities_2007,
                   header_has("sscod"), "Residents by nationality per Brussels sector (2007)", order=50,
                   expected="';'-separated text with the column sscod and one column per nationality"),
        Recogniser("brussels_sector_income", ("revenu_imposable_median_secteurs_*.csv",), x.read_sector_income_csv,
                   header_has("id", "value"), "IBSA median taxable income per sector", order=60,
                   expected="','-separated text with the columns id, value"),
        Recogniser("brussels_income_geojson", ("ibsa_revenu_median_quartier_*.geojson",), b.read_brussels_income_geojson,
                   geojson_has("value"), "IBSA median taxable income per monitoring neighbourhood", order=60,
                   expected="GeoJSON features with the property value"),
    ]


def recognisers() -> list[Recogniser]:
    """All recognisers: the official families (this module's, the census, the deprivation and
    the social-assistance families), then the own CSV formats (matched last).

    Examples
    --------
    >>> fams = [r.family for r in recognisers()]
    >>> "statbel_population_municipality" in fams and fams[-1] == "user_flows"
    True
    """
    from aankomst.sources.census import RECOGNISERS as CENSUS
    from aankomst.sources.deprivation import RECOGNISERS as DEPRIVATION
    from aankomst.sources.leefloon import RECOGNISERS as LEEFLOON

    return _builtin() + list(CENSUS) + list(DEPRIVATION) + list(LEEFLOON) + _own()


@dataclass
class Scan:
    """Result of :func:`scan`.

    Attributes
    ----------
    data
        Files to read, with their recogniser, in load order.
    documentation
        Documentation files (by name, :data:`DOC_PATTERNS`).
    parts
        Parts of a shapefile read with its ``.shp`` (``.dbf``, ``.shx``, ``.prj``, …).
    deferred
        Files of a known family without a reader yet, with the note shown (:data:`KNOWN_NOT_LOADED`).
    mismatched
        Files whose name matched a family but whose content did not, with the reason.
    unknown
        Files nothing recognises.
    problems
        One :class:`~aankomst.errors.InputProblem` per mismatched or unknown file (what it is and
        what was expected); a build stops on them unless told to skip them.
    """

    data: list[tuple[Path, Recogniser]] = field(default_factory=list)
    documentation: list[Path] = field(default_factory=list)
    parts: list[Path] = field(default_factory=list)
    deferred: list[tuple[Path, str]] = field(default_factory=list)
    mismatched: list[tuple[Path, str]] = field(default_factory=list)
    unknown: list[Path] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


def _content_note(path: Path) -> str:
    """What a file holds, in a few words (for a file whose content does not fit its name)."""
    what = describe_content(path)
    if what.startswith(("a zip archive", "an old-style Office")):
        head = [c for c in xlsx_header(path) if c]
        if head:
            return f"a workbook whose first row is {head[:8]}"
    elif what.startswith("text"):
        return f"text whose first line is {first_line(path)[:120]!r}"
    return what


def _name_matches(path: Path, rec: Recogniser) -> bool:
    name = path.name.lower()
    return any(fnmatch.fnmatch(name, pat.lower()) for pat in rec.patterns)


def _match(path: Path, recs: list[Recogniser]) -> tuple[Recogniser | None, Recogniser | None, str]:
    """(recogniser of the file, official recogniser whose name matched but content did not, note)."""
    failed: Recogniser | None = None
    note = ""
    for r in recs:
        if not _name_matches(path, r):
            continue
        try:
            ok = r.sniff is None or r.sniff(path)
        except Exception as exc:  # unreadable file: let the reader produce the clear error
            ok, note = True, f"content check failed ({exc})"
        if ok:
            return r, None, note
        if failed is None and not r.family.startswith("user_"):
            failed = r
    return None, failed, ""


def recognise(path: Path, recs: list[Recogniser] | None = None) -> tuple[Recogniser | None, str]:
    """Find the recogniser of one file. Returns (recogniser or None, note); the note says why a
    file whose name matches a family is not of it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "OPEN DATA_SECTOREN_2019.xlsx"
    >>> _ = p.write_text("<html><body>Service unavailable</body></html>")
    >>> rec, note = recognise(p)
    >>> rec is None and "an HTML page" in note
    True
    """
    recs = recs if recs is not None else recognisers()
    path = Path(path)
    rec, failed, note = _match(path, recs)
    if rec is not None or failed is None:
        return rec, note
    return None, _mismatch_note(path, failed)


def _mismatch_note(path: Path, failed: Recogniser) -> str:
    return f"the name matches {failed.family} ({failed.description}) but the content does not: it is {_content_note(path)}"


def _shapefile_of(path: Path) -> Path | None:
    """The .shp (without suffix) a sidecar belongs to, e.g. ``gemeente.dbf`` / ``gemeente.shp.xml``
    -> ``gemeente``; None for other files."""
    if path.suffix.lower() not in SIDECARS:
        return None
    stem = path.with_suffix("")
    return stem.with_suffix("") if stem.suffix.lower() == ".shp" else stem


def _unknown_problem(path: Path) -> InputProblem:
    sidecar = _shapefile_of(path)
    if sidecar is not None and path.suffix.lower() in (".shx", ".dbf", ".prj", ".cpg"):
        return InputProblem(str(path), None, None, f"a part of the shapefile {sidecar.name}.shp, which is not there",
                            f"{sidecar.name}.shp next to it (download the whole shapefile)")
    if path.suffix.lower() == ".csv":
        from aankomst.sources.own_formats import explain_header

        try:
            decode_text(path, encodings=CSV_ENCODINGS)
        except InputError as exc:  # not text in an accepted encoding: say that first
            return exc.problems[0]
        msg, expected = explain_header(path)
        return InputProblem(str(path), 1, None, msg, expected)
    return InputProblem(str(path), None, None, f"no reader recognises this file (it is {_content_note(path)})",
                        UNKNOWN_EXPECTED)


def scan(data_dir: Path, recs: list[Recogniser] | None = None, *, ignore: Iterable[str | Path] = ()) -> Scan:
    """Sort every file under ``data_dir`` (recursively; hidden files and folders ignored).

    Parameters
    ----------
    data_dir
        The data directory of a build.
    recs
        Recognisers to use (default :func:`recognisers`).
    ignore
        Files to leave out (the atlas being built, its lock and write-ahead log, when they lie
        in the data directory).

    Returns
    -------
    Scan
        Every file in exactly one list: ``data``, ``documentation``, ``parts``, ``deferred``,
        ``mismatched`` or ``unknown``; the last two also as ``problems``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "README.md").write_text("notes")
    >>> _ = (d / "mystery.bin").write_bytes(b"\\x00")
    >>> sc = scan(d)
    >>> [p.name for p in sc.documentation], [p.name for p in sc.unknown], sc.problems[0].file.endswith("mystery.bin")
    (['README.md'], ['mystery.bin'], True)
    """
    recs = recs if recs is not None else recognisers()
    data_dir = Path(data_dir)
    skip = {Path(p).resolve() for p in ignore}
    out = Scan()
    files = sorted(p for p in data_dir.rglob("*")
                   if p.is_file() and not any(x.startswith(".") for x in p.relative_to(data_dir).parts)
                   and p.resolve() not in skip)
    shp_stems = {p.with_suffix("") for p in files if p.suffix.lower() == ".shp"}
    for p in files:
        if _shapefile_of(p) in shp_stems:
            out.parts.append(p)
            continue
        rec, failed, _ = _match(p, recs)
        name = p.name.lower()
        known = next((k for k in KNOWN_NOT_LOADED if any(fnmatch.fnmatch(name, pat.lower()) for pat in k.patterns)), None)
        if rec is not None:
            out.data.append((p, rec))
        elif any(fnmatch.fnmatch(name, d) for d in DOC_PATTERNS):
            out.documentation.append(p)
        elif failed is not None:
            note = _mismatch_note(p, failed)
            out.mismatched.append((p, note))
            out.problems.append(InputProblem(str(p), None, None, note, (failed.expected or failed.description)
                                             + " (a failed download? fetch it again with 'aankomst fetch'; "
                                             "'aankomst build --skip-unknown' leaves it out)"))
        elif known is not None:
            out.deferred.append((p, known.note))
        else:
            out.unknown.append(p)
            out.problems.append(_unknown_problem(p))
    out.data.sort(key=lambda pr: (pr[1].order, str(pr[0])))
    return out
