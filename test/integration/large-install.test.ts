import { describe, expect, it } from 'vitest';
import { bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { bigCrd } from '../helpers/big-crd.js';
import { runCliAsync } from '../helpers/run-cli.js';

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
