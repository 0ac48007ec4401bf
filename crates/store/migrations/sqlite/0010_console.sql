-- Console sign-in: the root user's password (an Argon2 hash; NULL until one is set) and when
-- it was last used, and the console sessions. A session is stored under the SHA-256 of its
-- cookie value, so the table alone signs no one in. `user_id` is NULL for the root user and
-- has no foreign key: a deleted user's sessions simply stop resolving.

ALTER TABLE accounts ADD COLUMN root_password_hash TEXT;
ALTER TABLE accounts ADD COLUMN root_password_last_used INTEGER;

CREATE TABLE console_sessions (
    id_hash          TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (account_id),
    user_id          TEXT,
    mfa              INTEGER NOT NULL,
    password_change  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);
