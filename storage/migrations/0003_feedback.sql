-- Feedback items, their pain-point tags, votes, reporters and status history; the
-- per-guild naive Bayes counts learnt from retags; and the TF-IDF term index used to
-- find similar items. Times are UTC text (storage/timeutil.py).

CREATE TABLE feedback_items (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    summary TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    product_area TEXT,
    status TEXT NOT NULL DEFAULT 'new',
    source TEXT NOT NULL,            -- command | message | reaction | office-hours
    reporter_id INTEGER NOT NULL,
    reporter_name TEXT NOT NULL,
    captured_by_id INTEGER NOT NULL,
    channel_id INTEGER,
    message_id INTEGER,              -- the captured Discord message, if any
    source_url TEXT,
    attachments TEXT NOT NULL DEFAULT '[]',   -- JSON list of URLs
    fields TEXT NOT NULL DEFAULT '{}',        -- JSON: language, sdk, versions, error_codes
    link_url TEXT,
    duplicate_of INTEGER REFERENCES feedback_items(id),
    votes INTEGER NOT NULL DEFAULT 0,         -- kept equal to the rows in feedback_votes
    forum_thread_id INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- One item per captured message: capturing it again counts as a vote instead.
CREATE UNIQUE INDEX feedback_items_message ON feedback_items (guild_id, message_id)
    WHERE message_id IS NOT NULL;
CREATE INDEX feedback_items_created ON feedback_items (guild_id, created_at);
CREATE INDEX feedback_items_status_votes ON feedback_items (guild_id, status, votes);

CREATE TABLE feedback_tags (
    item_id INTEGER NOT NULL REFERENCES feedback_items(id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    tag TEXT NOT NULL,
    score REAL NOT NULL,
    source TEXT NOT NULL,            -- rule | model | manual
    PRIMARY KEY (item_id, tag)
) WITHOUT ROWID;
CREATE INDEX feedback_tags_guild_tag ON feedback_tags (guild_id, tag, item_id);

CREATE TABLE feedback_votes (
    item_id INTEGER NOT NULL REFERENCES feedback_items(id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (item_id, user_id)
) WITHOUT ROWID;

CREATE TABLE feedback_reporters (
    item_id INTEGER NOT NULL REFERENCES feedback_items(id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    display_name TEXT NOT NULL,      -- kept so the digest can thank people by name
    PRIMARY KEY (item_id, user_id)
);

CREATE TABLE feedback_history (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES feedback_items(id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    actor_id INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX feedback_history_item ON feedback_history (item_id, id);
CREATE INDEX feedback_history_status ON feedback_history (guild_id, status, created_at);

-- Advocates' retag corrections, kept as the record the Bayes counts were learnt from.
CREATE TABLE feedback_corrections (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    item_id INTEGER NOT NULL REFERENCES feedback_items(id) ON DELETE CASCADE,
    actor_id INTEGER NOT NULL,
    added TEXT NOT NULL,             -- JSON list
    removed TEXT NOT NULL,           -- JSON list
    created_at TEXT NOT NULL
);
CREATE INDEX feedback_corrections_guild ON feedback_corrections (guild_id, created_at);

CREATE TABLE feedback_custom_tags (
    guild_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    keywords TEXT NOT NULL,          -- JSON list
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, name)
) WITHOUT ROWID;

CREATE TABLE feedback_areas (
    guild_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (guild_id, position)
) WITHOUT ROWID;

-- services/bayes.py TagModel rows, per guild.
CREATE TABLE feedback_model_tokens (
    guild_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    token TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (guild_id, label, token)
) WITHOUT ROWID;

CREATE TABLE feedback_model_examples (
    guild_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    examples INTEGER NOT NULL,
    PRIMARY KEY (guild_id, label)
) WITHOUT ROWID;

-- TF-IDF index: term frequencies per item, document frequencies and item count per guild.
CREATE TABLE feedback_terms (
    guild_id INTEGER NOT NULL,
    item_id INTEGER NOT NULL REFERENCES feedback_items(id) ON DELETE CASCADE,
    term TEXT NOT NULL,
    tf INTEGER NOT NULL,
    PRIMARY KEY (item_id, term)
) WITHOUT ROWID;
CREATE INDEX feedback_terms_lookup ON feedback_terms (guild_id, term, item_id);

CREATE TABLE feedback_doc_freq (
    guild_id INTEGER NOT NULL,
    term TEXT NOT NULL,
    df INTEGER NOT NULL,
    PRIMARY KEY (guild_id, term)
) WITHOUT ROWID;

CREATE TABLE feedback_index_stats (
    guild_id INTEGER PRIMARY KEY,
    n_docs INTEGER NOT NULL
);

-- Bookkeeping SQLite does itself when an item or its index terms are inserted, so a capture
-- is a few statements rather than a dozen round trips: every item starts with its reporter,
-- the reporter's vote and a "new" history entry, and the index counts stay exact.
CREATE TRIGGER feedback_items_created AFTER INSERT ON feedback_items
BEGIN
    INSERT INTO feedback_reporters (item_id, guild_id, user_id, display_name)
    VALUES (NEW.id, NEW.guild_id, NEW.reporter_id, NEW.reporter_name);
    INSERT INTO feedback_votes (item_id, guild_id, user_id, created_at)
    VALUES (NEW.id, NEW.guild_id, NEW.reporter_id, NEW.created_at);
    INSERT INTO feedback_history (item_id, guild_id, status, actor_id, note, created_at)
    VALUES (NEW.id, NEW.guild_id, 'new', NEW.captured_by_id, 'captured (' || NEW.source || ')',
            NEW.created_at);
    INSERT INTO feedback_index_stats (guild_id, n_docs) VALUES (NEW.guild_id, 1)
    ON CONFLICT(guild_id) DO UPDATE SET n_docs = n_docs + 1;
END;

CREATE TRIGGER feedback_terms_indexed AFTER INSERT ON feedback_terms
BEGIN
    INSERT INTO feedback_doc_freq (guild_id, term, df) VALUES (NEW.guild_id, NEW.term, 1)
    ON CONFLICT(guild_id, term) DO UPDATE SET df = df + 1;
END;
