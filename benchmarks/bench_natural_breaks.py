"""Benchmark: exact natural breaks of Aankomst vs mapclassify FisherJenks (numba) and jenkspy.

Run: ``python benchmarks/bench_natural_breaks.py`` (about 1–2 minutes on 2 cores).

What is measured, in one run, on the same seeded data (log-normal values, like skewed shares
and counts; all values distinct, the worst case for duplicate collapsing):

* n = 20,000, k = 5 and 7: Aankomst ``natural_breaks`` (best of 25 runs), mapclassify
  ``FisherJenks`` (numba; best of 2) and ``jenkspy.jenks_breaks`` (C; best of 2); breaks are
  compared. Ours equal jenkspy's (float64); mapclassify sums in float32 and, at this size,
  puts one or two limits one value away from the optimum: the float64 SSE of every partition
  is reported, and ours is the lowest.
* n = 1,000,000, k = 5 and 7: Aankomst on all values (best of 5). mapclassify and jenkspy are
  O(k·n²): they are **not** run on a million values (that would take tens of minutes to hours).
  Their time at n = 1,000,000 is **extrapolated** from timed runs at n = 10,000 and 20,000 with
  the fitted exponent (close to 2), and said so in the output. Identity at this size is checked
  on a 20,000-value random subsample (ours vs both tools on the same subsample), and ours on the
  full data passes a local-optimality check (no class limit can move by one value and lower the
  SSE). The practical alternative a user would pick, mapclassify ``FisherJenksSampled``
  (Fisher–Jenks on a 10 % / 1,000-value sample), is run on the full data and its goodness of
  variance fit compared with the exact optimum.
* JIT warm-up (numba compile, or load from the on-disk cache) is timed separately, first.

Results: printed table and ``benchmarks/results/bench_natural_breaks.json``.
"""

from __future__ import annotations

import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np

SEED = 20240601
N_SMALL = 20_000
N_LARGE = 1_000_000
KS = (5, 7)


def best_time(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Best of ``repeat`` runs, in **CPU seconds of this process** (``time.process_time``).

    The benchmark machine is shared (eight engineers on 2 cores); CPU time leaves out the time a
    run waits for a core, which wall-clock time would add at random. All three tools run
    single-threaded, so CPU time is their cost. Wall-clock times are recorded alongside.
    """
    best, out = float("inf"), None
    for _ in range(repeat):
        w = time.perf_counter()
        t = time.process_time()
        out = fn()
        cpu = time.process_time() - t
        WALL.append(time.perf_counter() - w)
        best = min(best, cpu)
    return best, out


WALL: list[float] = []


def jit_cold_and_cached() -> tuple[float, float]:
    """Seconds for import + first call in a fresh process: with an empty numba cache (compile)
    and then with the cache filled (the normal case after the first use on a machine)."""
    import subprocess
    import sys
    import tempfile

    code = (
        "import time; t = time.perf_counter(); "
        "from aankomst.classification.natural_breaks import warm_up; warm_up(); "
        "print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        times = [
            float(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                 capture_output=True, text=True).stdout.strip())
            for _ in range(2)
        ]
    return times[0], times[1]


def compare_sse(x: np.ndarray, ours: np.ndarray, mc: np.ndarray, jp: np.ndarray) -> dict:
    """SSE (float64) of the three partitions and how many class limits differ from ours.

    mapclassify accumulates its sums in float32: from about n = 20,000 it can put a limit one
    or two values off the optimum (a higher SSE); jenkspy works in float64.
    """
    from aankomst.classification.natural_breaks import sse_of_breaks

    so, sm, sj = (sse_of_breaks(x, b) for b in (ours, mc, jp))
    return {
        "sse_ours": so, "sse_mapclassify": sm, "sse_jenkspy": sj,
        "limits_differing_mapclassify": int(np.sum(np.asarray(ours) != np.asarray(mc))),
        "ours_optimal_vs_both": bool(so <= sm * (1 + 1e-12) and so <= sj * (1 + 1e-12)),
    }


def local_optimum(x: np.ndarray, breaks: np.ndarray) -> bool:
    """True when moving any one class limit by one distinct value does not lower the SSE."""
    from aankomst.classification.natural_breaks import sse_of_breaks

    u = np.unique(x)
    base = sse_of_breaks(x, breaks)
    for i in range(len(breaks) - 1):
        pos = int(np.searchsorted(u, breaks[i]))
        for d in (-1, 1):
            j = pos + d
            if j < 0 or j >= len(u):
                continue
            b = breaks.copy()
            b[i] = u[j]
            if (i > 0 and b[i] <= b[i - 1]) or b[i] >= b[i + 1]:
                continue
            if sse_of_breaks(x, b) < base * (1 - 1e-12):
                return False
    return True


def main() -> None:
    import jenkspy
    import mapclassify
    import numba

    from aankomst.classification.natural_breaks import HAS_NUMBA, natural_breaks, warm_up

    rng = np.random.default_rng(SEED)
    results: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__, "numba": numba.__version__,
                    "mapclassify": mapclassify.__version__, "jenkspy": getattr(jenkspy, "__version__", "?")},
        "data": "log-normal(mean 0, sigma 1), seeded, all values distinct",
        "seed": SEED,
        "rows": [],
    }
    cold, cached = jit_cold_and_cached()
    results["jit_cold_compile_s"] = cold
    results["jit_cache_load_s"] = cached
    print(f"JIT warm-up, measured separately in fresh processes: cold compile {cold:.2f} s, "
          f"load from numba cache {cached:.2f} s (import + first call)")
    t = time.perf_counter()
    warm_up()
    warm = time.perf_counter() - t
    results["jit_warm_up_in_process_s"] = warm
    results["numba"] = HAS_NUMBA
    # numba warm-up of mapclassify (not counted)
    mapclassify.FisherJenks(rng.normal(size=50), k=5)

    results["load_average_at_start"] = os.getloadavg()
    results["timing"] = "best-of-N CPU seconds of the process (time.process_time); see best_time()"
    rows = []
    x_small = rng.lognormal(0.0, 1.0, N_SMALL)
    x_large = rng.lognormal(0.0, 1.0, N_LARGE)
    for k in KS:
        # ---------------------------------------------------------------- n = 20,000
        ours_t, ours = best_time(lambda k=k: natural_breaks(x_small, k).breaks, 25)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mc_t, mc = best_time(lambda k=k: mapclassify.FisherJenks(x_small, k=k).bins, 2)
        jp_t, jp = best_time(lambda k=k: np.array(jenkspy.jenks_breaks(x_small, n_classes=k)[1:]), 2)
        rows.append({
            "n": N_SMALL, "k": k, "ours_s": ours_t, "mapclassify_s": mc_t, "jenkspy_s": jp_t,
            "ratio_mapclassify": mc_t / ours_t, "ratio_jenkspy": jp_t / ours_t,
            "identical_mapclassify": bool(np.array_equal(ours, mc)),
            "identical_jenkspy": bool(np.array_equal(ours, jp)),
            **compare_sse(x_small, ours, mc, jp),
            "measured": "all three measured on the full data",
        })
        # -------------------------------------------------------------- n = 1,000,000
        ours_t, ours = best_time(lambda k=k: natural_breaks(x_large, k).breaks, 5)
        # O(n^2) tools: timed at 10,000 and 20,000, extrapolated with the fitted exponent
        sub10 = x_large[rng.choice(N_LARGE, 10_000, replace=False)]
        sub20 = x_large[rng.choice(N_LARGE, 20_000, replace=False)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mc10, _ = best_time(lambda k=k, s=sub10: mapclassify.FisherJenks(s, k=k), 2)
            mc20, mc_sub = best_time(lambda k=k, s=sub20: mapclassify.FisherJenks(s, k=k).bins, 1)
        jp10, _ = best_time(lambda k=k, s=sub10: jenkspy.jenks_breaks(s, n_classes=k), 2)
        jp20, jp_sub = best_time(lambda k=k, s=sub20: np.array(jenkspy.jenks_breaks(s, n_classes=k)[1:]), 1)
        ours_sub = natural_breaks(sub20, k).breaks
        e_mc = np.log(mc20 / mc10) / np.log(2.0)
        e_jp = np.log(jp20 / jp10) / np.log(2.0)
        mc_ext = mc20 * (N_LARGE / 20_000) ** e_mc
        jp_ext = jp20 * (N_LARGE / 20_000) ** e_jp
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fs_t, fs = best_time(lambda k=k: mapclassify.FisherJenksSampled(x_large, k=k), 1)
        nb = natural_breaks(x_large, k)
        gvf_exact = nb.gvf
        from aankomst.classification.natural_breaks import sse_of_breaks

        fs_bins = np.asarray(fs.bins, dtype=float)
        fs_bins[-1] = max(fs_bins[-1], x_large.max())
        gvf_sampled = 1 - sse_of_breaks(x_large, fs_bins) / nb.sst
        rows.append({
            "n": N_LARGE, "k": k, "ours_s": ours_t,
            "mapclassify_s": mc_ext, "jenkspy_s": jp_ext,
            "ratio_mapclassify": mc_ext / ours_t, "ratio_jenkspy": jp_ext / ours_t,
            "identical_mapclassify": bool(np.array_equal(ours_sub, mc_sub)),
            "identical_jenkspy": bool(np.array_equal(ours_sub, jp_sub)),
            **compare_sse(sub20, ours_sub, mc_sub, jp_sub),
            "measured": (
                f"mapclassify/jenkspy EXTRAPOLATED from timed runs at n=10,000 and 20,000 "
                f"(fitted exponent {e_mc:.2f} / {e_jp:.2f}); identity checked on a 20,000-value "
                "subsample; ours measured on all 1,000,000 values"
            ),
            "mapclassify_timed": {"n10000_s": mc10, "n20000_s": mc20, "exponent": e_mc},
            "jenkspy_timed": {"n10000_s": jp10, "n20000_s": jp20, "exponent": e_jp},
            "ours_local_optimum_full_data": local_optimum(x_large, ours),
            "fisher_jenks_sampled": {"seconds": fs_t, "ratio_to_ours": fs_t / ours_t,
                                     "gvf": gvf_sampled, "gvf_exact": gvf_exact,
                                     "identical": bool(np.array_equal(fs_bins, ours))},
        })
        for r in rows[-2:]:
            print(
                f"n={r['n']:>9,} k={r['k']}  ours {r['ours_s']*1000:8.1f} ms   "
                f"mapclassify {r['mapclassify_s']:9.2f} s (x{r['ratio_mapclassify']:,.0f})   "
                f"jenkspy {r['jenkspy_s']:9.2f} s (x{r['ratio_jenkspy']:,.0f})   "
                f"identical: {r['identical_mapclassify']}/{r['identical_jenkspy']}"
                + ("   [tools extrapolated]" if r["n"] == N_LARGE else "")
            )
            if not r["identical_mapclassify"]:
                print(f"           mapclassify differs in {r['limits_differing_mapclassify']} limit(s) "
                      f"(float32 sums): SSE ours {r['sse_ours']:.6f} = jenkspy {r['sse_jenkspy']:.6f} "
                      f"< mapclassify {r['sse_mapclassify']:.6f}")
        fsr = rows[-1]["fisher_jenks_sampled"]
        print(f"           FisherJenksSampled on 1,000,000: {fsr['seconds']:.2f} s, "
              f"GVF {fsr['gvf']:.5f} vs exact {fsr['gvf_exact']:.5f}; "
              f"local optimum check of ours: {rows[-1]['ours_local_optimum_full_data']}")
    results["rows"] = rows
    results["load_average_at_end"] = os.getloadavg()
    out = Path(__file__).resolve().parent / "results" / "bench_natural_breaks.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
