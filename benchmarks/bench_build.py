"""Benchmark of ingestion: the Statbel population files and the whole mirror build.

Compares, in the same run, Aankomst's reader of ``TF_SOC_POP_STRUCT_<year>.zip`` (unzip in
memory, pyarrow's multi-threaded CSV parser, validation and aggregation in DuckDB over the Arrow
table) with what an analyst would otherwise write: ``pandas.read_csv`` on the zip + ``groupby``
to the same table (municipality × nationality × sex × 5-year age band, with totals), once without
checks and once with the same checks (types, codes, duplicate keys). Then times
``build_atlas`` on the whole mirror (wall clock and CPU), unless ``--no-full``.

Usage::

    python benchmarks/bench_build.py [--files 2] [--no-full] [--data ../shared/data]

Writes ``benchmarks/results/bench_build.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path


def pandas_checked_path(zip_path: Path):
    """pandas with the checks Aankomst's reader makes (types, codes, duplicates)."""
    import pandas as pd

    df = pd.read_csv(zip_path, sep="|", dtype=str)
    code = "CD_MUNTY_REFNIS" if "CD_MUNTY_REFNIS" in df.columns else "CD_REFNIS"
    pop = pd.to_numeric(df["MS_POPULATION"], errors="coerce")
    age = pd.to_numeric(df["CD_AGE"], errors="coerce")
    bad = pop.isna() | (pop < 0) | age.isna() | ~df["CD_SEX"].isin(["M", "F"]) | ~df["CD_NATLTY"].isin(["BEL", "ETR"])
    bad |= ~df[code].str.fullmatch(r"\d{4,5}")
    if bad.any():
        raise ValueError(f"bad row {int(bad.idxmax()) + 2}")
    if df.duplicated([code, "CD_SEX", "CD_NATLTY", "CD_CIV_STS", "CD_AGE"]).any():
        raise ValueError("duplicate key")
    df["MS_POPULATION"], df["CD_AGE"] = pop.astype("int64"), age.astype(int)
    return _pandas_aggregate(df, code)


def pandas_path(zip_path: Path):
    """pandas as an analyst would write it: read, aggregate, no checks."""
    import pandas as pd

    df = pd.read_csv(zip_path, sep="|", dtype={"CD_MUNTY_REFNIS": str, "CD_REFNIS": str})
    code = "CD_MUNTY_REFNIS" if "CD_MUNTY_REFNIS" in df.columns else "CD_REFNIS"
    return _pandas_aggregate(df, code)


def _pandas_aggregate(df, code: str):
    import pandas as pd

    age = df["CD_AGE"].astype(int)
    lo = (age // 5) * 5
    df["band"] = (lo.astype(str) + "-" + (lo + 4).astype(str)).where(age < 100, "100+")
    parts = []
    for keys in ([code, "CD_NATLTY", "CD_SEX", "band"], [code, "CD_NATLTY", "CD_SEX"], [code, "CD_NATLTY", "band"],
                 [code, "CD_NATLTY"], [code, "CD_SEX", "band"], [code, "CD_SEX"], [code, "band"], [code]):
        parts.append(df.groupby(keys, as_index=False)["MS_POPULATION"].sum())
    out = pd.concat(parts, ignore_index=True)
    return len(out), int(df["MS_POPULATION"].sum())


def aankomst_path(zip_path: Path):
    from aankomst.sources.statbel import read_pop_struct

    (b,) = read_pop_struct(zip_path)
    p = b.tables["population"]
    tot = int(p[(p.scheme == "total") & (p.sex == "T") & (p.age_band == "total")]["count"].sum())
    return len(p), tot


def timed(fn, *a, repeat: int = 2):
    best, res = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn(*a)
        best = min(best, time.perf_counter() - t0)
    return best, res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="mirror directory (default: aankomst.paths.mirror_dir())")
    ap.add_argument("--files", type=int, default=2, help="number of TF_SOC_POP_STRUCT files to compare (1-7)")
    ap.add_argument("--no-full", action="store_true", help="skip the whole-mirror build")
    args = ap.parse_args()
    from aankomst.paths import mirror_dir

    data = Path(args.data) if args.data else mirror_dir()
    if data is None or not data.is_dir():
        print("mirror not found; pass --data DIR", file=sys.stderr)
        return 2
    files = sorted((data / "statbel").glob("TF_SOC_POP_STRUCT_*.zip"))[: max(1, args.files)]
    rows = []
    for f in files:
        tp, (_, tot_p) = timed(pandas_path, f)
        tc, (_, tot_c) = timed(pandas_checked_path, f)
        ta, (n, tot_a) = timed(aankomst_path, f)
        assert tot_p == tot_a == tot_c, (f.name, tot_p, tot_c, tot_a)
        rows.append({"file": f.name, "pandas_s": round(tp, 3), "pandas_checked_s": round(tc, 3), "aankomst_s": round(ta, 3),
                     "ratio_pandas_over_aankomst": round(tp / ta, 2), "ratio_pandas_checked_over_aankomst": round(tc / ta, 2),
                     "residents": tot_a, "rows_out": n})
        print(f"{f.name}: pandas read_csv+groupby {tp:.2f} s (ratio {tp / ta:.2f}x), pandas with the same checks {tc:.2f} s "
              f"(ratio {tc / ta:.2f}x), aankomst (pyarrow + DuckDB, validated) {ta:.2f} s; {tot_a:,} residents")
    result = {"benchmark": "bench_build", "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                      "load_avg": os.getloadavg()}, "tf_files": rows}
    if not args.no_full:
        from aankomst.sources.build import build_atlas

        with tempfile.TemporaryDirectory() as d:
            c0, t0 = time.process_time(), time.perf_counter()
            rep = build_atlas(data, Path(d) / "atlas.duckdb", progress=False)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        result["full_build"] = {"wall_s": round(wall, 1), "read_s": round(rep.read_seconds, 1), "cpu_s_main_process": round(cpu, 1),
                                "sources": len(rep.sources), "rows": int(rep.sources["rows"].sum()), "load_avg_after": os.getloadavg()}
        print(f"whole mirror: {len(rep.sources)} sources, {int(rep.sources['rows'].sum()):,} rows in {wall:.1f} s wall "
              f"({rep.read_seconds:.1f} s reading; {cpu:.1f} s CPU in this process); load average {os.getloadavg()[0]:.1f}")
    out = Path(__file__).parent / "results" / "bench_build.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
