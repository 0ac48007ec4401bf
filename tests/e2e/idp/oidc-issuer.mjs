// A real OpenID Connect provider for the end-to-end tests: panva's oidc-provider, over
// HTTPS on loopback with the certificate the test made, issuing RS256 JWT access tokens to a
// client-credentials client (a CI job's identity, as a workload's token would be). The test
// fetches a token from /token and hands it to AssumeRoleWithWebIdentity; Castellan finds the
// keys through the provider's own discovery document and JWKS.
//
// Usage: node oidc-issuer.mjs <cert.pem> <key.pem> <port> <clients.json>
// clients.json: [{"client_id": "...", "client_secret": "..."}, ...]; the token's `sub` is the
// client id and its `aud` is `sts.amazonaws.com`, as a CI job's token for AWS has.
import fs from 'node:fs';
import https from 'node:https';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const [certFile, keyFile, port, clientsFile] = process.argv.slice(2);
// A signing key made per run: nothing is kept.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'run-key' };
const clients = JSON.parse(fs.readFileSync(clientsFile, 'utf8')).map((client) => ({
  ...client,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
}));

const provider = new Provider(`https://localhost:${port}`, {
  jwks: { keys: [signingKey] },
  clients,
  cookies: { keys: [generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }).d] },
  features: {
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'https://sts.amazonaws.com/',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'deploy',
        audience: 'sts.amazonaws.com',
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});

https
  .createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, provider.callback())
  .listen(Number(port), '127.0.0.1', () => console.log('ready'));
