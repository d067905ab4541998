-- Scheduled announcements, their deliveries, and drafts waiting for their body.
CREATE TABLE announcements (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    author_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    channel_kind TEXT NOT NULL CHECK (channel_kind IN ('text', 'news', 'forum')),
    title TEXT,
    body TEXT NOT NULL,
    image_url TEXT,
    ping_role_id INTEGER,
    ping_everyone INTEGER NOT NULL DEFAULT 0,
    repeat_spec TEXT NOT NULL,
    zone TEXT NOT NULL,
    anchor TEXT NOT NULL,
    next_run_at TEXT,
    late_policy TEXT NOT NULL DEFAULT 'default' CHECK (late_policy IN ('send', 'skip', 'default')),
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'paused', 'completed', 'cancelled', 'failed')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX announcements_guild_next ON announcements (guild_id, next_run_at);
CREATE INDEX announcements_guild_status ON announcements (guild_id, status);
CREATE INDEX announcements_due ON announcements (status, next_run_at);

-- One row per occurrence. The UNIQUE pair is what makes a claim exclusive: an
-- occurrence can be claimed once, whatever restarts happen around it.
CREATE TABLE announcement_deliveries (
    id INTEGER PRIMARY KEY,
    announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    scheduled_for TEXT NOT NULL,
    manual INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'missed', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    claimed_at TEXT,
    sent_at TEXT,
    message_id INTEGER,
    channel_id INTEGER,
    -- The post as rendered at claim time (JSON), so a resend after a crash is identical
    -- and can be recognised in the channel's history.
    rendered TEXT,
    error TEXT,
    -- Set once an announcement-channel post is published to following servers.
    published_at TEXT,
    reactions INTEGER,
    reactions_recorded_at TEXT,
    UNIQUE (announcement_id, scheduled_for)
);
CREATE INDEX announcement_deliveries_guild_time ON announcement_deliveries (guild_id, scheduled_for);
CREATE INDEX announcement_deliveries_guild_sent ON announcement_deliveries (guild_id, sent_at);
CREATE INDEX announcement_deliveries_status ON announcement_deliveries (status);

-- Options of /announce schedule or edit, kept while the author writes the body in
-- the modal, so a restart in between loses nothing.
CREATE TABLE announcement_drafts (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    author_id INTEGER NOT NULL,
    announcement_id INTEGER,
    options TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX announcement_drafts_guild_created ON announcement_drafts (guild_id, created_at);
