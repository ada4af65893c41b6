"""Regenerate the example maps of the README from a real atlas.

    python docs/img/make_examples.py --db /tmp/real.duckdb

Each map is what the printed ``aankomst map`` command writes (plus ``--compact`` so the PNG
stays well under 300 KB).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

EXAMPLES = [
    ("map_foreign_share_municipality_2015.png",
     "foreign_nationality_share --level municipality@2018 --year 2015 --classes jenks:5 --circles"),
    ("map_foreign_share_change_2009_2015.png",
     ("foreign_nationality_share_change --level municipality@2018 --year 2015 --base-year 2009 "
     "--classes diverging:0.5:1,2")),
    ("map_brussels_north_africa_2010.png",
     ("group_share --level brussels_neighbourhood --group ibsa_nationality:north_africa --year 2010 "
     "--classes jenks:5")),
    ("map_brussels_north_africa_change_1997_2010.png",
     ("group_share_change --level brussels_neighbourhood --group ibsa_nationality:north_africa "
     "--year 2010 --base-year 1997 --classes diverging:0.5:2,5")),
    ("map_brussels_internal_migration_2010_2012.png",
     ("internal_migration_balance --level municipality@2018 --within 04000 --year 2010-2012 "
     "--classes diverging:1:5,10 --lang en")),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", required=True)
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("aankomst")
    for name, cmd in EXAMPLES:
        out = HERE / name
        argv = [str(exe), "map", *shlex.split(cmd), "--db", args.db, "--out", str(out), "--compact"]
        print("aankomst map " + cmd + f" --db atlas.duckdb --out docs/img/{name}")
        subprocess.run(argv, check=True)
        size = out.stat().st_size
        print(f"  {size / 1024:.0f} KB")
        if size >= 300 * 1024:
            raise SystemExit(f"{name} is {size} bytes; keep README images under 300 KB")


if __name__ == "__main__":
    main()
