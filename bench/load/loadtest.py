"""The fixture and the report of bench/load/run.

`fixture` builds, through the server's own API (boto3), what the measured requests read, signs
each request once and writes one wrk script per case (see sign.py); every signed request is
sent once and must answer 200 before any is measured. `report` turns the RESULT lines of the
wrk runs into the tables of bench/RESULTS.md.

  loadtest.py fixture ENDPOINT ROOT_KEY ROOT_SECRET SMALL_KEY SMALL_SECRET WORKDIR
  loadtest.py report RESULTS_FILE
"""
import hashlib
import json
import sys
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials

import sign

IAM = "Version=2010-05-08"
STS = "Version=2011-06-15"
# What the measured user and the role may do: every measured read, and AssumeRole.
READS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "iam:GetUser",
                "iam:ListUsers",
                "iam:GetRole",
                "iam:ListAttachedUserPolicies",
                "sts:AssumeRole",
            ],
            "Resource": "*",
        }
    ],
}
# Managed policies attached to the measured user: authorization evaluates them too.
UNRELATED = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::bench-%d/*"}
    ],
}
USERS = 100


def client(service, endpoint, key, secret, token=None):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


def policy(number):
    document = json.loads(json.dumps(UNRELATED))
    document["Statement"][0]["Resource"] = "arn:aws:s3:::bench-%d/*" % number
    return json.dumps(document)


def main_account(endpoint, key, secret):
    """100 users; user1 with the read policy, three managed policies and an access key; the
    role Reader it may assume. Answers user1's key and a session of Reader."""
    iam = client("iam", endpoint, key, secret)
    for i in range(1, USERS + 1):
        iam.create_user(UserName="user%d" % i, Tags=[{"Key": "team", "Value": "t%d" % (i % 7)}])
    iam.put_user_policy(UserName="user1", PolicyName="reads", PolicyDocument=json.dumps(READS))
    for i in range(1, 4):
        arn = iam.create_policy(PolicyName="bench%d" % i, PolicyDocument=policy(i))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="user1", PolicyArn=arn)
    account = client("sts", endpoint, key, secret).get_caller_identity()["Account"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": account}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="Reader", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="Reader", PolicyName="reads", PolicyDocument=json.dumps(READS))
    iam.attach_role_policy(RoleName="Reader", PolicyArn="arn:aws:iam::%s:policy/bench1" % account)
    created = iam.create_access_key(UserName="user1")["AccessKey"]
    user = (created["AccessKeyId"], created["SecretAccessKey"])
    sts = client("sts", endpoint, *user)
    role_arn = "arn:aws:iam::%s:role/Reader" % account
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="bench")["Credentials"]
    session = (credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    # The fixture is what it claims to be, read as the measured user.
    reader = client("iam", endpoint, *user)
    listed = reader.list_users(MaxItems=100)
    assert len(listed["Users"]) == USERS and not listed["IsTruncated"], listed
    attached = reader.list_attached_user_policies(UserName="user1")["AttachedPolicies"]
    assert len(attached) == 3, attached
    return user, session, role_arn


def small_account(endpoint, key, secret):
    """A small account for GetAccountAuthorizationDetails: 5 users, 2 groups, 2 roles and 3
    managed policies, with inline policies, attachments and memberships. Answers the key of
    its user `auditor`, who may read the details."""
    iam = client("iam", endpoint, key, secret)
    account = client("sts", endpoint, key, secret).get_caller_identity()["Account"]
    arns = [
        iam.create_policy(PolicyName="small%d" % i, PolicyDocument=policy(100 + i))["Policy"]["Arn"]
        for i in range(3)
    ]
    for g in range(2):
        iam.create_group(GroupName="group%d" % g)
        iam.attach_group_policy(GroupName="group%d" % g, PolicyArn=arns[g])
    names = ["auditor"] + ["member%d" % i for i in range(4)]
    for i, name in enumerate(names):
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName="group%d" % (i % 2), UserName=name)
    iam.attach_user_policy(UserName="member0", PolicyArn=arns[2])
    details = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetAccountAuthorizationDetails", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="auditor", PolicyName="details", PolicyDocument=json.dumps(details))
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": account}, "Action": "sts:AssumeRole"}],
    }
    for r in range(2):
        iam.create_role(RoleName="role%d" % r, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName="role%d" % r, PolicyName="reads", PolicyDocument=json.dumps(READS))
        iam.attach_role_policy(RoleName="role%d" % r, PolicyArn=arns[r])
    created = iam.create_access_key(UserName="auditor")["AccessKey"]
    auditor = (created["AccessKeyId"], created["SecretAccessKey"])
    got = client("iam", endpoint, *auditor).get_account_authorization_details()
    counts = (len(got["UserDetailList"]), len(got["GroupDetailList"]), len(got["RoleDetailList"]), len(got["Policies"]))
    assert counts == (5, 2, 2, 3) and not got["IsTruncated"], counts
    return auditor


def fixture(endpoint, root_key, root_secret, small_key, small_secret, work):
    user, session, role_arn = main_account(endpoint, root_key, root_secret)
    auditor = small_account(endpoint, small_key, small_secret)
    cases = [
        ("GetCallerIdentity", "sts", user, "Action=GetCallerIdentity&" + STS),
        ("GetUser", "iam", user, "Action=GetUser&%s&UserName=user7" % IAM),
        ("ListUsers", "iam", user, "Action=ListUsers&%s&MaxItems=100" % IAM),
        # Not a target: the same listing, decision and kept page with one user in the answer
        # (532 bytes against 19 KB): the rest of the gap is moving the larger answer.
        ("ListUsers (MaxItems 1)", "iam", user, "Action=ListUsers&%s&MaxItems=1" % IAM),
        ("GetRole", "iam", user, "Action=GetRole&%s&RoleName=Reader" % IAM),
        ("ListAttachedUserPolicies", "iam", user, "Action=ListAttachedUserPolicies&%s&UserName=user1" % IAM),
        ("GetAccountAuthorizationDetails", "iam", auditor, "Action=GetAccountAuthorizationDetails&" + IAM),
        ("AssumeRole", "sts", user, "Action=AssumeRole&%s&RoleArn=%s&RoleSessionName=load" % (STS, role_arn)),
        ("GetUser (role session)", "iam", session, "Action=GetUser&%s&UserName=user7" % IAM),
        # Not a target: what a session's credentials cost by themselves (a token of half a
        # kilobyte in every signature), beside the floor signed with a user's key.
        ("GetCallerIdentity (role session)", "sts", session, "Action=GetCallerIdentity&" + STS),
    ]
    cases = [(name, service, credentials, body, "/", sign.FORM) for name, service, credentials, body in cases]
    cases += decision_cases(endpoint, user, (root_key, root_secret))
    with open("%s/cases" % work, "w") as listing:
        for number, (name, service, credentials, body, path, content_type) in enumerate(cases):
            headers = sign.signed_headers(
                endpoint, *credentials[:2], body, service, *credentials[2:], path=path, content_type=content_type
            )
            # Sent once: a benchmark of errors is worthless.
            request = urllib.request.Request(endpoint + path, data=body.encode(), headers=headers, method="POST")
            with urllib.request.urlopen(request) as answer:
                assert answer.status == 200, (name, answer.status)
                if path != "/":
                    answered = json.loads(answer.read())
                    decisions = answered.get("results", [answered])
                    assert all(d.get("decision") == "Allow" for d in decisions), (name, answered)
            script = "%s/case%d.lua" % (work, number)
            sign.write_script(script, body, headers, report=True, path=path)
            listing.write("%s\t%s\n" % (script, name))


def decision_cases(endpoint, user, root):
    """The decision API (`POST /v1/authorize`, signed by the root user for `castellan`):
    user1 by ARN; a request user1 signed for S3, forwarded; and a batch of ten checks."""
    account = client("sts", endpoint, *root).get_caller_identity()["Account"]
    user_arn = "arn:aws:iam::%s:user/user1" % account
    check = {"principal": user_arn, "action": "s3:GetObject", "resource": "arn:aws:s3:::bench-1/photo.jpg"}
    request = botocore.awsrequest.AWSRequest(method="GET", url="https://objects.example.test/bench-1/photo.jpg")
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(*user), "s3", "us-east-1").add_auth(request)
    headers = [[name, value] for name, value in request.headers.items()] + [["host", "objects.example.test"]]
    forwarded = {
        "forwarded": {
            "method": "GET",
            "path": "/bench-1/photo.jpg",
            "headers": headers,
            "bodySha256": hashlib.sha256(b"").hexdigest(),
        },
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::bench-1/photo.jpg",
    }
    batch = {"checks": [dict(check, resource="arn:aws:s3:::bench-1/photo%d.jpg" % n) for n in range(10)]}
    return [
        (name, "castellan", root, json.dumps(body), "/v1/authorize", "application/json")
        for name, body in [
            ("Authorize (ARN)", check),
            ("Authorize (forwarded SigV4)", forwarded),
            ("Authorize (batch of 10)", batch),
        ]
    ]


def report(path):
    """Markdown tables from `backend<TAB>case<TAB>RESULT {...}<TAB>transactions<TAB>server
    CPU microseconds` lines, one per case and round: each figure is the median of the case's
    rounds, and `spread` the lowest and highest req/s of its rounds. `server µs` is the
    server process's CPU time (user and system) per request: the rest of the two cores went
    to wrk and the kernel's other work. Exits 1 on any error in any round."""
    runs = {}
    failed = False
    for line in open(path):
        backend, case, result, transactions, server_us = line.rstrip("\n").split("\t")
        figures = json.loads(result.split(" ", 1)[1])
        figures["rate"] = figures["requests"] / (figures["duration_us"] / 1e6)
        figures["transactions"] = int(transactions)
        figures["server_us"] = int(server_us) / max(figures["requests"], 1)
        failed = failed or figures["non2xx"] > 0 or figures["socket_errors"] > 0
        # Dicts keep insertion order: the cases stay in the order they ran.
        runs.setdefault(backend, {}).setdefault(case, []).append(figures)
    for backend, cases in runs.items():
        floor = None
        print("\n%s\n" % backend)
        print("| request | req/s | spread | p50 | p99 | of the floor | server µs | store transactions |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for case, rounds in cases.items():
            rate = median([r["rate"] for r in rounds])
            if floor is None:
                floor = rate
            transactions = median([r["transactions"] for r in rounds])
            print(
                "| %s | %s | %s-%s | %.2f ms | %.2f ms | %s | %.1f | %s |"
                % (
                    case,
                    format(round(rate), ","),
                    format(round(min(r["rate"] for r in rounds)), ","),
                    format(round(max(r["rate"] for r in rounds)), ","),
                    median([r["p50_us"] for r in rounds]) / 1000,
                    median([r["p99_us"] for r in rounds]) / 1000,
                    # A batch's calls each carry several decisions: no ratio to one request's.
                    "-" if "batch" in case else "%d%%" % round(100 * rate / floor),
                    median([r["server_us"] for r in rounds]),
                    format(round(transactions), ",") if transactions >= 0 else "-",
                )
            )
    if failed:
        print("\nsome requests failed (non-2xx or socket errors): these figures are not valid", file=sys.stderr)
        sys.exit(1)


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


if __name__ == "__main__":
    if sys.argv[1] == "fixture":
        fixture(*sys.argv[2:8])
    elif sys.argv[1] == "report":
        report(sys.argv[2])
    else:
        sys.exit("usage: loadtest.py fixture|report ...")
