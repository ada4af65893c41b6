"""OCMW monitor: social assistance by origin (issue 12; ``docs/ocmw.md``).

Layer 4, beside :mod:`aankomst.register`. Inputs (the published 2010 leefloon table, aggregated
counts in a documented CSV, a person-level OCMW client extract linked to the register, and a
seeded synthetic extract generator), indicators (:mod:`aankomst.ocmw.specs`), small-number
protection of every crossing (:mod:`aankomst.ocmw.protect`) and the dashboard
(:mod:`aankomst.ocmw.dashboard`). Nothing runs at import time.
"""
