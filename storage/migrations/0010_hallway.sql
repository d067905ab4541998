-- Members' own settings shared by every feature (/me), and the hallway track: opt-in
-- pairing of members for 1:1 chats, its rounds, groups and "did you meet?" answers.

-- One row per member who set something about themselves; other features read the zone here.
CREATE TABLE member_settings (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    timezone TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- A guild runs rounds once it has a row here.
CREATE TABLE hallway_config (
    guild_id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    cadence TEXT NOT NULL CHECK (cadence IN ('weekly', 'every-2-weeks', 'monthly')),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    post_time TEXT NOT NULL,
    timezone TEXT NOT NULL,
    group_size INTEGER NOT NULL CHECK (group_size BETWEEN 2 AND 3),
    followup_days INTEGER NOT NULL DEFAULT 4 CHECK (followup_days BETWEEN 1 AND 30),
    anchor TEXT NOT NULL,
    next_run_at TEXT,
    updated_at TEXT NOT NULL
);

-- Who takes part. interests is a JSON list; free_hours the member's own text, as typed
-- (it is re-read in their zone for every round). active = 0 after /hallway leave.
CREATE TABLE hallway_members (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    interests TEXT NOT NULL DEFAULT '[]',
    intro TEXT NOT NULL DEFAULT '',
    free_hours TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    paused_until TEXT,
    server_joined_at TEXT,
    last_sat_out_round INTEGER,
    joined_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- "Never pair me with": private to user_id; other_user_id is never told.
CREATE TABLE hallway_never (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    other_user_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id, other_user_id)
) WITHOUT ROWID;

-- A round is claimed with all its groups in one transaction (status 'running'), then
-- each group's thread is made and recorded; 'done' once every group is delivered.
-- scheduled_for is unique per guild, so a schedule fires each round once.
CREATE TABLE hallway_rounds (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    number INTEGER NOT NULL,
    scheduled_for TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done')),
    pool_size INTEGER NOT NULL,
    claimed_at TEXT NOT NULL,
    finished_at TEXT,
    UNIQUE (guild_id, number),
    UNIQUE (guild_id, scheduled_for)
);

-- status: pending -> creating (a thread may exist: look before making another)
-- -> created (thread_id set) | refused (Discord refused the thread; members got DMs).
CREATE TABLE hallway_groups (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL REFERENCES hallway_rounds(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'creating', 'created', 'refused')),
    reasons TEXT NOT NULL DEFAULT '[]',
    suggested TEXT NOT NULL DEFAULT '[]',
    thread_id INTEGER,
    creating_at TEXT,
    delivered_at TEXT,
    followup_at TEXT,
    followup_claimed_at TEXT,
    followup_message_id INTEGER,
    problem TEXT
);
CREATE INDEX hallway_groups_round ON hallway_groups (round_id);
CREATE INDEX hallway_groups_followup ON hallway_groups (followup_at)
    WHERE followup_message_id IS NULL;

-- Members of each group. A forgotten member's id becomes 0, so their partners'
-- history keeps the group and shows "a former member".
CREATE TABLE hallway_group_members (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES hallway_groups(id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    answer TEXT CHECK (answer IN ('yes', 'not-yet', 'no')),
    answered_at TEXT
);
CREATE INDEX hallway_group_members_group ON hallway_group_members (group_id);
CREATE INDEX hallway_group_members_user ON hallway_group_members (guild_id, user_id);

-- Who sat out a round and why; notified_at once the DM was attempted.
CREATE TABLE hallway_sitouts (
    round_id INTEGER NOT NULL REFERENCES hallway_rounds(id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    notified_at TEXT,
    PRIMARY KEY (round_id, user_id)
);
