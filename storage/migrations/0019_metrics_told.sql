-- Loop closure (issue 18): who was told by DM that a feedback item shipped, and when.
-- Ids and times only; a DM that failed is not a row.
CREATE TABLE feedback_told (
    guild_id INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    told_at TEXT NOT NULL,
    PRIMARY KEY (item_id, user_id)
) WITHOUT ROWID;
