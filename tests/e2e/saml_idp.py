"""A SAML identity provider for the tests: an RSA key and self-signed certificate made per
run, its metadata document, and signed SAML responses, signed by `signxml` (an XML-DSig
implementation independent of Castellan's), optionally encrypted to a service provider's
public key (XML Encryption written here with the `cryptography` package: RSA-OAEP, AES-GCM,
AES-CBC; and, for the corpus, by the xmlsec1 tool).

Run as a script, it writes the hostile-assertion corpus that the service's corpus test
replays (crates/service/tests/data/saml/): a valid response at a fixed time, and variants
that must each be refused (wrapping, comments inside NameID, duplicated attributes, XXE,
entity expansion, oversize, altered, unsigned, wrong key); and the encrypted corpus
(crates/service/tests/data/saml/encrypted/, see `_encrypted_corpus`). With `--encrypted` it
writes only the latter.
"""

from __future__ import annotations

import base64
import copy
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner, methods

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
AWS_SAML = "https://signin.aws.amazon.com/saml"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"

# Content ciphers: name -> (Algorithm URI, key bytes, mode).
CONTENT = {
    "aes128-gcm": (XENC11 + "aes128-gcm", 16, "gcm"),
    "aes192-gcm": (XENC11 + "aes192-gcm", 24, "gcm"),
    "aes256-gcm": (XENC11 + "aes256-gcm", 32, "gcm"),
    "aes128-cbc": (XENC + "aes128-cbc", 16, "cbc"),
    "aes192-cbc": (XENC + "aes192-cbc", 24, "cbc"),
    "aes256-cbc": (XENC + "aes256-cbc", 32, "cbc"),
}
# DigestMethod and MGF URIs of RSA-OAEP, by hash name.
DIGESTS = {
    "sha1": ("http://www.w3.org/2000/09/xmldsig#sha1", hashes.SHA1),
    "sha256": (XENC + "sha256", hashes.SHA256),
    "sha512": (XENC + "sha512", hashes.SHA512),
}


def encrypt_assertion(
    plaintext: bytes,
    recipient: rsa.RSAPublicKey,
    content: str = "aes256-gcm",
    transport: str = "rsa-oaep-mgf1p",
    digest: str | None = "sha1",
    mgf: str | None = None,
    peer_key: bool = False,
    cbc_pad_byte: int | None = None,
) -> etree._Element:
    """A saml:EncryptedAssertion holding `plaintext` (a serialized Assertion) as XML
    Encryption writes it: a fresh content key under `content`, itself encrypted to
    `recipient` with `transport` ("rsa-oaep-mgf1p", "rsa-oaep" of XML Encryption 1.1 with
    `digest` and `mgf`, or the refused "rsa-1_5"). The EncryptedKey goes inside the
    EncryptedData's KeyInfo, or beside it with a RetrievalMethod (`peer_key`, Shibboleth's
    "peer" placement). `cbc_pad_byte` replaces the CBC padding's last byte, its length
    (hostile cases)."""
    uri, size, mode = CONTENT[content]
    key = os.urandom(size)
    if mode == "gcm":
        iv = os.urandom(12)
        data = iv + AESGCM(key).encrypt(iv, plaintext, None)
    else:
        iv = os.urandom(16)
        pad = 16 - len(plaintext) % 16
        # ISO 10126: random bytes, the count last (as Santuario and xmlsec write it).
        padding_bytes = os.urandom(pad - 1) + bytes([pad if cbc_pad_byte is None else cbc_pad_byte])
        encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        data = iv + encryptor.update(plaintext + padding_bytes) + encryptor.finalize()

    if transport == "rsa-1_5":
        wrapped = recipient.encrypt(key, padding.PKCS1v15())
        method_uri = XENC + "rsa-1_5"
    else:
        digest_hash = DIGESTS[digest or "sha1"][1]
        mgf_hash = DIGESTS[mgf or "sha1"][1] if transport == "rsa-oaep" else hashes.SHA1
        wrapped = recipient.encrypt(
            key, padding.OAEP(mgf=padding.MGF1(algorithm=mgf_hash()), algorithm=digest_hash(), label=None)
        )
        method_uri = (XENC11 + "rsa-oaep") if transport == "rsa-oaep" else (XENC + "rsa-oaep-mgf1p")

    nsmap = {"xenc": XENC, "ds": DS}
    ea = etree.Element(f"{{{SAML}}}EncryptedAssertion", nsmap={"saml": SAML})
    data_id = "_" + uuid.uuid4().hex
    key_id = "_" + uuid.uuid4().hex
    ed = etree.SubElement(ea, f"{{{XENC}}}EncryptedData", Id=data_id, Type=XENC + "Element", nsmap=nsmap)
    etree.SubElement(ed, f"{{{XENC}}}EncryptionMethod", Algorithm=uri)
    key_info = etree.SubElement(ed, f"{{{DS}}}KeyInfo")
    if peer_key:
        etree.SubElement(key_info, f"{{{DS}}}RetrievalMethod", Type=XENC + "EncryptedKey", URI="#" + key_id)
        ek = etree.SubElement(ea, f"{{{XENC}}}EncryptedKey", Id=key_id, nsmap=nsmap)
    else:
        ek = etree.SubElement(key_info, f"{{{XENC}}}EncryptedKey", Id=key_id)
    em = etree.SubElement(ek, f"{{{XENC}}}EncryptionMethod", Algorithm=method_uri)
    if transport != "rsa-1_5" and digest is not None:
        etree.SubElement(em, f"{{{DS}}}DigestMethod", Algorithm=DIGESTS[digest][0])
    if transport == "rsa-oaep" and mgf is not None:
        etree.SubElement(em, f"{{{XENC11}}}MGF", Algorithm=f"{XENC11}mgf1{mgf}", nsmap={"xenc11": XENC11})
    cd = etree.SubElement(ek, f"{{{XENC}}}CipherData")
    etree.SubElement(cd, f"{{{XENC}}}CipherValue").text = base64.b64encode(wrapped).decode()
    if peer_key:
        refs = etree.SubElement(ek, f"{{{XENC}}}ReferenceList")
        etree.SubElement(refs, f"{{{XENC}}}DataReference", URI="#" + data_id)
    cd = etree.SubElement(ed, f"{{{XENC}}}CipherData")
    etree.SubElement(cd, f"{{{XENC}}}CipherValue").text = base64.b64encode(data).decode()
    return ea


class ServiceProvider:
    """The receiving side's key pair (what AddPrivateKey stores): RSA, made per run."""

    def __init__(self, key_size: int = 2048):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)

    def key_pem(self, traditional: bool = False) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL if traditional else serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def public_key(self) -> rsa.RSAPublicKey:
        return self.key.public_key()


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

    def encrypted_response(
        self,
        subject: str,
        attributes: dict[str, list[str]],
        to: rsa.RSAPublicKey,
        encryption: dict | None = None,
        **kw,
    ) -> str:
        """The base64 SAMLResponse with its assertion signed, then encrypted to the service
        provider's key `to` (`encryption`: keyword arguments of `encrypt_assertion`)."""
        now = kw.pop("now", None)
        signed = self.sign(self.assertion(subject, attributes, now=now, **kw))
        encrypted = encrypt_assertion(etree.tostring(signed), to, **(encryption or {}))
        xml = etree.tostring(self.response(encrypted, now=now))
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


def xmlsec1_encrypted(sp: ServiceProvider, response: etree._Element) -> bytes | None:
    """The response with its Assertion encrypted in place by the xmlsec1 tool (libxmlsec1,
    the library python-xmlsec and many IdPs use): AES-128-CBC, RSA-OAEP (mgf1p, SHA-1), the
    EncryptedKey inside KeyInfo. The Assertion is first wrapped in an EncryptedAssertion so
    that its EncryptedData lands there. None when xmlsec1 is not installed."""
    tool = shutil.which("xmlsec1")
    if tool is None:
        return None
    assertion = response.find(f"{{{SAML}}}Assertion")
    wrapper = etree.Element(f"{{{SAML}}}EncryptedAssertion")
    assertion.addprevious(wrapper)
    wrapper.append(assertion)
    template = (
        f'<xenc:EncryptedData xmlns:xenc="{XENC}" Type="{XENC}Element">'
        f'<xenc:EncryptionMethod Algorithm="{XENC}aes128-cbc"/>'
        f'<ds:KeyInfo xmlns:ds="{DS}"><xenc:EncryptedKey>'
        f'<xenc:EncryptionMethod Algorithm="{XENC}rsa-oaep-mgf1p"/>'
        "<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"
        "<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>"
    )
    with tempfile.TemporaryDirectory() as work:
        public = Path(work) / "sp.pem"
        public.write_bytes(
            sp.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        (Path(work) / "template.xml").write_text(template)
        (Path(work) / "data.xml").write_bytes(etree.tostring(response))
        out = Path(work) / "out.xml"
        subprocess.run(
            [
                tool, "encrypt", "--pubkey-pem", str(public), "--session-key", "aes-128",
                "--xml-data", str(Path(work) / "data.xml"), "--node-name", f"{SAML}:Assertion",
                "--output", str(out), str(Path(work) / "template.xml"),
            ],
            check=True,
        )
        return out.read_bytes()


def _encrypted_corpus(out: Path) -> None:
    """The encrypted-assertion corpus (fixed time 2030-01-01T00:00:00Z), replayed by the
    service's tests/saml_encrypted.rs through AssumeRoleWithSAML and the console sign-in:
    its own IdP (metadata.xml), the receiving provider's keys (sp-key.pem in PKCS#1,
    sp-key-2.pem in PKCS#8, sp-key-ec.pem an EC key, which never decrypts), responses that
    decrypt with them, and hostile ones that must each be refused."""
    now = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    idp = Idp()
    sp, sp2, stranger = ServiceProvider(), ServiceProvider(), ServiceProvider()
    role = "arn:aws:iam::123456789012:role/ReadOnly"
    provider = "arn:aws:iam::123456789012:saml-provider/TestIdp"
    # The provider's id in the tests (the store row they create), for its own endpoint.
    acs = AWS_SAML + "/acs/a0000000-0000-4000-8000-0000000000e1"
    attrs = aws_attributes(role, provider, "alice", **{ATTR + "PrincipalTag:team": ["blue"]})
    out.mkdir(parents=True, exist_ok=True)
    (out / "metadata.xml").write_text(idp.metadata())
    (out / "sp-key.pem").write_text(sp.key_pem(traditional=True))
    (out / "sp-key-2.pem").write_text(sp2.key_pem())
    ec_key = ec.generate_private_key(ec.SECP256R1())
    (out / "sp-key-ec.pem").write_bytes(
        ec_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )

    def write(name: str, tree) -> None:
        (out / name).write_bytes(tree if isinstance(tree, bytes) else etree.tostring(tree))

    def signed(**kw) -> etree._Element:
        return idp.sign(idp.assertion("alice@example.com", attrs, now=kw.pop("at", now), **kw))

    def encrypted(assertion: etree._Element | bytes, to=sp, **encryption) -> etree._Element:
        plain = assertion if isinstance(assertion, bytes) else etree.tostring(assertion)
        return idp.response(encrypt_assertion(plain, to.public_key(), **encryption), now=now)

    def response_signed(response: etree._Element) -> etree._Element:
        response.insert(1, etree.Element(f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS}))
        return idp.sign(response)

    def unsigned_assertion() -> etree._Element:
        a = idp.assertion("alice@example.com", attrs, now=now)
        a.remove(a.find(f"{{{DS}}}Signature"))
        return a

    # Accepted: each content cipher, both OAEP methods, both key placements.
    write("gcm.xml", encrypted(signed()))
    write("cbc-peer-key.xml", encrypted(signed(), content="aes128-cbc", peer_key=True))
    write("aes256-cbc.xml", encrypted(signed(), content="aes256-cbc"))
    write("aes192-gcm-oaep11-sha256.xml", encrypted(signed(), content="aes192-gcm", transport="rsa-oaep", digest="sha256", mgf="sha256"))
    write("aes128-gcm-oaep11-defaults.xml", encrypted(signed(), content="aes128-gcm", transport="rsa-oaep", digest=None))
    write("aes192-cbc.xml", encrypted(signed(), content="aes192-cbc"))
    # Only the Response signed (over the EncryptedAssertion), and both signed.
    write("response-signed.xml", response_signed(encrypted(unsigned_assertion())))
    write("both-signed.xml", response_signed(encrypted(signed())))
    # The plaintext relies on the Response's xmlns:saml (declared there, not on the
    # Assertion): decrypted in the EncryptedData's namespace context.
    plain = etree.tostring(signed()).replace(f' xmlns:saml="{SAML}"'.encode(), b"", 1)
    write("context-namespaces.xml", encrypted(plain))
    # Encrypted to the provider's second key (a rotation in progress).
    write("second-key.xml", encrypted(signed(), to=sp2))
    # Posted to the provider's own endpoint (Recipient /saml/acs/<id>).
    write("acs-recipient.xml", encrypted(signed(recipient=acs)))
    # Encrypted by xmlsec1 (when installed).
    by_xmlsec = xmlsec1_encrypted(sp, idp.response(signed(), now=now))
    if by_xmlsec is not None:
        write("xmlsec1-encrypted.xml", by_xmlsec)
    # Plain (for a provider that requires encryption: refused; else accepted).
    write("plain.xml", idp.response(signed(), now=now))
    # Decrypted and verified, then refused for what it says: expired.
    write("expired.xml", encrypted(signed(at=now - datetime.timedelta(hours=1))))

    # Refused, every one with the one answer (reading 75).
    write("hostile-rsa-1_5.xml", encrypted(signed(), transport="rsa-1_5"))
    write("hostile-wrong-key.xml", encrypted(signed(), to=stranger))
    write("hostile-unsigned.xml", encrypted(unsigned_assertion()))
    other = Idp()
    write("hostile-other-signer.xml", encrypted(other.sign(other.assertion("alice@example.com", attrs, now=now))))
    two = etree.tostring(signed()) + etree.tostring(signed())
    write("hostile-two-assertions-inside.xml", encrypted(two))
    write("hostile-cbc-bad-padding.xml", encrypted(signed(), content="aes128-cbc", cbc_pad_byte=0x41))
    body = etree.tostring(encrypted(signed(), content="aes128-cbc")).decode()
    write("hostile-tripledes.xml", body.replace(XENC + "aes128-cbc", XENC + "tripledes-cbc", 1).encode())

    def tamper(tree: etree._Element, change) -> etree._Element:
        value = tree.find(f".//{{{XENC}}}EncryptedData/{{{XENC}}}CipherData/{{{XENC}}}CipherValue")
        value.text = base64.b64encode(change(base64.b64decode(value.text))).decode()
        return tree

    def flip(at: int):
        return lambda data: data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]

    write("hostile-tampered-gcm.xml", tamper(encrypted(signed()), flip(40)))
    # In the IV: the first block's plaintext changes by one bit (CBC's malleability).
    write("hostile-tampered-cbc-iv.xml", tamper(encrypted(signed(), content="aes128-cbc"), flip(3)))
    write("hostile-tampered-cbc.xml", tamper(encrypted(signed(), content="aes128-cbc"), flip(200)))
    write("hostile-truncated.xml", tamper(encrypted(signed(), content="aes128-cbc"), lambda d: d[:-16]))
    # The Response signed, then its ciphertext changed: the Response signature fails first.
    write("hostile-response-signed-altered.xml", tamper(response_signed(encrypted(unsigned_assertion())), flip(40)))
    # A plain assertion beside the encrypted one: wrapping.
    t = encrypted(signed())
    t.append(signed())
    write("hostile-plain-beside.xml", t)


def _all(out: Path) -> None:
    _corpus(out)
    _encrypted_corpus(out / "encrypted")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--encrypted"]:
        _encrypted_corpus(Path(sys.argv[2]) / "encrypted")
    else:
        _all(Path(sys.argv[1]))
