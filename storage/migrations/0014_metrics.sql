-- Metrics (issue 18): when each member joined and first wrote, as ids and times, never text.
-- joined_at is the first join Hallway saw; first_message_at the first counted message.
-- A member who was here before Hallway has no joined_at and is in no join cohort.
CREATE TABLE member_milestones (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    joined_at TEXT,
    first_message_at TEXT,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

CREATE INDEX member_milestones_joined ON member_milestones (guild_id, joined_at)
    WHERE joined_at IS NOT NULL;

-- Retention and the funnel read one member's days: a range scan per member.
CREATE INDEX activity_member_day_user ON activity_member_day (guild_id, user_id, day);

-- Levels: the guild's own weights and thresholds (NULL = the defaults).
CREATE TABLE metrics_settings (
    guild_id INTEGER PRIMARY KEY,
    weights TEXT,          -- JSON object: activity -> weight
    thresholds TEXT,       -- JSON list of three scores: participant, contributor, champion
    updated_at TEXT NOT NULL
);
