-- A capture as one statement. Inserting into this view writes the item, its tags (JSON
-- [[tag, score, source], ...]) and its index terms (JSON {term: tf}) through the trigger
-- below, so a capture is atomic without BEGIN/COMMIT and costs one round trip to the
-- SQLite thread instead of six. The caller supplies the new id (MAX(id) + 1, what SQLite
-- would pick) so that RETURNING can report it, and may compute `candidates` (the similar
-- items, as JSON) in the same VALUES: evaluated before the insert, so the new item is never
-- its own candidate; RETURNING hands it back and the trigger ignores it. The triggers of
-- 0003 still run for the item and its terms.
CREATE VIEW feedback_capture AS
SELECT id, guild_id, summary, details, product_area, source, reporter_id, reporter_name,
       captured_by_id, channel_id, message_id, source_url, attachments, fields, created_at,
       NULL AS tags, NULL AS terms, NULL AS candidates
FROM feedback_items WHERE 0;

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
    INSERT INTO feedback_terms (guild_id, item_id, term, tf)
    SELECT NEW.guild_id, NEW.id, key, value FROM json_each(NEW.terms);
END;
