-- +goose Up
-- Times are TEXT in one fixed-width UTC layout (2006-01-02T15:04:05.000000Z): microsecond
-- precision like PostgreSQL, and sorted and compared correctly as plain strings.

-- One row: the write generation and the head of the audit chain. Every transaction that
-- writes the model or appends to the audit trail updates it, so it is also the point where
-- such writes are serialised.
CREATE TABLE store_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL,
    audit_seq   INTEGER NOT NULL,
    audit_head  BLOB    NOT NULL
);
INSERT INTO store_state (id, generation, audit_seq, audit_head) VALUES (1, 0, 0, zeroblob(32));

CREATE TABLE objects (
    kind        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    document    TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    updated_by  TEXT    NOT NULL,
    door        TEXT    NOT NULL,
    PRIMARY KEY (kind, name)
);

-- Every version of every object, deletions included; (kind, name, revision) is never reused.
CREATE TABLE revisions (
    kind        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    document    TEXT,
    deleted     BOOLEAN NOT NULL,
    source      TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    door        TEXT    NOT NULL,
    PRIMARY KEY (kind, name, revision)
);

CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    door        TEXT    NOT NULL,
    remote      TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    prev        BLOB    NOT NULL,
    hash        BLOB    NOT NULL
);

CREATE TABLE users (
    name           TEXT    PRIMARY KEY,
    display_name   TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    disabled       BOOLEAN NOT NULL,
    created_at     TEXT    NOT NULL
);

CREATE TABLE sessions (
    id_hash     BLOB PRIMARY KEY,
    user_name   TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE TABLE tokens (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    user_name   TEXT    NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    role        TEXT    NOT NULL,
    hash        BLOB    NOT NULL UNIQUE,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT,
    last_used   TEXT,
    revoked     BOOLEAN NOT NULL
);

CREATE TABLE login_failures (
    key  TEXT NOT NULL,
    at   TEXT NOT NULL
);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE audit;
DROP TABLE revisions;
DROP TABLE objects;
DROP TABLE store_state;
