-- Usage stamps (issue 14): every node reads, each second, the RoleLastUsed and access key
-- last-use stamps written since its last read (`last_used_at >= $1`); the indexes keep that
-- read from scanning every role and key.
CREATE INDEX roles_last_used_at ON roles (last_used_at);
CREATE INDEX access_keys_last_used_at ON access_keys (last_used_at);
