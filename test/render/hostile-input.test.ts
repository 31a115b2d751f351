import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH } from '../../src/core/manifests/input-limits.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { helmBin, kubectlBin, repoRoot } from '../helpers/tools.js';

// Hostile input (alias bombs, deep nesting, bytes that are not UTF-8) is refused within seconds with file:line, as
// Kubernetes' own readers refuse it, instead of pinning kubeplan or crashing it.

/** The built CLI, killed after `ms` so a regression fails the test instead of hanging the run. */
function runWithin(ms: number, args: string[], cwd: string) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBEPLAN_HELM: helmBin, KUBEPLAN_KUBECTL: kubectlBin },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: ms,
    killSignal: 'SIGKILL',
  });
  return {
    code: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    seconds: (Date.now() - started) / 1000,
  };
}

function refusedQuickly(repo: string, command: string[] = ['render']) {
  const run = runWithin(
    20_000,
    [...command, ...(command[0] === 'diff' ? ['--kubeconfig', path.join(repo, 'no-kubeconfig')] : [])],
    repo,
  );
  expect(run.code, `${run.stderr} (after ${run.seconds}s)`).toBe(2);
  expect(run.seconds).toBeLessThan(10);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^error: /);
  expect(run.stderr).toContain('hint: ');
  expect(run.stderr).not.toContain('bug in kubeplan');
  return run.stderr;
}

const CONFIG = 'targets:\n  - name: raw\n    namespace: ns\n    manifests: raw\n';

interface RenderJson {
  targets: { objects: { object: { metadata: Record<string, unknown>; data?: unknown; x?: unknown } }[] }[];
}
const renderedObjects = (stdout: string) =>
  (JSON.parse(stdout) as RenderJson).targets.flatMap((t) => t.objects.map((o) => o.object));
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n';

// 9 levels of 9 aliases: under 600 bytes that expand to 9^9 (387 million) strings.
const BOMB = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: bomb',
  'data:',
  '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((x, i) => `  ${x}: &${x} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
].join('\n');

describe('alias bombs', () => {
  it('one in a manifests folder is refused by render and diff within seconds, naming file:line', () => {
    expect(Buffer.byteLength(BOMB)).toBeLessThan(600);
    const repo = makeRepo({ 'kubeplan.yaml': CONFIG, 'raw/a.yaml': `${CM}---\n${BOMB}\n` });
    for (const command of [['render'], ['diff']]) {
      const err = refusedQuickly(repo, command);
      expect(err).toContain('raw/a.yaml:6: the document contains excessive aliasing');
      expect(err).toContain('write the values out');
    }
  });

  it('one in a file a kustomization names (or in the kustomization) is refused before kustomize runs', () => {
    // kustomize has no alias limit of its own: it would run until kubeplan's tool timeout.
    const config = 'targets:\n  - name: ov\n    namespace: ns\n    kustomize: ov\n';
    const resource = makeRepo({
      'kubeplan.yaml': config,
      'ov/kustomization.yaml': 'resources: [cm.yaml, bomb.yaml]\n',
      'ov/cm.yaml': CM,
      'ov/bomb.yaml': `${CM}---\n${BOMB}\n`,
    });
    expect(refusedQuickly(resource)).toContain('ov/bomb.yaml:6: the document contains excessive aliasing');
    const patch = makeRepo({
      'kubeplan.yaml': config,
      'ov/kustomization.yaml': 'resources: [cm.yaml]\npatches:\n  - path: patch.yaml\n',
      'ov/cm.yaml': CM,
      'ov/patch.yaml': BOMB,
    });
    expect(refusedQuickly(patch)).toContain('ov/patch.yaml:1: the document contains excessive aliasing');
    const itself = makeRepo({
      'kubeplan.yaml': config,
      'ov/kustomization.yaml': `resources: [cm.yaml]\nx:\n${BOMB.split('\n').slice(5).join('\n')}\n`,
      'ov/cm.yaml': CM,
    });
    expect(refusedQuickly(itself)).toMatch(/ov\/kustomization\.yaml:\d+: the document contains excessive aliasing/);
  });

  it('one in kubeplan.yaml is a config error with its line, not a crash', () => {
    const repo = makeRepo({
      'kubeplan.yaml': `${CONFIG}x:\n${BOMB.split('\n').slice(5).join('\n')}\n`,
      'raw/a.yaml': CM,
    });
    expect(refusedQuickly(repo)).toMatch(/kubeplan\.yaml:7: the document contains excessive aliasing/);
  });

  it('an anchor that contains its own alias is refused', () => {
    const repo = makeRepo({ 'kubeplan.yaml': CONFIG, 'raw/a.yaml': `${CM}data:\n  x: &x [*x]\n` });
    expect(refusedQuickly(repo)).toContain('raw/a.yaml:1: an alias refers to a node that contains it');
  });

  it('ordinary anchors and merge keys still render, expanded', () => {
    const labels =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: &labels {app: shop, tier: web}\n  annotations:\n    <<: *labels\n    extra: "1"\ndata: {copy: &v hello, again: *v}\n';
    const repo = makeRepo({ 'kubeplan.yaml': CONFIG, 'raw/a.yaml': labels });
    const run = runWithin(20_000, ['render', '-o', 'json'], repo);
    expect(run.code, run.stderr).toBe(0);
    const [object] = renderedObjects(run.stdout);
    expect(object!.metadata.labels).toEqual({ app: 'shop', tier: 'web' });
    expect(object!.metadata.annotations).toEqual({ app: 'shop', tier: 'web', extra: '1' });
    expect(object!.data).toEqual({ copy: 'hello', again: 'hello' });
  });
});

describe('deep nesting', () => {
  const nested = (depth: number) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'deep' } }).slice(0, -1) +
    `,\n"x":${'['.repeat(depth)}${']'.repeat(depth)}}\n`;

  it('deep JSON is refused within seconds with file:line:column', () => {
    const repo = makeRepo({ 'kubeplan.yaml': CONFIG, 'raw/deep.json': nested(200_000) });
    const err = refusedQuickly(repo);
    expect(err).toContain(`raw/deep.json:2:${4 + MAX_DEPTH}: the document nests deeper than ${MAX_DEPTH} levels`);
  });

  it('deep YAML is refused with file:line, flow or block style', () => {
    let block = `${CM}data:\n`;
    for (let i = 1; i <= MAX_DEPTH + 5; i++) block += `${' '.repeat(i * 2)}k:\n`;
    const repo = makeRepo({
      'kubeplan.yaml': CONFIG,
      'raw/flow.yaml': `${CM}x: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`,
      'raw/z.yaml': block,
    });
    expect(refusedQuickly(repo)).toMatch(/raw\/flow\.yaml:5: the document nests deeper than/);
    writeFileSync(path.join(repo, 'raw/flow.yaml'), CM);
    expect(refusedQuickly(repo)).toMatch(/raw\/z\.yaml:50\d: the document nests deeper than/);
  });

  it('nesting through aliases counts too', () => {
    const chain = [
      'data:',
      '  l0: &l0 [x]',
      ...Array.from({ length: MAX_DEPTH + 1 }, (_, i) => `  l${i + 1}: &l${i + 1} [*l${i}]`),
    ].join('\n');
    const repo = makeRepo({ 'kubeplan.yaml': CONFIG, 'raw/a.yaml': `${CM}${chain}\n` });
    expect(refusedQuickly(repo)).toContain('raw/a.yaml:1: the document nests deeper than');
  });

  it('deep kubeplan.yaml is a config error with its line', () => {
    const repo = makeRepo({
      'kubeplan.yaml': `${CONFIG}x: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`,
      'raw/a.yaml': CM,
    });
    expect(refusedQuickly(repo)).toContain('kubeplan.yaml:5: the document nests deeper than');
  });

  it('nesting up to the limit renders as YAML and JSON', () => {
    // The limit counts the object itself: the list nests MAX_DEPTH - 1 levels inside it.
    const repo = makeRepo({ 'kubeplan.yaml': CONFIG, 'raw/deep.json': nested(MAX_DEPTH - 1) });
    const yaml = runWithin(20_000, ['render', '-o', 'yaml'], repo);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(yaml.stdout).toContain(`${'- '.repeat(MAX_DEPTH - 2)}[]`);
    const json = runWithin(20_000, ['render', '-o', 'json'], repo);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.stringify(renderedObjects(json.stdout)[0]!.x)).toBe(
      `${'['.repeat(MAX_DEPTH - 1)}${']'.repeat(MAX_DEPTH - 1)}`,
    );
    writeFileSync(path.join(repo, 'raw/deep.json'), nested(MAX_DEPTH));
    expect(refusedQuickly(repo)).toContain(`raw/deep.json:2:${4 + MAX_DEPTH}: the document nests deeper than`);
  });
});

describe('bytes that are not UTF-8', () => {
  const withByte = (text: string, marker: string) =>
    Buffer.concat(
      text
        .split(marker)
        .flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.from([0xe9]), Buffer.from(part)])),
    );

  it('are refused in YAML and JSON manifests with file:line:column, and the file is left as it is', () => {
    const repo = makeRepo({ 'kubeplan.yaml': CONFIG });
    mkdirSync(path.join(repo, 'raw'));
    const yaml = withByte(`${CM}data:\n  city: "Zürich caf@"\n`, '@');
    writeFileSync(path.join(repo, 'raw/a.yaml'), yaml);
    const err = refusedQuickly(repo);
    expect(err).toContain('raw/a.yaml:6:20: the file is not valid UTF-8');
    expect(err).toContain('save the file as UTF-8');
    expect(readFileSync(path.join(repo, 'raw/a.yaml')).equals(yaml)).toBe(true);

    writeFileSync(path.join(repo, 'raw/a.yaml'), CM);
    writeFileSync(
      path.join(repo, 'raw/b.json'),
      withByte('{"apiVersion": "v1", "kind": "ConfigMap",\n "metadata": {"name": "b"}, "data": {"k": "@"}}', '@'),
    );
    expect(refusedQuickly(repo)).toContain('raw/b.json:2:44: the file is not valid UTF-8');
  });

  it('are refused in kubeplan.yaml', () => {
    const repo = makeRepo({ 'raw/a.yaml': CM });
    writeFileSync(path.join(repo, 'kubeplan.yaml'), withByte(`${CONFIG}# caf@\n`, '@'));
    expect(refusedQuickly(repo)).toContain('kubeplan.yaml:5:6: the config file is not valid UTF-8');
  });

  it('valid UTF-8, with or without a byte-order mark, renders unchanged', () => {
    const repo = makeRepo({ 'kubeplan.yaml': CONFIG });
    mkdirSync(path.join(repo, 'raw'));
    writeFileSync(path.join(repo, 'raw/a.yaml'), `\uFEFF${CM}data:\n  city: "Zürich ☕ 🚀"\n`);
    writeFileSync(
      path.join(repo, 'raw/b.json'),
      `\uFEFF${JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, data: { k: 'é' } })}`,
    );
    const run = runWithin(20_000, ['render', '-o', 'json'], repo);
    expect(run.code, run.stderr).toBe(0);
    expect(renderedObjects(run.stdout).map((o) => o.data)).toEqual([{ k: 'é' }, { city: 'Zürich ☕ 🚀' }]);
    expect(existsSync(path.join(repo, 'out'))).toBe(false);
  });
});

describe('files an image bump reads', () => {
  it('are left alone, with the reason, when they hold an alias bomb or bytes that are not UTF-8', () => {
    const config = `${CONFIG}images:\n  - name: ghcr.io/acme/shop\n`;
    const repo = makeRepo({ 'kubeplan.yaml': config, 'raw/bomb.yaml': `${BOMB}\nimage: ghcr.io/acme/shop:1.0.0\n` });
    const latin1 = Buffer.concat([
      Buffer.from(`${CM}image: ghcr.io/acme/shop:1.0.0\ncity: caf`),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]);
    writeFileSync(path.join(repo, 'raw/latin1.yaml'), latin1);
    // No reference is read from either file, so no registry is asked (the endpoint would refuse anyway).
    const run = runWithin(
      20_000,
      ['bump', '--dry-run', '--explain', '--registry-endpoint', 'ghcr.io=http://127.0.0.1:9'],
      repo,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.seconds).toBeLessThan(10);
    expect(run.stdout + run.stderr).not.toContain('bug in kubeplan');
    expect(run.stdout).toContain('raw/bomb.yaml: the document contains excessive aliasing');
    expect(run.stdout).toContain('raw/latin1.yaml: not UTF-8 (line 6, column 10)');
    expect(readFileSync(path.join(repo, 'raw/latin1.yaml')).equals(latin1)).toBe(true);
  });
});
