-- Weekly digest: activity counters (never message text), digest settings and runs.

-- Messages per guild, UTC day ('YYYY-MM-DD') and channel (threads count under their parent).
CREATE TABLE activity_channel_day (
    guild_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    channel_id INTEGER NOT NULL,
    messages INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, day, channel_id)
) WITHOUT ROWID;

-- Who was active: one row per guild, UTC day and member, with their message count.
CREATE TABLE activity_member_day (
    guild_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    messages INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, day, user_id)
) WITHOUT ROWID;

-- Members who joined and left, per guild and UTC day.
CREATE TABLE activity_guild_day (
    guild_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    joins INTEGER NOT NULL DEFAULT 0,
    leaves INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, day)
) WITHOUT ROWID;

-- Digest settings; a guild has a weekly digest once it has a row here.
-- weekday: 0 = Monday; post_time: 'HH:MM' in the zone (NULL zone = the guild's zone).
-- next_run_at is the schedule (UTC); the alarm is rebuilt from it at start-up.
CREATE TABLE digest_config (
    guild_id INTEGER PRIMARY KEY,
    channel_id INTEGER,
    weekday INTEGER NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),
    post_time TEXT NOT NULL DEFAULT '09:00',
    timezone TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    skip_empty INTEGER NOT NULL DEFAULT 1,
    pin INTEGER NOT NULL DEFAULT 0,
    next_run_at TEXT,
    pinned_channel_id INTEGER,
    pinned_message_id INTEGER,
    updated_at TEXT NOT NULL
);

CREATE INDEX digest_config_next_run ON digest_config (next_run_at) WHERE enabled = 1;

-- One scheduled digest per guild and week: claimed before sending, recorded after.
-- week_start is the first local day the digest covers ('YYYY-MM-DD').
CREATE TABLE digest_runs (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    week_start TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('claimed', 'posted', 'skipped')),
    channel_id INTEGER,
    message_id INTEGER,
    claimed_at TEXT NOT NULL,
    finished_at TEXT,
    UNIQUE (guild_id, week_start)
);
