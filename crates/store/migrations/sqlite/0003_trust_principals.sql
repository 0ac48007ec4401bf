-- The users and roles a role's trust policy names, bound to their unique ids when the policy
-- was stored: one `<arn> <unique id>` per line (neither holds a space). A principal deleted
-- and re-created under the same name gets a new id, and the binding no longer names it.
-- Roles stored before this migration have none: their trust policies match by name.

ALTER TABLE roles ADD COLUMN trust_principals TEXT NOT NULL DEFAULT '';
