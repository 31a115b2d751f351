import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OciTestClient } from '../harness/oci.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';
import { repoRoot } from '../helpers/tools.js';

const golden = path.join(repoRoot, 'test/images/golden');

/** Tags the bench registry holds for the golden repository's images (registry path → tags). */
const TAGS: Record<string, string[]> = {
  'acme/shop': ['2.3.0', '2.4.0', '2.4.1', '2.5.0', '2.6.0-rc.1', '3.0.0', 'latest', 'sha-1a2b3c4'],
  'acme/proxy': ['1.2.0', '1.3.0', '1.3.0-alpine'],
  'acme/worker': ['3.1.0', '3.2.0', '4.0.0'],
  'acme/pinned': ['1.0.0', '1.1.0'],
  'acme/legacy': ['2.4', '2.5', '2.5.0'],
  'acme/api': ['1.0.0', '1.0.1'],
  'acme/cli': ['0.9.0', '0.10.0'],
  'library/nginx': ['1.27', '1.28', '1.28-alpine'],
  'library/busybox': ['1.36', '1.37'],
  busybox: ['1.36', '1.36.1'],
};

function files(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))],
  );
}

describe('kubeplan bump --local / --dry-run (bench registry)', () => {
  let registry: RunningRegistry;
  const digests: Record<string, string> = {};
  let endpoints: string[];
  beforeAll(async () => {
    registry = await startRegistry(inject('registryBinary'), 'token');
    const pusher = new OciTestClient(registry);
    for (const [repo, tags] of Object.entries(TAGS))
      for (const tag of tags) digests[`${repo}:${tag}`] = await pusher.pushImage(repo, tag);
    endpoints = ['ghcr.io', 'docker.io', 'mirror.acme.io'].flatMap((host) => [
      '--registry-endpoint',
      `${host}=${registry.url}`,
    ]);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  function repoCopy(): string {
    const repo = makeRepo({});
    cpSync(path.join(golden, 'repo'), repo, { recursive: true });
    // The token registry wants credentials: Docker's config.json, the way docker login leaves it.
    mkdirSync(path.join(repo, '..', 'docker'), { recursive: true });
    writeFileSync(
      path.join(repo, '..', 'docker', 'config.json'),
      JSON.stringify({
        auths: {
          [registry.host]: { auth: Buffer.from(`${registry.username}:${registry.password}`).toString('base64') },
        },
      }),
    );
    return repo;
  }
  const env = (repo: string) => ({ DOCKER_CONFIG: path.join(repo, '..', 'docker') });

  it('edits every reference shape byte for byte (golden files), and leaves every other file alone', async () => {
    const repo = repoCopy();
    // Credentials for the mapped hosts: the endpoint is the bench registry, the host names stay as written.
    credentialsForMappedHosts(repo);

    const run = await runCliAsync(['bump', '--local', ...endpoints], { cwd: repo, env: env(repo) });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const expectedDir = path.join(golden, 'expected');
    for (const file of files(path.join(golden, 'repo'))) {
      const actual = readFileSync(path.join(repo, file), 'utf8')
        .replaceAll(digests['acme/pinned:1.1.0']!, '<digest acme/pinned:1.1.0>')
        .replaceAll(digests['acme/api:1.0.1']!, '<digest acme/api:1.0.1>');
      const expectedFile = path.join(expectedDir, file);
      if (process.env.UPDATE_GOLDEN && actual !== readFileSync(path.join(golden, 'repo', file), 'utf8')) {
        mkdirSync(path.dirname(expectedFile), { recursive: true });
        writeFileSync(expectedFile, actual);
      }
      const expected = existsSync(expectedFile)
        ? readFileSync(expectedFile, 'utf8')
        : readFileSync(path.join(golden, 'repo', file), 'utf8');
      expect(actual, file).toBe(expected);
    }
    expect(run.stdout).toMatch(/^ghcr\.io\/acme\/shop: 2\.4\.1 → 2\.5\.0/m);
    expect(run.stdout).toContain('wrote chart/values.yaml');
    // A second run finds everything current and writes nothing.
    const again = await runCliAsync(['bump', '--local', ...endpoints], { cwd: repo, env: env(repo) });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain('wrote ');
    expect(again.stdout).toMatch(/^0 to bump, \d+ current/m);
  });

  function credentialsForMappedHosts(repo: string) {
    const file = path.join(repo, '..', 'docker', 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    for (const host of ['ghcr.io', 'registry-1.docker.io', 'mirror.acme.io'])
      config.auths[host] = config.auths[registry.host];
    writeFileSync(file, JSON.stringify(config));
  }

  it('--dry-run -o json --explain: the documented schema, every candidate with its reason, 1 token + 1 page per image, nothing written', async () => {
    const repo = repoCopy();
    credentialsForMappedHosts(repo);
    const before = readFileSync(path.join(repo, 'chart/values.yaml'), 'utf8');
    const run = await runCliAsync(['bump', '--dry-run', '--explain', '-o', 'json', ...endpoints], {
      cwd: repo,
      env: env(repo),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(path.join(repo, 'chart/values.yaml'), 'utf8')).toBe(before);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ version: 1, mode: 'dry-run', written: [], pullRequests: [] });
    const shop = report.images.find((i: { image: string }) => i.image === 'ghcr.io/acme/shop');
    expect(shop).toMatchObject({
      status: 'bump',
      from: '2.4.1',
      to: { tag: '2.5.0', digest: null },
      policy: { source: 'flux', semver: '>=2.0.0 <3.0.0' },
    });
    expect(
      shop.references.map(
        (r: { file: string; line: number; kind: string; current: string; to: string }) =>
          `${r.file}:${r.line} ${r.kind} ${r.current}→${r.to}`,
      ),
    ).toEqual([
      'chart/values.yaml:4 values map 2.4.0→2.5.0',
      'overlay/kustomization.yaml:7 kustomize images 2.4.0→2.5.0',
      'raw/cronjob.yaml:13 flux marker 2.4.0→2.5.0',
      'raw/cronjob.yaml:23 flux marker 2.4.0→2.5.0',
      'values/prod.yaml:1 values map 2.4.0→2.5.0',
      'values/staging.yaml:3 values map 2.4.1→2.5.0',
    ]);
    expect(
      Object.fromEntries(shop.candidates.map((c: { tag: string; rejected: string | null }) => [c.tag, c.rejected])),
    ).toEqual({
      '2.3.0': 'older',
      '2.4.0': 'older',
      '2.4.1': null,
      '2.5.0': null,
      '2.6.0-rc.1': 'prerelease',
      '3.0.0': 'outside range',
      latest: 'not a version',
      'sha-1a2b3c4': 'digest-like',
    });
    expect(shop.edits.map((e: { file: string }) => e.file)).toContain('values/staging.yaml');
    expect(shop.edits.find((e: { file: string }) => e.file === 'values/staging.yaml').diff).toContain(
      '-  tag:    2.4.1       # odd spacing kept\n+  tag:    2.5.0       # odd spacing kept',
    );
    // Token auth: one token and one tag page per image; pinning adds one HEAD.
    expect(shop.requests).toBe(2);
    expect(report.images.find((i: { image: string }) => i.image === 'nginx').requests).toBe(3);
    expect(report.images.find((i: { image: string }) => i.image === 'ghcr.io/acme/worker')).toMatchObject({
      to: { tag: '3.2.0' },
      policy: { source: 'kubeplan.yaml', semver: '>=3.0.0', exclude: ['^4\\.'] },
    });
  });

  it('a registry that is down fails its images only: the others still move, and the run exits 2', async () => {
    const repo = repoCopy();
    credentialsForMappedHosts(repo);
    const closed = await closedPort();
    const down = [
      '--registry-endpoint',
      `ghcr.io=${registry.url}`,
      '--registry-endpoint',
      `mirror.acme.io=${registry.url}`,
      '--registry-endpoint',
      `docker.io=http://127.0.0.1:${closed}`,
    ];
    const run = await runCliAsync(['bump', '--local', ...down], { cwd: repo, env: env(repo) });
    expect(run.code).toBe(2);
    // The unreachable host and the system's reason are named, not fetch's bare "fetch failed".
    expect(run.stdout).toMatch(
      /^nginx: error: cannot reach the registry at 127\.0\.0\.1:\d+ \(ECONNREFUSED: nothing listens there\)/m,
    );
    expect(run.stdout).not.toContain('fetch failed');
    expect(run.stdout).toMatch(/^busybox: error: cannot reach the registry/m);
    expect(run.stdout).toMatch(/^ghcr\.io\/acme\/shop: 2\.4\.1 → 2\.5\.0/m);
    expect(readFileSync(path.join(repo, 'values/prod.yaml'), 'utf8')).toBe('image: {tag: "2.5.0"}\n');
    expect(readFileSync(path.join(repo, 'overlay/deploy.yaml'), 'utf8')).toContain('image: nginx:1.27\n');
  });

  it('the dispatch form: one HEAD, the announced digest checked, the policy still applies', async () => {
    const repo = repoCopy();
    credentialsForMappedHosts(repo);
    const dispatch = (...args: string[]) =>
      runCliAsync(['bump', '--dry-run', '-o', 'json', '--image', 'ghcr.io/acme/shop', ...args, ...endpoints], {
        cwd: repo,
        env: env(repo),
      });
    const ok = await dispatch('--tag', '2.5.0', '--digest', digests['acme/shop:2.5.0']!);
    expect(ok.code, ok.stderr).toBe(0);
    const image = JSON.parse(ok.stdout).images[0];
    expect(image).toMatchObject({
      status: 'bump',
      to: { tag: '2.5.0', digest: digests['acme/shop:2.5.0'] },
      requests: 2,
    });

    const moved = await dispatch('--tag', '2.5.0', '--digest', `sha256:${'0'.repeat(64)}`);
    expect(moved.code).toBe(2);
    expect(JSON.parse(moved.stdout).images[0].reason).toContain(
      `tag 2.5.0 points at ${digests['acme/shop:2.5.0']}, not the announced sha256:000`,
    );

    const missing = await dispatch('--tag', '9.9.9');
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).images[0].reason).toContain('tag 9.9.9 does not exist');

    const major = await dispatch('--tag', '3.0.0');
    expect(major.code).toBe(0);
    expect(JSON.parse(major.stdout).images[0]).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('3.0.0 is not allowed by the policy (outside range)'),
    });
  });

  it('bad input exits 2 and writes nothing', async () => {
    const repo = repoCopy();
    const unknown = await runCliAsync(['bump', '--local', '--image', 'ghcr.io/acme/unknown', ...endpoints], {
      cwd: repo,
      env: env(repo),
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no reference to ghcr.io/acme/unknown');
    expect(unknown.stderr).toContain('ghcr.io/acme/shop');
    const both = await runCliAsync(['bump', '--local', '--dry-run'], { cwd: repo, env: env(repo) });
    expect(both.stderr).toContain('--local and --dry-run cannot be combined');
    const noForge = await runCliAsync(['bump'], { cwd: repo, env: env(repo) });
    expect(noForge.code).toBe(2);
    expect(noForge.stderr).toContain('opening pull requests needs GITHUB_TOKEN and GITHUB_REPOSITORY');
    writeFileSync(
      path.join(repo, 'kubeplan.yaml'),
      readFileSync(path.join(repo, 'kubeplan.yaml'), 'utf8').replace("exclude: ['^4\\.']", "exclude: ['(4']"),
    );
    const badPolicy = await runCliAsync(['bump', '--local', ...endpoints], { cwd: repo, env: env(repo) });
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toMatch(
      /kubeplan\.yaml:\d+: image "ghcr.io\/acme\/worker": exclude "\(4" is not a regular expression/,
    );
    expect(readFileSync(path.join(repo, 'chart/values.yaml'), 'utf8')).toBe(
      readFileSync(path.join(golden, 'repo/chart/values.yaml'), 'utf8'),
    );
    writeFileSync(
      path.join(repo, 'kubeplan.yaml'),
      `${readFileSync(path.join(golden, 'repo/kubeplan.yaml'), 'utf8')}  - name: nginx\n`,
    );
    const twice = await runCliAsync(['bump', '--dry-run', ...endpoints], { cwd: repo, env: env(repo) });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(
      /kubeplan\.yaml:\d+: image "nginx" is listed twice without files \(first at kubeplan\.yaml:\d+\)/,
    );
  });

  it('an images entry with files moves those references on their own policy: staging on prereleases, prod on releases', async () => {
    const pusher = new OciTestClient(registry);
    for (const tag of ['3.4.0', '3.4.1', '3.5.0-rc.1', '3.5.0-rc.2']) await pusher.pushImage('acme/scoped', tag);
    const repo = makeRepo({
      'kubeplan.yaml': [
        'targets:',
        '  - {name: prod, namespace: prod, helm: {chart: chart, values: [envs/prod.yaml]}}',
        '  - {name: staging, namespace: staging, helm: {chart: chart, values: [envs/staging.yaml]}}',
        'images:',
        '  - name: ghcr.io/acme/scoped',
        "    files: ['envs/staging.yaml']",
        "    policy: {semver: '>=3.5.0-rc.0'}",
        '',
      ].join('\n'),
      'chart/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n',
      'chart/values.yaml': 'image:\n  repository: ghcr.io/acme/scoped\n  tag: 3.4.0\n',
      'envs/prod.yaml': 'image: {tag: 3.4.0}\n',
      'envs/staging.yaml': 'image: {tag: 3.5.0-rc.1}\n',
    });
    mkdirSync(path.join(repo, '..', 'docker'), { recursive: true });
    // The endpoint gets the credentials given for its own host (a mirror never gets ghcr.io's).
    writeFileSync(
      path.join(repo, '..', 'docker', 'config.json'),
      JSON.stringify({
        auths: {
          [registry.host]: { auth: Buffer.from(`${registry.username}:${registry.password}`).toString('base64') },
        },
      }),
    );
    const run = await runCliAsync(['bump', '--local', '-o', 'json', '--registry-endpoint', `ghcr.io=${registry.url}`], {
      cwd: repo,
      env: env(repo),
    });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(
      report.images.map((i: { files: string[] | null; from: string; to: { tag: string } }) => [
        i.files,
        i.from,
        i.to.tag,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [null, '3.4.0', '3.4.1'],
        [['envs/staging.yaml'], '3.5.0-rc.1', '3.5.0-rc.2'],
      ]),
    );
    expect(readFileSync(path.join(repo, 'envs/staging.yaml'), 'utf8')).toBe('image: {tag: 3.5.0-rc.2}\n');
    expect(readFileSync(path.join(repo, 'envs/prod.yaml'), 'utf8')).toBe('image: {tag: 3.4.1}\n');
    expect(readFileSync(path.join(repo, 'chart/values.yaml'), 'utf8')).toContain('tag: 3.4.1');
  });
});

/** A port on 127.0.0.1 where nothing listens (one the system just handed out and took back). */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
