-- Identity providers (issue 13): OpenID Connect providers, keyed by the ARN's resource part
-- (URL without https://, host lower-cased), and SAML providers, named case-insensitively
-- uniquely like other IAM names. Their tags live in the one tags table (resource_kind
-- 'oidc-provider' by ARN, 'saml-provider' by SAMLProviderUUID, migration 4).

CREATE TABLE oidc_providers (
    account_id  TEXT NOT NULL REFERENCES accounts (account_id),
    resource    TEXT NOT NULL,
    arn         TEXT NOT NULL UNIQUE,
    url         TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, resource)
);

-- A provider's client ids and thumbprints, in the order they were added; a value appears
-- once per list.
CREATE TABLE oidc_provider_values (
    arn       TEXT NOT NULL REFERENCES oidc_providers (arn) ON DELETE CASCADE,
    list      TEXT NOT NULL CHECK (list IN ('client-id', 'thumbprint')),
    position  INTEGER NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (arn, list, value)
);

CREATE TABLE saml_providers (
    saml_provider_uuid        TEXT PRIMARY KEY,
    account_id                TEXT NOT NULL REFERENCES accounts (account_id),
    name                      TEXT NOT NULL,
    name_lower                TEXT NOT NULL,
    metadata_document         TEXT NOT NULL,
    created_at                INTEGER NOT NULL,
    valid_until               INTEGER NOT NULL,
    assertion_encryption_mode TEXT CHECK (assertion_encryption_mode IN ('Allowed', 'Required')),
    UNIQUE (account_id, name_lower)
);

-- Private keys that decrypt a provider's encrypted assertions, sealed by the service.
CREATE TABLE saml_provider_private_keys (
    saml_provider_uuid     TEXT NOT NULL
                           REFERENCES saml_providers (saml_provider_uuid) ON DELETE CASCADE,
    key_id                 TEXT NOT NULL,
    private_key_ciphertext BLOB NOT NULL,
    added_at               INTEGER NOT NULL,
    PRIMARY KEY (saml_provider_uuid, key_id)
);
