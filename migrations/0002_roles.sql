-- Staff roles. Admins listed in ADMIN_IDS are (re)granted at every start.
CREATE TABLE roles (
    user_id     INTEGER NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'coordinator')),
    granted_by  INTEGER,                -- NULL: bootstrapped from ADMIN_IDS
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- Programmes a coordinator answers for (ticket routing).
CREATE TABLE coordinator_programmes (
    user_id         INTEGER NOT NULL,
    programme_code  TEXT NOT NULL,
    PRIMARY KEY (user_id, programme_code)
);

-- Refused attempts to use staff powers, for the admins to review.
CREATE TABLE access_denials (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    action      TEXT NOT NULL,
    at          INTEGER NOT NULL
);
