-- Each call occurrence is an office-hours session (its Discord event, reminders, automatic
-- start and end come from that engine); `origin` keeps calls out of office hours' own lists.
ALTER TABLE oh_sessions ADD COLUMN origin TEXT NOT NULL DEFAULT 'office_hours'
    CHECK (origin IN ('office_hours', 'call'));

-- Where a series' reminders, host notices and recaps go: a text channel, and the series'
-- thread in it (opened with the first recap) that every region follows.
ALTER TABLE call_series ADD COLUMN home_channel_id INTEGER;
ALTER TABLE call_series ADD COLUMN thread_id INTEGER;

CREATE TABLE call_settings (
    guild_id INTEGER PRIMARY KEY,
    -- Members with this role may sign up to host (advocates always may).
    signup_role_id INTEGER,
    updated_at TEXT NOT NULL
);

-- Members signed up to host a slot.
CREATE TABLE call_hosts (
    guild_id INTEGER NOT NULL,
    series_id INTEGER NOT NULL REFERENCES call_series (id) ON DELETE CASCADE,
    slot_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    signed_up_at TEXT NOT NULL,
    PRIMARY KEY (slot_id, user_id)
);
CREATE INDEX call_hosts_series ON call_hosts (guild_id, series_id);

-- One row per occurrence that was planned (its session made), claimed before the session
-- is made so that a restart never plans the same call twice. The slot is copied (name,
-- zone): a removed slot's past calls keep their region.
CREATE TABLE call_occurrences (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    series_id INTEGER NOT NULL REFERENCES call_series (id) ON DELETE CASCADE,
    slot_id INTEGER NOT NULL,
    slot_name TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    starts_at TEXT NOT NULL,
    session_id INTEGER REFERENCES oh_sessions (id),
    host_id INTEGER,
    notice_claimed_at TEXT,
    notice_sent_at TEXT,
    interested INTEGER,
    present_peak INTEGER,
    notes_message_id INTEGER,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX call_occurrences_once ON call_occurrences (series_id, slot_id, cycle);
CREATE INDEX call_occurrences_series ON call_occurrences (guild_id, series_id, starts_at);

-- The shared agenda. An item is open until a call covers it; a decision made in one region
-- is copied, first in line, for the next call of each other region (for_slot_id).
CREATE TABLE call_agenda (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    series_id INTEGER NOT NULL REFERENCES call_series (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    added_at TEXT NOT NULL,
    for_slot_id INTEGER,
    decision_of INTEGER REFERENCES call_occurrences (id),
    covered_in INTEGER REFERENCES call_occurrences (id)
);
CREATE INDEX call_agenda_open ON call_agenda (guild_id, series_id, covered_in);

-- 'voice' or 'stage' when the series has a channel: the kind of its Discord events.
ALTER TABLE call_series ADD COLUMN channel_kind TEXT;
