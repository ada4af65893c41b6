"""Sweep through the API: what ``/api/periods`` offers, ``/api/values`` draws; and the same
through the map page's controls in Debian chromium.

For every indicator of ``/api/indicators`` and every one of its levels that the atlas has
(``/api/levels``), with the default group: when ``/api/periods`` offers a period, the values
of the latest one have at least one non-null value (categorical indicators: at least one
class). Problems are collected and reported together. On the demo atlas, and (``realdata``)
on the atlas of the real mirror; the requests run on a few threads, like a browser's.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from test_browser import browser, demo_server  # noqa: F401 - fixtures of the page sweep
from web_support import client_for

pytest.importorskip("fastapi")


def sweep(client: Any) -> tuple[list[str], list[str]]:
    """``(views checked, problems)`` of one atlas."""
    levels = {d["level"] for d in client.get("/api/levels").json()}
    todo = [(r["id"], r["kind"], lv) for r in client.get("/api/indicators").json()["indicators"]
            for lv in r["levels"] if lv in levels]

    def one(item: tuple[str, str, str]) -> tuple[str | None, str | None]:
        ind, kind, lv = item
        where = f"{ind} @ {lv}"
        r = client.get("/api/periods", params={"indicator": ind, "level": lv})
        if r.status_code != 200:
            return None, f"{where}: /api/periods answers {r.status_code} {r.text[:200]}"
        latest = r.json()["latest"]
        if latest is None:
            return None, None
        r = client.get("/api/values", params={"indicator": ind, "level": lv, "period": latest, "form": "columns"})
        if r.status_code != 200:
            return where, f"{where} {latest}: offered but /api/values answers {r.status_code} {r.text[:200]}"
        data = r.json()["data"]
        col = data["columns"].index("class" if kind == "categorical" else "value")
        if not any(row[col] is not None for row in data["data"]):
            return where, f"{where} {latest}: offered but no value"
        return where, None

    with ThreadPoolExecutor(3) as ex:
        out = list(ex.map(one, todo))
    return [w for w, _ in out if w], [p for _, p in out if p]


def check(db: Any, minimum: int, expected: set[str]) -> None:
    """Sweep the atlas ``db``: no problem, at least ``minimum`` views with values, ``expected`` among them."""
    t0 = time.time()
    with client_for(db) as c:
        checked, problems = sweep(c)
    assert not problems, f"{len(problems)} problem(s) in {len(checked)} views:\n" + "\n".join(problems)
    assert len(checked) >= minimum and expected <= set(checked), sorted(checked)
    print(f"sweep of {db}: {len(checked)} views in {time.time() - t0:.0f} s")


def test_sweep_through_the_api_on_demo(demo_atlas_path):
    check(demo_atlas_path, 60, {"arrival_typology @ neighbourhood", "foreign_nationality_share @ sector"})


@pytest.mark.realdata
@pytest.mark.slow
def test_sweep_through_the_api_on_real_data(real_atlas_path):
    check(real_atlas_path, 30, {"foreign_nationality_share @ municipality"})


# --------------------------------------------------------------------------- through the page
@pytest.mark.browser
@pytest.mark.slow
def test_sweep_through_the_page_controls_on_demo(browser, demo_server, demo_atlas_path):  # noqa: F811
    """For every level with geometry and every indicator on offer there (``/api/offer``),
    choosing it in the page's select elements (level first, then indicator) draws a map with
    at least one coloured area and no error message. One browser, one page, the live server
    of the browser tests; each step waits for the map's ``idle`` event (``data-ready``)."""
    from test_browser import change_and_wait, open_page, real_problems

    with client_for(demo_atlas_path) as c:
        levels = [d["level"] for d in c.get("/api/levels").json() if d["with_geometry"] > 0]
        offer = {lv: c.get("/api/offer", params={"level": lv}).json()["indicators"] for lv in levels}
    page = open_page(browser, demo_server.url + "/?level=municipality&ind=population")
    coloured = """() => { const a = window.__aankomst, cls = a.result.classes;
      return a.layer.features.filter(f => { const v = a.values.get(String(f.id));
        if (!v || v.suppressed) return false;
        return cls.categories ? cls.categories.includes(v.class) : v.value !== null; }).length; }"""
    problems, checked = [], 0
    t0 = time.time()
    for lv in levels:
        if page.input_value("#level") != lv:
            change_and_wait(page, "#level", lv)
        listed = page.eval_on_selector_all("#indicator option", "os => os.map(o => o.value)")
        if sorted(listed) != sorted(offer[lv]):
            problems.append(f"{lv}: the page lists {sorted(set(listed) ^ set(offer[lv]))} unlike /api/offer")
        for ind in listed:
            if page.input_value("#indicator") != ind:
                change_and_wait(page, "#indicator", ind)
            checked += 1
            status = page.inner_text("#status") if page.is_visible("#status") else ""
            n = page.evaluate(coloured)
            if n == 0 or page.query_selector("#status.error"):
                problems.append(f"{ind} @ {lv}: {n} coloured areas; {status!r}")
    page.close()
    assert not problems, f"{len(problems)} problem(s) in {checked} views:\n" + "\n".join(problems)
    assert checked >= 60 and real_problems(page) == []
    print(f"sweep through the page: {checked} views in {time.time() - t0:.0f} s")
