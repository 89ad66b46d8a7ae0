-- +goose Up
-- Names are COLLATE "C" so that sorting by name is by code point, as on SQLite, whatever the
-- database's locale. Times are timestamptz, which keeps microseconds.

-- One row: the write generation and the head of the audit chain. Every transaction that
-- writes the model or appends to the audit trail locks it (SELECT ... FOR UPDATE) first, which
-- serialises those writes across every perdura process sharing the database.
CREATE TABLE store_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  BIGINT  NOT NULL,
    audit_seq   BIGINT  NOT NULL,
    audit_head  BYTEA   NOT NULL
);
INSERT INTO store_state (id, generation, audit_seq, audit_head)
VALUES (1, 0, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);

CREATE TABLE objects (
    kind        TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    revision    BIGINT      NOT NULL,
    source      TEXT        NOT NULL,
    document    TEXT        NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  TEXT        NOT NULL,
    door        TEXT        NOT NULL,
    PRIMARY KEY (kind, name)
);

-- Every version of every object, deletions included; (kind, name, revision) is never reused.
CREATE TABLE revisions (
    kind        TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    revision    BIGINT      NOT NULL,
    document    TEXT,
    deleted     BOOLEAN     NOT NULL,
    source      TEXT        NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT        NOT NULL,
    door        TEXT        NOT NULL,
    PRIMARY KEY (kind, name, revision)
);

CREATE TABLE audit (
    seq         BIGINT      PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT        NOT NULL,
    door        TEXT        NOT NULL,
    remote      TEXT        NOT NULL,
    action      TEXT COLLATE "C" NOT NULL,
    target      TEXT        NOT NULL,
    detail      TEXT        NOT NULL,
    prev        BYTEA       NOT NULL,
    hash        BYTEA       NOT NULL
);

CREATE TABLE users (
    name           TEXT COLLATE "C" PRIMARY KEY,
    display_name   TEXT        NOT NULL,
    role           TEXT        NOT NULL,
    password_hash  TEXT        NOT NULL,
    disabled       BOOLEAN     NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    id_hash     BYTEA       PRIMARY KEY,
    user_name   TEXT COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf        TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE tokens (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT        NOT NULL,
    user_name   TEXT COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    role        TEXT        NOT NULL,
    hash        BYTEA       NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ,
    last_used   TIMESTAMPTZ,
    revoked     BOOLEAN     NOT NULL
);

CREATE TABLE login_failures (
    key  TEXT        NOT NULL,
    at   TIMESTAMPTZ NOT NULL
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
