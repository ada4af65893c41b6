"""Sweep: what the atlas offers is what computes — on the demo and on the real mirror.

For every declared indicator × level:

1. every period that :func:`available_periods` reports computes to at least one non-null value,
   with non-empty sources and reference periods in its metadata,
   with the default group (the total, or for indicators that need a group, one available group
   of every scheme on offer); for the other schemes on offer, their latest period. At every
   level the first, middle and last offered periods stand for the others: the offer is derived
   the same way for every period, ``tests/test_available_periods.py`` draws other periods at
   random, and a sweep of every period at every level takes ~25 minutes on 2 cores;
2. no period outside the offer computes to a value (with the first group): the periods just
   before and after the offered range, the gaps inside it, and — where nothing is offered at
   that level — every year from 1981 to 2026 (as the indicator's period kind: a date, a year,
   an edition or a window of its default length). Such a period must raise
   ``MissingInputError`` or give no value.

Failures are collected and reported together, so one run shows every disagreement. The sweep
is one test per indicator (so that ``pytest -n`` spreads it over the cores); the size of the
offer walked is checked on its own, from the same selection of views.
"""

from __future__ import annotations

from typing import Any

import pytest

from aankomst.errors import MissingInputError
from aankomst.indicators import available_groups, available_periods, compute, specs
from aankomst.plugins import install

install()  # the plug-ins' indicators (register, deprivation, registry) are swept too
IDS = sorted(spec.id for spec in specs())

YEARS = range(1981, 2027)


def _positive(level: str, offered: set[str], first_group: bool) -> list[str]:
    per = sorted(offered)
    if not first_group:
        return per[-1:]
    if len(per) > 3:
        return [per[0], per[len(per) // 2], per[-1]]
    return per


def _groups(atlas: Any, spec: Any, level: str) -> list[tuple[str | None, str | None]]:
    if spec.groups != "optional":
        return [(None, None)]
    got = available_groups(atlas, spec.id, level=level)
    out: list[tuple[str | None, str | None]] = []
    seen: set[str] = set()
    for sch, grp in got:
        if sch == "total":
            out.append((None, None))
        elif sch not in seen:
            seen.add(sch)
            out.append((sch, grp))
    return out or ([(None, None)] if not spec.extra.get("group_required") else [])


def _outside(spec: Any, offered: set[str]) -> list[str]:
    if spec.period == "window":
        n = int(spec.param("window").default or 1)
        labels = [str(y) if n == 1 else f"{y - n + 1}-{y}" for y in YEARS]
    else:
        labels = [str(y) for y in YEARS]
    idx = [i for i, p in enumerate(labels) if p in offered]
    if not idx:
        return labels
    near = set(range(idx[0] - 1, idx[-1] + 2))
    return [p for i, p in enumerate(labels) if i in near and p not in offered and
            0 <= i < len(labels)]


def _values(atlas: Any, spec: Any, level: str, period: str, sch: str | None, grp: str | None,
            problems: list[str] | None = None) -> int:
    res = compute(atlas, spec.id, level=level, period=period, scheme=sch, group=grp)
    n = int(res.data["value"].notna().sum())
    if problems is not None and n:
        where = f"{spec.id} @ {level} [{sch}:{grp}] {period}"
        if not res.meta["sources"]:
            problems.append(f"{where}: values without sources")
        if not res.meta["reference_periods"]:
            problems.append(f"{where}: values without reference periods")
    return n


def views(atlas: Any, spec: Any) -> list[tuple[str, int, str | None, str | None, set[str]]]:
    """``(level, k, scheme, group, offered periods)`` of one indicator (``k = 0``: first group)."""
    out = []
    for level in spec.levels:
        if level == "country":
            continue
        for k, (sch, grp) in enumerate(_groups(atlas, spec, level)):
            out.append((level, k, sch, grp, set(available_periods(atlas, spec.id, level=level, scheme=sch,
                                                                  group=grp))))
    return out


def sweep(atlas: Any, ids: list[str] | None = None) -> tuple[int, list[str]]:
    """``(number of offered views checked, problems)`` of the indicators ``ids`` (default all)."""
    problems: list[str] = []
    checked = 0
    for spec in specs():
        if ids is not None and spec.id not in ids:
            continue
        for level, k, sch, grp, offered in views(atlas, spec):
            where = f"{spec.id} @ {level} [{sch}:{grp}]"
            for p in _positive(level, offered, k == 0):
                checked += 1
                try:
                    n = _values(atlas, spec, level, p, sch, grp, problems)
                except Exception as exc:  # noqa: BLE001 - every failure is a finding
                    problems.append(f"{where} {p}: offered but raises {type(exc).__name__}: "
                                    f"{str(exc)[:160]}")
                    continue
                if n == 0:
                    problems.append(f"{where} {p}: offered but no value")
            for p in (_outside(spec, offered) if k == 0 else []):
                try:
                    n = _values(atlas, spec, level, p, sch, grp)
                except MissingInputError:
                    continue
                except Exception as exc:  # noqa: BLE001
                    problems.append(f"{where} {p}: not offered, raises {type(exc).__name__}: "
                                    f"{str(exc)[:160]}")
                    continue
                if n:
                    problems.append(f"{where} {p}: computes {n} values but is not offered")
    return checked, problems


def offer_size(atlas: Any) -> int:
    """Number of views :func:`sweep` computes on ``atlas`` (without computing them)."""
    return sum(len(_positive(level, offered, k == 0)) for spec in specs()
               for level, k, _, _, offered in views(atlas, spec))


def test_offer_walked_on_demo(demo_atlas: Any) -> None:
    assert offer_size(demo_atlas) > 300


@pytest.mark.realdata
def test_offer_walked_on_real_data(real_atlas: Any) -> None:
    assert offer_size(real_atlas) > 250


@pytest.mark.slow
@pytest.mark.parametrize("indicator", IDS)
def test_sweep_demo(demo_atlas: Any, indicator: str) -> None:
    _, problems = sweep(demo_atlas, [indicator])
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:60])


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("indicator", IDS)
def test_sweep_real(real_atlas: Any, indicator: str) -> None:
    _, problems = sweep(real_atlas, [indicator])
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:60])
