-- The users and roles a role's trust policy names, bound to their unique ids when the policy
-- was stored: one `<arn> <unique id>` per line (neither holds a space). A principal deleted
-- and re-created under the same name gets a new id, and the binding no longer names it.
-- NULL for roles stored before this migration: the service binds them once, at start-up.

ALTER TABLE roles ADD COLUMN trust_principals TEXT;
