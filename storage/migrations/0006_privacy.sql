-- Privacy: how long each guild keeps activity metrics, and a record of the daily prune.

-- A guild without a row keeps activity for the default 180 days.
CREATE TABLE privacy_settings (
    guild_id INTEGER PRIMARY KEY,
    retention_days INTEGER NOT NULL DEFAULT 180 CHECK (retention_days BETWEEN 30 AND 3650),
    updated_at TEXT NOT NULL
);

-- One row per UTC day the prune ran (never any member id), so advocates can see it works.
CREATE TABLE privacy_prune_runs (
    day TEXT PRIMARY KEY,
    ran_at TEXT NOT NULL,
    rows_deleted INTEGER NOT NULL
);
