-- Regional community calls: a series (cadence, parallel or rotating) and its regional
-- slots, each a weekday and a local wall-clock time in an IANA zone.

CREATE TABLE call_series (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    cadence TEXT NOT NULL CHECK (cadence IN ('weekly', 'every-2-weeks', 'monthly')),
    mode TEXT NOT NULL CHECK (mode IN ('parallel', 'rotating')),
    duration_minutes INTEGER NOT NULL,
    channel_id INTEGER,
    location TEXT,
    -- The first cycle's Monday (UTC date): every-2-weeks and rotating count cycles from it.
    anchor TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX call_series_title ON call_series (guild_id, title COLLATE NOCASE);

CREATE TABLE call_slots (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    series_id INTEGER NOT NULL REFERENCES call_series (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    local_time TEXT NOT NULL,
    zone TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX call_slots_name ON call_slots (series_id, name COLLATE NOCASE);
