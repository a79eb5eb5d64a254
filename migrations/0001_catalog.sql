-- Catalogue, users and conversation state.
-- Times are unix seconds (UTC). Levels and ISCED fields are bit masks (see bot/domain/profile.py):
-- they are closed sets, and a mask keeps the filter query a single indexed scan.

CREATE TABLE programmes (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    website     TEXT NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 100
);

INSERT INTO programmes (code, name, website, sort_order) VALUES
    ('erasmus',   'Erasmus+',       'https://erasmus-plus.ec.europa.eu/', 10),
    ('fulbright', 'Fulbright',      'https://foreign.fulbrightonline.org/', 20),
    ('daad',      'DAAD',           'https://www.daad.de/en/', 30),
    ('eyuf',      'El-Yurt Umidi',  'https://eyuf.uz/', 40);

CREATE TABLE calls (
    id                    INTEGER PRIMARY KEY,
    external_id           TEXT UNIQUE,
    programme_id          INTEGER NOT NULL REFERENCES programmes(id),
    status                TEXT NOT NULL DEFAULT 'draft'
                          CHECK (status IN ('draft', 'published', 'closed')),
    levels_mask           INTEGER NOT NULL CHECK (levels_mask > 0),
    fields_mask           INTEGER NOT NULL CHECK (fields_mask > 0),
    funding               TEXT NOT NULL
                          CHECK (funding IN ('full', 'partial', 'tuition', 'stipend')),
    language_requirement  TEXT,
    min_age               INTEGER,
    max_age               INTEGER,
    min_work_years        INTEGER,
    opens_at              INTEGER,
    deadline_at           INTEGER,            -- NULL: rolling / set by the home university
    deadline_tz           TEXT,               -- zone the organiser states the deadline in
    dates_typical         INTEGER NOT NULL DEFAULT 0,  -- 1: dates follow the usual cycle, unconfirmed
    official_url          TEXT NOT NULL,
    source_url            TEXT NOT NULL,
    verified_on           TEXT NOT NULL,      -- ISO date
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

CREATE INDEX calls_open_by_deadline ON calls (status, deadline_at);
CREATE INDEX calls_by_programme ON calls (programme_id, status);

CREATE TABLE call_texts (
    call_id  INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    lang     TEXT NOT NULL CHECK (lang IN ('uz', 'uz_Cyrl', 'ru', 'en')),
    title    TEXT NOT NULL,
    summary  TEXT NOT NULL,
    PRIMARY KEY (call_id, lang)
);

CREATE TABLE call_countries (
    call_id  INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    country  TEXT NOT NULL,                   -- ISO 3166 alpha-2, or EU
    PRIMARY KEY (call_id, country)
);
CREATE INDEX call_countries_by_country ON call_countries (country, call_id);

-- Search index: rowid = calls.id; body = titles and summaries of every language, folded to
-- one script (bot/domain/translit.py) so Latin and Cyrillic queries meet.
CREATE VIRTUAL TABLE call_search USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,  -- Telegram user id
    first_name          TEXT NOT NULL DEFAULT '',
    username            TEXT,
    telegram_language   TEXT,
    language            TEXT,                 -- chosen locale; NULL until chosen
    level               TEXT,
    fields_mask         INTEGER NOT NULL DEFAULT 0,
    facet_programme     TEXT,
    facet_funding       TEXT,
    facet_country       TEXT,
    facet_window_days   INTEGER,
    onboarded           INTEGER NOT NULL DEFAULT 0,
    is_active           INTEGER NOT NULL DEFAULT 1,
    created_at          INTEGER NOT NULL,
    last_seen_at        INTEGER NOT NULL
);
CREATE INDEX users_by_language ON users (language);
CREATE INDEX users_by_last_seen ON users (last_seen_at);

CREATE TABLE fsm_states (
    key    TEXT PRIMARY KEY,
    state  TEXT,
    data   TEXT NOT NULL DEFAULT '{}'
);
