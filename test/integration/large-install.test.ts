import { describe, expect, it } from 'vitest';
import { bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

/** A CRD the size of the Gateway API's: an openAPIV3Schema with hundreds of documented properties (> 100 KiB). */
function bigCrd(group: string) {
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < 600; i++) {
    properties[`field${i}`] = {
      type: 'object',
      description: `Field ${i} configures one part of the route. ${'It is documented at length, as operator CRDs are. '.repeat(3)}`,
      properties: { name: { type: 'string', maxLength: 253 }, port: { type: 'integer', minimum: 1, maximum: 65535 } },
    };
  }
  const version = (name: string, served: boolean) => ({ name, served, storage: name === 'v1', schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties } } } } });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `routes.${group}` },
    spec: { group, names: { kind: 'Route', plural: 'routes', singular: 'route', listKind: 'RouteList' }, scope: 'Namespaced', versions: [version('v1', true), version('v1beta1', true)] },
  };
}

describe('a first install of a CRD-heavy bundle (real apiserver)', () => {
  it('keeps `diff -o markdown` small: the created CRD shows as its digest, the JSON report keeps the full text', async () => {
    const id = Math.random().toString(36).slice(2, 8);
    const ns = `large-${id}`;
    const group = `large-${id}.example.com`;
    const crd = bigCrd(group);
    expect(JSON.stringify(crd).length).toBeGreaterThan(100 * 1024);
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: operator\n    namespace: ${ns}\n    manifests: m\n`,
      'm/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
          crd,
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { LEVEL: 'info' } },
          { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'operator' } },
        ],
      }),
    });
    const kubeconfig = bench().adminKubeconfig;

    const md = await runCliAsync(['diff', '-o', 'markdown', '--kubeconfig', kubeconfig], { cwd: repo });
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout.length).toBeLessThan(20 * 1024);
    expect(md.stdout).toContain('#### operator — 4 changes, 0 unchanged');
    expect(md.stdout).toContain(`CustomResourceDefinition routes.${group}`);
    expect(md.stdout).toMatch(/`CustomResourceDefinition apiextensions\.k8s\.io\/v1`, \d+\.\d KiB of YAML/);
    expect(md.stdout).toContain(`group \`${group}\``);
    expect(md.stdout).toContain('versions `v1`, `v1beta1`');
    expect(md.stdout).toContain('scope `Namespaced`');
    expect(md.stdout).toContain('the full text is in the job summary and in `kubeplan diff -o json`');
    expect(md.stdout).not.toContain('field599');
    // The small objects keep their bodies.
    expect(md.stdout).toContain('+  LEVEL: info');

    const json = await runCliAsync(['diff', '-o', 'json', '--kubeconfig', kubeconfig], { cwd: repo });
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as { targets: { changes: { kind: string; diff: string }[] }[] };
    const created = report.targets[0]!.changes.find((c) => c.kind === 'CustomResourceDefinition')!;
    expect(created.diff.length).toBeGreaterThan(100 * 1024);
    expect(created.diff).toContain('field599');
  });
});
