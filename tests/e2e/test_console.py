"""The web console in a real browser (headless Debian Chromium driven by Playwright), and
console sign-in under brute force (issue 12). Screenshots of the main pages are written to
target/console-screenshots/."""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it
    expect = None

import secrets_registry
from conftest import ACCOUNT_ID, ROOT_EMAIL, ROOT_PASSWORD, in_ci
from test_mfa import step_now, totp

SHOTS = Path(__file__).resolve().parents[2] / "target" / "console-screenshots"
ALICE_PASSWORD = "Alice-Console-Pw-1"
for password in (ALICE_PASSWORD, "Temporary-Pw-1", "Target-Password-1"):
    secrets_registry.REGISTRY.add(password, "console password")


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        if in_ci():
            pytest.fail("playwright is not installed (.ci/run installs it)")
        pytest.skip("playwright is not installed")
    executable = chromium()
    if executable is None:
        if in_ci():
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server.endpoint, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def shot(page, name: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in_as_root(page):
    page.goto("/console")
    assert page.url.endswith("/console/signin")
    page.get_by_role("link", name="Sign in using root user email").click()
    page.get_by_label("Root user email address").fill(ROOT_EMAIL)
    page.get_by_label("Password").fill(ROOT_PASSWORD)
    press(page, "Sign in")
    page.wait_for_url("**/console")


def sign_in_as_user(page, account: str, user: str, password: str, code: str | None = None):
    if "/console/signin" not in page.url:
        page.goto("/console/signin")
    page.get_by_label("Account ID (12 digits) or account alias").fill(account)
    page.get_by_label("IAM user name").fill(user)
    page.get_by_label("Password").fill(password)
    if code is not None:
        page.get_by_label(re.compile("^MFA code")).fill(code)
    press(page, "Sign in")


def add_mfa_device(page, name: str) -> str:
    """Assigns a virtual MFA device from the page's MFA section; returns its seed."""
    page.get_by_label("Device name").fill(name)
    press(page, "Assign MFA device")
    qr = page.locator("#qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code is a PNG the browser shows"
    seed = page.locator("#seed").inner_text()
    secrets_registry.REGISTRY.add(seed, "MFA seed shown by the console")
    step = step_now()
    page.get_by_label("MFA code 1").fill(totp(seed, step - 1))
    page.get_by_label("MFA code 2 (the next code the app shows)").fill(totp(seed, step))
    press(page, "Add MFA device")
    assert "succeeded." in flash(page), flash(page)
    return seed


def flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def press(page, button: str):
    """Clicks a form's button and waits for the page the form leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_root_and_a_user_through_the_console(page, server):
    sign_in_as_root(page)
    assert page.get_by_role("heading", name="IAM dashboard").is_visible()
    assert "The root user has access keys" in page.locator(".recommendations").inner_text()
    shot(page, "dashboard")

    # A password policy, from the account settings page.
    page.get_by_role("link", name="Account settings").click()
    page.get_by_label("Minimum password length (6 to 128)").fill("12")
    page.get_by_label("Require at least one number (0-9)").check()
    page.get_by_label("Allow users to change their own password").check()
    press(page, "Save password policy")
    assert "UpdateAccountPasswordPolicy succeeded." in flash(page)
    policy = server.iam().get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 12 and policy["RequireNumbers"] and policy["AllowUsersToChangePassword"]
    page.get_by_role("textbox", name="Alias").fill("example-corp")
    press(page, "Create alias")
    assert server.iam().list_account_aliases()["AccountAliases"] == ["example-corp"]
    shot(page, "account-settings")

    # A user with a console password that must be changed at first sign-in.
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_label("User name").fill("alice")
    press(page, "Create user")
    assert "CreateUser succeeded." in flash(page)
    page.get_by_role("link", name="alice").click()
    # The policy refuses a short password with AWS's message.
    page.get_by_label("Password", exact=True).fill("Short-1")
    press(page, "Enable console access")
    assert "PasswordPolicyViolation: Password should have a minimum length of 12" in flash(page)
    page.get_by_label("Password", exact=True).fill("Temporary-Pw-1")
    page.get_by_label("Require a new password at the next sign-in").check()
    press(page, "Enable console access")
    assert "CreateLoginProfile succeeded." in flash(page)
    assert server.iam().get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is True
    alice_seed = add_mfa_device(page, "alice-phone")
    assert [d["UserName"] for d in server.iam().list_mfa_devices(UserName="alice")["MFADevices"]] == ["alice"]
    # Read-only access through an inline policy written in the console.
    page.get_by_label("Policy name").fill("read-users")
    page.get_by_label("Policy document (JSON)").fill(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListGroupsForUser"], "Resource": "*"}],
            }
        )
    )
    press(page, "Save inline policy")
    assert server.iam().list_user_policies(UserName="alice")["PolicyNames"] == ["read-users"]
    # An access key, shown once with its CSV.
    press(page, "Create access key")
    key_id = page.locator("#key-id").inner_text()
    secret = page.locator("#key-secret").inner_text()
    secrets_registry.REGISTRY.add(secret, "secret access key shown by the console")
    assert key_id.startswith("AKIA") and len(secret) == 40
    keys = server.iam().list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [key_id]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download .csv file").click()
    assert Path(download.value.path()).read_text() == f"Access key ID,Secret access key\n{key_id},{secret}\n"
    page.get_by_role("link", name="Done").click()
    shot(page, "user")

    press(page, "Sign out")
    page.wait_for_url("**/console/signin")
    page.goto("/console/users")
    assert page.url.endswith("/console/signin"), "signed out"

    # A wrong password, then the right one: a code is asked, a wrong one refused, and the
    # password must be changed first.
    sign_in_as_user(page, "example-corp", "alice", "Wrong-Password-1")
    assert flash(page) == "Your authentication information is incorrect. Please try again."
    shot(page, "sign-in")
    sign_in_as_user(page, ACCOUNT_ID, "alice", "Temporary-Pw-1")
    assert flash(page) == "Enter the code your MFA device shows, with your password."
    right = totp(alice_seed, step_now() + 1)
    sign_in_as_user(page, ACCOUNT_ID, "alice", "Temporary-Pw-1", "999999" if right != "999999" else "999998")
    assert flash(page) == "Your authentication information is incorrect. Please try again."
    sign_in_as_user(page, ACCOUNT_ID, "alice", "Temporary-Pw-1", right)
    page.wait_for_url("**/console/password")
    page.goto("/console/users")
    assert page.url.endswith("/console/password"), "nothing else until the password is changed"
    page.get_by_label("Current password").fill("Temporary-Pw-1")
    page.get_by_label("New password", exact=True).fill(ALICE_PASSWORD)
    page.get_by_label("Confirm new password").fill(ALICE_PASSWORD)
    press(page, "Change password")
    page.wait_for_url("**/console?done=*")
    assert server.iam().get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is False
    assert server.iam().get_user(UserName="alice")["User"]["PasswordLastUsed"]
    assert "alice @ example-corp" in page.locator(".who").inner_text()

    # A page the user's policies do not allow shows AWS's denial.
    page.get_by_role("link", name="Users", exact=True).click()
    assert flash(page) == (
        f"AccessDenied: User: arn:aws:iam::{ACCOUNT_ID}:user/alice is not authorized to perform: "
        f"iam:ListUsers on resource: arn:aws:iam::{ACCOUNT_ID}:user/ because no identity-based policy "
        "allows the iam:ListUsers action"
    )
    shot(page, "denied")
    # A form the user's policies do not allow is refused the same way, and changes nothing.
    page.goto("/console/users/alice")
    press(page, "Create access key")
    assert flash(page).startswith(f"AccessDenied: User: arn:aws:iam::{ACCOUNT_ID}:user/alice is not authorized to perform: iam:CreateAccessKey")
    assert len(server.iam().list_access_keys(UserName="alice")["AccessKeyMetadata"]) == 1


def test_the_root_user_protects_itself_with_an_mfa_device(page, server):
    sign_in_as_root(page)
    assert "The root user has no MFA device" in page.locator(".recommendations").inner_text()
    page.get_by_role("link", name="My security credentials").click()
    seed = add_mfa_device(page, "root-phone")
    summary = server.iam().get_account_summary()["SummaryMap"]
    assert summary["AccountMFAEnabled"] == 1
    shot(page, "root-credentials")
    page.goto("/console")
    assert "The root user has no MFA device" not in page.locator("main").inner_text()
    press(page, "Sign out")
    page.get_by_role("link", name="Sign in using root user email").click()
    page.get_by_label("Root user email address").fill(ROOT_EMAIL)
    page.get_by_label("Password").fill(ROOT_PASSWORD)
    press(page, "Sign in")
    assert flash(page) == "Enter the code your MFA device shows, with your password."
    page.get_by_label("Password").fill(ROOT_PASSWORD)
    page.get_by_label(re.compile("^MFA code")).fill(totp(seed, step_now() + 1))
    press(page, "Sign in")
    assert page.get_by_role("heading", name="IAM dashboard").is_visible()


def test_an_expired_password_is_changed_before_anything_else(page, server):
    for password in ("Bob-First-Pw-1", "Bob-Second-Pw-2"):
        secrets_registry.REGISTRY.add(password, "console password")
    iam = server.iam()
    iam.update_account_password_policy(MaxPasswordAge=1, AllowUsersToChangePassword=True)
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Bob-First-Pw-1")
    # Two days on, the password has expired. (Signed requests are out of the moved clock's
    # window until it is moved back, so only the console is used meanwhile.)
    server.advance_clock(2 * 86_400)
    try:
        sign_in_as_user(page, ACCOUNT_ID, "bob", "Bob-First-Pw-1")
        page.wait_for_url("**/console/password")
        assert "has expired or your administrator requires a new one" in page.locator("main").inner_text()
        shot(page, "password-expired")
        page.get_by_label("Current password").fill("Bob-First-Pw-1")
        page.get_by_label("New password", exact=True).fill("Bob-Second-Pw-2")
        page.get_by_label("Confirm new password").fill("Bob-Second-Pw-2")
        press(page, "Change password")
        page.wait_for_url("**/console?done=*")
        assert "bob @ " in page.locator(".who").inner_text()
        press(page, "Sign out")
    finally:
        server.advance_clock(-2 * 86_400)
    # With HardExpiry, an expired password is for an administrator to replace: two days
    # after the change, sign-in is refused like any other failure.
    iam.update_account_password_policy(MaxPasswordAge=1, AllowUsersToChangePassword=True, HardExpiry=True)
    server.advance_clock(4 * 86_400)
    try:
        sign_in_as_user(page, ACCOUNT_ID, "bob", "Bob-Second-Pw-2")
        assert flash(page) == "Your authentication information is incorrect. Please try again."
    finally:
        server.advance_clock(-4 * 86_400)


def test_policy_editors_show_the_engines_findings_as_one_types(page, server):
    sign_in_as_root(page)
    page.get_by_role("link", name="Policies").click()
    editor = page.get_by_label("Policy document (JSON; checked by the policy engine when saved)")
    finding = page.locator("#f-PolicyDocument-finding")
    editor.fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}')
    expect(finding).to_have_text("MalformedPolicyDocument: Policy statement must contain resources.")
    editor.fill('{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}')
    expect(finding).to_have_text("MalformedPolicyDocument: Policy document must be version 2012-10-17 or greater.")
    editor.fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}')
    expect(finding).to_have_text("No findings.")
    shot(page, "policy-editor")
    # Nothing was saved by checking.
    assert server.iam().list_policies(Scope="Local")["Policies"] == []


def test_policies_and_roles_pages(page, server):
    sign_in_as_root(page)
    page.get_by_role("link", name="Policies").click()
    page.get_by_label("Policy name").fill("s3-reader")
    page.get_by_label("Policy document (JSON; checked by the policy engine when saved)").fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}')
    press(page, "Create policy")
    # The engine's finding, in AWS's words.
    assert flash(page) == "MalformedPolicyDocument: Policy statement must contain resources."
    page.get_by_label("Policy name").fill("s3-reader")
    page.get_by_label("Policy document (JSON; checked by the policy engine when saved)").fill(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'
    )
    press(page, "Create policy")
    assert "CreatePolicy succeeded." in flash(page)
    page.get_by_role("link", name="s3-reader").click()
    assert '"s3:GetObject"' in page.locator("pre.document").inner_text()
    shot(page, "policy")
    page.goto("/console/policies?scope=AWS&q=readonlyaccess")
    names = page.locator("tbody th").all_inner_texts()
    assert "ReadOnlyAccess" in names and all("readonlyaccess" in n.lower() for n in names)
    shot(page, "aws-managed-policies")

    page.get_by_role("link", name="Roles").click()
    page.get_by_label("Role name").fill("auditor")
    press(page, "Create role")
    assert "CreateRole succeeded." in flash(page)
    page.get_by_role("link", name="auditor").click()
    page.get_by_label("Policy ARN to attach").fill("arn:aws:iam::aws:policy/SecurityAudit")
    press(page, "Attach policy")
    assert [p["PolicyName"] for p in server.iam().list_attached_role_policies(RoleName="auditor")["AttachedPolicies"]] == [
        "SecurityAudit"
    ]
    shot(page, "role")
    page.get_by_role("link", name="User groups").click()
    page.get_by_label("Group name").fill("admins")
    press(page, "Create group")
    assert server.iam().get_group(GroupName="admins")["Group"]["GroupName"] == "admins"


def test_forms_without_the_sessions_token_change_nothing(page, server):
    sign_in_as_root(page)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert set(cookies) >= {"castellan-console"}
    session = [c for c in page.context.cookies() if c["name"] == "castellan-console"][0]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and session["path"] == "/console"
    body = urllib.parse.urlencode({"Action": "CreateUser", "UserName": "forged", "csrf": "0" * 64, "back": "/console/users"})
    request = urllib.request.Request(
        f"{server.endpoint}/console/do",
        data=body.encode(),
        headers={"Cookie": f"castellan-console={cookies['castellan-console']}", "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(request, timeout=10)
    assert caught.value.code == 303
    assert [u["UserName"] for u in server.iam().list_users()["Users"]] == []


def raw_sign_in(server, token: str, account: str, user: str, password: str) -> tuple[int, bytes]:
    body = urllib.parse.urlencode({"csrf": token, "account": account, "user": user, "password": password}).encode()
    request = urllib.request.Request(
        f"{server.endpoint}/console/signin",
        data=body,
        headers={"Cookie": f"castellan-sign-in={token}", "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as redirect:
        return redirect.code, b""


def test_brute_force_is_throttled_and_a_lock_looks_like_a_wrong_password(server):
    iam = server.iam()
    iam.create_user(UserName="target")
    iam.create_login_profile(UserName="target", Password="Target-Password-1")
    token = "f" * 32
    status, wrong = raw_sign_in(server, token, ACCOUNT_ID, "target", "Wrong-Password-0")
    assert status == 200 and b"Your authentication information is incorrect." in wrong
    for n in range(1, 1000):
        status, body = raw_sign_in(server, token, ACCOUNT_ID, "target", f"Wrong-Password-{n}")
        assert (status, body) == (200, wrong), n
    # The right password while the throttle holds: the very same page.
    status, locked = raw_sign_in(server, token, ACCOUNT_ID, "target", "Target-Password-1")
    assert (status, locked) == (200, wrong)
    # An unknown user answers the same page too (the form shows the name typed).
    assert raw_sign_in(server, token, ACCOUNT_ID, "nobody", "Target-Password-1") == (
        200,
        wrong.replace(b'value="target"', b'value="nobody"'),
    )
    assert "PasswordLastUsed" not in iam.get_user(UserName="target")["User"]
    # Once the throttle's window has passed, the right password signs in.
    server.advance_clock(901)
    try:
        status, _ = raw_sign_in(server, token, ACCOUNT_ID, "target", "Target-Password-1")
    finally:
        server.advance_clock(-901)
    assert status == 303
    log = server.log()
    assert "Target-Password-1" not in log and not re.search(r"Wrong-Password-\d+", log)
