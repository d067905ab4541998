-- Calls: the recap posted by /calls notes is claimed before it is sent (its rendered text
-- is kept with the claim), so a retry or a restart posts it once and a failed post is
-- retried from the stored text, not lost.
ALTER TABLE call_occurrences ADD COLUMN notes_claimed_at TEXT;
ALTER TABLE call_occurrences ADD COLUMN notes_text TEXT;
