"""Benchmark: local Moran/Gi* permutation inference, Aankomst (numpy) vs esda (numba), same run.

Data: the 2,730 ggw7 neighbourhoods (2024 version) of the mirror's boundaries with a seeded
synthetic, spatially autocorrelated variable (so the benchmark needs only the boundaries).
A user would otherwise call ``esda.Moran_Local(y, w, permutations=999)``; its first call in a
process includes numba compilation, reported separately.

    python benchmarks/bench_clusters.py [--permutations 999]

Writes ``benchmarks/results/bench_clusters.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--permutations", type=int, default=999)
    ap.add_argument("--data", default=None, help="mirror directory (default: ../shared/data)")
    args = ap.parse_args()
    import geopandas as gpd
    from libpysal.weights import Queen

    from aankomst.analysis import clusters as cl
    from aankomst.paths import mirror_dir

    mirror = Path(args.data) if args.data else mirror_dir()
    g = gpd.read_file(mirror / "boundaries" / "ggw72024.shp")
    c = g.geometry.centroid
    rng = np.random.default_rng(1)
    g["v"] = np.sin(c.x / 20000) + np.cos(c.y / 15000) + rng.normal(0, 0.5, len(g))
    g["area_code"] = g["geoitem"].astype(str)

    t = time.perf_counter()
    ours = cl.local_clusters(g, "v", permutations=args.permutations, seed=42)
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    ours2 = cl.local_clusters(g, "v", permutations=args.permutations, seed=42)
    t_ours2 = time.perf_counter() - t

    import esda

    w = Queen.from_dataframe(g, use_index=False)
    keep = [i for i in range(len(g)) if w.cardinalities[i] > 0]
    from libpysal.weights import w_subset

    w2 = w_subset(w, keep)
    w2.transform = "r"
    y = g.loc[keep, "v"].to_numpy()
    t = time.perf_counter()
    esda.Moran_Local(y, w2, permutations=args.permutations, seed=42, n_jobs=1)
    t_esda_first = time.perf_counter() - t
    t = time.perf_counter()
    ref = esda.Moran_Local(y, w2, permutations=args.permutations, seed=42, n_jobs=1)
    t_esda = time.perf_counter() - t

    p_ours = ours.set_index("area_code").loc[g.loc[keep, "area_code"], "lisa_p"].to_numpy()
    assert ours.equals(ours2), "seeded runs must be identical"
    agree = float(np.mean((p_ours <= 0.05) == (ref.p_sim <= 0.05)))
    res = {
        "areas": len(g), "permutations": args.permutations,
        "aankomst_first_s": round(t_ours, 3), "aankomst_warm_s": round(t_ours2, 3),
        "esda_first_call_incl_numba_compile_s": round(t_esda_first, 3), "esda_warm_s": round(t_esda, 3),
        "ratio_first_call_esda_over_aankomst": round(t_esda_first / t_ours, 2),
        "ratio_warm_esda_over_aankomst": round(t_esda / t_ours2, 2),
        "share_same_significance_p05": round(agree, 4),
    }
    for k, v in res.items():
        print(f"{k:45s} {v}")
    out = Path(__file__).parent / "results" / "bench_clusters.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
