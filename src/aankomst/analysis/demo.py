"""Demo extension: deprivation, change, segregation, clusters and arrival tables for Demoland.

Called by :func:`aankomst.demo.build.build_demo` as ``extend(atlas, seed=…, workdir=…)``; reads
the demo atlas (synthetic deprivation index per sector in 2011 and 2021, populations by
nationality, flows from abroad) and writes CSV/PNG files into ``workdir``. The atlas itself is
not changed: every output is computed on demand by the same functions the CLI uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def extend(atlas: Any, *, seed: int, workdir: Path) -> list[str]:
    """Write the demo's deprivation outputs to ``workdir`` and return lines for the user."""
    from aankomst.analysis import arrival, change, clusters, difficulty, segregation
    from aankomst.errors import AankomstError

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []

    def attempt(label: str, fn: Any) -> None:
        try:
            fn()
        except AankomstError as exc:  # missing demo inputs: say so, keep going
            lines.append(f"{label}: not produced ({exc})")

    def diff() -> None:
        from aankomst.analysis._store import area_names

        t = difficulty.municipality_table(atlas, "demo_dep2021_top10")
        names = area_names(atlas, "municipality", "2025").rename(columns={"area_code": "municipality"})
        t = t.merge(names, on="municipality", how="left")
        t.to_csv(workdir / "difficulty_municipalities_2021.csv", index=False)
        top = t.iloc[0]
        lines.append(f"Neighbourhoods in difficulty (top 10% deprivation index 2021): highest share in "
                     f"{top['area_name']} ({top['share']:.0%} of its residents) -> difficulty_municipalities_2021.csv")

    def trans() -> None:
        tr = change.transitions(atlas, "demo_dep2011_top10", "demo_dep2021_top10")
        s = change.transition_summary(tr)
        s.to_csv(workdir / "difficulty_change_2011_2021.csv", index=False)
        lines.append("Change 2011 -> 2021 (entered/left/stayed/never) -> difficulty_change_2011_2021.csv")

    def seg() -> None:
        t = segregation.segregation_table(atlas, scheme="nationality", level="neighbourhood")
        t.to_csv(workdir / "segregation_neighbourhoods.csv", index=False)
        d = t[(t["group"] == "ETR") & (t["index"] == "dissimilarity")].sort_values("period")
        if len(d):
            lines.append(f"Dissimilarity foreigners/Belgians over neighbourhoods: {d['value'].iloc[0]:.3f} "
                         f"({d['period'].iloc[0]}) -> {d['value'].iloc[-1]:.3f} ({d['period'].iloc[-1]}) "
                         "-> segregation_neighbourhoods.csv")

    def clus() -> None:
        # Mean income per declaration per neighbourhood through the indicator engine (sums of
        # income and of declarations over the sectors, never a mean of sector means).
        from aankomst.errors import MissingInputError
        from aankomst.indicators import available_periods, compute

        periods = available_periods(atlas, "income_per_declaration", level="neighbourhood")
        if not periods:
            raise MissingInputError("clusters", "income per declaration at neighbourhood level")
        inc = compute(atlas, "income_per_declaration", level="neighbourhood", period=periods[-1]).data
        g = atlas.areas_gdf("neighbourhood", with_geometry_only=True).rename(columns={"code": "area_code"})
        g = g.merge(inc[["area_code", "value"]], on="area_code", how="left")
        g.attrs["period"] = periods[-1]
        res = clusters.local_clusters(g, "value", permutations=499, seed=seed)
        res.to_csv(workdir / "income_clusters.csv", index=False)
        clusters.cluster_map(g, res, str(workdir / "income_hotspots.png"),
                             title=f"Demoland: income per declaration {g.attrs.get('period')}, Gi* hot/cold spots",
                             source="Synthetic demo data (seeded).")
        counts = res["gi_class"].value_counts().to_dict()
        lines.append(f"Income hot/cold spots (Gi*, FDR 5%): {counts} -> income_hotspots.png")

    def arr() -> None:
        t = arrival.arrival_in_difficulty(atlas, "demo_dep2011_top10")
        t.to_csv(workdir / "arrivals_in_difficulty.csv", index=False)
        tot = t[(t["scheme"] == "nationality") & (t["group"] == "ETR")]
        if len(tot):
            s = tot.groupby("year")[["numerator", "denominator"]].sum()
            s = (s["numerator"] / s["denominator"]).dropna()
            if len(s):
                lines.append(f"Foreign newcomers settling in neighbourhoods in difficulty: {s.iloc[0]:.0%} "
                             f"({s.index[0]}) -> {s.iloc[-1]:.0%} ({s.index[-1]}) -> arrivals_in_difficulty.csv")

    for label, fn in (("difficulty", diff), ("change", trans), ("segregation", seg), ("clusters", clus),
                      ("arrival", arr)):
        attempt(label, fn)
    return lines
