"""A SAML identity provider for the tests: an RSA key and self-signed certificate made per
run, its metadata document, and signed SAML responses, signed by `signxml` (an XML-DSig
implementation independent of Castellan's).

Run as a script, it writes the hostile-assertion corpus that the service's corpus test
replays (crates/service/tests/data/saml/): a valid response at a fixed time, and variants
that must each be refused (wrapping, comments inside NameID, duplicated attributes, XXE,
entity expansion, oversize, altered, unsigned, wrong key).
"""

from __future__ import annotations

import base64
import copy
import datetime
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner, methods

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
AWS_SAML = "https://signin.aws.amazon.com/saml"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


def _instant(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Idp:
    """One identity provider: entity id, key and certificate."""

    def __init__(self, entity_id: str = "https://idp.castellan.test/saml"):
        self.entity_id = entity_id
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "castellan test idp")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(self.key, hashes.SHA256())
        )

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def metadata(self) -> str:
        der = base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()
        # Padding to the model's 1,000-character minimum is natural: the certificate alone
        # is over a kilobyte in base64.
        return (
            '<?xml version="1.0"?>\n'
            f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'entityID="{self.entity_id}" validUntil="2099-01-01T00:00:00Z">'
            '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:KeyDescriptor use="signing">'
            f'<ds:KeyInfo xmlns:ds="{DS}"><ds:X509Data><ds:X509Certificate>{der}'
            "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            'Location="https://idp.castellan.test/sso"/>'
            "</md:IDPSSODescriptor></md:EntityDescriptor>"
        )

    def assertion(
        self,
        subject: str,
        attributes: dict[str, list[str]],
        now: datetime.datetime | None = None,
        lifetime: int = 300,
        audience: str = AWS_SAML,
        recipient: str = AWS_SAML,
    ) -> etree._Element:
        """An unsigned Assertion element."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        end = _instant(now + datetime.timedelta(seconds=lifetime))
        nsmap = {"saml": SAML}
        a = etree.Element(f"{{{SAML}}}Assertion", nsmap=nsmap)
        a.set("ID", "_" + uuid.uuid4().hex)
        a.set("Version", "2.0")
        a.set("IssueInstant", _instant(now))
        etree.SubElement(a, f"{{{SAML}}}Issuer").text = self.entity_id
        # signxml replaces this placeholder, keeping the signature where SAML wants it.
        etree.SubElement(a, f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS})
        s = etree.SubElement(a, f"{{{SAML}}}Subject")
        n = etree.SubElement(
            s, f"{{{SAML}}}NameID", Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
        )
        n.text = subject
        c = etree.SubElement(s, f"{{{SAML}}}SubjectConfirmation", Method="urn:oasis:names:tc:SAML:2.0:cm:bearer")
        etree.SubElement(c, f"{{{SAML}}}SubjectConfirmationData", NotOnOrAfter=end, Recipient=recipient)
        cond = etree.SubElement(a, f"{{{SAML}}}Conditions", NotBefore=_instant(now), NotOnOrAfter=end)
        r = etree.SubElement(cond, f"{{{SAML}}}AudienceRestriction")
        etree.SubElement(r, f"{{{SAML}}}Audience").text = audience
        st = etree.SubElement(a, f"{{{SAML}}}AttributeStatement")
        for name, values in attributes.items():
            at = etree.SubElement(st, f"{{{SAML}}}Attribute", Name=name)
            for value in values:
                etree.SubElement(at, f"{{{SAML}}}AttributeValue").text = value
        return a

    def sign(self, element: etree._Element) -> etree._Element:
        signer = XMLSigner(
            method=methods.enveloped,
            signature_algorithm="rsa-sha256",
            digest_algorithm="sha256",
            c14n_algorithm=EXC_C14N,
        )
        return signer.sign(
            element, key=self.key_pem(), cert=self.cert_pem(), reference_uri=element.get("ID")
        )

    def response(self, assertion: etree._Element, now: datetime.datetime | None = None) -> etree._Element:
        now = now or datetime.datetime.now(datetime.timezone.utc)
        r = etree.Element(f"{{{SAMLP}}}Response", nsmap={"samlp": SAMLP, "saml": SAML})
        r.set("ID", "_" + uuid.uuid4().hex)
        r.set("Version", "2.0")
        r.set("IssueInstant", _instant(now))
        r.set("Destination", AWS_SAML)
        etree.SubElement(r, f"{{{SAML}}}Issuer").text = self.entity_id
        status = etree.SubElement(r, f"{{{SAMLP}}}Status")
        etree.SubElement(status, f"{{{SAMLP}}}StatusCode", Value="urn:oasis:names:tc:SAML:2.0:status:Success")
        r.append(assertion)
        return r

    def signed_response(self, subject: str, attributes: dict[str, list[str]], **kw) -> str:
        """The base64 SAMLResponse a browser would post: assertion signed."""
        now = kw.pop("now", None)
        signed = self.sign(self.assertion(subject, attributes, now=now, **kw))
        xml = etree.tostring(self.response(signed, now=now))
        return base64.b64encode(xml).decode()


def aws_attributes(role_arn: str, provider_arn: str, session: str, **extra) -> dict[str, list[str]]:
    attributes = {
        ATTR + "Role": [f"{role_arn},{provider_arn}"],
        ATTR + "RoleSessionName": [session],
    }
    attributes.update(extra)
    return attributes


def xmlsec1_signed(idp: Idp, assertion: etree._Element) -> bytes | None:
    """The assertion signed by the xmlsec1 tool (libxmlsec1, a third implementation) from a
    template in the style of commercial IdPs: exclusive c14n with an InclusiveNamespaces
    PrefixList and xsi:type'd values. None when xmlsec1 is not installed (Debian package
    `xmlsec1`; only needed to regenerate the corpus)."""
    tool = shutil.which("xmlsec1")
    if tool is None:
        return None
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    signature = assertion.find(f"{{{DS}}}Signature")
    template = etree.fromstring(
        f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>'
        f'<ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/>'
        '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        f'<ds:Reference URI="#{assertion.get("ID")}"><ds:Transforms>'
        '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
        f'<ds:Transform Algorithm="{EXC_C14N}"><ec:InclusiveNamespaces xmlns:ec="{EXC_C14N}" PrefixList="xs"/></ds:Transform>'
        '</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        "<ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>"
    )
    signature.getparent().replace(signature, template)
    for value in assertion.iter(f"{{{SAML}}}AttributeValue"):
        value.set(f"{{{xsi}}}type", "xs:string")
    with tempfile.TemporaryDirectory() as work:
        key = Path(work) / "key.pem"
        key.write_bytes(idp.key_pem())
        source = Path(work) / "in.xml"
        xml = etree.tostring(assertion).decode()
        # The xs prefix declared on the assertion, used only inside attribute values.
        xml = xml.replace("<saml:Assertion ", '<saml:Assertion xmlns:xs="http://www.w3.org/2001/XMLSchema" ', 1)
        source.write_text(xml)
        out = Path(work) / "out.xml"
        subprocess.run(
            [tool, "--sign", "--privkey-pem", str(key), "--id-attr:ID", f"{SAML}:Assertion", "--output", str(out), str(source)],
            check=True,
        )
        return out.read_bytes()


def _corpus(out: Path) -> None:
    """The committed corpus (see the module doc): fixed time 2030-01-01T00:00:00Z."""
    now = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    idp = Idp()
    role = "arn:aws:iam::123456789012:role/ReadOnly"
    provider = "arn:aws:iam::123456789012:saml-provider/TestIdp"
    attrs = aws_attributes(role, provider, "alice", **{ATTR + "PrincipalTag:team": ["blue"]})
    out.mkdir(parents=True, exist_ok=True)
    (out / "metadata.xml").write_text(idp.metadata())
    valid = idp.response(idp.sign(idp.assertion("alice@example.com", attrs, now=now)), now=now)
    write = lambda name, tree: (out / name).write_bytes(  # noqa: E731
        tree if isinstance(tree, bytes) else etree.tostring(tree)
    )
    write("valid.xml", valid)

    def fresh():
        return copy.deepcopy(valid)

    def assertion_of(tree):
        return tree.find(f"{{{SAML}}}Assertion")

    # Altered after signing: the NameID changed.
    t = fresh()
    assertion_of(t).find(f".//{{{SAML}}}NameID").text = "admin@example.com"
    write("hostile-altered-nameid.xml", t)

    # Wrapping 1: an evil unsigned assertion placed first, the signed one moved into
    # Extensions (same ID kept on the original).
    t = fresh()
    original = assertion_of(t)
    evil = copy.deepcopy(original)
    evil.find(f".//{{{SAML}}}NameID").text = "admin@example.com"
    evil.remove(evil.find(f"{{{DS}}}Signature"))
    ext = etree.Element(f"{{{SAMLP}}}Extensions")
    t.remove(original)
    ext.append(original)
    t.append(evil)
    t.insert(2, ext)
    write("hostile-wrap-extensions.xml", t)

    # Wrapping 2: an evil assertion with the same ID beside the signed one.
    t = fresh()
    evil = copy.deepcopy(assertion_of(t))
    evil.find(f".//{{{SAML}}}NameID").text = "admin@example.com"
    evil.remove(evil.find(f"{{{DS}}}Signature"))
    t.insert(2, evil)
    write("hostile-wrap-sibling.xml", t)

    # Wrapping 3: the signed assertion nested inside the evil one's Subject.
    t = fresh()
    original = assertion_of(t)
    evil = copy.deepcopy(original)
    evil.remove(evil.find(f"{{{DS}}}Signature"))
    evil.find(f".//{{{SAML}}}NameID").text = "admin@example.com"
    evil.set("ID", "_evil")
    t.remove(original)
    evil.find(f"{{{SAML}}}Subject").append(original)
    t.append(evil)
    write("hostile-wrap-nested.xml", t)

    # Wrapping 4: the signature moved to the Response, still referencing the assertion.
    t = fresh()
    sig = assertion_of(t).find(f"{{{DS}}}Signature")
    assertion_of(t).remove(sig)
    t.insert(1, sig)
    write("hostile-wrap-moved-signature.xml", t)

    # A comment inside NameID, in the signed text: c14n drops it, so the signature covers
    # "admin@example.com.evil"; a reader taking the first text node would see
    # "admin@example.com". Accepted, and the subject must be the whole text.
    c = idp.assertion("admin@example.com", attrs, now=now)
    n = c.find(f".//{{{SAML}}}NameID")
    comment = etree.Comment("x")
    comment.tail = ".evil"
    n.append(comment)
    write("comment-nameid-signed.xml", idp.response(idp.sign(c), now=now))

    # The same comment added after signing, splitting the signed text differently.
    t = fresh()
    n = assertion_of(t).find(f".//{{{SAML}}}NameID")
    n.text = "alice@exa"
    comment = etree.Comment("x")
    comment.tail = "mple.com.evil"
    n.append(comment)
    write("hostile-comment-nameid.xml", t)

    # Duplicated attributes: signed by the IdP, still refused.
    dup = idp.assertion("alice@example.com", attrs, now=now)
    st = dup.find(f"{{{SAML}}}AttributeStatement")
    st.append(copy.deepcopy(st[0]))
    write("hostile-duplicate-attribute.xml", idp.response(idp.sign(dup), now=now))

    # Signed at the Response only (the assertion inside unsigned): accepted.
    r = idp.response(idp.assertion("alice@example.com", attrs, now=now), now=now)
    a = r.find(f"{{{SAML}}}Assertion")
    a.remove(a.find(f"{{{DS}}}Signature"))
    r.insert(1, etree.Element(f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS}))
    write("response-signed.xml", idp.sign(r))

    # An inclusive c14n signature (signxml's default), and a SHA-1 one: refused.
    inclusive = XMLSigner(method=methods.enveloped, signature_algorithm="rsa-sha256", digest_algorithm="sha256")
    a = idp.assertion("alice@example.com", attrs, now=now)
    write("hostile-inclusive-c14n.xml", idp.response(inclusive.sign(a, key=idp.key_pem(), cert=idp.cert_pem(), reference_uri=a.get("ID")), now=now))
    a = idp.assertion("alice@example.com", attrs, now=now)
    doc = idp.response(idp.sign(a), now=now)
    body = etree.tostring(doc).decode().replace("xmlenc#sha256", "xmldsig#sha1", 1)
    write("hostile-sha1-digest.xml", body.encode())

    # Signed by xmlsec1 (when installed) with a PrefixList: accepted.
    signed = xmlsec1_signed(idp, idp.assertion("alice@example.com", attrs, now=now))
    if signed is not None:
        write("xmlsec1-signed.xml", idp.response(etree.fromstring(signed), now=now))

    # Unsigned.
    unsigned = idp.assertion("alice@example.com", attrs, now=now)
    unsigned.remove(unsigned.find(f"{{{DS}}}Signature"))
    write("hostile-unsigned.xml", idp.response(unsigned, now=now))

    # Signed by another key.
    other = Idp()
    write("hostile-other-key.xml", other.response(other.sign(other.assertion("alice@example.com", attrs, now=now)), now=now))

    # Expired, wrong audience, wrong recipient (each signed).
    past = now - datetime.timedelta(hours=1)
    write("hostile-expired.xml", idp.response(idp.sign(idp.assertion("alice@example.com", attrs, now=past)), now=past))
    write("hostile-audience.xml", idp.response(idp.sign(idp.assertion("alice@example.com", attrs, now=now, audience="https://evil.example/")), now=now))
    write("hostile-recipient.xml", idp.response(idp.sign(idp.assertion("alice@example.com", attrs, now=now, recipient="https://evil.example/saml")), now=now))

    # XXE and entity expansion around the valid response.
    body = etree.tostring(valid).decode()
    write("hostile-xxe.xml", ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + body.replace("alice@example.com", "&x;", 1)).encode())
    laughs = "".join(f'<!ENTITY l{i} "{"&l%d;" % (i - 1) * 10 if i else "lol"}">' for i in range(10))
    write("hostile-entity-expansion.xml", (f"<!DOCTYPE r [{laughs}]>" + body.replace("alice@example.com", "&l9;", 1)).encode())
    # Oversize: an attribute with a hundred thousand values.
    huge = "<x/>" * 100_000
    write("hostile-oversize.xml", body.replace("</saml:AttributeStatement>", huge + "</saml:AttributeStatement>", 1).encode())


if __name__ == "__main__":
    _corpus(Path(sys.argv[1]))
