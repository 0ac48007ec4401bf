-- Outbound web identity federation (EnableOutboundWebIdentityFederation): whether the account
-- vends JWTs, the random id in its issuer URL, and the keys that sign its tokens. A disabled
-- account keeps its issuer and keys, so tokens already issued still verify and enabling again
-- gives the same issuer URL.

CREATE TABLE outbound_federation (
    account_id TEXT PRIMARY KEY REFERENCES accounts (account_id),
    issuer_id  TEXT NOT NULL UNIQUE,
    -- 1 while GetWebIdentityToken may vend tokens, 0 once disabled.
    enabled    INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE outbound_signing_keys (
    key_id                 TEXT PRIMARY KEY,
    account_id             TEXT NOT NULL REFERENCES outbound_federation (account_id),
    -- The JWS algorithm the key signs with (ES384).
    algorithm              TEXT NOT NULL,
    -- The private key (PKCS#8), sealed with the master key under the key id's binding.
    private_key_ciphertext BYTEA NOT NULL,
    -- The public key as a JWK, served at the issuer's jwks_uri.
    public_jwk             TEXT NOT NULL,
    created_at             BIGINT NOT NULL
);
CREATE INDEX outbound_signing_keys_by_account ON outbound_signing_keys (account_id);
