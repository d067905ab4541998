-- Help channels (issue 17): channels and forums where members ask for help, and each
-- top-level message or forum post in them, as ids and times only, never text.
CREATE TABLE help_channels (
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    marked_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
) WITHOUT ROWID;

-- nudge_hours NULL: the default (24).
CREATE TABLE help_settings (
    guild_id INTEGER PRIMARY KEY,
    nudge_hours INTEGER,
    updated_at TEXT NOT NULL
);

-- message_id: the message, or for a forum post its thread (the starter message shares
-- the thread's id). thread_id: where replies to it are written (the post's thread, or a
-- thread opened on the message), NULL until there is one.
-- nudge_due_at / escalate_due_at are computed when the post is tracked (and again when
-- the guild's hours change); nudged_at / escalated_at are the claims, set before sending.
CREATE TABLE help_posts (
    guild_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    thread_id INTEGER,
    author_id INTEGER NOT NULL,
    posted_at TEXT NOT NULL,
    answered_at TEXT,
    nudge_due_at TEXT NOT NULL,
    escalate_due_at TEXT NOT NULL,
    nudged_at TEXT,
    escalated_at TEXT,
    PRIMARY KEY (guild_id, message_id)
) WITHOUT ROWID;

CREATE INDEX help_posts_thread ON help_posts (guild_id, thread_id) WHERE thread_id IS NOT NULL;
CREATE INDEX help_posts_waiting ON help_posts (guild_id, nudge_due_at, escalate_due_at)
    WHERE answered_at IS NULL AND escalated_at IS NULL;
CREATE INDEX help_posts_posted ON help_posts (guild_id, posted_at);
CREATE INDEX help_posts_author ON help_posts (guild_id, author_id);
