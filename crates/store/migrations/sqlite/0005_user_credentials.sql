-- The credentials of users other than passwords and access keys: SSH public keys (CodeCommit),
-- X.509 signing certificates, and service-specific credentials. One table, since they share
-- an owner, an id, a status and a creation date; per-kind columns are NULL where unused.

CREATE TABLE user_credentials (
    credential_id     TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (account_id),
    -- NULL: the account root's (signing certificates only).
    user_id           TEXT REFERENCES users (user_id),
    kind              TEXT NOT NULL CHECK (kind IN ('ssh-public-key', 'signing-certificate',
                                                    'service-specific-credential')),
    status            TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
    -- The key or certificate as uploaded; empty for service-specific credentials.
    body              TEXT NOT NULL,
    -- What makes two uploads the same credential (duplicates are refused): the key's MD5
    -- fingerprint, the certificate's SHA-256.
    fingerprint       TEXT,
    service_name      TEXT,
    service_user_name TEXT,
    -- The sealed password or secret of a service-specific credential.
    secret_ciphertext BLOB,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER
);
CREATE INDEX user_credentials_by_owner ON user_credentials (account_id, user_id, kind);
