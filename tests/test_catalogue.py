"""The indicator catalogue as data, its listing (table/json/markdown) and docs/indicators.md."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from aankomst.errors import UnknownCodeError
from aankomst.indicators import catalog, catalogue, get, ids, specs

STABLE_IDS = ["population", "foreign_nationality_share", "group_share", "group_share_change",
              "internal_migration_balance", "bilateral_balance", "residential_mobility",
              "first_entry_share", "newcomer_concentration", "income_per_inhabitant", "density",
              "income_per_declaration", "external_balance", "internal_balance"]
CONTRACT_LEVELS = {"region", "province", "arrondissement", "municipality", "deelgemeente",
                   "neighbourhood", "sector", "brussels_neighbourhood"}


def test_catalogue_has_the_stable_ids_and_required_columns():
    cat = catalogue()
    for i in STABLE_IDS:
        assert i in cat.index, i
    for col in catalog.REQUIRED:
        assert col in cat.columns
    core = cat[cat["file"] == "core.csv"]
    for _, r in core.iterrows():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", r["id"]), r["id"]
        for col in ("label_nl", "label_en", "definition_nl", "definition_en", "unit", "source"):
            assert r[col].strip(), (r["id"], col)


def test_every_spec_has_texts_and_every_text_a_spec():
    """One declaration per indicator: the texts (CSV) and the specs name the same ids."""
    from aankomst.plugins import install

    install()
    declared = set(ids())
    texts = set(catalogue().index)
    assert declared == texts, (sorted(declared - texts), sorted(texts - declared))


def test_every_indicator_has_its_label_and_definition_in_dutch_french_and_english():
    """All subsystems' rows, as the listing (CLI, API, web) hands them out: no language falls
    back to another, and the French is not a copy of the English or Dutch."""
    from aankomst.plugins import install

    install()
    assert catalog.TEXTS == ["label_nl", "label_fr", "label_en", "definition_nl",
                             "definition_fr", "definition_en", "unit_nl", "unit_fr", "unit_en"]
    recs = catalog.listing("records")
    assert {r["id"] for r in recs} == set(catalogue().index)
    empty = [(r["id"], c) for r in recs for c in catalog.TEXTS if not str(r[c]).strip()]
    assert not empty, f"fill these texts in src/aankomst/data/indicators/*.csv: {empty}"
    copies = [r["id"] for r in recs
              if r["definition_fr"] in (r["definition_en"], r["definition_nl"])]
    assert not copies, f"French definitions copied from another language: {copies}"
    by_id = {r["id"]: r for r in recs}
    assert by_id["foreign_nationality_share"]["label_fr"] == "Part de nationalité étrangère"
    assert by_id["ocmw_recipients"]["label_fr"] == "Bénéficiaires du CPAS"
    assert "revenu d'intégration" in by_id["ocmw_recipients"]["definition_fr"]
    assert by_id["internal_migration_balance"]["unit_fr"] == "pour 1 000 habitants par an"
    assert by_id["internal_migration_balance"]["label_fr"] == (
        "Solde migratoire interne avec les autres communes belges pour 1 000 habitants")


def test_a_catalogue_row_without_french_is_refused_naming_file_row_and_column(tmp_path, monkeypatch):
    """A row whose French label is empty stops the load with the file, the row and the column."""
    import csv

    from aankomst.errors import InputError
    from aankomst.paths import package_data

    with open(package_data("indicators/core.csv"), encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header, first = list(reader.fieldnames or []), next(reader)
    first["label_fr"] = " "
    bad = tmp_path / "core.csv"
    with open(bad, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerow(first)
    monkeypatch.setattr(catalog, "_catalogue_files", lambda: [bad])
    catalog._load.cache_clear()
    try:
        with pytest.raises(InputError, match="label_fr") as err:
            catalog._load()
        assert (err.value.file, err.value.row, err.value.column) == (str(bad), 2, "label_fr")
    finally:
        monkeypatch.undo()
        catalog._load.cache_clear()
    assert catalog.entry(first["id"])["label_fr"].strip()


def test_every_declared_parameter_reaches_the_implementation():
    """Each own parameter of a spec is a keyword of its implementation, with the same default
    where the implementation gives one."""
    from aankomst.plugins import install

    install()
    for spec in specs():
        sig = inspect.signature(spec.function).parameters
        assert "level" in sig and "period" in sig, spec.id
        for p in spec.params:
            assert p.name in sig or any(x.kind is x.VAR_KEYWORD for x in sig.values()), (spec.id, p.name)
            if p.name in sig and sig[p.name].default is not inspect.Parameter.empty:
                impl_default = sig[p.name].default
                if impl_default is not None and p.default is not None:
                    assert str(impl_default) == str(p.default), (spec.id, p.name, impl_default, p.default)


def test_a_misspelt_parameter_is_refused_naming_the_known_ones():
    from aankomst.indicators import ParameterError, get

    with pytest.raises(ParameterError, match=r"'windw'.*known: window, base"):
        get("internal_migration_balance").validate({"windw": 7})
    with pytest.raises(ParameterError, match="whole number"):
        get("internal_migration_balance").validate({"window": "abc"})
    with pytest.raises(ParameterError, match="known: abroad, brussels, other_belgium, same_municipality"):
        get("first_entry_share").validate({"origin": "mars"})


def test_stock_indicators_accept_every_contract_level():
    for i in ("population", "foreign_nationality_share", "group_share", "group_share_change",
              "income_per_inhabitant"):
        assert CONTRACT_LEVELS <= set(get(i).levels), i


def test_unknown_id():
    with pytest.raises(UnknownCodeError, match="aankomst indicators"):
        catalog.entry("nope")


def test_json_listing_has_parameters_with_defaults():
    recs = json.loads(catalog.listing("json"))
    by_id = {r["id"]: r for r in recs}
    imb = {p["name"]: p for p in by_id["internal_migration_balance"]["parameters"]}
    assert imb["window"]["default"] == 3 and imb["base"]["default"] == "mean"
    assert imb["level"]["required"] and "min_population" in imb
    fe = {p["name"]: p for p in by_id["first_entry_share"]["parameters"]}
    assert fe["origin"]["default"] == "abroad" and fe["origin"]["description"]


def test_every_parameter_of_every_indicator_is_described_in_three_languages():
    import csv

    from aankomst.paths import package_data

    with open(package_data("indicators/params.csv"), encoding="utf-8", newline="") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    missing = []
    for r in json.loads(catalog.listing("json")):
        for p in r["parameters"]:
            if p["name"] in ("level", "period"):
                continue
            d = rows.get(p["name"], {})
            if not (p["description"] and d.get("description_en") and d.get("description_nl")
                    and d.get("description_fr") and p.get("description_fr") == d["description_fr"]):
                missing.append((r["id"], p["name"]))
    assert not missing, f"add these parameters to data/indicators/params.csv: {sorted({m[1] for m in missing})}"


def test_docs_indicators_md_is_generated_from_the_catalogue():
    md = catalog.listing("markdown")
    for i in STABLE_IDS:
        assert f"## {i}" in md
    doc = Path(__file__).resolve().parents[1] / "docs" / "indicators.md"
    assert doc.exists(), "regenerate with: aankomst indicators --format markdown --out docs/indicators.md"
    text = doc.read_text(encoding="utf-8")
    from aankomst.plugins import install

    install()
    cat = catalogue()
    for _, r in cat.iterrows():
        assert f"## {r['id']}" in text and r["definition_en"] in text, (
            f"docs/indicators.md is stale for {r['id']}: "
            "aankomst indicators --format markdown --out docs/indicators.md")


def test_area_type_batch_shape():
    from aankomst.sources import area_types

    [b] = area_types.batches()
    areas, cw = b.tables["areas"], b.tables["crosswalks"]
    assert set(areas["level"]) == {"area_type"}
    assert set(cw["to_code"]) <= set(areas["code"])
    assert len(area_types.members_of("centrumsteden13", "2025")) == 13
    assert len(area_types.members_of("brussels_capital", "2018")) == 19
    assert "71072" in area_types.members_of("centrumsteden", "2025")  # Hasselt after the merger
    assert "71022" in area_types.members_of("centrumsteden", "2018")
    assert sorted(area_types.types_of("11002")) == ["centrumsteden13", "grootsteden"]
