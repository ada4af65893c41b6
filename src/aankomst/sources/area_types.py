"""Area types (the 13 centre cities, the big cities, the Brussels Capital Region …) as data.

Definitions: ``aankomst/data/area_types.csv``; membership per municipal layout:
``aankomst/data/area_type_members.csv``. :func:`batches` turns them into a
:class:`~aankomst.store.batch.LoadBatch` with areas at level ``area_type`` (layout ``2025``)
and crosswalks ``municipality/<layout> -> area_type/2025`` (weight 1, whole units), so that every
count indicator can be computed for an area type by summing its municipalities.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from aankomst.paths import package_data
from aankomst.store.batch import LoadBatch

AREA_TYPE_LAYOUT = "2025"


def definitions() -> pd.DataFrame:
    """Area-type definitions: ``code, label_nl, label_fr, label_en, definition_en, source``."""
    return pd.read_csv(package_data("area_types.csv"), dtype=str, keep_default_na=False)


def members() -> pd.DataFrame:
    """Membership: ``area_type, layout, municipality, name_nl`` (municipality NIS code, text)."""
    return pd.read_csv(package_data("area_type_members.csv"), dtype=str, keep_default_na=False)


def members_of(area_type: str, layout: str = AREA_TYPE_LAYOUT) -> list[str]:
    """NIS codes of the municipalities (of ``layout``) in ``area_type``."""
    m = members()
    return list(m[(m["area_type"] == area_type) & (m["layout"] == str(layout))]["municipality"])


def types_of(municipality: str, layout: str = AREA_TYPE_LAYOUT) -> list[str]:
    """Area types that contain ``municipality`` (NIS code of ``layout``)."""
    m = members()
    return list(m[(m["municipality"] == str(municipality)) & (m["layout"] == str(layout))]["area_type"])


def batches() -> list[LoadBatch]:
    """One load batch with the area-type areas and municipality -> area-type crosswalks.

    Returns
    -------
    list[LoadBatch]
        ``source_id = 'aankomst/area_types'`` (re-loading replaces it).
    """
    d = definitions()
    m = members()
    h = hashlib.sha256()
    for name in ("area_types.csv", "area_type_members.csv"):
        h.update(package_data(name).read_bytes())
    areas = pd.DataFrame(
        {
            "level": "area_type",
            "layout": AREA_TYPE_LAYOUT,
            "code": d["code"],
            "name_nl": d["label_nl"],
            "name_fr": d["label_fr"],
            "name_en": d["label_en"],
            "area_km2": float("nan"),
            "geometry": None,
        }
    )
    cw = pd.DataFrame(
        {
            "from_level": "municipality",
            "from_layout": m["layout"],
            "from_code": m["municipality"],
            "to_level": "area_type",
            "to_layout": AREA_TYPE_LAYOUT,
            "to_code": m["area_type"],
            "weight": 1.0,
            "weight_basis": "whole",
            "split": False,
        }
    )
    return [
        LoadBatch(
            source_id="aankomst/area_types",
            family="aankomst_area_types",
            path=str(package_data("area_types.csv")),
            sha256=h.hexdigest(),
            tables={"areas": areas, "crosswalks": cw},
            title="Area types (13 centre cities, big cities, Brussels Capital Region)",
            publisher="Aankomst (from Flemish urban policy / VRIND definitions)",
            reference_date="2025",
            licence="EUPL-1.2 (definitions from public policy documents)",
            rows_read=len(d) + len(m),
        )
    ]
