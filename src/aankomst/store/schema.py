"""Versioned schema of the atlas database, applied as ordered migrations.

The schema is documented for users in ``docs/schema.md``; keep both in step.

Conventions
-----------
* An area is identified by the triple ``(level, layout, code)``: ``level`` is one of
  :data:`LEVELS`, ``layout`` the vintage of the boundaries (``"2025"`` for the current
  sectors, municipalities and neighbourhoods, ``"2024"``, ``"2019"``/``"2018"`` for older ones,
  ``"2001"``/``"2011"`` for the BIMD sector layouts, ``"monitor"`` for the Brussels monitoring
  neighbourhoods), ``code`` the official code as text (NIS ``"11002"``, sector ``"11002A00-"``,
  neighbourhood ``"11002W01"``).
* Geometry is stored as WKB (``BLOB``) in EPSG:31370 (Belgian Lambert 72), readable by
  ``shapely.from_wkb`` and ``geopandas.GeoSeries.from_wkb``.
* Every data row carries ``load_id`` pointing at ``provenance``: the source file it came from.
* Population counts and flows are counts of persons (non-negative integers); other numbers are
  ``measures`` with a unit.
"""

from __future__ import annotations

LEVELS: tuple[str, ...] = (
    "country",
    "region",
    "province",
    "arrondissement",
    "municipality",
    "deelgemeente",
    "neighbourhood",
    "sector",
    "brussels_neighbourhood",
    "area_type",
)
"""Area levels, from coarse to fine (``area_type`` groups areas by type, e.g. the 13 centre cities)."""

CURRENT_LAYOUT: dict[str, str] = {
    "country": "2025",
    "region": "2025",
    "province": "2025",
    "arrondissement": "2025",
    "municipality": "2025",
    "deelgemeente": "2024",
    "neighbourhood": "2025",
    "sector": "2025",
    "brussels_neighbourhood": "monitor",
    "area_type": "2025",
}
"""The layout used when a user names a level without a layout."""

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "initial schema",
        """
CREATE TABLE provenance (
    load_id        INTEGER PRIMARY KEY,
    source_id      VARCHAR NOT NULL UNIQUE,   -- stable id, e.g. 'statbel/TF_SOC_POP_STRUCT_2012'
    family         VARCHAR NOT NULL,          -- reader family, e.g. 'statbel_pop_struct'
    title          VARCHAR,
    publisher      VARCHAR,
    path           VARCHAR,                   -- file read
    url            VARCHAR,                   -- official download address
    sha256         VARCHAR NOT NULL,
    reference_date VARCHAR,                   -- e.g. '2012-01-01' or '2001/2011'
    licence        VARCHAR,
    privacy        VARCHAR NOT NULL DEFAULT 'open',  -- 'open' or 'restricted' (person-level derived)
    loaded_at      TIMESTAMP NOT NULL,
    rows_read      BIGINT NOT NULL,
    rows_loaded    BIGINT NOT NULL,
    warnings       VARCHAR                    -- JSON list of strings
);

CREATE TABLE areas (
    level       VARCHAR NOT NULL,
    layout      VARCHAR NOT NULL,
    code        VARCHAR NOT NULL,
    name_nl     VARCHAR,
    name_fr     VARCHAR,
    name_en     VARCHAR,
    area_km2    DOUBLE,
    geometry    BLOB,                         -- WKB, EPSG:31370
    load_id     INTEGER NOT NULL,
    PRIMARY KEY (level, layout, code)
);

-- Hierarchy links and layout crosswalks in one table. weight = share of the 'from' unit that
-- lies in the 'to' unit (1.0 for whole units); split = TRUE when the 'from' unit is divided.
CREATE TABLE crosswalks (
    from_level  VARCHAR NOT NULL,
    from_layout VARCHAR NOT NULL,
    from_code   VARCHAR NOT NULL,
    to_level    VARCHAR NOT NULL,
    to_layout   VARCHAR NOT NULL,
    to_code     VARCHAR NOT NULL,
    weight      DOUBLE NOT NULL DEFAULT 1.0,
    weight_basis VARCHAR,                    -- 'whole', 'population', 'area', 'equal'
    split       BOOLEAN NOT NULL DEFAULT FALSE,
    load_id     INTEGER NOT NULL,
    PRIMARY KEY (from_level, from_layout, from_code, to_level, to_layout, to_code)
);

-- Population counts in long form. scheme/grp: ('total','total'), ('nationality','BEL'|'ETR'),
-- ('nationality_group6', 'north_africa' …), ('country', ISO alpha-3), ('origin_vsa', …) …
-- sex: 'T' total, 'M', 'F'. age_band: 'total' or 'A-B' (inclusive years) or 'A+'.
CREATE TABLE population (
    level     VARCHAR NOT NULL,
    layout    VARCHAR NOT NULL,
    code      VARCHAR NOT NULL,
    ref_date  DATE NOT NULL,
    scheme    VARCHAR NOT NULL,
    grp       VARCHAR NOT NULL,
    sex       VARCHAR NOT NULL DEFAULT 'T',
    age_band  VARCHAR NOT NULL DEFAULT 'total',
    count     BIGINT NOT NULL CHECK (count >= 0),
    load_id   INTEGER NOT NULL
);

-- Other measures: income, deprivation scores, shares published as shares, unemployment …
-- period: '2019' (a year), '2019-01-01' (a date) or '2010-2012' (a window).
CREATE TABLE measures (
    level     VARCHAR NOT NULL,
    layout    VARCHAR NOT NULL,
    code      VARCHAR NOT NULL,
    measure   VARCHAR NOT NULL,
    period    VARCHAR NOT NULL,
    scheme    VARCHAR NOT NULL DEFAULT 'total',
    grp       VARCHAR NOT NULL DEFAULT 'total',
    value     DOUBLE,
    unit      VARCHAR NOT NULL,
    load_id   INTEGER NOT NULL
);

CREATE TABLE measure_defs (
    measure     VARCHAR PRIMARY KEY,
    label_nl    VARCHAR,
    label_en    VARCHAR,
    definition  VARCHAR,
    unit        VARCHAR,
    higher_is   VARCHAR,                    -- 'worse', 'better' or NULL
    load_id     INTEGER NOT NULL
);

-- Migration flows (moves of persons) during a calendar year.
-- origin_kind/dest_kind: 'area' (a code at origin_level/layout), 'abroad' (code = ISO alpha-3
-- country or 'XXX' unknown country), 'belgium' (elsewhere in Belgium, not specified),
-- 'unknown'. scheme/grp as in population (e.g. ('nationality','ETR')).
CREATE TABLE flows (
    year          INTEGER NOT NULL,
    origin_kind   VARCHAR NOT NULL,
    origin_level  VARCHAR,
    origin_layout VARCHAR,
    origin_code   VARCHAR,
    dest_kind     VARCHAR NOT NULL,
    dest_level    VARCHAR,
    dest_layout   VARCHAR,
    dest_code     VARCHAR,
    scheme        VARCHAR NOT NULL DEFAULT 'total',
    grp           VARCHAR NOT NULL DEFAULT 'total',
    count         BIGINT NOT NULL CHECK (count >= 0),
    load_id       INTEGER NOT NULL
);

-- Settings as a table (datasette style): small-cell threshold, default layouts …
CREATE TABLE settings (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL,
    note   VARCHAR
);
INSERT INTO settings VALUES
    ('small_cell_threshold', '5', 'published counts 1..threshold-1 are suppressed, see docs/privacy.md'),
    ('small_cell_applies_to', 'all', '''all'' sources or only ''restricted'' (person-level derived)');
""",
    ),
]
"""Ordered migrations: (version, description, SQL). Append, never edit a released one."""

SCHEMA_VERSION: int = MIGRATIONS[-1][0]

DATA_TABLES: tuple[str, ...] = ("areas", "crosswalks", "population", "measures", "measure_defs", "flows")
"""Tables whose rows come from a loaded source (each row has a ``load_id``)."""

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "areas": ("level", "layout", "code", "name_nl", "name_fr", "name_en", "area_km2", "geometry"),
    "crosswalks": (
        "from_level", "from_layout", "from_code", "to_level", "to_layout", "to_code",
        "weight", "weight_basis", "split",
    ),
    "population": ("level", "layout", "code", "ref_date", "scheme", "grp", "sex", "age_band", "count"),
    "measures": ("level", "layout", "code", "measure", "period", "scheme", "grp", "value", "unit"),
    "measure_defs": ("measure", "label_nl", "label_en", "definition", "unit", "higher_is"),
    "flows": (
        "year", "origin_kind", "origin_level", "origin_layout", "origin_code",
        "dest_kind", "dest_level", "dest_layout", "dest_code", "scheme", "grp", "count",
    ),
}
"""Columns a reader supplies per table (``load_id`` is added by the store)."""
