"""Demo extension: a small synthetic register on the demo region (``aankomst demo``).

:func:`extend` generates a seeded register on the demo atlas's own sectors (sized like the demo
population, events over the demo's flow years), aggregates it, and adds to the demo atlas what
the base demo does not have (for the smaller municipalities, up to :data:`MAX_PERSONS`
residents, to keep ``aankomst demo`` quick) — population by the origin definitions (``origin_vsa``,
``origin_4crit``, ``origin_antwerp``, ``nationality_at_birth``) and the register measures
(``recent_immigrants``, ``new_residents_5y``, ``births``, ``deaths``) — then stores the
arrival typology computed from the atlas's flows. Totals and flows stay those of the base demo,
so nothing is counted twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MAX_PERSONS = 260_000
"""Largest demo register: beyond it the register covers the smallest municipalities whose
populations add up to this (the demo's centre city, its suburbs and rural municipalities)."""


def extend(atlas: Any, *, seed: int, workdir: str | Path) -> list[str]:
    """Add the synthetic register's aggregates and the typology to the demo atlas.

    Returns the lines the demo builder prints.
    """
    from aankomst.register.generate import generate
    from aankomst.register.geography import atlas_geography
    from aankomst.register.load import load_register
    from aankomst.register.typology import store_typology

    geo = atlas_geography(atlas)
    if geo["target"].sum() > MAX_PERSONS:  # keep the demo small: the centre city and the smaller municipalities
        muns = geo.groupby("municipality")["target"].sum().sort_values()
        keep = muns[muns.cumsum() <= MAX_PERSONS].index
        geo = atlas_geography(atlas, municipalities=set(keep))
    years = atlas.query("SELECT min(year) AS a, max(year) AS b FROM flows")
    y0 = int(years["a"].iloc[0]) if years["a"].notna().all() else 2010
    y1 = int(years["b"].iloc[0]) if years["b"].notna().all() else 2022
    out = Path(workdir) / "register"
    r = generate(out, seed=seed, geography=geo, start_year=y0, end_year=y1)
    res = load_register(out, atlas, source_id="aankomst/demo/register", typology=False,
                        schemes={"origin_vsa", "origin_4crit", "origin_antwerp", "nationality_at_birth"},
                        flows=False, measures={"recent_immigrants", "new_residents_5y", "births", "deaths"})
    st = store_typology(atlas, source_id="aankomst/demo/typology", period=f"{y1 - 4}-{y1}")
    import shutil

    shutil.rmtree(out, ignore_errors=True)  # only aggregates stay: the person files are not kept
    left_out = "".join(f"; {lv} left out: {why}" for lv, why in st.skipped.items())
    return [
        (f"register: synthetic register of {r.persons:,} persons ({y0}-{y1}) on {len(geo)} "
         f"sectors; {res.rows['population']:,} origin-population rows, "
         f"{res.rows['measures']:,} measure rows (restricted)"),
        (f"typology: {st.rows} areas classified ({st.period}: {', '.join(st.levels)}{left_out}); "
         f"try 'aankomst typology --db <demo.duckdb> --level neighbourhood --period {st.period}'"),
    ]
