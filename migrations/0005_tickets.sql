-- Questions escalated to coordinators ("tickets"), their messages, and the FAQ that answers
-- common questions before a ticket is opened. Times are unix seconds (UTC).

CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY,          -- the number the student is told
    student_id          INTEGER NOT NULL,             -- Telegram user id (= private chat id)
    call_id             INTEGER REFERENCES calls(id) ON DELETE SET NULL,  -- NULL: general question
    programme_code      TEXT,                         -- routing; NULL: general question
    locale              TEXT NOT NULL,                -- the student's language when asking
    status              TEXT NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'answered', 'closed')),
    -- where the ticket lives in the coordinators' chat (NULL until it was posted there)
    work_chat_id        INTEGER,
    topic_id            INTEGER,                      -- forum topic; NULL in a plain group
    header_message_id   INTEGER,                      -- the ticket's header message
    rating              INTEGER CHECK (rating IN (-1, 1)),
    created_at          INTEGER NOT NULL,
    waiting_since       INTEGER,                      -- last student message not yet answered
    answered_at         INTEGER,
    announced_at        INTEGER,                      -- last (re-)announcement in the work chat
    closed_at           INTEGER,
    closed_by           INTEGER                       -- who closed it (student or coordinator)
);
CREATE INDEX tickets_by_student ON tickets (student_id, status);
CREATE INDEX tickets_by_status_age ON tickets (status, created_at);
CREATE INDEX tickets_by_topic ON tickets (work_chat_id, topic_id);
CREATE INDEX tickets_by_header ON tickets (work_chat_id, header_message_id);

-- Every message of a ticket, with the message ids on both sides so that a reply on either
-- side finds its ticket after a restart.
CREATE TABLE ticket_messages (
    id                  INTEGER PRIMARY KEY,
    ticket_id           INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    direction           TEXT NOT NULL CHECK (direction IN ('question', 'answer')),
    author_id           INTEGER NOT NULL,
    kind                TEXT NOT NULL,                -- text | photo | document | other
    text                TEXT,                         -- text or caption
    file_id             TEXT,
    student_message_id  INTEGER,                      -- in the student's private chat
    work_chat_id        INTEGER,
    work_message_id     INTEGER,                      -- in the coordinators' chat
    created_at          INTEGER NOT NULL
);
CREATE INDEX ticket_messages_by_ticket ON ticket_messages (ticket_id, id);
CREATE INDEX ticket_messages_by_work ON ticket_messages (work_chat_id, work_message_id);
CREATE INDEX ticket_messages_by_student ON ticket_messages (student_message_id);

-- Bot messages in the student's chat that belong to a ticket (confirmations, answer headers),
-- so that the student's Telegram reply to any of them joins the ticket.
CREATE TABLE ticket_student_messages (
    student_id          INTEGER NOT NULL,
    message_id          INTEGER NOT NULL,
    ticket_id           INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    PRIMARY KEY (student_id, message_id)
);

-- Asked once, on the first ticket: may coordinators see the student's @username?
CREATE TABLE ticket_privacy (
    user_id             INTEGER PRIMARY KEY,
    share_username      INTEGER NOT NULL,
    decided_at          INTEGER NOT NULL
);

-- The first name a coordinator chose to show students (`/name` in the work chat).
CREATE TABLE coordinator_names (
    user_id             INTEGER PRIMARY KEY,
    display_name        TEXT NOT NULL,
    updated_at          INTEGER NOT NULL
);

-- Members of the work chat without a staff role who were told (once) why the bot ignores them.
CREATE TABLE work_chat_notices (
    user_id             INTEGER PRIMARY KEY,
    told_at             INTEGER NOT NULL
);

CREATE TABLE faq_entries (
    id                  INTEGER PRIMARY KEY,
    lang                TEXT NOT NULL CHECK (lang IN ('uz', 'uz_Cyrl', 'ru', 'en')),
    programme_code      TEXT,                         -- NULL: general
    question            TEXT NOT NULL,
    answer              TEXT NOT NULL,
    created_by          INTEGER NOT NULL,
    created_at          INTEGER NOT NULL
);
CREATE INDEX faq_by_lang ON faq_entries (lang, programme_code);
