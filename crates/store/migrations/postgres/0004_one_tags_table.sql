-- One tags table for every taggable kind: instance profiles' tags move into it, and its
-- CHECK widens to the kinds IAM tags (the later ones are used as their issues land).

ALTER TABLE tags DROP CONSTRAINT tags_resource_kind_check;
ALTER TABLE tags ADD CONSTRAINT tags_resource_kind_check
    CHECK (resource_kind IN ('user', 'role', 'policy', 'instance-profile', 'mfa',
                             'oidc-provider', 'saml-provider', 'server-certificate'));

INSERT INTO tags (account_id, resource_kind, resource_id, tag_key, key_lower, tag_value)
    SELECT p.account_id, 'instance-profile', t.instance_profile_id, t.tag_key, t.key_lower,
           t.tag_value
    FROM instance_profile_tags t
    JOIN instance_profiles p ON p.instance_profile_id = t.instance_profile_id;

DROP TABLE instance_profile_tags;
