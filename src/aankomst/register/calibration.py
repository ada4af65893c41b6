"""Calibration fit report: how closely a generated register reproduces its targets.

Targets (``--calibrate-from``): residents per 2019 statistical sector on 1 January 2019
(Statbel ``OPEN DATA_SECTOREN_2019``) and the foreign-nationality share per pre-2019
municipality on 1 January 2009–2015 (``TF_SOC_POP_STRUCT``). The report compares the register's
residents on the same dates (counted with the aggregation's definition) after scaling the targets
to the generated size.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd


def _residents(con, date: str, by: str) -> pd.DataFrame:
    return con.execute(f"""
        SELECT {by} AS key, count(*) AS n,
               sum(CASE WHEN coalesce(n.nationality, 'BEL') <> 'BEL' THEN 1 ELSE 0 END) AS foreign_n
        FROM addresses a JOIN _g g ON g.sector = a.sector
        LEFT JOIN nationalities n ON n.person_id = a.person_id AND n.valid_from < CAST(? AS DATE)
             AND coalesce(n.valid_to, DATE '9999-12-31') >= CAST(? AS DATE)
        WHERE a.valid_from < CAST(? AS DATE) AND coalesce(a.valid_to, DATE '9999-12-31') >= CAST(? AS DATE)
        GROUP BY 1""", [date, date, date, date]).df()


def fit_report(root: str | Path) -> dict:
    """Compute the fit of a calibrated register in ``root``.

    Returns
    -------
    dict
        ``sectors``: n, total simulated vs target, Pearson r, median absolute percentage error,
        share of sectors within ±10% / ±25% (sectors with a target of 50+ residents);
        ``municipalities``: Pearson r and median APE of populations;
        ``foreign_share``: per year the simulated and target share for the whole area, and the
        mean absolute error (percentage points) and correlation over municipalities.
    """
    import duckdb

    root = Path(root)
    man = json.loads((root / "manifest.json").read_text())
    geo = pd.read_parquet(root / "geography.parquet")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    for t in ("addresses", "nationalities"):
        glob = str(root / t / "*.parquet").replace("'", "''")
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{glob}')")
    con.register("_g", geo[["sector", "mun_calib", "municipality"]])
    scale = float(man.get("scale") or 1.0)
    report: dict = {"mode": man.get("mode"), "persons": man.get("persons"), "scale": scale}
    sim = _residents(con, "2019-01-01", "a.sector").set_index("key")["n"]
    g = geo.set_index("sector")
    tgt = g["target"] * scale
    both = pd.DataFrame({"sim": sim.reindex(g.index).fillna(0), "target": tgt})
    big = both[both["target"] >= 50]
    ape = (big["sim"] - big["target"]).abs() / big["target"]
    report["sectors"] = {
        "n": len(both), "n_compared": len(big),
        "simulated_total": int(both["sim"].sum()), "target_total": int(round(both["target"].sum())),
        "pearson_r": float(np.corrcoef(both["sim"], both["target"])[0, 1]),
        "median_ape": float(ape.median()), "within_10pct": float((ape <= 0.10).mean()),
        "within_25pct": float((ape <= 0.25).mean()),
    }
    mun = both.groupby(g["municipality"]).sum()
    mape = (mun["sim"] - mun["target"]).abs() / mun["target"]
    report["municipalities"] = {"n": len(mun), "pearson_r": float(np.corrcoef(mun["sim"], mun["target"])[0, 1]),
                                "median_ape": float(mape.median())}
    fpath = root / "calibration_foreign.parquet"
    if fpath.exists():
        fo = pd.read_parquet(fpath)
        years = {}
        errs, sims, tgts = [], [], []
        for y in sorted(fo["year"].unique()):
            s = _residents(con, f"{int(y)}-01-01", "g.mun_calib").set_index("key")
            t = fo[fo["year"] == y].set_index("mun")
            j = t.join(s, how="inner")
            j = j[j["n"] >= 200]
            ss = j["foreign_n"] / j["n"]
            ts = j["foreign"] / j["population"]
            errs.append((ss - ts).abs())
            sims.append(ss)
            tgts.append(ts)
            years[int(y)] = {"simulated_share": float(s["foreign_n"].sum() / s["n"].sum()),
                             "target_share": float(t["foreign"].sum() / t["population"].sum()),
                             "mae_pp": float((ss - ts).abs().mean() * 100),
                             "pearson_r": float(np.corrcoef(ss, ts)[0, 1])}
        allerr = pd.concat(errs)
        report["foreign_share"] = {"years": years, "mae_pp": float(allerr.mean() * 100),
                                   "pearson_r": float(np.corrcoef(pd.concat(sims), pd.concat(tgts))[0, 1]),
                                   "municipalities": len(errs[0])}
    con.close()
    return report


def format_report(rep: dict) -> str:
    """Plain-text rendering of :func:`fit_report`."""
    s = rep["sectors"]
    lines = [
        f"sectors: {s['n']} ({s['n_compared']} with >= 50 residents); residents 1 Jan 2019: simulated {s['simulated_total']:,} "
        f"vs target {s['target_total']:,}; r = {s['pearson_r']:.3f}; median abs. error {s['median_ape']:.1%}; "
        f"within ±10%: {s['within_10pct']:.0%}, within ±25%: {s['within_25pct']:.0%}",
        f"municipalities: r = {rep['municipalities']['pearson_r']:.3f}; median abs. error {rep['municipalities']['median_ape']:.1%}",
    ]
    if "foreign_share" in rep:
        f = rep["foreign_share"]
        lines.append(f"foreign share by municipality 2009-2015: MAE {f['mae_pp']:.2f} pp, r = {f['pearson_r']:.3f}")
        for y, v in f["years"].items():
            lines.append(f"  {y}: simulated {v['simulated_share']:.2%} vs target {v['target_share']:.2%} "
                         f"(MAE {v['mae_pp']:.2f} pp, r = {v['pearson_r']:.3f})")
    return "\n".join(lines)
