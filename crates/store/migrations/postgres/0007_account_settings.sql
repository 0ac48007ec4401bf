-- Account-wide settings: the STS global endpoint token version (1 until
-- SetSecurityTokenServicePreferences says 2) and the account properties of
-- Get/PutAccountProperties, kept as AWS gives them: `Namespace/PropertyName` to a string.

ALTER TABLE accounts ADD COLUMN global_endpoint_token_version INTEGER NOT NULL DEFAULT 1;

CREATE TABLE account_properties (
    account_id     TEXT NOT NULL REFERENCES accounts (account_id),
    property_key   TEXT NOT NULL,
    property_value TEXT NOT NULL,
    PRIMARY KEY (account_id, property_key)
);
