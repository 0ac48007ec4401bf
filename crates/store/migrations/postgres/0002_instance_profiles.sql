-- Instance profiles: a named container for (at most) one role, which EC2 hands to instances.
-- Their tags live in a table of their own because the CHECK on tags.resource_kind cannot be
-- widened in place on SQLite.

CREATE TABLE instance_profiles (
    instance_profile_id TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts (account_id),
    name                TEXT NOT NULL,
    name_lower          TEXT NOT NULL,
    path                TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    UNIQUE (account_id, name_lower)
);

-- The primary key on the profile alone is AWS's quota InstanceSessionsPerInstanceProfile (1):
-- the database itself refuses a second role, whichever node writes it.
CREATE TABLE instance_profile_roles (
    instance_profile_id TEXT PRIMARY KEY REFERENCES instance_profiles (instance_profile_id),
    role_id             TEXT NOT NULL REFERENCES roles (role_id)
);
CREATE INDEX instance_profile_roles_by_role ON instance_profile_roles (role_id);

CREATE TABLE instance_profile_tags (
    instance_profile_id TEXT NOT NULL REFERENCES instance_profiles (instance_profile_id),
    tag_key             TEXT NOT NULL,
    key_lower           TEXT NOT NULL,
    tag_value           TEXT NOT NULL,
    PRIMARY KEY (instance_profile_id, key_lower)
);
