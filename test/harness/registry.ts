import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startBenchRegistry } from '../bench/servers.mjs';

export type RegistryAuth = 'anonymous' | 'htpasswd' | 'token';

export interface RunningRegistry {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT, as in image references. */
  host: string;
  auth: RegistryAuth;
  /** User and password for htpasswd and token modes (the token endpoint checks them too). */
  username: string;
  password: string;
  /** Token endpoint (token mode). */
  tokenRealm: string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the CNCF Distribution registry v3 on 127.0.0.1 with storage in a temporary folder. In token mode a small
 * token endpoint in this process issues ES256 JWTs (signed with the key the registry generated for its root
 * certificate bundle) to clients that present the user and password, as Docker Hub or GHCR do.
 */
export async function startRegistry(binary: string, auth: RegistryAuth = 'anonymous'): Promise<RunningRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `kubeplan-registry-${auth}-`));
  const username = 'bench';
  const password = randomBytes(12).toString('hex');
  const authArgs: string[] = [];
  let tokenServer: http.Server | undefined;
  let tokenRealm: string | undefined;
  if (auth === 'htpasswd') {
    authArgs.push('--htpasswd', path.join(dir, 'htpasswd'), '--user', username, '--password', password);
  }
  if (auth === 'token') {
    const bundle = path.join(dir, 'token-ca.pem');
    tokenServer = startTokenServer(bundle, username, password);
    await new Promise<void>((resolve) => tokenServer!.listen(0, '127.0.0.1', resolve));
    tokenRealm = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
    authArgs.push(
      '--token-realm',
      tokenRealm,
      '--token-service',
      'kubeplan-bench-registry',
      '--token-issuer',
      'kubeplan-bench-auth',
      '--token-rootcertbundle',
      bundle,
    );
  }
  const registry = await startBenchRegistry(binary, { dir, auth, authArgs }).catch((error: unknown) => {
    tokenServer?.close();
    throw error;
  });
  const url = registry.url;
  return {
    url,
    host: registry.host,
    auth,
    username,
    password,
    tokenRealm,
    async stop() {
      await registry.stop();
      if (tokenServer) await new Promise<void>((resolve) => tokenServer!.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** GET /token?service=S&scope=repository:NAME:pull,push with basic auth → {token, access_token}. */
function startTokenServer(bundle: string, username: string, password: string): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    if (url.pathname !== '/token' || req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      return type && name && actions ? [{ type, name, actions: actions.split(',') }] : [];
    });
    const token = signJwt(bundle, {
      iss: 'kubeplan-bench-auth',
      sub: username,
      aud: url.searchParams.get('service') ?? '',
      access,
    });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
}

function signJwt(bundle: string, claims: Record<string, unknown>): string {
  const certPem = readFileSync(bundle, 'utf8');
  const der = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
  const key = createPrivateKey(readFileSync(`${bundle}.key`));
  const now = Math.floor(Date.now() / 1000);
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${b64({ alg: 'ES256', typ: 'JWT', x5c: [der] })}.${b64({ ...claims, iat: now, nbf: now - 5, exp: now + 300, jti: randomBytes(8).toString('hex') })}`;
  const signature = sign('sha256', Buffer.from(body), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return `${body}.${signature}`;
}
