import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseImageRef, RegistryClient, RegistryError } from '../../src/core/images/registry.js';
import { startFaultProxy, type Fault } from '../harness/fault-proxy.js';
import { OciTestClient } from '../harness/oci.js';
import { startRegistry, type RegistryAuth, type RunningRegistry } from '../harness/registry.js';

describe('parseImageRef', () => {
  it('reads references the way Docker does', () => {
    expect(parseImageRef('nginx')).toEqual({
      registry: 'registry-1.docker.io',
      repository: 'library/nginx',
      tag: undefined,
      digest: undefined,
    });
    expect(parseImageRef('bitnami/redis:7.2')).toMatchObject({
      registry: 'registry-1.docker.io',
      repository: 'bitnami/redis',
      tag: '7.2',
    });
    expect(parseImageRef('ghcr.io/acme/shop:2.4.0@sha256:abc')).toEqual({
      registry: 'ghcr.io',
      repository: 'acme/shop',
      tag: '2.4.0',
      digest: 'sha256:abc',
    });
    expect(parseImageRef('localhost:5000/app')).toMatchObject({
      registry: 'localhost:5000',
      repository: 'app',
      tag: undefined,
    });
  });
});

describe.each<RegistryAuth>(['anonymous', 'htpasswd', 'token'])(
  'RegistryClient against the bench registry, %s auth',
  (auth) => {
    let registry: RunningRegistry;
    const digests: Record<string, string> = {};
    beforeAll(async () => {
      registry = await startRegistry(inject('registryBinary'), auth);
      const pusher = new OciTestClient(registry);
      for (const tag of ['2.3.0', '2.3.1', '2.4.0', '2.5.0-rc.1', 'main-abc123'])
        digests[tag] = await pusher.pushImage('acme/shop', tag);
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it('lists every tag through the pages and reads a digest with one HEAD', async () => {
      const client = new RegistryClient(
        new Map([[registry.host, { username: registry.username, password: registry.password }]]),
      );
      const image = parseImageRef(`${registry.host}/acme/shop`);
      expect((await client.listTags(image, 2)).sort()).toEqual(Object.keys(digests).sort());
      const before = client.stats.requests;
      expect(await client.digestOf(image, '2.4.0')).toBe(digests['2.4.0']);
      expect(client.stats.requests - before).toBe(1);
      expect(await client.digestOf(image, 'nope')).toBeUndefined();
    });

    it('without credentials, a protected registry is a clear error', async () => {
      const client = new RegistryClient();
      const result = client.listTags(parseImageRef(`${registry.host}/acme/shop`)).catch((e: unknown) => e);
      if (auth === 'anonymous') {
        expect(await result).toHaveLength(5);
      } else {
        const error = await result;
        expect(error).toBeInstanceOf(RegistryError);
        expect((error as RegistryError).format()).toContain(`give kubeplan credentials for ${registry.host}`);
        // A config.json that hands the registry to a credential helper kubeplan cannot find names the helper.
        const helped = await new RegistryClient({
          helpers: new Map([[registry.host, 'ecr-login']]),
          helperEnv: { PATH: '/nonexistent' },
          dockerConfigFile: '/home/runner/.docker/config.json',
        })
          .listTags(parseImageRef(`${registry.host}/acme/shop`))
          .catch((e: unknown) => e);
        expect((helped as RegistryError).format()).toContain('docker-credential-ecr-login is not on PATH');
        expect((helped as RegistryError).format()).toContain(
          `/home/runner/.docker/config.json (credHelpers) leaves ${registry.host} to docker-credential-ecr-login: install docker-credential-ecr-login`,
        );
      }
    });
  },
);

describe('RegistryClient on a faulty registry', () => {
  it('retries 429 (honouring Retry-After), 500, 503 and resets, and still lists every page and digest', async () => {
    const registry = await startRegistry(inject('registryBinary'), 'anonymous');
    const pusher = new OciTestClient(registry);
    const tags = Array.from({ length: 7 }, (_, i) => `1.${i}.0`);
    for (const tag of tags) await pusher.pushImage('acme/flaky', tag);
    const faults: Fault[] = ['429', '500', '503', 'reset'];
    // Every other request fails, cycling through the faults; the client retries each request up to four times.
    const proxy = await startFaultProxy({ server: registry.url }, (n) =>
      n % 2 === 0 ? faults[(n / 2) % faults.length] : undefined,
    );
    try {
      const client = new RegistryClient();
      const image = parseImageRef(`${new URL(proxy.url).host}/acme/flaky`);
      expect((await client.listTags(image, 2)).sort()).toEqual(tags);
      expect(await client.digestOf(image, '1.3.0')).toMatch(/^sha256:/);
      expect(Object.values(proxy.injected).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(4);
      expect(proxy.injected['429']).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
      await registry.stop();
    }
  });

  it('follows tag pages on the same origin only', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/v2/') return res.writeHead(200).end('{}');
      res.writeHead(200, {
        'content-type': 'application/json',
        link: '<http://127.0.0.2:9/v2/acme/x/tags/list?n=1&last=a>; rel="next"',
      });
      res.end(JSON.stringify({ name: 'acme/x', tags: ['a'] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const error = await new RegistryClient().listTags(parseImageRef(`${host}/acme/x`)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).message).toContain('the tag list links to another origin (http://127.0.0.2:9)');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
