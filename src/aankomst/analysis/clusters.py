"""Spatial clusters: local Moran's I (LISA) and Getis-Ord Gi* hot/cold spots (PySAL ``esda``).

* Weights: queen contiguity of the polygons (shared edge or corner), row-standardised.
* Inference: conditional permutations (``permutations``, default 999) with a fixed ``seed``
  (reproducible); folded pseudo p-values as esda's ``p_sim`` (:func:`permutation_pvalues`, a
  numpy implementation of esda's algorithm: esda's own needs a ~1 min numba compilation per
  process). Local Moran's Iᵢ comes from ``esda.Moran_Local``; Gi* z-scores are analytical.
* Multiple testing: Benjamini–Hochberg false-discovery-rate correction over the areas
  (``q`` values); an area is significant when ``q <= alpha`` (default 0.05).
* LISA classes: ``HH`` (high value among high neighbours), ``LL``, ``HL``, ``LH``; ``ns`` when
  not significant. Gi*: ``hot`` (significant, z > 0), ``cold`` (z < 0), ``ns``.
* Areas without neighbours (islands) are left out of the computation, reported with class
  ``island`` and counted in ``attrs['islands']`` — never a crash. Areas with a missing value
  are reported as ``missing``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def benjamini_hochberg(p: np.ndarray | pd.Series) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), monotone, capped at 1 (NaN kept)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(q, 1.0)
    out[ok] = res
    return out


def _quadrant(z: np.ndarray, lag: np.ndarray) -> np.ndarray:
    return np.select([(z > 0) & (lag > 0), (z < 0) & (lag < 0), (z > 0) & (lag < 0), (z < 0) & (lag > 0)],
                     ["HH", "LL", "HL", "LH"], default="ns")


def permutation_pvalues(z: np.ndarray, neighbours: list[np.ndarray], weights: list[np.ndarray], *,
                        permutations: int = 999, seed: int = 12345) -> np.ndarray:
    """Folded pseudo p-values of the spatial lag by conditional permutation (pure numpy).

    For area *i* the observed lag Σⱼ wᵢⱼ zⱼ is compared with ``permutations`` lags computed
    from random draws (without replacement) of its number of neighbours among the *other*
    areas; ``p = (min(#≥, #<) + 1) / (permutations + 1)`` — the algorithm of ``esda``'s
    ``crand`` (one shared pool of draws, seeded), without its numba compilation step.
    Because local Moran's Iᵢ = zᵢ·lagᵢ and Gi* (with i's own value fixed) are both monotone
    in the lag, this p-value serves both statistics.
    """
    z = np.asarray(z, dtype=float)
    n = len(z)
    kmax = max((len(nb) for nb in neighbours), default=0)
    p = np.full(n, np.nan)
    if n < 2 or kmax == 0:
        return p
    rng = np.random.default_rng(seed)
    pool = np.argsort(rng.random((permutations, n - 1)), axis=1)[:, :kmax]
    ks = np.array([len(nb) for nb in neighbours])
    for k in np.unique(ks[ks > 0]):
        areas = np.flatnonzero(ks == k)
        base = pool[:, :k]
        for chunk in np.array_split(areas, max(1, int(np.ceil(len(areas) * permutations * k / 4e6)))):
            idx = base[None, :, :] + (base[None, :, :] >= chunk[:, None, None])   # skip area i itself
            W = np.stack([weights[i] for i in chunk])                            # (m, k)
            sim = (z[idx] * W[:, None, :]).sum(axis=2)                          # (m, permutations)
            obs = np.array([(z[neighbours[i]] * weights[i]).sum() for i in chunk])
            larger = (sim >= obs[:, None]).sum(axis=1)
            larger = np.minimum(larger, permutations - larger)
            p[chunk] = (larger + 1) / (permutations + 1)
    return p


def gi_star_z(y: np.ndarray, neighbours: list[np.ndarray]) -> np.ndarray:
    """Getis-Ord Gi* z-scores with binary weights including the area itself (Getis & Ord 1995):
    ``(Σⱼ wᵢⱼxⱼ − x̄Wᵢ) / (S·sqrt((n·S1ᵢ − Wᵢ²)/(n − 1)))`` with ``Wᵢ = S1ᵢ = kᵢ + 1``."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    xbar = y.mean()
    S = np.sqrt((y ** 2).mean() - xbar ** 2)
    out = np.full(n, np.nan)
    for i, nb in enumerate(neighbours):
        Wi = len(nb) + 1.0
        num = y[i] + y[nb].sum() - xbar * Wi
        den = S * np.sqrt((n * Wi - Wi ** 2) / (n - 1))
        out[i] = num / den if den > 0 else np.nan
    return out


def local_clusters(gdf: Any, value: str, *, code: str = "area_code", permutations: int = 999, seed: int = 12345,
                   alpha: float = 0.05, fdr: bool = True) -> pd.DataFrame:
    """Local Moran's I and Gi* for one variable.

    Parameters
    ----------
    gdf
        GeoDataFrame with ``code``, ``value`` and polygon geometry (projected CRS).
    value
        Column to analyse.
    permutations, seed
        Conditional permutations and the random seed (reproducible).
    alpha
        Significance level applied to the FDR q-values (or to raw p when ``fdr=False``).

    Returns
    -------
    pandas.DataFrame
        ``area_code, value, n_neighbours, lisa_I, lisa_p, lisa_q, lisa_class, gi_z, gi_p, gi_q,
        gi_class``; ``attrs`` holds ``islands``, ``missing``, ``permutations``, ``seed``, ``alpha``.
        Local Moran's I comes from ``esda.Moran_Local`` (its analytical part); the permutation
        p-values from :func:`permutation_pvalues`.
    """
    import warnings

    import esda
    from libpysal.weights import Queen, w_subset

    g = gdf.reset_index(drop=True)
    out = pd.DataFrame({"area_code": g[code].astype(str).to_numpy(), "value": g[value].astype(float).to_numpy()})
    for c in ("lisa_I", "lisa_p", "lisa_q", "gi_z", "gi_p", "gi_q"):
        out[c] = np.nan
    out["lisa_class"] = "missing"
    out["gi_class"] = "missing"
    out["n_neighbours"] = 0
    ok = out["value"].notna().to_numpy()
    sub = g[ok].reset_index(drop=True)
    idx_ok = np.flatnonzero(ok)
    if len(sub) >= 3:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = Queen.from_dataframe(sub, use_index=False)
        card = np.array([w.cardinalities[i] for i in range(len(sub))])
        out.loc[idx_ok, "n_neighbours"] = card
        island = card == 0
        out.loc[idx_ok[island], ["lisa_class", "gi_class"]] = "island"
        keep = np.flatnonzero(~island)
        if len(keep) >= 3:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w2 = w_subset(w, keep.tolist()) if island.any() else w
            w2.transform = "r"
            y = sub.loc[keep, value].astype(float).to_numpy()
            pos = {k: j for j, k in enumerate(w2.id_order)}
            nbs = [np.array([pos[k] for k in w2.neighbors[i]], dtype=int) for i in w2.id_order]
            wts = [np.asarray(w2.weights[i], dtype=float) for i in w2.id_order]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lisa = esda.Moran_Local(y, w2, permutations=0)
            z = (y - y.mean()) / y.std()
            lag = np.array([(z[nb] * wi).sum() for nb, wi in zip(nbs, wts)])
            p = permutation_pvalues(z, nbs, wts, permutations=permutations, seed=seed)
            q = benjamini_hochberg(p) if fdr else p
            gz = gi_star_z(y, nbs)
            sig = q <= alpha
            rows = idx_ok[keep]
            out.loc[rows, "lisa_I"] = np.asarray(lisa.Is, float)
            out.loc[rows, "lisa_p"] = p
            out.loc[rows, "lisa_q"] = q
            out.loc[rows, "lisa_class"] = np.where(sig, _quadrant(z, lag), "ns")
            out.loc[rows, "gi_z"] = gz
            out.loc[rows, "gi_p"] = p
            out.loc[rows, "gi_q"] = q
            out.loc[rows, "gi_class"] = np.where(sig, np.where(gz > 0, "hot", "cold"), "ns")
    else:
        out.loc[idx_ok, ["lisa_class", "gi_class"]] = "too_few_areas"
    out.attrs.update({"islands": int((out["lisa_class"] == "island").sum()), "missing": int((~ok).sum()),
                      "permutations": permutations, "seed": seed, "alpha": alpha, "fdr": fdr})
    cols = ["area_code", "value", "n_neighbours", "lisa_I", "lisa_p", "lisa_q", "lisa_class",
            "gi_z", "gi_p", "gi_q", "gi_class"]
    return out[cols]


CLASS_COLOURS = {"hot": "#d7191c", "cold": "#2c7bb6", "HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61",
                 "LH": "#abd9e9", "ns": "#eeeeee", "island": "#bbbbbb", "missing": "#ffffff",
                 "too_few_areas": "#ffffff"}


def cluster_map(gdf: Any, result: pd.DataFrame, out: str, *, kind: str = "gi", title: str = "",
                source: str = "") -> str:
    """Draw a categorical cluster map (PNG/SVG by extension) and return the path.

    ``kind``: ``gi`` (hot/cold spots) or ``lisa`` (HH/LL/HL/LH). The caption states the
    method, permutations, seed, FDR level and the source.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    col = "gi_class" if kind == "gi" else "lisa_class"
    g = gdf.merge(result[["area_code", col]], on="area_code", how="left")
    g[col] = g[col].fillna("missing")
    fig, ax = plt.subplots(figsize=(11, 6))
    g.plot(ax=ax, color=g[col].map(CLASS_COLOURS).fillna("#ffffff"), edgecolor="#999999", linewidth=0.15)
    present = [c for c in CLASS_COLOURS if c in set(g[col])]
    counts = g[col].value_counts()
    ax.legend(handles=[Patch(facecolor=CLASS_COLOURS[c], edgecolor="#666", label=f"{c} ({counts[c]})") for c in present],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=True)
    ax.set_axis_off()
    ax.set_title(title, fontsize=11)
    a = result.attrs
    cap = (f"{'Getis-Ord Gi*' if kind == 'gi' else 'Local Moran I'}, queen contiguity, {a.get('permutations')} "
           f"permutations (seed {a.get('seed')}), Benjamini-Hochberg FDR q <= {a.get('alpha')}; "
           f"islands: {a.get('islands')}. {source}")
    ax.text(0.0, -0.01, cap, transform=ax.transAxes, fontsize=7, va="top", wrap=True)
    fig.savefig(out, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return out


def income_by_neighbourhood(atlas: Any, *, year: str = "2019", mirror: Any = None) -> Any:
    """Mean net taxable income per declaration of ``year`` aggregated from sectors to the ggw7
    neighbourhoods of the 2024 version (the 2019 sectors' neighbourhoods; sums of income and of
    declarations, never a mean of means). Returns a GeoDataFrame ``area_code, name, income,
    declarations, mean_income, geometry``."""
    from aankomst.analysis.geography import neighbourhood_geometries
    from aankomst.errors import MissingInputError

    m = atlas.query(
        "SELECT code, measure, value FROM measures WHERE level = 'sector' AND period = ? AND "
        "measure IN ('tax_declarations', 'total_net_taxable_income')", [str(year)])
    if not len(m):
        raise MissingInputError("income hot spots", f"sector income of {year} (tax_declarations, total_net_taxable_income)",
                                fix="load fisc2019_D_FR.xls with 'aankomst build'")
    w = m.pivot_table(index="code", columns="measure", values="value").reset_index()
    links = atlas.query(
        "SELECT from_code AS code, to_code AS nb FROM crosswalks WHERE from_level = 'sector' AND from_layout = '2019' "
        "AND to_level = 'neighbourhood' AND to_layout = '2024'")
    if not len(links):
        from aankomst.analysis.geography import _mirror_links
        from aankomst.paths import mirror_dir

        mirror_path = mirror or mirror_dir()
        if mirror_path is None:
            raise MissingInputError("income hot spots", "sector -> neighbourhood crosswalks (statsec2019_als_basis)",
                                    fix="load the crosswalk workbooks with 'aankomst build'")
        lk = _mirror_links(mirror_path)
        links = lk[lk["sector_layout"] == "2019"].rename(columns={"sector": "code"})[["code", "nb"]]
    w = w.dropna(subset=["total_net_taxable_income", "tax_declarations"])  # suppressed income: left out of both sums
    w = w.merge(links, on="code", how="inner")
    agg = w.groupby("nb").agg(income=("total_net_taxable_income", "sum"), declarations=("tax_declarations", "sum")).reset_index()
    agg["mean_income"] = agg["income"] / agg["declarations"].replace(0, np.nan)
    nb = neighbourhood_geometries(atlas=atlas, mirror=mirror, layouts=("2024",))
    g = nb.merge(agg.rename(columns={"nb": "code"}), on="code", how="left").rename(columns={"code": "area_code"})
    return g


def measure_geometries(atlas: Any, measure: str, *, level: str, layout: str | None = None,
                       period: str | None = None) -> Any:
    """GeoDataFrame ``area_code, name, value, geometry`` of one measure (scheme total) at a
    level with geometry. ``layout`` defaults to the layout with most values; ``period`` to the
    latest period."""
    import geopandas as gpd
    import shapely

    from aankomst.errors import MissingInputError

    have = atlas.query(
        "SELECT layout, period, count(*) AS n FROM measures WHERE measure = ? AND level = ? AND scheme = 'total' "
        "AND grp = 'total' GROUP BY ALL ORDER BY n DESC, period DESC", [measure, level])
    if layout is not None:
        have = have[have["layout"] == str(layout)]
    if period is not None:
        have = have[have["period"] == str(period)]
    if not len(have):
        raise MissingInputError("clusters", f"measure {measure!r} at level {level}", years=period)
    lay = str(layout or have["layout"].iloc[0])
    per = str(period or sorted(have.loc[have["layout"] == lay, "period"])[-1])
    df = atlas.query(
        "SELECT a.code AS area_code, coalesce(a.name_nl, a.name_fr) AS name, m.value, a.geometry FROM areas a "
        "LEFT JOIN measures m ON m.level = a.level AND m.layout = a.layout AND m.code = a.code AND m.measure = ? "
        "AND m.period = ? AND m.scheme = 'total' AND m.grp = 'total' WHERE a.level = ? AND a.layout = ? "
        "AND a.geometry IS NOT NULL", [measure, per, level, lay])
    if not len(df):
        raise MissingInputError("clusters", f"geometry of level {level} layout {lay}",
                                fix="sectors have no geometry in the mirror: use --level neighbourhood")
    geom = shapely.from_wkb([bytes(g) for g in df["geometry"]])
    g = gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=geom, crs=31370)
    g.attrs.update({"layout": lay, "period": per})
    return g
