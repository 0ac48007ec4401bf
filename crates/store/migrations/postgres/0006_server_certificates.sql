-- Server certificates: an X.509 certificate with its optional chain (PEM text, as uploaded)
-- and its private key, which arrives sealed by the service and is never read back out.
-- Their tags live in the one tags table (resource_kind 'server-certificate', migration 4).

CREATE TABLE server_certificates (
    server_certificate_id  TEXT PRIMARY KEY,
    account_id             TEXT NOT NULL REFERENCES accounts (account_id),
    name                   TEXT NOT NULL,
    name_lower             TEXT NOT NULL,
    path                   TEXT NOT NULL,
    certificate_body       TEXT NOT NULL,
    certificate_chain      TEXT,
    private_key_ciphertext BYTEA NOT NULL,
    uploaded_at            BIGINT NOT NULL,
    expires_at             BIGINT NOT NULL,
    UNIQUE (account_id, name_lower)
);
