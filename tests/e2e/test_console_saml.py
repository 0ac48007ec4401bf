"""Console sign-in through SAML, in a real browser: the identity provider's page posts a
signed response to `/saml` (the HTTP-POST binding, as to AWS's sign-in endpoint); a person
offered two roles chooses one on the role page, lands in the console as that role's session,
reads, and is denied a write; an altered response is refused and signs no one in."""

from __future__ import annotations

import base64
import html
import json

import pytest

from conftest import ACCOUNT_ID
from saml_idp import ATTR, Idp, aws_attributes
from test_console import browser, flash, press, shot  # noqa: F401  (browser is a fixture)

PROVIDER = "CorpIdp"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{PROVIDER}"


@pytest.fixture
def page(browser, server):  # noqa: F811
    context = browser.new_context(base_url=server.endpoint, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def trust(provider_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithSAML",
                    "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
                }
            ],
        }
    )


def post_from_idp(page, endpoint: str, saml_response: str, relay_state: str = ""):
    """What an IdP's page does: an auto-submitted form posting the response to /saml."""
    form = (
        f'<form id="f" method="post" action="{endpoint}/saml">'
        f'<input type="hidden" name="SAMLResponse" value="{html.escape(saml_response)}">'
        f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
        "</form><script>document.getElementById('f').submit()</script>"
    )
    with page.expect_navigation():
        page.set_content(form)


def test_a_saml_user_chooses_a_role_and_lands_in_the_console_as_its_session(page, server):
    idp = Idp()
    iam = server.iam()
    iam.create_saml_provider(Name=PROVIDER, SAMLMetadataDocument=idp.metadata())
    reader = iam.create_role(RoleName="ConsoleReader", AssumeRolePolicyDocument=trust(PROVIDER_ARN))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="ConsoleReader", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    admin = iam.create_role(RoleName="ConsoleAdmin", AssumeRolePolicyDocument=trust(PROVIDER_ARN))["Role"]["Arn"]
    iam.create_user(UserName="existing-user")

    attributes = aws_attributes(reader, PROVIDER_ARN, "alice@example.com")
    attributes[ATTR + "Role"].append(f"{PROVIDER_ARN},{admin}")
    response = idp.signed_response("alice@example.com", attributes)

    post_from_idp(page, server.endpoint, response, relay_state="/console/users")
    assert page.get_by_role("heading", name="Select a role").is_visible()
    choices = page.get_by_role("radio")
    assert choices.count() == 2
    shot(page, "saml-select-role")
    page.get_by_label(reader).check()
    with page.expect_navigation(url="**/console/users"):
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert f"ConsoleReader/alice@example.com @ {ACCOUNT_ID}" in page.content()
    assert "existing-user" in page.locator("main").inner_text()
    shot(page, "saml-signed-in")

    # The read-only role may not write: the console shows AWS's denial.
    page.get_by_label("User name").fill("written-by-saml")
    press(page, "Create user")
    assert "AccessDenied" in flash(page), flash(page)
    assert "written-by-saml" not in [u["UserName"] for u in iam.list_users()["Users"]]


def test_an_altered_saml_response_is_refused_and_signs_no_one_in(page, server):
    idp = Idp()
    iam = server.iam()
    iam.create_saml_provider(Name=PROVIDER, SAMLMetadataDocument=idp.metadata())
    role = iam.create_role(RoleName="ConsoleReader", AssumeRolePolicyDocument=trust(PROVIDER_ARN))["Role"]["Arn"]
    good = idp.signed_response("bob@example.com", aws_attributes(role, PROVIDER_ARN, "bob"))
    altered = base64.b64encode(
        base64.b64decode(good).replace(b"bob@example.com", b"eve@example.com")
    ).decode()
    post_from_idp(page, server.endpoint, altered)
    assert page.get_by_role("heading", name="Sign-in refused").is_visible()
    assert "invalid SAML response" in page.content()
    page.goto("/console")
    assert page.url.endswith("/console/signin")
