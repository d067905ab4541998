-- Advocates' boundaries: working hours, time off, and the notices held while they are off.

CREATE TABLE advocate_hours (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    -- Weekdays worked, Monday = 0, as a comma-separated list ("0,1,2,3,4").
    days TEXT NOT NULL,
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    zone TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id),
    CHECK (start_minute < end_minute)
);

CREATE TABLE advocate_away (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    note TEXT,
    -- starts_at < ends_at is checked by the service (a clear message), not here.
    created_at TEXT NOT NULL
);
CREATE INDEX advocate_away_member ON advocate_away (guild_id, user_id, ends_at);

-- One "While you were off" message: claimed (sent_at NULL) then recorded (sent_at set).
CREATE TABLE advocate_deliveries (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    sent_at TEXT,
    notices INTEGER NOT NULL
);
CREATE INDEX advocate_deliveries_member ON advocate_deliveries (guild_id, user_id, sent_at);

-- A notice Hallway held for an advocate. delivery_id is set when a delivery claims it
-- (before the message is sent), so a restart on either side of the send neither loses
-- it nor sends it twice.
CREATE TABLE advocate_notices (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivery_id INTEGER REFERENCES advocate_deliveries (id) ON DELETE SET NULL
);
CREATE INDEX advocate_notices_member ON advocate_notices (guild_id, user_id, delivery_id);

-- The on-call rotation for community triage: one per guild.
CREATE TABLE oncall_config (
    guild_id INTEGER PRIMARY KEY,
    role_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    shift TEXT NOT NULL CHECK (shift IN ('daily', 'weekly')),
    -- Weekly shifts hand off on this weekday (Monday = 0); daily ones every day.
    handoff_weekday INTEGER NOT NULL CHECK (handoff_weekday BETWEEN 0 AND 6),
    handoff_minute INTEGER NOT NULL CHECK (handoff_minute BETWEEN 0 AND 1439),
    zone TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE oncall_members (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- One row per shift, inserted when its handoff claims it (so each handoff happens once).
-- user_id NULL: nobody could take it. done_at is set once the role moved and the note
-- was posted.
CREATE TABLE oncall_shifts (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    user_id INTEGER,
    note TEXT,
    claimed_at TEXT NOT NULL,
    done_at TEXT,
    UNIQUE (guild_id, starts_at)
);

-- A cover: member holds on-call from starts_at to ends_at, whatever the rotation says.
CREATE TABLE oncall_overrides (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    author_id INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX oncall_overrides_time ON oncall_overrides (guild_id, ends_at);
