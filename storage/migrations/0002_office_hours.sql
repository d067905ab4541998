-- Virtual office hours: sessions (one row per occurrence), their question queues,
-- reminder claims and per-guild settings. Times are UTC text (storage/timeutil.py).

CREATE TABLE oh_settings (
    guild_id INTEGER PRIMARY KEY,
    auto_start INTEGER NOT NULL DEFAULT 1,
    auto_end INTEGER NOT NULL DEFAULT 1,
    grace_minutes INTEGER NOT NULL DEFAULT 10,
    -- Minutes before the start, comma-separated, largest first; '' means no reminders.
    reminder_offsets TEXT NOT NULL DEFAULT '1440,15',
    reminder_role_id INTEGER,
    updated_at TEXT NOT NULL
);

CREATE TABLE oh_sessions (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    -- The id of the series' first occurrence (its own id for a one-off).
    series_id INTEGER,
    title TEXT NOT NULL,
    description TEXT,
    host_id INTEGER NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    zone TEXT NOT NULL,
    repeat_spec TEXT NOT NULL DEFAULT 'none',
    -- First occurrence of the series: the recurrence rule's anchor.
    series_anchor TEXT NOT NULL,
    location_channel_id INTEGER,
    location_kind TEXT CHECK (location_kind IN ('voice', 'stage')),
    text_channel_id INTEGER NOT NULL,
    event_id INTEGER,
    board_message_id INTEGER,
    recap_message_id INTEGER,
    status TEXT NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'live', 'ended', 'cancelled')),
    started_at TEXT,
    ended_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX oh_sessions_guild_start ON oh_sessions (guild_id, starts_at);
CREATE INDEX oh_sessions_guild_started ON oh_sessions (guild_id, started_at);
CREATE INDEX oh_sessions_status ON oh_sessions (status, starts_at);
CREATE INDEX oh_sessions_series ON oh_sessions (guild_id, series_id);

CREATE TABLE oh_questions (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    session_id INTEGER NOT NULL REFERENCES oh_sessions (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    question TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    -- Queue order is (priority, queue_key): carried-over questions have priority 0,
    -- and a skip moves a question to the end by giving it a new, larger key.
    priority INTEGER NOT NULL DEFAULT 1,
    queue_key INTEGER NOT NULL,
    taken_at TEXT,
    finished_at TEXT,
    outcome TEXT CHECK (outcome IN ('answered', 'skipped', 'carried', 'withdrawn', 'dropped')),
    host_id INTEGER,
    thread_id INTEGER,
    card_message_id INTEGER,
    skip_count INTEGER NOT NULL DEFAULT 0,
    carried_from INTEGER REFERENCES oh_questions (id),
    feedback_id INTEGER
);
CREATE INDEX oh_questions_session ON oh_questions (session_id, outcome, priority, queue_key);
CREATE INDEX oh_questions_guild_asked ON oh_questions (guild_id, asked_at);
-- One open question per member per session.
CREATE UNIQUE INDEX oh_questions_one_open ON oh_questions (session_id, user_id)
    WHERE outcome IS NULL;

-- A reminder is claimed here before it is sent, so a restart never sends it twice.
CREATE TABLE oh_reminders_sent (
    guild_id INTEGER NOT NULL,
    session_id INTEGER NOT NULL REFERENCES oh_sessions (id) ON DELETE CASCADE,
    offset_minutes INTEGER NOT NULL,
    claimed_at TEXT NOT NULL,
    message_id INTEGER,
    PRIMARY KEY (session_id, offset_minutes)
);
