"""The catalogue of file families: how each file is recognised (name and content) and read.

:func:`recognisers` lists every :class:`~aankomst.sources.base.Recogniser` (this module's plus
``aankomst.sources.deprivation.RECOGNISERS`` when that module exists). :func:`scan` sorts the
files of a directory into recognised data files, documentation and unknown files.
"""

from __future__ import annotations

import fnmatch
import importlib
from dataclasses import dataclass, field
from pathlib import Path

from aankomst.sources._util import first_line, xlsx_header
from aankomst.sources.base import Recogniser

#: Documentation files listed as such (never errors, never loaded).
DOC_PATTERNS = ("readme*", "license*", "licence*", "*.pdf", "*.md", "*.txt", "*columns_description*.xlsx",
                "census2011_readme*.xlsx", "*.docx", "*.html")
#: Parts of a shapefile read together with the .shp.
SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qmd", ".sbn", ".sbx", ".xml", ".qix", ".fix")


def _header_has(*cols: str):
    def sniff(path: Path) -> bool:
        h = first_line(path)
        return all(c in h for c in cols)

    return sniff


def _xlsx_has(*cols: str):
    def sniff(path: Path) -> bool:
        h = [c.strip().lower() for c in xlsx_header(path)]
        return all(c.lower() in h for c in cols)

    return sniff


def _zip_header_any(*options: str):
    def sniff(path: Path) -> bool:
        import zipfile

        try:
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if not n.endswith("/")]
                with zf.open(names[0]) as fh:
                    h = fh.read(4096).decode("utf-8", "replace")
        except Exception:
            return True  # a broken archive is still this family: the reader reports it clearly
        return any(o in h for o in options)

    return sniff


def _json_has(key: str):
    def sniff(path: Path) -> bool:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
        return f'"{key}"' in head

    return sniff


def _shp_ok(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"\x00\x00\x27\x0a"


def _geojson_has(*props: str):
    def sniff(path: Path) -> bool:
        import pyogrio

        fields = set(pyogrio.read_info(path)["fields"])
        return all(p in fields for p in props)

    return sniff


def _lazy(module: str, name: str):
    def reader(path: Path):
        return getattr(importlib.import_module(module), name)(path)

    reader.__name__ = name
    reader.__qualname__ = f"{module}.{name}"
    return reader


def _own() -> list[Recogniser]:
    from aankomst.sources import own_formats as of

    return [
        Recogniser("user_areas", ("*.csv",), of.read_areas_csv, of.sniff_areas,
                   "Aankomst area definitions (level,layout,code,name_nl[,parent_*][,wkt])", order=15),
        Recogniser("user_population", ("*.csv",), of.read_population_csv, of.sniff_population,
                   "Aankomst population counts (level,layout,code,ref_date,scheme,grp[,sex,age_band],count)", order=55),
        Recogniser("user_flows", ("*.csv",), of.read_flows_csv, of.sniff_flows,
                   "Aankomst migration flows (year, origin, destination, scheme, grp, count)", order=56),
    ]


def _builtin() -> list[Recogniser]:
    b, c, s, i, x = ("aankomst.sources.boundaries", "aankomst.sources.crosswalks", "aankomst.sources.statbel",
                     "aankomst.sources.statbel_income", "aankomst.sources.brussels")
    from aankomst.sources.boundaries import SHAPEFILES

    return [
        Recogniser("boundaries", tuple(f"{k}.shp" for k in SHAPEFILES), _lazy(b, "read_shapefile"), _shp_ok,
                   "Provincies in Cijfers boundary shapefiles (EPSG:31370)", order=10),
        Recogniser("brussels_monitor_boundaries", ("monitoring_quartiers_boundaries*.geojson",),
                   _lazy(b, "read_brussels_monitor_boundaries"), _geojson_has("mdrc"),
                   "Brussels monitoring neighbourhoods (GeoJSON, EPSG:4326)", order=10),
        Recogniser("sector_basis", ("statsec_als_basis.xlsx", "statsec20??_als_basis.xlsx"), _lazy(c, "read_als_basis"),
                   _xlsx_has("gemeente"), "every sector with the units it lies in (names, hierarchy)", order=11),
        Recogniser("area_definitions", ("def_*.xlsx",), _lazy(c, "read_def"), _xlsx_has("geoitem code"),
                   "code and name lists per level", order=12),
        Recogniser("statbel_sectors", ("OPEN DATA_SECTOREN_*.xlsx", "OPEN_DATA_SECTOREN_*.xlsx"),
                   _lazy(s, "read_open_data_sectors"), _xlsx_has("CD_SECTOR", "POPULATION"),
                   "Statbel population per statistical sector", order=13),
        Recogniser("statbel_pop_struct", ("TF_SOC_POP_STRUCT_????.zip",), _lazy(s, "read_pop_struct"),
                   _zip_header_any("CD_REFNIS", "CD_MUNTY_REFNIS"),
                   "Statbel population by municipality × sex × nationality × age", order=14),
        Recogniser("crosswalks", ("agg_*.xlsx",), _lazy(c, "read_agg"), None,
                   "aggregation tables level A -> level B", order=20),
        Recogniser("brussels_sector_neighbourhoods", ("secteurs_quartiers_*.csv",), _lazy(x, "read_sectors_neighbourhoods"),
                   _header_has("cd_sector"), "Brussels sector -> monitoring neighbourhood", order=21),
        Recogniser("statbel_fisc_sectors", ("fisc20??_*.xls", "fisc20??_*.xlsx"), _lazy(s, "read_fisc_sectors"),
                   _xlsx_has("cd_sector"), "Statbel fiscal income per sector", order=60),
        Recogniser("statbel_income_munty", ("TF_PSNL_INC_TAX_MUNTY*.zip",), _lazy(i, "read_income_munty"),
                   _zip_header_any("MS_TOT_NET_TAXABLE_INC"), "Statbel taxable income per municipality", order=60),
        Recogniser("census_housing", ("census_2011_logements*.xls", "census_2011_logements*.xlsx"),
                   _lazy(i, "read_census_housing"), _xlsx_has("Secteur statistique"),
                   "Census 2011 occupied dwellings per sector by tenure", order=60),
        *_optional("aankomst.sources.census", "RECOGNISERS"),
        Recogniser("brussels_monitor", ("ibsa_monitoring_quartiers_export*.xlsx",), _lazy(x, "read_monitor_export"), None,
                   "IBSA neighbourhood-monitoring export", order=50),
        Recogniser("brussels_monitor_json", ("ibsa_monitoring_quartiers_series*.json",), _lazy(x, "read_monitor_series_json"),
                   _json_has("neighborhoods"), "IBSA monitoring series JSON (duplicate of the export)", order=90),
        Recogniser("brussels_migration", ("brussels_communes_migration*.json",), _lazy(x, "read_communes_migration"),
                   _json_has("communes"), "Brussels communes: population and internal migration", order=50),
        Recogniser("brussels_nationalities", ("nationalites_secteurs_bxl_*.csv",), _lazy(x, "read_nationalities_2007"),
                   _header_has("sscod"), "Residents by nationality per Brussels sector (2007)", order=50),
        Recogniser("brussels_sector_income", ("revenu_imposable_median_secteurs_*.csv",), _lazy(x, "read_sector_income_csv"),
                   _header_has("id", "value"), "IBSA median taxable income per sector", order=60),
        Recogniser("brussels_income_geojson", ("ibsa_revenu_median_quartier_*.geojson",), _lazy(b, "read_brussels_income_geojson"),
                   _geojson_has("value"), "IBSA median taxable income per monitoring neighbourhood", order=60),
    ]


def _optional(module: str, attr: str) -> list[Recogniser]:
    try:
        return list(getattr(importlib.import_module(module), attr, []))
    except ImportError:
        return []


def recognisers() -> list[Recogniser]:
    """All recognisers: built-in official families, the deprivation families (when
    ``aankomst.sources.deprivation`` exists) and the own CSV formats (matched last)."""
    out = _builtin()
    try:
        dep = importlib.import_module("aankomst.sources.deprivation")
        out += list(getattr(dep, "RECOGNISERS", []))
    except ImportError:
        pass
    return out + _own()


@dataclass
class Scan:
    """Result of :func:`scan`: which files are data (with their recogniser), documentation,
    parts of another file (shapefile sidecars), or unknown; and which matched a name pattern
    but failed the content check."""

    data: list[tuple[Path, Recogniser]] = field(default_factory=list)
    documentation: list[Path] = field(default_factory=list)
    parts: list[Path] = field(default_factory=list)
    unknown: list[Path] = field(default_factory=list)
    mismatched: list[tuple[Path, str]] = field(default_factory=list)


def recognise(path: Path, recs: list[Recogniser] | None = None) -> tuple[Recogniser | None, str]:
    """Find the recogniser of one file. Returns (recogniser or None, note)."""
    recs = recs if recs is not None else recognisers()
    name = Path(path).name.lower()
    note = ""
    for r in recs:
        if any(fnmatch.fnmatch(name, pat.lower()) for pat in r.patterns):
            try:
                ok = r.sniff is None or r.sniff(Path(path))
            except Exception as exc:  # unreadable file: let the reader produce the clear error
                ok, note = True, f"content check failed ({exc})"
            if ok:
                return r, note
            if r.family.startswith("user_"):
                continue
            note = f"name matches {r.family} but the content does not"
    return None, note


def scan(data_dir: Path, recs: list[Recogniser] | None = None) -> Scan:
    """Sort every file under ``data_dir`` (recursively; hidden files ignored)."""
    recs = recs if recs is not None else recognisers()
    out = Scan()
    files = sorted(p for p in Path(data_dir).rglob("*") if p.is_file() and not any(x.startswith(".") for x in p.relative_to(data_dir).parts))
    shp_stems = {p.with_suffix("") for p in files if p.suffix.lower() == ".shp"}
    for p in files:
        if p.suffix.lower() in SIDECARS and p.with_suffix("") in shp_stems:
            out.parts.append(p)
            continue
        r, note = recognise(p, recs)
        if r is not None:
            out.data.append((p, r))
        elif any(fnmatch.fnmatch(p.name.lower(), d) for d in DOC_PATTERNS):
            out.documentation.append(p)
        elif note:
            out.mismatched.append((p, note))
        else:
            out.unknown.append(p)
    out.data.sort(key=lambda pr: (pr[1].order, str(pr[0])))
    return out
