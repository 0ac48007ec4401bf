-- One tags table for every taggable kind: instance profiles' tags move into it, and its
-- CHECK widens to the kinds IAM tags (the later ones are used as their issues land). SQLite
-- changes a CHECK only by rebuilding the table.

CREATE TABLE tags_new (
    account_id    TEXT NOT NULL,
    resource_kind TEXT NOT NULL CHECK (resource_kind IN ('user', 'role', 'policy',
                                       'instance-profile', 'mfa', 'oidc-provider',
                                       'saml-provider', 'server-certificate')),
    resource_id   TEXT NOT NULL,
    tag_key       TEXT NOT NULL,
    key_lower     TEXT NOT NULL,
    tag_value     TEXT NOT NULL,
    PRIMARY KEY (resource_kind, resource_id, key_lower)
);

INSERT INTO tags_new (account_id, resource_kind, resource_id, tag_key, key_lower, tag_value)
    SELECT account_id, resource_kind, resource_id, tag_key, key_lower, tag_value FROM tags;

INSERT INTO tags_new (account_id, resource_kind, resource_id, tag_key, key_lower, tag_value)
    SELECT p.account_id, 'instance-profile', t.instance_profile_id, t.tag_key, t.key_lower,
           t.tag_value
    FROM instance_profile_tags t
    JOIN instance_profiles p ON p.instance_profile_id = t.instance_profile_id;

DROP TABLE tags;
ALTER TABLE tags_new RENAME TO tags;
DROP TABLE instance_profile_tags;
