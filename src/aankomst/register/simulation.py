"""The yearly micro-simulation behind :func:`aankomst.register.generate.generate`.

:class:`Simulation` holds the current state of every person ever created (about 60 bytes per
person) as NumPy columns and appends every address period, nationality period and move to
chunked Parquet files as they close (:class:`PartWriter`); :func:`~aankomst.register.generate.
generate` sets up the initial stock and calls :meth:`Simulation.step` once per year. Event rules
and parameters: ``docs/register.md`` §2, ``data/register_params.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.register.params import RegisterParams

WP_CODES = ("none", "both", "mother", "father")
"""Household position codes: living with no parent, both parents, only the mother, only the father."""

KIND_SECTOR, KIND_ABROAD, KIND_BELGIUM, KIND_UNKNOWN = 0, 1, 2, 3
KIND_NAMES = ("sector", "abroad", "belgium", "unknown")


def day(y: int, m: int = 1, d: int = 1) -> int:
    """Days since 1970-01-01 of a date (the integer dates of the simulation).

    Examples
    --------
    >>> day(1970, 1, 2)
    1
    """
    return int(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}", "D").astype(np.int64))


class PartWriter:
    """Appends NumPy chunks to ``<out>/<table>/part-NNNN.parquet``."""

    def __init__(self, out: Path, table: str) -> None:
        self.dir = out / table
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("part-*.parquet"):
            old.unlink()
        self.n = 0
        self.rows = 0

    def write(self, table) -> None:  # pyarrow.Table
        import pyarrow.parquet as pq

        if table.num_rows == 0:
            return
        pq.write_table(table, self.dir / f"part-{self.n:04d}.parquet", compression="zstd")
        self.n += 1
        self.rows += table.num_rows


class Simulation:
    """State of the simulation (one array entry per person ever created)."""

    def __init__(self, geo: pd.DataFrame, params: RegisterParams, seed: int, out: Path) -> None:
        import pyarrow as pa

        self.pa = pa
        self.p = params
        self.rng = np.random.default_rng(seed)
        self.geo = geo.reset_index(drop=True)
        self.out = out
        countries = params.table("country")
        self.countries = ["BEL", *countries.keys()]
        self.cidx = {c: i for i, c in enumerate(self.countries)}
        share = np.array([float(countries[c]) for c in self.countries[1:]])
        self.arr_mix = share / share.sum()
        fac = params.table("country_stock_factor")
        stock = share * np.array([float(fac.get(c, 1.0)) for c in self.countries[1:]])
        self.stock_mix = stock / stock.sum()
        S = len(self.geo)
        self.sector_codes = self.geo["sector"].astype(str).tolist()
        self.mun_codes, self.sec_mun = np.unique(self.geo["municipality"].astype(str).to_numpy(), return_inverse=True)
        self.sec_mun = self.sec_mun.astype(np.int32)
        self.S, self.M = S, len(self.mun_codes)
        # municipality attributes
        g = self.geo.assign(_m=self.sec_mun)
        self.mun_city = g.groupby("_m")["city"].first().reindex(range(self.M)).fillna("").to_numpy()
        self.mun_suburb_of = g.groupby("_m")["suburb_of"].first().reindex(range(self.M)).fillna("").to_numpy()
        self.mun_suburb_w = g.groupby("_m")["suburb_weight"].first().reindex(range(self.M)).fillna(0).to_numpy(float)
        self.mun_region = g.groupby("_m")["region"].first().reindex(range(self.M)).to_numpy()
        # relative density inside the municipality -> arrival attractiveness
        dens = (self.geo["target"].clip(lower=1) / self.geo["area_km2"].clip(lower=0.01)).to_numpy(float)
        med = pd.Series(dens).groupby(self.sec_mun).transform("median").to_numpy()
        self.rel_dens = np.clip(dens / np.maximum(med, 1e-9), 0.05, 20.0)
        self.cols: dict[str, np.ndarray] = {}
        self.n = 0
        self.n_hh = 0
        self.hh_f = np.zeros(0, np.int64)
        self.hh_m = np.zeros(0, np.int64)
        self.w = {t: PartWriter(out, t) for t in ("addresses", "moves", "nationalities")}
        self.wallonia_out = 0

    # ------------------------------------------------------------------ persons
    _SPEC = {
        "birth": np.int32, "sex": np.uint8, "nab": np.uint8, "nab_known": np.bool_,
        "fnab": np.int16, "mnab": np.int16, "father": np.int64, "mother": np.int64,
        "first_reg": np.int32, "death": np.int32, "present": np.bool_, "sector": np.int32,
        "addr_from": np.int32, "wp": np.uint8, "hh": np.int64, "nat": np.uint8, "nat_from": np.int32,
        "arrived": np.int32,
    }

    def add_persons(self, **cols: np.ndarray) -> np.ndarray:
        k = len(next(iter(cols.values())))
        ids = np.arange(self.n, self.n + k, dtype=np.int64)
        defaults = {"death": -1, "father": -1, "mother": -1, "fnab": -1, "mnab": -1, "present": True,
                    "nab_known": True, "arrived": -1}
        for name, dt in self._SPEC.items():
            v = cols.get(name)
            if v is None:
                v = np.full(k, defaults.get(name, 0))
            v = np.asarray(v).astype(dt)
            self.cols[name] = v if name not in self.cols else np.concatenate([self.cols[name], v])
        self.n += k
        return ids

    def new_households(self, k: int) -> np.ndarray:
        ids = np.arange(self.n_hh, self.n_hh + k, dtype=np.int64)
        self.n_hh += k
        self.hh_f = np.concatenate([self.hh_f, np.full(k, -1, np.int64)])
        self.hh_m = np.concatenate([self.hh_m, np.full(k, -1, np.int64)])
        return ids

    # ------------------------------------------------------------------ emission
    def _emit_addresses(self, idx: np.ndarray, end: np.ndarray) -> None:
        pa, c = self.pa, self.cols
        keep = end > c["addr_from"][idx]
        idx, end = idx[keep], end[keep]
        self.w["addresses"].write(pa.table({
            "person_id": pa.array(idx),
            "sector": pa.DictionaryArray.from_arrays(pa.array(c["sector"][idx]), pa.array(self.sector_codes)),
            "valid_from": pa.array(c["addr_from"][idx]).cast(pa.date32()),
            "valid_to": pa.array(end.astype(np.int32)).cast(pa.date32()),
            "household_id": pa.array(c["hh"][idx]),
            "with_parents": pa.DictionaryArray.from_arrays(pa.array(c["wp"][idx].astype(np.int32)), pa.array(list(WP_CODES))),
        }))

    def _emit_nat(self, idx: np.ndarray, end: np.ndarray | None) -> None:
        pa, c = self.pa, self.cols
        to = pa.nulls(len(idx), pa.date32()) if end is None else pa.array(end.astype(np.int32)).cast(pa.date32())
        self.w["nationalities"].write(pa.table({
            "person_id": pa.array(idx),
            "nationality": pa.DictionaryArray.from_arrays(pa.array(c["nat"][idx].astype(np.int32)), pa.array(self.countries)),
            "valid_from": pa.array(c["nat_from"][idx]).cast(pa.date32()),
            "valid_to": to,
        }))

    def _emit_moves(self, pid, date, okind, ocode, dkind, dcode) -> None:
        pa = self.pa
        dictionary = pa.array(self.sector_codes + self.countries)
        S = self.S

        def code(kind, val):
            val = np.asarray(val).astype(np.int64)
            v = np.where(kind == KIND_SECTOR, val, S + val).astype(np.int32)
            valid = (kind == KIND_SECTOR) | (kind == KIND_ABROAD)
            return pa.DictionaryArray.from_arrays(pa.array(v, mask=~valid), dictionary)

        kinds = pa.array(list(KIND_NAMES))
        self.w["moves"].write(pa.table({
            "person_id": pa.array(pid.astype(np.int64)),
            "move_date": pa.array(date.astype(np.int32)).cast(pa.date32()),
            "origin_kind": pa.DictionaryArray.from_arrays(pa.array(okind.astype(np.int32)), kinds),
            "origin_code": code(okind, ocode),
            "dest_kind": pa.DictionaryArray.from_arrays(pa.array(dkind.astype(np.int32)), kinds),
            "dest_code": code(dkind, dcode),
        }))

    # ------------------------------------------------------------------ choice helpers
    def _sector_sampler(self, weights: np.ndarray):
        order = np.argsort(self.sec_mun, kind="stable")
        w = weights[order]
        cum = np.cumsum(w)
        mun_sorted = self.sec_mun[order]
        start = np.searchsorted(mun_sorted, np.arange(self.M), side="left")
        end = np.searchsorted(mun_sorted, np.arange(self.M), side="right")
        before = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
        total = np.where(end > start, cum[np.maximum(end - 1, 0)] - before, 0.0)

        def sample(mun: np.ndarray) -> np.ndarray:
            u = self.rng.random(len(mun))
            pos = np.searchsorted(cum, before[mun] + u * total[mun], side="right")
            pos = np.clip(pos, start[mun], np.maximum(end[mun] - 1, start[mun]))
            return order[pos].astype(np.int32)

        return sample

    def prepare_weights(self, mun_foreign_share: np.ndarray) -> None:
        p = self.p
        pop = self.geo["target"].to_numpy(float).clip(min=1)
        beta = p["arrival_density_exponent"]
        self.sample_plain = self._sector_sampler(pop)
        self.sample_arrival = self._sector_sampler(pop * self.rel_dens ** beta)
        self.sample_onward = self._sector_sampler(pop * self.rel_dens ** (beta / 2))
        mun_pop = np.bincount(self.sec_mun, weights=pop, minlength=self.M)
        big = np.where(self.mun_city != "", p["arrival_big_city_weight"], 1.0)
        w = mun_pop * np.clip(mun_foreign_share, 0.005, 1) ** p["arrival_network_exponent"] * big
        self.mun_arrival_p = w / w.sum()
        self.mun_pop_p = mun_pop / mun_pop.sum()

    # ------------------------------------------------------------------ destinations
    def choose_destination(self, origin_sector: np.ndarray, onward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (kind, sector) for internal movers (kind KIND_BELGIUM = Wallonia)."""
        p, rng = self.p, self.rng
        k = len(origin_sector)
        om = self.sec_mun[origin_sector]
        mun = om.copy()
        r = rng.random(k)
        leave = r >= p["move_same_municipality"]
        kind = np.zeros(k, np.uint8)
        # leavers from a big city: suburbs first
        city = self.mun_city[om]
        sub = leave & (city != "") & (rng.random(k) < p["move_suburb_from_city"])
        for ckey in np.unique(city[sub]):
            cand = np.flatnonzero(self.mun_suburb_of == ckey)
            sel = np.flatnonzero(sub & (city == ckey))
            if len(cand) == 0:
                sub[sel] = False
                continue
            w = self.mun_suburb_w[cand] / self.mun_suburb_w[cand].sum()
            mun[sel] = rng.choice(cand, size=len(sel), p=w)
        rest = leave & ~sub
        wal = rest & (rng.random(k) < p["move_to_wallonia"])
        kind[wal] = KIND_BELGIUM
        grav = rest & ~wal
        mun[grav] = rng.choice(self.M, size=int(grav.sum()), p=self.mun_pop_p)
        sector = np.full(k, -1, np.int32)
        inb = kind == KIND_SECTOR
        a = inb & onward
        b = inb & ~onward
        if a.any():
            sector[a] = self.sample_onward(mun[a])
        if b.any():
            sector[b] = self.sample_plain(mun[b])
        return kind, sector

    # ------------------------------------------------------------------ initial stock
    def _ages(self, k: int, lo: int, hi: int) -> np.ndarray:
        a = np.arange(lo, hi + 1)
        w = np.where(a < 60, 1.0, np.exp(-(a - 60) / 12.0))
        return self.rng.choice(a, size=k, p=w / w.sum()) + self.rng.random(k)

    def build_stock(self, sector_pop: np.ndarray, sector_fshare: np.ndarray, day0: int) -> None:
        """Households on ``day0`` with ``sector_pop`` residents (approx.) per sector."""
        p, rng = self.p, self.rng
        types = list(p.table("household_share").keys())
        tp = np.array([float(v) for v in p.table("household_share").values()])
        tp /= tp.sum()
        kmean = p["kids_extra_mean"]
        mean_size = tp @ np.array([1, 2, 3 + kmean, 2 + kmean, 2 + kmean])
        n_hh = np.maximum(np.round(sector_pop / mean_size).astype(np.int64), 0)
        H = int(n_hh.sum())
        hsec = np.repeat(np.arange(self.S, dtype=np.int32), n_hh)
        htype = rng.choice(len(types), size=H, p=tp)  # 0 single 1 couple 2 couple_kids 3 mother 4 father
        kids = np.where(htype >= 2, 1 + rng.poisson(kmean, H), 0)
        # origin of the household: foreign nationality / naturalised foreign origin / Belgian
        f = sector_fshare[hsec]
        u = rng.random(H)
        origin = np.where(u < f, 1, np.where(u < f * p["origin_multiplier"], 2, 0))
        hcountry = rng.choice(np.arange(1, len(self.countries)), size=H, p=self.stock_mix)
        hids = self.new_households(H)
        adults_f = np.isin(htype, [1, 2, 3]) | ((htype == 0) & (rng.random(H) < 0.5))
        adults_m = np.isin(htype, [1, 2, 4]) | ((htype == 0) & ~adults_f)
        mixed = (origin == 1) & (htype <= 2) & (htype >= 1) & (rng.random(H) < p["mixed_couple"])
        fam = htype >= 2
        mother_age = np.where(fam, 25 + rng.random(H) * 22, self._ages(H, 20, 95))
        father_age = np.clip(mother_age + rng.normal(2, 3, H), 18, 99)
        second = (origin == 2) & (rng.random(H) < p["second_generation_share"])
        nat_day = day0 - (rng.random(H) * 20 * 365.25).astype(np.int64) - 1

        def adults(mask: np.ndarray, sex: int, age: np.ndarray, is_partner: bool) -> np.ndarray:
            h = np.flatnonzero(mask)
            k = len(h)
            birth = np.minimum((day0 - age[h] * 365.25).astype(np.int64), day0 - 2)
            ctry = hcountry[h]
            org = origin[h]
            belg_partner = mixed[h] & (sex == 0 if not is_partner else sex == 1)
            nab = np.where((org == 0) | second[h] | belg_partner, 0, ctry)
            nat = np.where(org == 1, np.where(belg_partner, 0, ctry), 0)
            par = np.where(org == 0, 0, ctry)
            miss = rng.random(k) < p["parent_nationality_missing"]
            first_reg = np.where(nab == 0, birth, np.minimum(np.maximum(birth + 1, day0 - (rng.random(k) * 25 * 365.25).astype(np.int64)), day0 - 1))
            nat_from = np.where((nat == 0) & (nab != 0), np.maximum(nat_day[h], first_reg + 1), birth)
            ids = self.add_persons(
                birth=birth, sex=np.full(k, sex), nab=nab, nab_known=~(miss & (nab != 0) & (rng.random(k) < 0.5)),
                fnab=np.where(miss, -1, par), mnab=np.where(miss, -1, par), first_reg=first_reg,
                sector=hsec[h], addr_from=np.minimum(np.maximum(first_reg, day0 - (rng.random(k) * 15 * 365.25).astype(np.int64)), day0 - 1),
                wp=np.zeros(k), hh=hids[h], nat=nab, nat_from=birth,
                arrived=np.where(nab != 0, first_reg, -1),
            )
            # naturalised before day0: emit the closed foreign period, then Belgian from nat_from
            nz = np.flatnonzero((nat == 0) & (nab != 0))
            if len(nz):
                self._emit_nat(ids[nz], nat_from[nz])
                self.cols["nat"][ids[nz]] = 0
                self.cols["nat_from"][ids[nz]] = nat_from[nz]
            return ids

        fid = adults(adults_f, 1, mother_age, False)
        mid = adults(adults_m, 0, father_age, True)
        self.hh_f[hids[adults_f]] = fid
        self.hh_m[hids[adults_m]] = mid
        # children
        hk = np.repeat(np.arange(H), kids)
        k = len(hk)
        pa_age = np.where(adults_f[hk], mother_age[hk], father_age[hk])
        age = rng.random(k) * np.clip(pa_age - 18, 0.5, 25)
        birth = np.minimum((day0 - age * 365.25).astype(np.int64), day0 - 1)
        mom = self.hh_f[hids[hk]]
        dad = self.hh_m[hids[hk]]
        c = self.cols
        mnab = np.where(mom >= 0, c["nab"][np.maximum(mom, 0)], hcountry[hk] * (origin[hk] > 0))
        fnab = np.where(dad >= 0, c["nab"][np.maximum(dad, 0)], mnab)
        mnat = np.where(mom >= 0, c["nat"][np.maximum(mom, 0)], 0)
        fnat = np.where(dad >= 0, c["nat"][np.maximum(dad, 0)], 0)
        both_foreign = (mnat != 0) & ((fnat != 0) | (dad < 0))
        knab = np.where(both_foreign & (rng.random(k) < p["kid_foreign_at_birth"]), np.where(mnat != 0, mnat, fnat), 0)
        wp = np.select([htype[hk] == 2, htype[hk] == 3, htype[hk] == 4], [1, 2, 3], 0)
        self.add_persons(
            birth=birth, sex=rng.integers(0, 2, k), nab=knab, fnab=fnab, mnab=mnab,
            father=dad, mother=mom, first_reg=birth, sector=hsec[hk],
            addr_from=np.minimum(np.maximum(birth, day0 - (rng.random(k) * 10 * 365.25).astype(np.int64)), day0 - 1),
            wp=wp, hh=hids[hk], nat=knab, nat_from=birth,
        )

    # ------------------------------------------------------------------ arrivals
    def arrivals(self, n_persons: int, year: int, from_wallonia: bool) -> None:
        p, rng, c = self.p, self.rng, self.cols
        d0 = day(year)
        sizes_p = np.array([float(v) for v in p.table("arrival_size").values()])
        sizes = np.array([int(k) for k in p.table("arrival_size").keys()])
        mean = (sizes_p / sizes_p.sum()) @ sizes
        H = max(int(round(n_persons / mean)), 0)
        if H == 0:
            return
        hs = rng.choice(sizes, size=H, p=sizes_p / sizes_p.sum())
        belg = rng.random(H) < (0.9 if from_wallonia else p["arrival_belgian_share"])
        ctry = np.where(belg, 0, rng.choice(np.arange(1, len(self.countries)), size=H, p=self.arr_mix))
        if from_wallonia:
            mun = rng.choice(self.M, size=H, p=self.mun_pop_p)
            sec = self.sample_plain(mun)
        else:
            mun = rng.choice(self.M, size=H, p=self.mun_arrival_p)
            sec = np.where(ctry != 0, self.sample_arrival(mun), self.sample_plain(mun))
        date = d0 + rng.integers(0, 365, H)
        hids = self.new_households(H)
        rank = np.concatenate([np.arange(s) for s in hs]) if H else np.zeros(0, int)
        hi = np.repeat(np.arange(H), hs)
        k = len(hi)
        adult = rank < np.minimum(hs[hi], 2)
        age = np.where(adult, 20 + rng.gamma(4, 2.5, k), rng.random(k) * 16)
        s0h = rng.integers(0, 2, H)
        sex = np.where(rank == 0, s0h[hi], np.where(rank == 1, 1 - s0h[hi], rng.integers(0, 2, k)))
        birth = (date[hi] - age * 365.25).astype(np.int64)
        nat = ctry[hi]
        reg = np.where(from_wallonia, birth, date[hi])
        ids = self.add_persons(
            birth=birth, sex=sex, nab=nat, fnab=nat, mnab=nat, first_reg=reg,
            sector=sec[hi], addr_from=date[hi], wp=np.where(adult, 0, 1), hh=hids[hi],
            nat=nat, nat_from=birth, arrived=np.where(from_wallonia, -1, date[hi]),
        )
        # parents inside the household
        first = np.searchsorted(hi, np.arange(H))
        f0, f1 = ids[first], np.where(hs > 1, ids[np.minimum(first + 1, k - 1)], -1)
        s0 = sex[first]
        mom = np.where(s0 == 1, f0, f1)
        dad = np.where(s0 == 1, f1, f0)
        self.hh_f[hids] = mom
        self.hh_m[hids] = dad
        kid = ~adult
        c["mother"][ids[kid]] = mom[hi[kid]]
        c["father"][ids[kid]] = dad[hi[kid]]
        # country of previous residence: the nationality, a neighbouring country for Belgians;
        # 2% of arrivals from abroad have an unknown origin
        prev = np.where(ctry == 0, rng.choice([self.cidx.get(x, 1) for x in ("NLD", "FRA", "DEU")], size=H), ctry)
        okind = np.full(H, KIND_BELGIUM if from_wallonia else KIND_ABROAD)
        if not from_wallonia:
            okind[rng.random(H) < 0.02] = KIND_UNKNOWN
        self._emit_moves(ids, date[hi], okind[hi], prev[hi], np.zeros(k, np.uint8), sec[hi])

    # ------------------------------------------------------------------ one year
    def step(self, year: int, arrivals_n: int) -> None:
        p, rng, c = self.p, self.rng, self.cols
        d0, d1 = day(year), day(year + 1)
        ndays = d1 - d0
        idx = np.flatnonzero(c["present"])
        age = (d0 - c["birth"][idx]) / 365.25
        # 1. deaths
        q = np.minimum(p["mortality_a"] * np.exp(p["mortality_b"] * np.clip(age, 0, 110)), 0.6)
        die = rng.random(len(idx)) < q
        dead = idx[die]
        ddate = np.maximum(d0 + rng.integers(0, ndays, len(dead)), c["birth"][dead] + 1)
        self._emit_addresses(dead, ddate)
        c["death"][dead] = ddate
        c["present"][dead] = False
        live = idx[~die]
        # 2. household events: departure abroad or move inside Belgium
        hh = c["hh"][live]
        uh, inv = np.unique(hh, return_inverse=True)
        foreign = np.zeros(len(uh), bool)
        np.logical_or.at(foreign, inv, c["nat"][live] != 0)
        last_arr = np.full(len(uh), -10**9, np.int64)
        np.maximum.at(last_arr, inv, c["arrived"][live].astype(np.int64))
        recent3 = last_arr >= d0 - 3 * 365
        recent5 = last_arr >= d0 - 5 * 365
        pe = np.where(foreign, p["emigration_foreign"], p["emigration_belgian"]) * np.where(recent3, p["emigration_recent_factor"], 1.0)
        pm = p["move_rate"] * np.where(recent5, p["move_recent_factor"], 1.0)
        u = rng.random(len(uh))
        h_emig = u < pe
        h_move = (u >= pe) & (u < pe + pm)
        h_date = d0 + rng.integers(0, ndays, len(uh))
        emig = live[h_emig[inv]]
        if len(emig):
            dte = np.maximum(h_date[inv][h_emig[inv]], c["addr_from"][emig] + 1)
            self._emit_addresses(emig, dte)
            dest = np.where(c["nat"][emig] != 0, c["nat"][emig], self.cidx.get("NLD", 1))
            self._emit_moves(emig, dte, np.zeros(len(emig), np.uint8), c["sector"][emig],
                             np.full(len(emig), KIND_ABROAD), dest)
            c["present"][emig] = False
        # household moves: one destination per household
        mh = np.flatnonzero(h_move)
        movers = live[h_move[inv]]
        if len(mh):
            # origin sector of the household = sector of its first member found
            first_member = np.full(len(uh), -1, np.int64)
            first_member[inv[::-1]] = live[::-1]
            osec = c["sector"][first_member[mh]]
            onward = foreign[mh] | recent5[mh]
            kind, dsec = self.choose_destination(osec, onward)
            hmap = np.full(len(uh), -1, np.int64)
            hmap[mh] = np.arange(len(mh))
            j = hmap[inv[h_move[inv]]]
            self._relocate(movers, np.maximum(h_date[mh][j], c["addr_from"][movers] + 1), kind[j], dsec[j])
        # 3. young adults leaving home
        busy = np.zeros(self.n, bool)
        busy[emig] = True
        busy[movers] = True
        a_live = (d0 - c["birth"][live]) / 365.25
        cand = live[(c["wp"][live] != 0) & (a_live >= 20) & (a_live < 35) & ~busy[live]]
        leave = cand[rng.random(len(cand)) < p["leave_home_rate"]]
        if len(leave):
            kind, dsec = self.choose_destination(c["sector"][leave], np.zeros(len(leave), bool))
            date = np.maximum(d0 + rng.integers(0, ndays, len(leave)), c["addr_from"][leave] + 1)
            self._emit_addresses(leave, date)  # close with the old household position
            c["addr_from"][leave] = date       # position changes even when the sector does not
            c["wp"][leave] = 0
            c["hh"][leave] = self.new_households(len(leave))
            nh = c["hh"][leave]
            is_f = c["sex"][leave] == 1
            self.hh_f[nh[is_f]] = leave[is_f]
            self.hh_m[nh[~is_f]] = leave[~is_f]
            self._relocate(leave, date, kind, dsec, closed=True)
            busy[leave] = True
        # 4. births to women 18-44 with no other event this year
        women = live[(c["sex"][live] == 1) & (a_live >= 18) & (a_live < 45) & ~busy[live] & c["present"][live]]
        moms = women[rng.random(len(women)) < p["fertility"]]
        if len(moms):
            k = len(moms)
            bdate = np.maximum(d0 + rng.integers(0, ndays, k), c["addr_from"][moms])
            dad = self.hh_m[c["hh"][moms]]
            dad = np.where((dad >= 0) & (dad != moms), dad, -1)
            dad = np.where(dad >= 0, np.where(c["present"][np.maximum(dad, 0)], dad, -1), -1)
            mnat = c["nat"][moms]
            fnat = np.where(dad >= 0, c["nat"][np.maximum(dad, 0)], mnat)
            nabi = c["nab"].astype(np.int16)
            fnab = np.where(dad >= 0, nabi[np.maximum(dad, 0)], np.where(rng.random(k) < 0.8, nabi[moms], -1))
            both_foreign = (mnat != 0) & (fnat != 0)
            knat = np.where(both_foreign & (rng.random(k) < p["kid_foreign_at_birth"]), mnat, 0)
            self.add_persons(
                birth=bdate, sex=rng.integers(0, 2, k), nab=knat, fnab=fnab, mnab=c["nab"][moms],
                father=dad, mother=moms, first_reg=bdate, sector=c["sector"][moms], addr_from=bdate,
                wp=np.where(dad >= 0, 1, 2), hh=c["hh"][moms], nat=knat, nat_from=bdate,
            )
            c = self.cols
        # 5. naturalisations
        live = live[c["present"][live]]
        cand = live[(c["nat"][live] != 0) & (c["first_reg"][live] <= d0 - int(p["naturalisation_min_years"] * 365.25))]
        nat = cand[rng.random(len(cand)) < p["naturalisation_rate"]]
        if len(nat):
            nd = np.maximum(d0 + rng.integers(0, ndays, len(nat)), c["nat_from"][nat] + 1)
            self._emit_nat(nat, nd)
            c["nat"][nat] = 0
            c["nat_from"][nat] = nd
        # 6. arrivals from abroad and from Wallonia
        self.arrivals(arrivals_n, year, from_wallonia=False)
        self.arrivals(self.wallonia_out, year, from_wallonia=True)
        self.wallonia_out = 0

    def _relocate(self, who: np.ndarray, date: np.ndarray, kind: np.ndarray, dsec: np.ndarray, *, closed: bool = False) -> None:
        c = self.cols
        if not closed:
            self._emit_addresses(who, date)
        osec = c["sector"][who]
        self._emit_moves(who, date, np.zeros(len(who), np.uint8), osec, kind, np.maximum(dsec, 0))
        out = kind != KIND_SECTOR
        self.wallonia_out += int(out.sum())
        c["present"][who[out]] = False
        stay = who[~out]
        c["sector"][stay] = dsec[~out]
        c["addr_from"][stay] = date[~out]

    # ------------------------------------------------------------------ finish
    def finish(self) -> int:
        """Write the open periods and the persons file; return the number of persons."""
        import pyarrow as pa

        c = self.cols
        open_idx = np.flatnonzero(c["present"])
        pa_ = self.pa
        # open address periods
        if len(open_idx):
            self.w["addresses"].write(pa.table({
                "person_id": pa.array(open_idx),
                "sector": pa.DictionaryArray.from_arrays(pa.array(c["sector"][open_idx]), pa.array(self.sector_codes)),
                "valid_from": pa.array(c["addr_from"][open_idx]).cast(pa.date32()),
                "valid_to": pa.nulls(len(open_idx), pa.date32()),
                "household_id": pa.array(c["hh"][open_idx]),
                "with_parents": pa.DictionaryArray.from_arrays(pa.array(c["wp"][open_idx].astype(np.int32)), pa.array(list(WP_CODES))),
            }))
        self._emit_nat(np.arange(self.n, dtype=np.int64), None)
        w = PartWriter(self.out, "persons")
        cd = pa.array(self.countries)
        step = 2_000_000
        for s in range(0, self.n, step):
            sl = slice(s, min(s + step, self.n))
            ids = np.arange(sl.start, sl.stop, dtype=np.int64)

            def natcol(v: np.ndarray, known: np.ndarray | None = None):
                mask = v < 0 if known is None else ~known
                return pa.DictionaryArray.from_arrays(pa.array(np.maximum(v, 0).astype(np.int32), mask=mask), cd)

            def opt_id(v: np.ndarray):
                return pa.array(v, mask=v < 0)

            death = c["death"][sl]
            w.write(pa_.table({
                "person_id": pa.array(ids),
                "birth_date": pa.array(c["birth"][sl]).cast(pa.date32()),
                "sex": pa.DictionaryArray.from_arrays(pa.array(c["sex"][sl].astype(np.int32)), pa.array(["M", "F"])),
                "nationality_at_birth": natcol(c["nab"][sl].astype(np.int32), c["nab_known"][sl]),
                "father_id": opt_id(c["father"][sl]),
                "mother_id": opt_id(c["mother"][sl]),
                "father_nationality_at_birth": natcol(c["fnab"][sl].astype(np.int32)),
                "mother_nationality_at_birth": natcol(c["mnab"][sl].astype(np.int32)),
                "first_registration_date": pa.array(c["first_reg"][sl]).cast(pa.date32()),
                "death_date": pa.array(death, mask=death < 0).cast(pa.date32()),
            }))
        return self.n
