-- The IAM data model, SQLite flavour. Times are epoch seconds; flags are 0/1 integers so that
-- both backends decode them the same way; *_lower columns carry AWS's case-insensitive names.

CREATE TABLE revision (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    value      INTEGER NOT NULL,
    -- Change-log entries at or below this revision are gone (pruned or reset).
    log_floor  INTEGER NOT NULL
);
INSERT INTO revision (id, value, log_floor) VALUES (1, 0, 0);

CREATE TABLE change_log (
    revision    INTEGER NOT NULL,
    account_id  TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    PRIMARY KEY (revision, account_id, entity_kind, entity_id)
);

CREATE TABLE accounts (
    account_id  TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    email_lower TEXT NOT NULL UNIQUE,
    alias       TEXT UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    user_id                  TEXT PRIMARY KEY,
    account_id               TEXT NOT NULL REFERENCES accounts (account_id),
    name                     TEXT NOT NULL,
    name_lower               TEXT NOT NULL,
    path                     TEXT NOT NULL,
    created_at               INTEGER NOT NULL,
    permissions_boundary_arn TEXT,
    password_last_used       INTEGER,
    UNIQUE (account_id, name_lower)
);

CREATE TABLE iam_groups (
    group_id   TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    name       TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    path       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, name_lower)
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES iam_groups (group_id),
    user_id  TEXT NOT NULL REFERENCES users (user_id),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id);

CREATE TABLE roles (
    role_id                  TEXT PRIMARY KEY,
    account_id               TEXT NOT NULL REFERENCES accounts (account_id),
    name                     TEXT NOT NULL,
    name_lower               TEXT NOT NULL,
    path                     TEXT NOT NULL,
    trust_policy             TEXT NOT NULL,
    description              TEXT,
    max_session_duration     INTEGER NOT NULL,
    permissions_boundary_arn TEXT,
    created_at               INTEGER NOT NULL,
    last_used_at             INTEGER,
    last_used_region         TEXT,
    UNIQUE (account_id, name_lower)
);

CREATE TABLE policies (
    policy_id        TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (account_id),
    name             TEXT NOT NULL,
    name_lower       TEXT NOT NULL,
    path             TEXT NOT NULL,
    arn              TEXT NOT NULL UNIQUE,
    description      TEXT,
    default_version  INTEGER NOT NULL,
    -- The number the next version gets: version ids are never reused.
    next_version     INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (account_id, name_lower)
);

CREATE TABLE policy_versions (
    policy_id  TEXT NOT NULL REFERENCES policies (policy_id),
    version    INTEGER NOT NULL,
    document   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (policy_id, version)
);

-- Managed policy attachments. The policy is named by ARN because AWS managed policies are not
-- stored; the principal by kind and unique id (a rename keeps its attachments).
CREATE TABLE attachments (
    account_id     TEXT NOT NULL,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group', 'role')),
    principal_id   TEXT NOT NULL,
    policy_arn     TEXT NOT NULL,
    PRIMARY KEY (principal_kind, principal_id, policy_arn)
);
CREATE INDEX attachments_by_policy ON attachments (account_id, policy_arn);

CREATE TABLE inline_policies (
    account_id     TEXT NOT NULL,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group', 'role')),
    principal_id   TEXT NOT NULL,
    policy_name    TEXT NOT NULL,
    document       TEXT NOT NULL,
    PRIMARY KEY (principal_kind, principal_id, policy_name)
);

CREATE TABLE access_keys (
    access_key_id     TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (account_id),
    -- NULL: the account root's key.
    user_id           TEXT REFERENCES users (user_id),
    secret_ciphertext BLOB NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
    created_at        INTEGER NOT NULL,
    last_used_at      INTEGER,
    last_used_service TEXT,
    last_used_region  TEXT
);
CREATE INDEX access_keys_by_owner ON access_keys (account_id, user_id);

CREATE TABLE login_profiles (
    user_id                 TEXT PRIMARY KEY REFERENCES users (user_id),
    password_hash           TEXT NOT NULL,
    password_reset_required INTEGER NOT NULL,
    created_at              INTEGER NOT NULL,
    password_set_at         INTEGER NOT NULL
);

CREATE TABLE password_history (
    user_id       TEXT NOT NULL REFERENCES users (user_id),
    seq           INTEGER NOT NULL,
    password_hash TEXT NOT NULL,
    set_at        INTEGER NOT NULL,
    PRIMARY KEY (user_id, seq)
);

CREATE TABLE password_policies (
    account_id                     TEXT PRIMARY KEY REFERENCES accounts (account_id),
    minimum_password_length        INTEGER NOT NULL,
    require_symbols                INTEGER NOT NULL,
    require_numbers                INTEGER NOT NULL,
    require_uppercase_characters   INTEGER NOT NULL,
    require_lowercase_characters   INTEGER NOT NULL,
    allow_users_to_change_password INTEGER NOT NULL,
    max_password_age               INTEGER,
    password_reuse_prevention      INTEGER,
    hard_expiry                    INTEGER NOT NULL
);

CREATE TABLE tags (
    account_id    TEXT NOT NULL,
    resource_kind TEXT NOT NULL CHECK (resource_kind IN ('user', 'role', 'policy')),
    resource_id   TEXT NOT NULL,
    tag_key       TEXT NOT NULL,
    key_lower     TEXT NOT NULL,
    tag_value     TEXT NOT NULL,
    PRIMARY KEY (resource_kind, resource_id, key_lower)
);

CREATE TABLE mfa_devices (
    serial_number   TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (account_id),
    -- NULL with owner_root = 0: not enabled for anyone.
    user_id         TEXT REFERENCES users (user_id),
    owner_root      INTEGER NOT NULL,
    seed_ciphertext BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    enabled_at      INTEGER,
    last_used_step  INTEGER
);
CREATE INDEX mfa_devices_by_user ON mfa_devices (user_id);
