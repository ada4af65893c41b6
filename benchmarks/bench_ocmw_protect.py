"""Benchmark of the OCMW dashboard's small-number protection (``aankomst.ocmw.protect.protect``).

A seeded synthetic register and OCMW extract (``aankomst.register.generate``,
``aankomst.ocmw.generate``; 6,000 persons, 2005–2020) are loaded into a fresh atlas; for every
OCMW and measure the table the dashboard publishes (``ocmw.dashboard._shown``) is protected
twice, each in its own process:

1. **one unknown per age band** — the attacker's model as ``protect`` builds it now: the age
   bands the dashboard publishes for all groups and sexes are modelled by one unknown per band
   (``ocmw._attacker.collapsible``, exact in the stayers model);
2. **finest cells × age bands** — the same model with every finest cell split by age band
   (``collapsible`` answering no), the model of the previous release, with its 30,000-unknown
   limit lifted so that it audits every table too (before, the largest tables fell back to a
   weaker rule).

Both models give every cell the same feasible interval
(``tests/test_ocmw_privacy.py::test_age_bands_of_all_groups_modelled_exactly_by_one_unknown_per_band``),
but the linear programmes may stop at other optimal vertices, so the complementary cells chosen
can differ: the script prints the cells withheld by each, the time per table, the total and
the ratio, and writes ``benchmarks/results/bench_ocmw_protect.json``.

Run: ``python benchmarks/bench_ocmw_protect.py [--persons 6000] [--top 3]`` (``--top``: the
OCMWs with most leefloon recipients; 0 = all).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_ocmw_protect.json"


def build(folder: Path, persons: int) -> Path:
    import aankomst
    from aankomst.ocmw.generate import generate
    from aankomst.ocmw.load import load
    from aankomst.register.generate import generate as generate_register
    from aankomst.register.load import load_register

    reg, ext, db = folder / "register", folder / "extract", folder / "atlas.duckdb"
    generate_register(reg, persons=persons, seed=4)
    atlas = aankomst.open(str(db))
    load_register(reg, atlas, typology=False)
    generate(ext, register=reg, seed=5)
    load(ext, atlas, register=reg)
    atlas.close()
    return db


def run(db: str, top: int, collapse: bool, out: Any) -> None:
    """Protect every table (in a child process) and send ``{table: (seconds, withheld, unknowns)}``."""
    import numpy as np
    import pandas as pd

    import aankomst
    from aankomst.ocmw import _attacker
    from aankomst.ocmw import dashboard as D
    from aankomst.ocmw.protect import _keys, protect

    if not collapse:
        _attacker.collapsible = lambda keys: False  # the previous model: finest cells × age bands
        _attacker.MAX_VARS = _attacker.MAX_TOTAL = 10 ** 7
    atlas = aankomst.open(db, read_only=True)
    codes = [r[0] for r in atlas.con.execute(
        "SELECT code FROM measures WHERE level = 'municipality' AND measure = "
        "'ocmw_recipients:leefloon:T:total' AND scheme = 'total' GROUP BY code ORDER BY max(value) DESC"
    ).fetchall()]
    res: dict[str, tuple[float, list[int], int]] = {}
    for code in codes[:top] if top else codes:
        rows, _ = D._rows(atlas, code)
        cells = D._shown(D._cells(rows[rows["period"].str.len() == 4]))
        for m, part in cells.groupby("measure", sort=False):
            part = part.reset_index(drop=True)
            model = _attacker.build(_keys(part), pd.to_numeric(part["value"]).to_numpy(float))
            t = time.perf_counter()
            got = protect(part, 5)
            res[f"{code}/{m}"] = (time.perf_counter() - t, np.flatnonzero(got["suppressed"]).tolist(),
                                  0 if model is None else int(model.cells.shape[1]))
    atlas.close()
    out.send(res)


def in_child(db: str, top: int, collapse: bool) -> dict[str, tuple[float, list[int], int]]:
    recv, send = mp.Pipe(duplex=False)
    p = mp.get_context("spawn").Process(target=run, args=(db, top, collapse, send))
    p.start()
    res = recv.recv()
    p.join()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--persons", type=int, default=6000)
    ap.add_argument("--top", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        db = build(Path(tmp), args.persons)
        print(f"synthetic atlas: {time.perf_counter() - t:.1f} s")
        new = in_child(str(db), args.top, True)
        old = in_child(str(db), args.top, False)
    same = all(new[k][1] == old[k][1] for k in new)
    print(f"{'table':34} {'unknowns now':>12} {'before':>8} {'withheld now':>12} {'before':>7} "
          f"{'s now':>8} {'s before':>9}")
    for k in sorted(new, key=lambda k: -old[k][0]):
        print(f"{k:34} {new[k][2]:12,} {old[k][2]:8,} {len(new[k][1]):12,} {len(old[k][1]):7,} "
              f"{new[k][0]:8.2f} {old[k][0]:9.2f}")
    tn, to = sum(v[0] for v in new.values()), sum(v[0] for v in old.values())
    print(f"total {tn:.1f} s now vs {to:.1f} s with finest cells × age bands: ×{to / tn:.1f}; "
          f"same cells withheld: {same}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "machine": platform.platform(), "python": platform.python_version(), "persons": args.persons,
        "tables": {k: {"seconds_now": round(new[k][0], 3), "seconds_before": round(old[k][0], 3),
                       "unknowns_now": new[k][2], "unknowns_before": old[k][2],
                       "withheld_now": len(new[k][1]), "withheld_before": len(old[k][1])} for k in new},
        "total_s_now": round(tn, 2), "total_s_before": round(to, 2), "ratio": round(to / tn, 2),
        "same_cells_withheld": same}, indent=1))


if __name__ == "__main__":
    main()
