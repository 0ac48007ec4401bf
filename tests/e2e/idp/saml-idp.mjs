// A real SAML identity provider's signing for the end-to-end tests: samlify (an IdP/SP
// library on xml-crypto) makes the IdP's metadata and signs login responses for AWS's
// service provider, as an IdP would post them to AWS's sign-in endpoint. An implementation
// independent of Castellan's verifier (and of the Python tests' signxml).
//
// Usage:
//   node saml-idp.mjs metadata <cert.pem> <key.pem> <entity id>
//   node saml-idp.mjs response <cert.pem> <key.pem> <entity id> <request.json>
// request.json: {"name_id": "...", "roles": ["<role arn>,<provider arn>", ...],
//                "session_name": "...", "lifetime_seconds": 300,
//                "encrypt_cert": "<service provider cert.pem>", "data_encryption": "<URI>",
//                "recipient": "<ACS URL>"}
// `metadata` prints the metadata document; `response` prints the base64 SAMLResponse. With
// `encrypt_cert`, samlify signs the assertion, then encrypts it (xml-encryption: RSA-OAEP,
// `data_encryption` or AES-256-GCM) to that certificate's key, as an IdP configured with the
// service provider's encryption certificate does.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import samlify from 'samlify';

const [command, certFile, keyFile, entityId, requestFile] = process.argv.slice(2);
// Castellan validates; samlify's own schema check is for responses it consumes.
samlify.setSchemaValidator({ validate: () => Promise.resolve('not used: this side only signs') });

const AWS_SIGN_IN = 'https://signin.aws.amazon.com/saml';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/';
const URI_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';

const request = command === 'response' ? JSON.parse(fs.readFileSync(requestFile, 'utf8')) : {};
const idp = samlify.IdentityProvider({
  entityID: entityId,
  signingCert: fs.readFileSync(certFile, 'utf8'),
  privateKey: fs.readFileSync(keyFile, 'utf8'),
  isAssertionEncrypted: Boolean(request.encrypt_cert),
  dataEncryptionAlgorithm: request.data_encryption ?? 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  singleSignOnService: [{ Binding: POST, Location: `${entityId}/sso` }],
  singleLogoutService: [{ Binding: POST, Location: `${entityId}/slo` }],
  loginResponseTemplate: {
    context: samlify.SamlLib.defaultLoginResponseTemplate.context,
    attributes: [
      { name: `${ATTRIBUTE}Role`, valueTag: 'role', nameFormat: URI_FORMAT, valueXsiType: 'xs:string' },
      { name: `${ATTRIBUTE}RoleSessionName`, valueTag: 'session', nameFormat: URI_FORMAT, valueXsiType: 'xs:string' },
    ],
  },
});

if (command === 'metadata') {
  process.stdout.write(idp.getMetadata());
} else if (command === 'response') {
  const recipient = request.recipient ?? AWS_SIGN_IN;
  const sp = samlify.ServiceProvider({
    entityID: 'urn:amazon:webservices',
    assertionConsumerService: [{ Binding: POST, Location: recipient }],
    wantAssertionsSigned: true,
    ...(request.encrypt_cert ? { encryptCert: fs.readFileSync(request.encrypt_cert, 'utf8') } : {}),
  });
  const user = { name_id: request.name_id };
  const response = await idp.createLoginResponse(sp, { extract: { request: { id: '' } } }, 'post', user, (template) => {
    const now = new Date();
    const later = new Date(now.getTime() + 1000 * (request.lifetime_seconds ?? 300));
    // Only the first Role value fits samlify's one-value template; the tests ask for one.
    const values = {
      ID: `_${randomUUID()}`,
      AssertionID: `_${randomUUID()}`,
      Destination: recipient,
      Audience: 'urn:amazon:webservices',
      EntityID: 'urn:amazon:webservices',
      SubjectRecipient: recipient,
      Issuer: entityId,
      IssueInstant: now.toISOString(),
      StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      ConditionsNotBefore: now.toISOString(),
      ConditionsNotOnOrAfter: later.toISOString(),
      SubjectConfirmationDataNotOnOrAfter: later.toISOString(),
      AssertionConsumerServiceURL: recipient,
      InResponseTo: '',
      NameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      NameID: request.name_id,
      attrRole: request.roles[0],
      attrSession: request.session_name,
    };
    return { id: values.ID, context: samlify.SamlLib.replaceTagsByValue(template, values) };
  });
  process.stdout.write(response.context);
} else {
  console.error('usage: node saml-idp.mjs metadata|response <cert.pem> <key.pem> <entity id> [request.json]');
  process.exit(2);
}
