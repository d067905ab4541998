-- The hallway track's digest figures (issue 18) read only the window's groups. Without
-- these, each digest read every group the guild ever had: with ten years of weekly rounds
-- of 400 members (104,000 groups) the figures took 953 ms; with them, 81 ms.
--
-- * groups delivered in the window: a range of (guild_id, delivered_at);
-- * groups whose first "did you meet?" answer came in the window: the answers given in the
--   window (a range of (guild_id, answered_at)), each group then checked for an earlier
--   answer through its own few member rows.
CREATE INDEX hallway_groups_delivered ON hallway_groups (guild_id, delivered_at);
CREATE INDEX hallway_group_members_answered ON hallway_group_members (guild_id, answered_at);
