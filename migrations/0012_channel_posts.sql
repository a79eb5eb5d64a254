-- Channel posts (CHANNEL_IDS): each published call is posted to one channel per language.
-- An admin may keep a call out of the channels (off by default: every call is posted).
ALTER TABLE calls ADD COLUMN kept_off_channels INTEGER NOT NULL DEFAULT 0;

-- One row per (call, channel) from the moment its post is queued. message_id is set once
-- Telegram accepted the post (the edits that follow need it); revision counts the changes
-- to pass on, each an outbox push of its own (slot = revision), so two edits in a row are
-- never merged into one that was already sent.
CREATE TABLE channel_posts (
    call_id     INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    chat_id     INTEGER NOT NULL,
    locale      TEXT NOT NULL,
    message_id  INTEGER,
    revision    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (call_id, chat_id)
);
