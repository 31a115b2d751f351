import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface OidcIssuer {
  /** https://127.0.0.1:PORT: the `iss` of its tokens, with discovery and JWKS under it. */
  url: string;
  /** Signs a token (RS256) with the issuer's key; `iss`, `iat`, `nbf` and `exp` are filled in. */
  mint(claims: Record<string, unknown>): string;
  /**
   * GitHub's ID-token request endpoint as the runner exposes it (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN): answers
   * `GET ?audience=` with a token for the job, whose claims `claims()` gives (so a test can play another repository).
   */
  actions: { url: string; requestToken: string; minted: string[] };
  stop(): Promise<void>;
}

/**
 * An OIDC issuer on 127.0.0.1 over TLS (discovery document and JWKS, RS256 tokens), serving with a certificate the
 * apiserver can verify, and a stand-in for the runner's ID-token endpoint on plain HTTP.
 */
export async function startOidcIssuer(
  tls: { certFile: string; keyFile: string },
  jobClaims: () => Record<string, unknown>,
): Promise<OidcIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(6).toString('hex');
  let url = '';
  const issuer = https.createServer(
    { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
    (req, res) => {
      const json = (body: unknown) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/.well-known/openid-configuration') {
        return json({
          issuer: url,
          jwks_uri: `${url}/jwks`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        });
      }
      if (req.url === '/jwks')
        return json({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
      res.writeHead(404).end();
    },
  );
  await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(issuer.address() as AddressInfo).port}`;
  const mint = (claims: Record<string, unknown>) => jwt(privateKey, kid, { iss: url, ...timestamps(), ...claims });

  const requestToken = randomBytes(16).toString('hex');
  const minted: string[] = [];
  const actions = http.createServer((req, res) => {
    const audience = new URL(req.url ?? '/', 'http://localhost').searchParams.get('audience');
    if (req.headers.authorization !== `Bearer ${requestToken}`) return void res.writeHead(401).end();
    const token = mint({ aud: audience ?? 'https://github.com/acme', ...jobClaims() });
    minted.push(token);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: 1, value: token }));
  });
  await new Promise<void>((resolve) => actions.listen(0, '127.0.0.1', resolve));
  return {
    url,
    mint,
    actions: {
      url: `http://127.0.0.1:${(actions.address() as AddressInfo).port}/token?api-version=2.0`,
      requestToken,
      minted,
    },
    stop: async () => {
      await new Promise<void>((resolve) => issuer.close(() => resolve()));
      await new Promise<void>((resolve) => actions.close(() => resolve()));
    },
  };
}

function timestamps() {
  const now = Math.floor(Date.now() / 1000);
  return { iat: now, nbf: now - 5, exp: now + 300 };
}

function jwt(key: KeyObject, kid: string, payload: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part({ alg: 'RS256', typ: 'JWT', kid })}.${part(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}
