-- AWS Organizations (issue 15): an organization per management account, its root, its
-- organizational units, its member accounts (each a Castellan account) placed under a parent,
-- its policies (SCPs and RCPs) and their attachments, the policy types enabled on the root,
-- CreateAccount's request statuses, and the tags of accounts, OUs, roots and policies.
-- AWS managed policies (p-FullAWSAccess, p-RCPFullAWSAccess) have no row: they appear only
-- as attachments.

CREATE TABLE organizations (
    org_id                TEXT PRIMARY KEY,
    management_account_id TEXT NOT NULL UNIQUE REFERENCES accounts (account_id),
    feature_set           TEXT NOT NULL,
    root_id               TEXT NOT NULL UNIQUE,
    created_at            INTEGER NOT NULL
);

-- The policy types enabled on the root.
CREATE TABLE org_policy_types (
    org_id      TEXT NOT NULL REFERENCES organizations (org_id),
    policy_type TEXT NOT NULL,
    PRIMARY KEY (org_id, policy_type)
);

-- Organizational units; `parent_id` is the root's id or another unit's. Names are unique
-- under one parent.
CREATE TABLE org_units (
    ou_id      TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (org_id),
    parent_id  TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, parent_id, name)
);

-- Member accounts (the management account included); an account belongs to one organization.
CREATE TABLE org_accounts (
    account_id    TEXT PRIMARY KEY REFERENCES accounts (account_id),
    org_id        TEXT NOT NULL REFERENCES organizations (org_id),
    parent_id     TEXT NOT NULL,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    joined_method TEXT NOT NULL,
    joined_at     INTEGER NOT NULL,
    status        TEXT NOT NULL
);

CREATE TABLE org_policies (
    policy_id   TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (org_id),
    policy_type TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    content     TEXT NOT NULL,
    UNIQUE (org_id, policy_type, name)
);

-- Which policy is attached to which root, unit or account (AWS managed policies included).
CREATE TABLE org_policy_attachments (
    org_id      TEXT NOT NULL REFERENCES organizations (org_id),
    policy_id   TEXT NOT NULL,
    policy_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    PRIMARY KEY (policy_id, target_id)
);

CREATE INDEX org_policy_attachments_target ON org_policy_attachments (target_id);

CREATE TABLE org_create_account_status (
    request_id     TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations (org_id),
    account_name   TEXT NOT NULL,
    state          TEXT NOT NULL,
    requested_at   INTEGER NOT NULL,
    completed_at   INTEGER,
    account_id     TEXT,
    failure_reason TEXT
);

CREATE TABLE org_tags (
    org_id      TEXT NOT NULL REFERENCES organizations (org_id),
    resource_id TEXT NOT NULL,
    tag_key     TEXT NOT NULL,
    tag_value   TEXT NOT NULL,
    PRIMARY KEY (resource_id, tag_key)
);
