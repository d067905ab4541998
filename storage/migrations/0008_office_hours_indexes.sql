-- Two office-hours lookups that scanned every question the guild ever had, so that
-- `/officehours ask` slowed down as history grew (56 ms a question with 200k questions
-- from ten years of weekly sessions, measured on the digest benchmark's database):
--
-- * the series' most recent answers (the wait estimate) now walk this partial index
--   newest first and stop after the few they need;
-- * a session's next queue key is one seek at the end of (session_id, queue_key).
CREATE INDEX oh_questions_answered ON oh_questions (guild_id, finished_at)
    WHERE outcome = 'answered';
CREATE INDEX oh_questions_session_key ON oh_questions (session_id, queue_key);
