"""Benchmark of the OCMW monitor: load and indicators for ~150,000 recipients a year over 10 years.

A seeded person-level extract is synthesised with NumPy (2011–2020, 300 OCMWs; leefloon spells
with an inflow of ~80,000 a year and a mean duration of ~12 months gives ~150,000 recipients a
year; article-60 contracts and labour statuses on top) and then processed two ways, each in its
own process (peak memory = the process's maximum resident set):

1. **Aankomst** — ``aankomst.ocmw.load.load_extract`` (validation, DuckDB aggregation of every
   group × sex × age × period, spells, Kaplan–Meier medians, article-60 outcomes, write to the
   atlas in one transaction) followed by the indicators (recipients and inflow per group,
   recipients per OCMW and region, exits within 12 months, median duration, article 60 followed
   by regular work) through ``aankomst.indicators.compute`` (small-cell rule included).
2. **Plain pandas** — the same figures a user would script: recipients, inflow and outflow per
   OCMW × year × Belgian/EU/non-EU and by sex and age band (person-years by exploding episodes,
   the day-before / day-after checks by merging episodes), spells with the 31-day gap rule,
   exits within 12 months, Kaplan–Meier medians and article-60 outcomes.

Both give the same recipients per OCMW and year and the same exits (checked).

Run: ``python benchmarks/bench_ocmw.py [--recipients 150000] [--ocmws 300]``.
Results: ``benchmarks/results/bench_ocmw.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
Y0, Y1 = 2011, 2020
END = pd.Timestamp("2021-01-01")
NATS = np.array(["BEL"] * 62 + ["MAR"] * 12 + ["TUR"] * 5 + ["SYR"] * 6 + ["ROU"] * 6 + ["POL"] * 4
                + ["FRA"] * 3 + ["NLD"] * 2)


def synthesise(out: Path, recipients: int, n_ocmw: int, seed: int = 7) -> dict[str, Any]:
    """Write a person-level extract (clients, episodes, labour, manifest) and return its size."""
    rng = np.random.default_rng(seed)
    inflow = int(recipients * 0.53)
    n_sp = inflow * (Y1 - Y0 + 1) + int(recipients * 0.45)  # plus spells running on 1 Jan 2011
    persons = int(n_sp * 0.6)
    pid = rng.integers(1, persons + 1, n_sp)
    start = np.where(np.arange(n_sp) < inflow * (Y1 - Y0 + 1),
                     pd.Timestamp(f"{Y0}-01-01").value // 86_400_000_000_000 + rng.integers(0, 3653, n_sp),
                     pd.Timestamp(f"{Y0 - 2}-01-01").value // 86_400_000_000_000 + rng.integers(0, 730, n_sp))
    dur = np.maximum(1, (rng.exponential(12, n_sp) * 30.44).astype(int))
    start = start.astype("datetime64[D]")
    end = start + dur.astype("timedelta64[D]")
    ocmw_of = rng.integers(0, n_ocmw, persons + 1)
    codes = np.array([f"{11000 + i:05d}" for i in range(n_ocmw)])
    ep = pd.DataFrame({"person_id": pid, "ocmw": codes[ocmw_of[pid]], "measure": "leefloon",
                       "start_date": start, "end_date": end})
    ep = _no_overlap(ep)
    act = ep.sample(frac=0.1, random_state=seed)
    a60 = pd.DataFrame({"person_id": act["person_id"].to_numpy(), "ocmw": act["ocmw"].to_numpy(),
                        "measure": "article_60", "start_date": act["end_date"].to_numpy(),
                        "end_date": act["end_date"].to_numpy() + np.timedelta64(400, "D")})
    ep = _no_overlap(pd.concat([ep, a60], ignore_index=True))
    ep = ep[ep["start_date"] < np.datetime64(END.date())]
    ep.loc[ep["end_date"] >= np.datetime64(END.date()), "end_date"] = pd.NaT
    ep["end_reason"] = np.where(ep["end_date"].isna(), None,
                                np.where(ep["measure"] == "article_60", "end_of_contract", "work"))
    ep = ep.sort_values(["person_id", "start_date"]).reset_index(drop=True)
    ep["episode_id"] = np.arange(1, len(ep) + 1)
    ids = np.unique(ep["person_id"])
    cl = pd.DataFrame({"person_id": ids, "sex": rng.choice(["M", "F"], len(ids)),
                       "birth_date": (np.datetime64("1960-01-01") + rng.integers(0, 365 * 40, len(ids))
                                      .astype("timedelta64[D]")),
                       "nationality": rng.choice(NATS, len(ids))})
    a = ep[(ep["measure"] == "article_60") & ep["end_date"].notna()]
    work = a[rng.random(len(a)) < 0.35]
    lab = pd.DataFrame({"person_id": work["person_id"], "status": "regular_work",
                        "valid_from": work["end_date"] + pd.to_timedelta(rng.integers(0, 300, len(work)), "D"),
                        "valid_to": pd.NaT}).drop_duplicates("person_id")
    out.mkdir(parents=True, exist_ok=True)
    for c in ("start_date", "end_date"):
        ep[c] = pd.to_datetime(ep[c]).dt.date
    ep[["episode_id", "person_id", "ocmw", "measure", "start_date", "end_date", "end_reason"]].to_parquet(
        out / "episodes.parquet", index=False)
    cl.assign(birth_date=pd.to_datetime(cl["birth_date"]).dt.date).to_parquet(out / "clients.parquet", index=False)
    lab.assign(valid_from=pd.to_datetime(lab["valid_from"]).dt.date,
               valid_to=pd.to_datetime(lab["valid_to"]).dt.date).to_parquet(out / "labour.parquet", index=False)
    (out / "manifest.json").write_text(json.dumps({"extract_end": "2021-01-01", "ocmws": list(codes)}))
    return {"clients": len(cl), "episodes": len(ep), "labour": len(lab), "codes": list(codes)}


def _no_overlap(ep: pd.DataFrame) -> pd.DataFrame:
    """Drop episodes starting before an earlier episode of the person and measure ends."""
    while True:
        ep = ep.sort_values(["person_id", "measure", "start_date"], kind="stable").reset_index(drop=True)
        prev = ep.groupby(["person_id", "measure"])["end_date"].shift()
        bad = prev.notna() & (ep["start_date"] < prev)
        if not bad.any():
            return ep
        ep = ep[~bad]


def make_atlas(db: Path, codes: list[str]) -> None:
    import aankomst
    from aankomst.store.batch import LoadBatch

    a = aankomst.open(str(db))
    areas = pd.DataFrame({"level": "municipality", "layout": "2018", "code": codes, "name_nl": codes,
                          "name_fr": None, "name_en": None, "area_km2": None, "geometry": None})
    areas = pd.concat([areas, pd.DataFrame({"level": ["region"], "layout": ["2025"], "code": ["02000"],
                                            "name_nl": ["Vlaanderen"], "name_fr": None, "name_en": None,
                                            "area_km2": None, "geometry": None})], ignore_index=True)
    xw = pd.DataFrame({"from_level": "municipality", "from_layout": "2018", "from_code": codes,
                       "to_level": "region", "to_layout": "2025", "to_code": "02000", "weight": 1.0,
                       "weight_basis": "whole", "split": False})
    a.load([LoadBatch("bench/areas", "bench", "areas", "0" * 64, {"areas": areas, "crosswalks": xw})])
    a.close()


def run_aankomst(extract: str, db: str, q: Any) -> None:
    import aankomst
    from aankomst.indicators import compute
    from aankomst.ocmw.load import load_extract
    from aankomst.ocmw.specs import install

    install()
    t0 = time.perf_counter()
    atlas = aankomst.open(db)
    atlas.con.execute("SET enable_progress_bar = false")
    res = load_extract(Path(extract), atlas, months=False)
    t1 = time.perf_counter()
    totals = {}
    for y in range(Y0, Y1 + 1):
        r = compute(atlas, "ocmw_recipients", level="municipality@2018", period=y)
        totals[str(y)] = float(r.data["value"].sum())
        for g in ("eu_status:belgian", "eu_status:eu", "eu_status:non_eu"):
            compute(atlas, "ocmw_recipients", level="municipality@2018", period=y, group=g)
            compute(atlas, "ocmw_inflow", level="municipality@2018", period=y, group=g)
        compute(atlas, "ocmw_recipients", level="region", period=y)
    ex = compute(atlas, "ocmw_exit_12m", level="region", period=2015).data
    compute(atlas, "ocmw_median_duration", level="municipality@2018", period=2015)
    compute(atlas, "ocmw_activation_regular_work", level="region", period=2015)
    t2 = time.perf_counter()
    atlas.close()
    q.put({"load_s": t1 - t0, "indicators_s": t2 - t1, "total_s": t2 - t0, "rows": res.rows,
           "seconds": res.seconds, "recipients_per_year": totals,
           "exits12_2015": float(ex["numerator"].sum()), "spells_obs12_2015": float(ex["denominator"].sum()),
           "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def run_pandas(extract: str, q: Any) -> None:
    """The same figures in straightforward pandas."""
    from aankomst.indicators import groups as G
    from aankomst.ocmw.aggregate import km_medians

    t0 = time.perf_counter()
    root = Path(extract)
    ep = pd.read_parquet(root / "episodes.parquet")
    cl = pd.read_parquet(root / "clients.parquet")
    lab = pd.read_parquet(root / "labour.parquet")
    for c in ("start_date", "end_date"):
        ep[c] = pd.to_datetime(ep[c])
    ep["end_x"] = ep["end_date"].fillna(pd.Timestamp("2262-01-01"))
    eu = {c: G.country_group(c, "eu_status", "2015-07-01") if c != "BEL" else "belgian"
          for c in cl["nationality"].unique()}
    cl["eu"] = cl["nationality"].map(eu)
    cl["birth_date"] = pd.to_datetime(cl["birth_date"])
    out = {}
    # person-years
    e = ep.assign(y0=ep["start_date"].dt.year.clip(lower=Y0), y1=ep["end_x"].dt.year.clip(upper=Y1))
    e = e[e["y0"] <= e["y1"]]
    e["year"] = [list(range(a, b + 1)) for a, b in zip(e["y0"], e["y1"])]
    py = e.explode("year")
    py["year"] = py["year"].astype(int)
    py["p0"] = pd.to_datetime(py["year"].astype(str) + "-01-01")
    py["p1"] = pd.to_datetime((py["year"] + 1).astype(str) + "-01-01")
    py = py[(py["start_date"] < py["p1"]) & (py["end_x"] > py["p0"])]
    py["d"] = py[["start_date", "p0"]].max(axis=1)
    py = py.sort_values("d").drop_duplicates(["person_id", "measure", "ocmw", "year"])
    # receiving on the day before / after the period
    m = py[["person_id", "measure", "ocmw", "year", "p0", "p1"]].merge(
        ep[["person_id", "measure", "ocmw", "start_date", "end_x"]], on=["person_id", "measure", "ocmw"])
    b = m[(m["start_date"] <= m["p0"] - pd.Timedelta(days=1)) & (m["end_x"] > m["p0"] - pd.Timedelta(days=1))]
    a = m[(m["start_date"] <= m["p1"]) & (m["end_x"] > m["p1"])]
    key = ["person_id", "measure", "ocmw", "year"]
    py = py.merge(b[key].drop_duplicates().assign(before=True), on=key, how="left")
    py = py.merge(a[key].drop_duplicates().assign(after=True), on=key, how="left")
    py[["before", "after"]] = py[["before", "after"]].fillna(False).astype(bool)
    py = py.merge(cl[["person_id", "sex", "birth_date", "eu"]], on="person_id")
    age = (py["d"].dt.year - py["birth_date"].dt.year).clip(lower=0)
    py["age_band"] = pd.cut(age, [-1, 17, 24, 34, 44, 54, 64, 200],
                            labels=["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]).astype(str)
    tabs = []
    for by in (["eu"], ["eu", "sex"], ["eu", "age_band"], ["eu", "sex", "age_band"], []):
        g = py.groupby(["ocmw", "measure", "year", *by]).agg(
            recipients=("person_id", "size"), inflow=("before", lambda x: int((~x).sum())),
            outflow=("after", lambda x: int((~x).sum())))
        tabs.append(g)
    tot = tabs[-1].reset_index()
    lee = tot[tot["measure"] == "leefloon"]
    out["recipients_per_year"] = {str(y): float(v) for y, v in lee.groupby("year")["recipients"].sum().items()}
    # spells (31-day gap), exits within 12 months among observable ones, medians
    s = ep.sort_values(["person_id", "measure", "ocmw", "start_date", "episode_id"])
    prev_end = s.groupby(["person_id", "measure", "ocmw"])["end_x"].transform(
        lambda x: x.cummax().shift())
    s["new"] = prev_end.isna() | (s["start_date"] > prev_end + pd.Timedelta(days=31))
    s["spell"] = s.groupby(["person_id", "measure", "ocmw"])["new"].cumsum()
    sp = s.groupby(["person_id", "measure", "ocmw", "spell"]).agg(
        d=("start_date", "min"), end=("end_x", "max")).reset_index()
    sp["running"] = sp["end"] > END
    sp["end"] = sp["end"].clip(upper=END)
    sp["year"] = sp["d"].dt.year
    sp = sp[(sp["year"] >= Y0) & (sp["year"] <= Y1)]
    sp["obs12"] = sp["d"] + pd.DateOffset(months=12) <= END
    sp["exit12"] = sp["obs12"] & ~sp["running"] & (sp["end"] <= sp["d"] + pd.DateOffset(months=12))
    l15 = sp[(sp["measure"] == "leefloon") & (sp["year"] == 2015)]
    out["exits12_2015"] = float(l15["exit12"].sum())
    out["spells_obs12_2015"] = float(l15["obs12"].sum())
    sp["t"] = np.maximum(1, np.ceil((sp["end"] - sp["d"]).dt.days / 30.4375)).astype(int)
    sp["e"] = (~sp["running"]).astype(int)
    km_medians(sp.assign(w=1), ["ocmw", "measure", "year"])
    # article 60 followed by regular work within 12 months
    a60 = ep[(ep["measure"] == "article_60") & ep["end_date"].notna()]
    a60 = a60[a60["end_date"] + pd.DateOffset(months=12) <= END]
    lab["valid_from"] = pd.to_datetime(lab["valid_from"])
    j = a60.merge(lab[lab["status"] == "regular_work"], on="person_id", how="left")
    j["w"] = (j["valid_from"] < j["end_date"] + pd.DateOffset(months=12))
    j.groupby(["ocmw", j["end_date"].dt.year])["w"].mean()
    t1 = time.perf_counter()
    q.put({**out, "total_s": t1 - t0, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def _guarded(fn: Any, args: tuple[Any, ...], q: Any) -> None:
    try:
        fn(*args, q)
    except BaseException as exc:  # report to the parent instead of leaving it waiting
        q.put({"error": f"{type(exc).__name__}: {exc}"})
        raise


def _in_process(fn: Any, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_guarded, args=(fn, args, q))
    p.start()
    got = dict(q.get())
    p.join()
    if "error" in got:
        raise RuntimeError(f"{fn.__name__} failed: {got['error']}")
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipients", type=int, default=150_000, help="recipients per year (about)")
    ap.add_argument("--ocmws", type=int, default=300)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_ocmw.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t = time.perf_counter()
        info = synthesise(d / "extract", args.recipients, args.ocmws)
        synth_s = time.perf_counter() - t
        make_atlas(d / "atlas.duckdb", info["codes"])
        ours = _in_process(run_aankomst, str(d / "extract"), str(d / "atlas.duckdb"))
        theirs = _in_process(run_pandas, str(d / "extract"))
    same = all(abs(ours["recipients_per_year"][y] - theirs["recipients_per_year"].get(y, -1)) < 0.5
               for y in ours["recipients_per_year"]) and ours["exits12_2015"] == theirs["exits12_2015"]
    result = {
        "machine": platform.platform(), "python": platform.python_version(),
        "extract": {k: v for k, v in info.items() if k != "codes"}, "ocmws": args.ocmws, "years": [Y0, Y1],
        "synthesise_s": synth_s, "aankomst": ours, "pandas": theirs, "same_figures": same,
        "time_ratio_pandas_over_aankomst": theirs["total_s"] / ours["total_s"],
        "memory_ratio_pandas_over_aankomst": theirs["peak_rss_mib"] / ours["peak_rss_mib"],
        "note": "aankomst does more: every group scheme × sex × age crossing, monthly figures off, "
                "atlas write in one transaction, indicators with the small-cell rule",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"extract: {info['clients']:,} clients, {info['episodes']:,} episodes; recipients 2015: "
          f"{ours['recipients_per_year'].get('2015', 0):,.0f}")
    print(f"aankomst: load {ours['load_s']:.1f} s + indicators {ours['indicators_s']:.1f} s, "
          f"peak {ours['peak_rss_mib']:.0f} MiB")
    print(f"pandas:   {theirs['total_s']:.1f} s, peak {theirs['peak_rss_mib']:.0f} MiB")
    print(f"pandas / aankomst: time {result['time_ratio_pandas_over_aankomst']:.2f}x, memory "
          f"{result['memory_ratio_pandas_over_aankomst']:.2f}x; same figures: {same}")


if __name__ == "__main__":
    main()
