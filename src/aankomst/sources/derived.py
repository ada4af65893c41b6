"""Links and geometry that no published table gives but the loaded tables imply
(:func:`derive_links`), built from the batches of a build before they are written.

They are one batch, ``aankomst/derived_links``, so their provenance says what they are; every
derived link is flagged by its ``weight_basis``.
"""

from __future__ import annotations

import pandas as pd

from aankomst.sources._util import frame
from aankomst.store.batch import LoadBatch


def derive_links(batches: list[LoadBatch]) -> LoadBatch | None:
    """Links no published table gives but the loaded ones imply, as one batch
    (``aankomst/derived_links``), always flagged by ``weight_basis``:

    * Brussels sectors of the 2024 and 2025 layouts -> monitoring neighbourhoods, for sectors whose
      code is unchanged since the 2019 layout (``weight_basis`` ``same_code``); sectors created in
      2024/2025 stay unlinked (shown by :func:`aankomst.store.layouts.hierarchy_report`);
    * geometry of the arrondissements and provinces of the 2025 layout, dissolved from the 2025
      municipalities that lie in them (whole links only).

    Parameters
    ----------
    batches
        The batches read by a build, before loading.

    Returns
    -------
    LoadBatch or None
        The batch ``aankomst/derived_links``, or None when nothing can be derived.

    Examples
    --------
    >>> from aankomst.sources._util import frame
    >>> areas = frame("areas", {"level": "sector", "layout": "2025", "code": ["21001A00-"]})
    >>> cw = frame("crosswalks", {"from_level": "sector", "from_layout": "2019", "from_code": ["21001A00-"],
    ...                           "to_level": "brussels_neighbourhood", "to_layout": "monitor", "to_code": ["55"]})
    >>> b = derive_links([LoadBatch("x", "t", "x", "0", {"areas": areas, "crosswalks": cw})])
    >>> b.tables["crosswalks"][["from_layout", "to_code", "weight_basis"]].values.tolist()
    [['2025', '55', 'same_code']]
    """
    cws = [b.tables["crosswalks"] for b in batches if "crosswalks" in b.tables and len(b.tables["crosswalks"])]
    areas = [b.tables["areas"] for b in batches if "areas" in b.tables and len(b.tables["areas"])]
    if not cws or not areas:
        return None
    cw = pd.concat([c[["from_level", "from_layout", "from_code", "to_level", "to_layout", "to_code", "weight", "split"]] for c in cws])
    ar = pd.concat([a[["level", "layout", "code"]] for a in areas]).drop_duplicates()
    mon = cw[(cw["from_level"] == "sector") & (cw["from_layout"] == "2019") & (cw["to_level"] == "brussels_neighbourhood")]
    parts = []
    for ly in ("2024", "2025"):
        secs = ar[(ar["level"] == "sector") & (ar["layout"] == ly) & ar["code"].str.startswith("21")]
        j = secs.merge(mon, left_on="code", right_on="from_code")
        if len(j):
            parts.append(frame("crosswalks", {"from_level": "sector", "from_layout": ly, "from_code": j["code"],
                                              "to_level": j["to_level"], "to_layout": j["to_layout"], "to_code": j["to_code"],
                                              "weight": j["weight"], "weight_basis": "same_code", "split": j["split"]}))
    warnings = []
    tables: dict[str, pd.DataFrame] = {}
    if parts:
        out = pd.concat(parts, ignore_index=True)
        tables["crosswalks"] = out
        warnings.append(f"{len(out)} Brussels 2024/2025 sectors linked to monitoring neighbourhoods through an unchanged 2019 sector code")
    dissolved = _dissolve_parents(areas, cw)
    if dissolved is not None:
        tables["areas"] = dissolved
        warnings.append(f"geometry of {len(dissolved)} arrondissements/provinces (2025 layout) dissolved from the 2025 municipalities")
    if not tables:
        return None
    return LoadBatch(source_id="aankomst/derived_links", family="derived", path="(derived from the loaded tables)",
                     sha256="-", tables=tables, title="Links and geometry implied by the loaded tables",
                     publisher="Aankomst", rows_read=sum(len(t) for t in tables.values()), warnings=warnings)


def _dissolve_parents(areas: list[pd.DataFrame], cw: pd.DataFrame) -> pd.DataFrame | None:
    """Geometry of arrondissements and provinces of the 2025 layout as the union of their 2025
    municipalities (no 2025 boundary file exists for them in the mirror); ``areas`` are the
    non-empty ``areas`` tables of the batches."""
    import shapely

    g = pd.concat([a[(a["level"] == "municipality") & (a["layout"] == "2025") & a["geometry"].notna()][["code", "geometry"]]
                   for a in areas]).drop_duplicates("code")
    if g.empty:
        return None
    rows = []
    for level in ("arrondissement", "province"):
        links = cw[(cw["from_level"] == "municipality") & (cw["from_layout"] == "2025") & (cw["to_level"] == level)
                   & (cw["to_layout"] == "2025") & ~cw["split"].astype(bool)].drop_duplicates(["from_code", "to_code"])
        j = links.merge(g, left_on="from_code", right_on="code")
        for code, grp in j.groupby("to_code"):
            u = shapely.union_all(shapely.from_wkb([bytes(x) for x in grp["geometry"]]))
            rows.append((level, code, u))
    if not rows:
        return None
    geoms = [r[2] for r in rows]
    return frame("areas", {"level": [r[0] for r in rows], "layout": "2025", "code": [r[1] for r in rows],
                           "area_km2": [x.area / 1e6 for x in geoms], "geometry": list(shapely.to_wkb(geoms))})
