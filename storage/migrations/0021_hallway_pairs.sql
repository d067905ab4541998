-- The first group each pair of members was in. "A new connection" (a pair never grouped
-- before) becomes a key look-up per pair, instead of a walk through each member's past
-- groups: at ten years of weekly 400-member rounds that walk took 250 ms for a month.
-- user_id is the lower id of the pair; forgetting a member deletes their pairs.
CREATE TABLE hallway_pairs (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    other_user_id INTEGER NOT NULL,
    first_group_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, other_user_id)
) WITHOUT ROWID;

-- Earlier rounds first, and earlier groups within a round, so the first group kept is the
-- earliest (OR IGNORE keeps the first row inserted).
INSERT OR IGNORE INTO hallway_pairs (guild_id, user_id, other_user_id, first_group_id)
SELECT g.guild_id, a.user_id, b.user_id, g.id
FROM hallway_group_members a
JOIN hallway_group_members b ON b.group_id = a.group_id AND b.user_id > a.user_id
JOIN hallway_groups g ON g.id = a.group_id
JOIN hallway_rounds r ON r.id = g.round_id
WHERE a.user_id != 0
ORDER BY r.number, g.id;
