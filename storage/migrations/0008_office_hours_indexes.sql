-- Three office-hours lookups that scanned the guild's whole history, so that
-- `/officehours ask` slowed down as the years went by (with ten years of weekly sessions,
-- 1,559 sessions and 200k questions, the digest benchmark's database: 56 ms an ask):
--
-- * which session a question goes to (the live one, else the next) reads only the guild's
--   live and scheduled sessions, not every session it has ever had;
-- * the series' most recent answers (the wait estimate) walk the series' sessions newest
--   first and, in each, this partial index of answered questions, and stop after the few
--   they need;
-- * a session's next queue key is one seek at the end of (session_id, queue_key).
CREATE INDEX oh_questions_answered ON oh_questions (session_id, finished_at)
    WHERE outcome = 'answered';
CREATE INDEX oh_questions_session_key ON oh_questions (session_id, queue_key);
CREATE INDEX oh_sessions_guild_status ON oh_sessions (guild_id, status, starts_at);
