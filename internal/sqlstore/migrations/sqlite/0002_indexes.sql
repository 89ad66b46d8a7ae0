-- +goose Up
-- The lookups that are not by primary key: listing by source (apply --prune) and by update
-- time, the audit trail by actor and action, sessions by expiry, login failures by key and time.
CREATE INDEX objects_source ON objects (source, kind, name);
CREATE INDEX objects_updated ON objects (updated_at);
CREATE INDEX audit_actor ON audit (actor, seq);
CREATE INDEX audit_action ON audit (action, seq);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX tokens_user ON tokens (user_name);
CREATE INDEX login_failures_key ON login_failures (key, at);

-- +goose Down
DROP INDEX login_failures_key;
DROP INDEX tokens_user;
DROP INDEX sessions_expires;
DROP INDEX audit_action;
DROP INDEX audit_actor;
DROP INDEX objects_updated;
DROP INDEX objects_source;
