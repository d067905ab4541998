-- A capture's index terms are written just after its reply instead of inside it (see
-- FeedbackService.capture): the terms are derived from the item's text, and writing them
-- (about a dozen scattered rows in feedback_terms, its term index and feedback_doc_freq)
-- was half of what the capture statement cost. The capture now writes the item, its tags
-- and a row here, in one statement; the terms follow in a second statement through
-- feedback_index_write, which removes the row. A row still here at start-up (the bot
-- stopped between the two) has its item indexed then.
CREATE TABLE feedback_index_pending (
    item_id INTEGER PRIMARY KEY REFERENCES feedback_items(id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL
);

DROP TRIGGER feedback_capture_insert;
CREATE TRIGGER feedback_capture_insert INSTEAD OF INSERT ON feedback_capture
BEGIN
    INSERT INTO feedback_items (id, guild_id, summary, details, product_area, source,
        reporter_id, reporter_name, captured_by_id, channel_id, message_id, source_url,
        attachments, fields, votes, created_at, updated_at)
    VALUES (NEW.id, NEW.guild_id, NEW.summary, NEW.details, NEW.product_area, NEW.source,
        NEW.reporter_id, NEW.reporter_name, NEW.captured_by_id, NEW.channel_id,
        NEW.message_id, NEW.source_url, NEW.attachments, NEW.fields, 1, NEW.created_at,
        NEW.created_at);
    INSERT INTO feedback_tags (item_id, guild_id, tag, score, source)
    SELECT NEW.id, NEW.guild_id, json_extract(value, '$[0]'), json_extract(value, '$[1]'),
           json_extract(value, '$[2]')
    FROM json_each(NEW.tags);
    INSERT INTO feedback_index_pending (item_id, guild_id) VALUES (NEW.id, NEW.guild_id);
END;

-- Writing one item's terms (JSON {term: tf}) and clearing its pending row, atomically.
CREATE VIEW feedback_index_write AS
SELECT item_id, guild_id, NULL AS terms FROM feedback_index_pending WHERE 0;

CREATE TRIGGER feedback_index_write_insert INSTEAD OF INSERT ON feedback_index_write
BEGIN
    INSERT INTO feedback_terms (guild_id, item_id, term, tf)
    SELECT NEW.guild_id, NEW.item_id, key, value FROM json_each(NEW.terms)
    WHERE EXISTS (SELECT 1 FROM feedback_index_pending WHERE item_id = NEW.item_id);
    DELETE FROM feedback_index_pending WHERE item_id = NEW.item_id;
END;
