-- Surveys and quick polls (cogs/surveys, services/surveys, storage/surveys.py).
--
-- Anonymous surveys: survey_responses.member_id stays NULL; one response per member is
-- kept by member_hash = HMAC-SHA256(surveys.secret, member id). Closing a survey sets
-- surveys.secret and every member_hash to NULL and deletes unsubmitted responses, so
-- after the close no column links an answer to a member. Anonymous responses also
-- carry no timestamps.

CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    kind TEXT NOT NULL,                    -- survey | poll
    title TEXT NOT NULL,
    anonymous INTEGER NOT NULL DEFAULT 0,
    public_results INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,                  -- draft | open | closed
    closes_at TEXT,                        -- UTC; polls: when Discord ends the poll
    zone TEXT NOT NULL,
    channel_id INTEGER,
    message_id INTEGER,
    author_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    opened_at TEXT,
    closed_at TEXT,
    previous_id INTEGER REFERENCES surveys(id) ON DELETE SET NULL,
    round INTEGER NOT NULL DEFAULT 1,
    secret BLOB,                           -- anonymous only, NULL once closed
    card_closed INTEGER NOT NULL DEFAULT 0 -- the card was redrawn as closed
);
CREATE INDEX surveys_guild_status ON surveys (guild_id, status);

CREATE TABLE survey_questions (
    guild_id INTEGER NOT NULL,
    survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,             -- 1-based
    kind TEXT NOT NULL,                    -- nps | csat | scale | choice | text
    prompt TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '[]',    -- JSON list of labels (choice)
    multi INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (survey_id, position)
);

CREATE TABLE survey_responses (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    member_id INTEGER,                     -- attributed only
    member_hash TEXT,                      -- anonymous only, NULL once closed
    submitted INTEGER NOT NULL DEFAULT 0,
    submitted_at TEXT,                     -- attributed only
    updated_at TEXT                        -- attributed only
);
CREATE UNIQUE INDEX survey_responses_member ON survey_responses (survey_id, member_id)
    WHERE member_id IS NOT NULL;
CREATE UNIQUE INDEX survey_responses_hash ON survey_responses (survey_id, member_hash)
    WHERE member_hash IS NOT NULL;

CREATE TABLE survey_answers (
    guild_id INTEGER NOT NULL,
    response_id INTEGER NOT NULL REFERENCES survey_responses(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    value TEXT NOT NULL,                   -- a number, a JSON list of option indexes, or text
    PRIMARY KEY (response_id, position)
);

-- Attributed surveys: who was reminded by DM (claimed before the DM is sent: once only).
CREATE TABLE survey_reminders (
    guild_id INTEGER NOT NULL,
    survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (survey_id, member_id)
);

-- A quick poll's final counts, read from Discord when the poll ended.
CREATE TABLE survey_poll_counts (
    guild_id INTEGER NOT NULL,
    survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    votes INTEGER NOT NULL,
    PRIMARY KEY (survey_id, position)
);
