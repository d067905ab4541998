-- Per-guild configuration, and small key/value facts about the bot itself.
CREATE TABLE guild_settings (
    guild_id INTEGER PRIMARY KEY,
    advocate_role_id INTEGER,
    timezone TEXT,
    office_hours_channel_id INTEGER,
    announcements_channel_id INTEGER,
    digest_channel_id INTEGER,
    feedback_channel_id INTEGER,
    log_channel_id INTEGER,
    capture_emoji TEXT NOT NULL DEFAULT '📝',
    updated_at TEXT NOT NULL
);

CREATE TABLE bot_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
