"""Benchmark: area reports (PDF) — one report, and every municipality of a province, on 2 cores.

Aankomst's batch (``aankomst report --all --level municipality --within 70000``): a process
pool of 2 workers, each with one read-only atlas connection, one chromium and the cached
values of whole levels. Compared in the same run with what a user would otherwise do:

* **naive, in-process**: the reports one after the other, a fresh chromium per report (the
  values cache kept: this isolates the browser start);
* **naive, shell loop**: ``for c in …; do aankomst report $c; done`` — a new process per
  report (imports, atlas, every value and a chromium, cold); timed on a sample and
  extrapolated to the whole province;
* the same batch with 1 worker (the gain of the second process).

    python benchmarks/bench_report.py [--db atlas.duckdb] [--within 70000] [--sample 3]

Without ``--db`` the atlas is built from ``../shared/data`` into a temporary folder first.
Writes ``benchmarks/results/bench_report.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONE = """
import sys
from aankomst.web.report import ReportContext
with ReportContext.open(sys.argv[1]) as ctx:
    pdf = ctx.build(sys.argv[2], None, "nl", "pdf")
open(sys.argv[3], "wb").write(pdf)
"""
"""What one ``aankomst report CODE --format pdf`` does (the command is wired in by the CLI)."""


def timed(fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None, help="atlas file (default: build one from ../shared/data)")
    ap.add_argument("--within", default="70000", help="province (or any area) code; default 70000 Limburg")
    ap.add_argument("--level", default="municipality")
    ap.add_argument("--code", default="41002", help="the single report (default Aalst)")
    ap.add_argument("--sample", type=int, default=3, help="reports of the shell-loop baseline (extrapolated)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "bench_report.json"))
    args = ap.parse_args()

    import aankomst
    from aankomst.web.report import ReportContext
    from aankomst.web.report_batch import areas_within, build_batch
    from aankomst.web.report_pdf import PdfRenderer

    tmp = Path(tempfile.mkdtemp(prefix="bench_report_"))
    db = Path(args.db) if args.db else tmp / "atlas.duckdb"
    if not args.db:
        from aankomst.paths import mirror_dir
        from aankomst.sources.build import build_atlas

        print("building the atlas from the mirror …", flush=True)
        build_atlas(mirror_dir(), db, progress=False)
    atlas = aankomst.open(str(db), read_only=True)
    areas = areas_within(atlas, args.level, args.within)
    atlas.close()
    n = len(areas)
    print(f"{n} {args.level} areas inside {args.within}; load average {os.getloadavg()[0]:.1f}", flush=True)
    res: dict = {"atlas": str(db), "within": args.within, "level": args.level, "areas": n,
                 "cpu_count": os.cpu_count(), "load_average_start": os.getloadavg()[0]}

    # 1. one report, cold (new process state: atlas, values, chromium) and warm
    def single() -> tuple[float, float, float, float]:
        with ReportContext.open(db) as ctx:
            t_cold, _ = timed(lambda: ctx.build(args.code, None, "nl", "pdf"))
            with PdfRenderer() as r:
                r.pdf("<p>warm-up</p>")
                t_collect, data = timed(lambda: ctx.collect(args.code, None, "nl"))
                from aankomst.web.report import render_html

                t_html, html = timed(lambda: render_html(data, ctx.folder))
                t_pdf, _ = timed(lambda: r.pdf(html, footer=args.code))
        return t_cold, t_collect, t_html, t_pdf

    t_cold, t_collect, t_html, t_pdf = single()
    res["single"] = {"code": args.code, "cold_s": t_cold, "warm_collect_s": t_collect, "warm_render_html_s": t_html,
                     "warm_pdf_s": t_pdf, "warm_total_s": t_collect + t_html + t_pdf}
    print(f"one report ({args.code}): cold {t_cold:.1f} s; warm {t_collect + t_html + t_pdf:.2f} s "
          f"(collect {t_collect:.2f}, html {t_html:.3f}, pdf {t_pdf:.2f})", flush=True)

    # 2. the batch, 2 workers and 1 worker
    for workers in (2, 1):
        out = tmp / f"batch{workers}"
        t, results = timed(lambda out=out, workers=workers: build_batch(db, args.level, out, within=args.within,
                                                                        workers=workers))
        ok = sum(1 for r in results if not r["error"])
        res[f"batch_{workers}_workers"] = {"wall_s": t, "per_report_s": t / n, "reports": ok,
                                           "worker_seconds_mean": sum(r["seconds"] for r in results) / n}
        print(f"batch, {workers} worker(s): {t:.1f} s for {ok}/{n} reports ({t / n:.2f} s per report)", flush=True)

    # 3. naive, in-process: a fresh chromium per report (values cached)
    out = tmp / "naive"
    out.mkdir()

    def naive() -> None:
        with ReportContext.open(db) as ctx:
            for a in areas:
                (out / f"{a['code']}.pdf").write_bytes(ctx.build(a["code"], args.level, "nl", "pdf"))

    t_naive, _ = timed(naive)
    res["naive_fresh_chromium"] = {"wall_s": t_naive, "per_report_s": t_naive / n}
    print(f"naive, fresh chromium per report: {t_naive:.1f} s ({t_naive / n:.2f} s per report)", flush=True)

    # 4. naive shell loop: one process per report, on a sample
    sample = areas[: max(1, args.sample)]
    t_loop = 0.0
    for a in sample:
        t, _ = timed(lambda a=a: subprocess.run([sys.executable, "-c", ONE, str(db), a["code"],
                                                 str(tmp / f"loop_{a['code']}.pdf")], check=True))
        t_loop += t
    per = t_loop / len(sample)
    res["naive_process_per_report"] = {"sample": len(sample), "per_report_s": per, "extrapolated_wall_s": per * n}
    print(f"naive, one process per report: {per:.1f} s per report -> {per * n:.0f} s for {n} (extrapolated)",
          flush=True)

    best = res["batch_2_workers"]["wall_s"]
    res["ratios"] = {"naive_fresh_chromium_vs_batch": t_naive / best,
                     "naive_process_per_report_vs_batch": per * n / best,
                     "batch_1_worker_vs_2_workers": res["batch_1_workers"]["wall_s"] / best}
    res["load_average_end"] = os.getloadavg()[0]
    for k, v in res["ratios"].items():
        print(f"  {k}: x{v:.1f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
