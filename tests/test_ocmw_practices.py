"""Exchange of practices (issue 12 step 6): validation and storage in a registry database."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from aankomst.errors import InputError
from aankomst.registry.practices import (
    Practice,
    PracticeLink,
    PracticeTarget,
    add_practice,
    list_practices,
    practice_dict,
    validate_practice,
)

GOOD = {"title": "Nederlands op de werkvloer", "ocmw_code": "44021", "domain": "language",
        "approach": "Dutch lessons during article 60 jobs, with a job coach", "results": "70 % pass A2",
        "target_groups": "article_60_workers;newcomers", "links": "https://example.be/taal",
        "contact_email": "taal@ocmw.example.be", "published_on": "2026-03-01"}


def test_validation_names_field_value_and_fix() -> None:
    with pytest.raises(InputError) as err:
        validate_practice({**GOOD, "ocmw_code": "4402", "domain": "space", "links": "javascript:x",
                           "target_groups": "roma;martians"})
    fields = {p.column: p for p in err.value.problems}
    assert {"ocmw_code", "domain", "links", "target_groups"} <= set(fields)
    assert "'martians'" in fields["target_groups"].message and "roma" in fields["target_groups"].expected


def test_store_and_filter() -> None:
    eng = create_engine("sqlite://")
    for t in (Practice, PracticeTarget, PracticeLink):
        t.__table__.create(eng)
    with Session(eng) as s:
        add_practice(s, GOOD)
        add_practice(s, {**GOOD, "title": "Roma-brugfiguren", "ocmw_code": "11002", "domain": "participation",
                         "target_groups": ["roma"], "links": []})
        s.commit()
        assert [p.title for p in list_practices(s, target="roma")] == ["Roma-brugfiguren"]
        got = practice_dict(list_practices(s, ocmw="44021")[0])
        assert got["target_groups"] == ["article_60_workers", "newcomers"]
        assert got["links"] == [{"url": "https://example.be/taal", "label": ""}]
        assert len(list_practices(s, text="coach")) == 2
