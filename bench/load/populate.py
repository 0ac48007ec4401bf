"""Writes a large IAM population straight into a stopped server's SQLite database, for
bench/load/scale: through the API, 100,000 users take many minutes; as rows, seconds.

The rows are what the store writes (crates/store/migrations/sqlite, crates/store/src/ops):
ids of the store's shapes (`AIDA` + 17 base32 characters ...), names with their lower-cased
twins, ARNs as `customer_policy_arn` builds them, trust policies with no bound principals
(they name the account only). Nothing here is a secret: the populated users have no access
keys or passwords, so nothing needs sealing; the account that signs the measured requests
was made by `castellan serve` itself.

  populate.py DB ACCOUNTS USERS ROLES POLICIES

spreads USERS users, ROLES roles and POLICIES customer managed policies evenly over ACCOUNTS
accounts: the first is the database's existing (first) account, the others are new. Per
account, besides: one group per 1,000 users (at least one), every user a member of one.
Per user: one tag, one attached customer managed policy of its account, and every tenth an
inline policy. Per role: a trust policy, one tag, one inline and one attached policy. Per
policy: one version (its default) and a description.
"""
import json
import sqlite3
import sys
import time

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def unique_id(prefix, account, number):
    """`prefix` + 17 base32 characters: a `Q` (random ids rarely start so; the store only
    needs them unique) and 16 characters of (account, number)."""
    value = account * 10**9 + number
    chars = []
    for _ in range(16):
        chars.append(BASE32[value % 32])
        value //= 32
    return prefix + "Q" + "".join(reversed(chars))


def statement_policy(actions, resource):
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}
    )


def share(total, accounts, index):
    """Account `index`'s share of `total`, spread as evenly as integers allow."""
    return total // accounts + (1 if index < total % accounts else 0)


def populate(path, accounts, users, roles, policies):
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    now = int(time.time())
    (first,) = db.execute("SELECT account_id FROM accounts ORDER BY created_at, account_id LIMIT 1").fetchone()
    account_ids = [first]
    candidate = 900000000000
    while len(account_ids) < accounts:
        candidate += 1
        if str(candidate) != first:
            account_ids.append(str(candidate))
    rows = {table: [] for table in ("accounts", "users", "iam_groups", "group_members", "roles", "policies",
                                    "policy_versions", "attachments", "inline_policies", "tags")}
    for a, account in enumerate(account_ids):
        if a > 0:
            email = "bench-%d@example.com" % a
            rows["accounts"].append((account, email, email, now))
        policy_arns = []
        for p in range(share(policies, accounts, a)):
            policy_id = unique_id("ANPA", a, p)
            name = "policy%06d" % p
            arn = "arn:aws:iam::%s:policy/%s" % (account, name)
            policy_arns.append(arn)
            rows["policies"].append((policy_id, account, name, name.lower(), "/", arn,
                                     "bench policy %d" % p, now))
            document = statement_policy(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::bench-%d-%d/*" % (a, p))
            rows["policy_versions"].append((policy_id, document, now))
        account_users = share(users, accounts, a)
        group_ids = []
        for g in range(max(1, account_users // 1000)):
            group_id = unique_id("AGPA", a, g)
            group_ids.append(group_id)
            name = "group%04d" % g
            rows["iam_groups"].append((group_id, account, name, name.lower(), "/", now))
        for u in range(account_users):
            user_id = unique_id("AIDA", a, u)
            name = "user%06d" % u
            rows["users"].append((user_id, account, name, name.lower(), "/", now))
            rows["group_members"].append((group_ids[u % len(group_ids)], user_id))
            rows["tags"].append((account, "user", user_id, "team", "team", "t%d" % (u % 17)))
            if policy_arns:
                rows["attachments"].append((account, "user", user_id, policy_arns[u % len(policy_arns)]))
            if u % 10 == 0:
                document = statement_policy("sqs:SendMessage", "arn:aws:sqs:us-east-1:%s:queue-%d" % (account, u))
                rows["inline_policies"].append((account, "user", user_id, "own-queue", document))
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % account}, "Action": "sts:AssumeRole"}]})
        for r in range(share(roles, accounts, a)):
            role_id = unique_id("AROA", a, r)
            name = "role%05d" % r
            rows["roles"].append((role_id, account, name, name.lower(), "/", trust, "bench role %d" % r, now))
            rows["tags"].append((account, "role", role_id, "team", "team", "t%d" % (r % 17)))
            document = statement_policy(["dynamodb:GetItem", "dynamodb:Query"], "arn:aws:dynamodb:us-east-1:%s:table/t%d" % (account, r))
            rows["inline_policies"].append((account, "role", role_id, "table", document))
            if policy_arns:
                rows["attachments"].append((account, "role", role_id, policy_arns[r % len(policy_arns)]))
    with db:
        db.executemany("INSERT INTO accounts (account_id, email, email_lower, created_at) VALUES (?, ?, lower(?), ?)",
                       rows["accounts"])
        db.executemany("INSERT INTO policies (policy_id, account_id, name, name_lower, path, arn, description, "
                       "default_version, next_version, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, 1, 2, ?, ?8)", rows["policies"])
        db.executemany("INSERT INTO policy_versions (policy_id, version, document, created_at) VALUES (?, 1, ?, ?)",
                       rows["policy_versions"])
        db.executemany("INSERT INTO iam_groups (group_id, account_id, name, name_lower, path, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", rows["iam_groups"])
        db.executemany("INSERT INTO users (user_id, account_id, name, name_lower, path, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", rows["users"])
        db.executemany("INSERT INTO group_members (group_id, user_id) VALUES (?, ?)", rows["group_members"])
        db.executemany("INSERT INTO roles (role_id, account_id, name, name_lower, path, trust_policy, description, "
                       "max_session_duration, created_at, trust_principals) VALUES (?, ?, ?, ?, ?, ?, ?, 3600, ?, '')",
                       rows["roles"])
        db.executemany("INSERT INTO attachments (account_id, principal_kind, principal_id, policy_arn) "
                       "VALUES (?, ?, ?, ?)", rows["attachments"])
        db.executemany("INSERT INTO inline_policies (account_id, principal_kind, principal_id, policy_name, document) "
                       "VALUES (?, ?, ?, ?, ?)", rows["inline_policies"])
        db.executemany("INSERT INTO tags (account_id, resource_kind, resource_id, tag_key, key_lower, tag_value) "
                       "VALUES (?, ?, ?, ?, ?, ?)", rows["tags"])
        # One revision for the whole population, as one write would move it.
        db.execute("UPDATE revision SET value = value + 1")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return {table: len(found) for table, found in rows.items()}


if __name__ == "__main__":
    counts = populate(sys.argv[1], *(int(n) for n in sys.argv[2:6]))
    print(" ".join("%s=%d" % item for item in counts.items()))
