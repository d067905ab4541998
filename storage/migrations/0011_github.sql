-- GitHub follow-up: each guild's repository, the issues feedback items are linked to, and the
-- poll's own state. No member names or ids: items are referred to by their number only.

CREATE TABLE github_repos (
    guild_id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,           -- the repository's owner: a GitHub user or organisation
    name TEXT NOT NULL,
    ship_on TEXT NOT NULL CHECK (ship_on IN ('close', 'release')),
    notice_channel_id INTEGER,       -- where advocates are told about problems, if no log channel
    updated_at TEXT NOT NULL
);

-- One link per item; several items may link to the same issue.
CREATE TABLE github_links (
    guild_id INTEGER NOT NULL,
    item_id INTEGER NOT NULL REFERENCES feedback_items(id) ON DELETE CASCADE,
    account TEXT NOT NULL,           -- the repository's owner: a GitHub user or organisation
    name TEXT NOT NULL,
    number INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('issue', 'pull')),
    observed TEXT,                   -- the issue's state last acted on; NULL until the first poll
    phase TEXT NOT NULL DEFAULT 'following'
        CHECK (phase IN ('following', 'waiting-release', 'done', 'gone')),
    closed_at TEXT,                  -- when the issue closed, for the release it waits for
    told_gone INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, item_id)
) WITHOUT ROWID;
CREATE INDEX github_links_issue ON github_links (account, name, number);

-- The token is the bot's, not a guild's: one row for the whole poll.
CREATE TABLE github_poll (
    id INTEGER PRIMARY KEY,          -- always 1
    next_poll_at TEXT,
    paused_at TEXT,                  -- set on a 401; cleared by a passing `python bot.py --check`
    paused_reason TEXT
);

-- Problems advocates were told about, so each is told once (claimed before it is sent).
CREATE TABLE github_notices (
    guild_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, key)
) WITHOUT ROWID;

-- GitHub's last answer per followed URL (issues and releases; timelines aren't kept), so
-- conditional requests keep answering 304 across a restart. Public GitHub data only.
CREATE TABLE github_etags (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    data TEXT NOT NULL,              -- JSON, as gidgethub decoded it
    next_url TEXT,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
