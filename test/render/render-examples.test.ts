import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byKey, fillNamespace, parseStream, type Obj } from '../helpers/objects.js';
import { runCli } from '../helpers/run-cli.js';
import { bare, examplesDir, helmBin, kubectlBin } from '../helpers/tools.js';

// `kubeplan render --out-dir` on examples/ must give, per target, exactly the objects bare helm / kustomize give.
let outDir: string;
let scratch: string;
const rendered = new Map<string, Obj[]>();

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-examples-'));
  outDir = path.join(scratch, 'out');
  const run = runCli(['render', '--config', 'kubeplan.yaml', '--out-dir', outDir], { cwd: examplesDir });
  expect(run.stderr).toContain('rendered shop-prod: 8 objects (2 hooks)');
  expect(run.code).toBe(0);
  for (const file of readdirSync(outDir))
    rendered.set(path.basename(file, '.yaml'), parseStream(readFileSync(path.join(outDir, file), 'utf8')));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function expectSameObjects(actual: Obj[], expected: Obj[]) {
  const a = byKey(actual);
  const e = byKey(expected);
  expect([...a.keys()].sort()).toEqual([...e.keys()].sort());
  for (const [k, obj] of e) expect(a.get(k), k).toEqual(obj);
}

describe('render examples/ with --out-dir', () => {
  it('writes one file per target', () => {
    expect(readdirSync(outDir).sort()).toEqual([
      'api-prod.yaml',
      'platform.yaml',
      'shop-prod.yaml',
      'shop-staging.yaml',
    ]);
  });

  it('renders a chart (vendored subchart, crds/, hooks, helpers, values per environment) exactly as helm template', () => {
    const helm = bare(
      helmBin,
      ['template', 'shop', 'charts/shop', '--namespace', 'shop-staging', '--values', 'envs/staging/values.yaml'],
      examplesDir,
    );
    const expected = fillNamespace(parseStream(helm), 'shop-staging');
    expectSameObjects(rendered.get('shop-staging')!, expected);
    // The staging values disable the cache subchart; the prod values keep it.
    expect(expected.some((o) => o.kind === 'StatefulSet')).toBe(false);
    expect(rendered.get('shop-prod')!.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'shop-cache')).toBe(
      true,
    );
  });

  it('post-renders a chart with a Kustomize Component exactly as kustomize does with the chart output as a resource', () => {
    const helm = bare(
      helmBin,
      [
        'template',
        'shop',
        'charts/shop',
        '--namespace',
        'shop',
        '--include-crds',
        '--values',
        'envs/prod/values.yaml',
        '--set-json',
        'service.port=9090',
      ],
      examplesDir,
    );
    const dir = path.join(scratch, 'post-render');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'chart.yaml'), helm);
    writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      `resources: [chart.yaml]\ncomponents: [${path.relative(dir, path.join(examplesDir, 'components/hardening'))}]\n`,
    );
    const expected = fillNamespace(parseStream(bare(kubectlBin, ['kustomize', dir])), 'shop');
    const actual = rendered.get('shop-prod')!;
    expectSameObjects(actual, expected);
    const deployment = actual.find((o) => o.kind === 'Deployment')!;
    expect(deployment).toMatchObject({
      spec: { replicas: 3, template: { spec: { securityContext: { runAsNonRoot: true } } } },
    });
    // `set: {service.port: 9090}` wins over the values files.
    expect(actual.find((o) => o.kind === 'Service')).toMatchObject({ spec: { ports: [{ port: 9090 }] } });
  });

  it('builds a Kustomize overlay (base, configMapGenerator, patches, images, namePrefix) exactly as kubectl kustomize', () => {
    const expected = fillNamespace(
      parseStream(bare(kubectlBin, ['kustomize', 'apps/api/overlays/prod'], examplesDir)),
      'api',
    );
    const actual = rendered.get('api-prod')!;
    expectSameObjects(actual, expected);
    const deployment = actual.find((o) => o.kind === 'Deployment')!;
    expect(deployment.metadata.name).toBe('prod-api');
    expect(JSON.stringify(deployment)).toContain('ghcr.io/example/api:1.9.2');
    expect(JSON.stringify(deployment)).toMatch(/prod-api-settings-[a-z0-9]{10}/);
  });

  it('reads a plain folder recursively, flattening Lists and keeping JSON files', () => {
    const actual = rendered.get('platform')!;
    expect(actual.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'Namespace /api',
      'Namespace /shop',
      'Namespace /shop-staging',
      'ClusterRole /shop-readonly',
      'ResourceQuota shop/compute',
      'RoleBinding shop/shop-readonly',
    ]);
    const list = parseStream(readFileSync(path.join(examplesDir, 'platform/rbac.yaml'), 'utf8'))[0] as Obj & {
      items: Obj[];
    };
    expect(actual[3]).toEqual(list.items[0]);
  });

  it('orders Namespaces and CRDs first, then by kind, namespace and name', () => {
    const kinds = rendered.get('shop-prod')!.map((o) => o.kind);
    expect(kinds).toEqual([
      'CustomResourceDefinition',
      'ConfigMap',
      'Deployment',
      'Discount',
      'Job',
      'Pod',
      'Service',
      'StatefulSet',
    ]);
  });

  it('marks hooks and names every source', () => {
    const text = readFileSync(path.join(outDir, 'shop-prod.yaml'), 'utf8');
    expect(text).toContain('# Hook: pre-install,pre-upgrade (weight -5)');
    expect(text).toContain('# Source: examples/charts/shop/charts/cache/templates/statefulset.yaml');
    // A template's line is where its document starts (after the header comment of migrate-job.yaml).
    expect(text).toContain(
      '# Source: examples/charts/shop/templates/deployment.yaml:1 (shop/templates/deployment.yaml)',
    );
    expect(text).toContain(
      '# Source: examples/charts/shop/templates/migrate-job.yaml:2 (shop/templates/migrate-job.yaml)',
    );
    const api = readFileSync(path.join(outDir, 'api-prod.yaml'), 'utf8');
    // A Kustomize object names its base file and line, then each overlay that changed it and how: the prod overlay's
    // replicas patch and image tag reach the Deployment; the Service only gets the name prefix.
    expect(api).toContain(
      '# Source: examples/apps/api/base/deployment.yaml:1, changed by examples/apps/api/base/kustomization.yaml (labels), then examples/apps/api/overlays/prod/kustomization.yaml (patches: replicas.yaml; namePrefix; images)\n',
    );
    expect(api).toContain(
      '# Source: examples/apps/api/base/service.yaml:1, changed by examples/apps/api/base/kustomization.yaml (labels), then examples/apps/api/overlays/prod/kustomization.yaml (namePrefix)\n',
    );
    expect(api).toContain('# Source: examples/apps/api/overlays/prod/kustomization.yaml (ConfigMapGenerator)');
    // kustomize's origin and transformer annotations are only used to find sources; they never reach the objects.
    expect(api).not.toContain('config.kubernetes.io/origin');
    expect(api).not.toContain('alpha.config.kubernetes.io/transformations');
  });

  it('is deterministic, and stdout is the same stream as the files', () => {
    const a = runCli(['render'], { cwd: examplesDir });
    const b = runCli(['render'], { cwd: examplesDir });
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const files = ['shop-prod', 'shop-staging', 'api-prod', 'platform'].map((t) =>
      readFileSync(path.join(outDir, `${t}.yaml`), 'utf8'),
    );
    expect(a.stdout).toBe(files.join(''));
  });

  it('renders only the named targets, as JSON with sources and hooks', () => {
    const run = runCli(['render', '-t', 'shop-staging', '--target', 'platform', '-o', 'json'], { cwd: examplesDir });
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as {
      targets: { target: string; objects: { source: { file: string }; hook?: { events: string[] }; object: Obj }[] }[];
    };
    expect(json.targets.map((t) => t.target)).toEqual(['shop-staging', 'platform']);
    const job = json.targets[0]!.objects.find((o) => o.object.kind === 'Job')!;
    expect(job.hook).toEqual({
      events: ['pre-install', 'pre-upgrade'],
      weight: -5,
      deletePolicies: ['before-hook-creation', 'hook-succeeded'],
    });
    expect(job.source.file).toBe('examples/charts/shop/templates/migrate-job.yaml');
    expect(json.targets[1]!.objects.map((o) => o.object)).toEqual(rendered.get('platform'));
  });
});
