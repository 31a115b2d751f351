import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../src/core/cluster/client.js';
import { ClusterError, formatError } from '../../src/core/errors.js';

// A throttling apiserver stand-in on 127.0.0.1: the real apiserver never returns 429 on demand.
let server: http.Server;
let kubeconfig: string;
let dir: string;
const seen: { at: number; auth: string | undefined }[] = [];
let mode: '429-then-ok' | 'always-503' | 'forbidden' | 'login-page' = '429-then-ok';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ at: Date.now(), auth: req.headers.authorization });
    if (mode === 'login-page') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>\n<title>Sign in to Corp SSO</title>\n</html>\n');
    } else if (mode === 'forbidden') {
      res.writeHead(403, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          kind: 'Status',
          reason: 'Forbidden',
          message: 'configmaps is forbidden: User "x" cannot list',
        }),
      );
    } else if (mode === 'always-503' || seen.length === 1) {
      res
        .writeHead(mode === 'always-503' ? 503 : 429, { 'retry-after': '1', 'content-type': 'application/json' })
        .end('{"kind":"Status","message":"slow down"}');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"kind":"ConfigMapList","items":[]}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  dir = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-client-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  const port = (server.address() as AddressInfo).port;
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:${port}', insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: seeded-token-value}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: team}}]\ncurrent-context: x\n`,
  );
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const connect = () => ClusterClient.connect({ kubeconfig, context: undefined, concurrency: 4, env: {}, cwd: dir });

describe('ClusterClient', () => {
  it('retries a 429 after the Retry-After the server asked for, with the kubeconfig token', async () => {
    seen.length = 0;
    mode = '429-then-ok';
    const client = await connect();
    expect(client.namespace).toBe('team');
    const res = await client.request<{ kind: string }>('GET', '/api/v1/namespaces/team/configmaps');
    expect(res.body.kind).toBe('ConfigMapList');
    expect(seen).toHaveLength(2);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950);
    expect(seen[0]!.auth).toBe('Bearer seeded-token-value');
    expect(client.stats.retries).toBe(1);
  });

  it('does not retry other 4xx, and turns the Status into an error with a hint', async () => {
    seen.length = 0;
    mode = 'forbidden';
    const client = await connect();
    const error = await client.request('GET', '/api/v1/namespaces/team/configmaps').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect(error).toMatchObject({ status: 403, reason: 'Forbidden' });
    expect((error as ClusterError).format()).toContain('grant it with a Role');
    expect(seen).toHaveLength(1);
  });

  it("a 200 that is not JSON (a proxy's login page) is a cluster error naming the request, not a kubeplan bug", async () => {
    mode = 'login-page';
    const client = await connect();
    const error = await client.request('GET', '/api/v1/namespaces/team/configmaps').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect(formatError(error)).toBe(
      'GET /api/v1/namespaces/team/configmaps: the answer (200) is not JSON: starting "<html> <title>Sign in to Corp SSO</title> </html>"\n' +
        '  hint: check that the kubeconfig server URL is the apiserver itself, not a web page, login portal or proxy in front of it',
    );
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });
});
