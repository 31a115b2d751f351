import { describe, expect, it } from 'vitest';
import { api, bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

const cm = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

describe('kubeplan drift (real apiserver)', () => {
  it('finds hand edits (fields named), missing objects, and reports openmetrics; no drift exits 0', async () => {
    const ns = `drift-${Math.random().toString(36).slice(2, 8)}`;
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n`,
      'm/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
          cm('a', { X: '1' }),
          cm('b', { Y: '1' }),
        ],
      }),
    });
    const kubeconfig = bench().adminKubeconfig;
    expect((await runCliAsync(['apply', '--no-wait', '--kubeconfig', kubeconfig], { cwd: repo })).code).toBe(0);
    const clean = await runCliAsync(['drift', '--exit-code', '--kubeconfig', kubeconfig], { cwd: repo });
    expect(clean.code, clean.stderr).toBe(0);

    await api('PATCH', `/api/v1/namespaces/${ns}/configmaps/a?fieldManager=kubectl-edit`, {
      body: { data: { X: 'by-hand' } },
      contentType: 'application/merge-patch+json',
    });
    await api('DELETE', `/api/v1/namespaces/${ns}/configmaps/b`);
    const drifted = await runCliAsync(['drift', '--exit-code', '-o', 'markdown', '--kubeconfig', kubeconfig], {
      cwd: repo,
    });
    expect(drifted.code, drifted.stderr).toBe(1);
    expect(drifted.stdout).toContain(`\`v1 ConfigMap ${ns}/a\`: differs: data.X`);
    expect(drifted.stdout).toContain(`\`v1 ConfigMap ${ns}/b\`: missing from the cluster`);

    const metrics = await runCliAsync(['drift', '-o', 'openmetrics', '--kubeconfig', kubeconfig], { cwd: repo });
    expect(metrics.code).toBe(0);
    const lines = metrics.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('# EOF');
    for (const line of lines.filter((l) => !l.startsWith('#')))
      expect(line).toMatch(/^kubeplan_drift_\w+\{target="app"\} \d+$/);
    expect(lines).toContain('kubeplan_drift_objects{target="app"} 2');
    expect(lines).toContain('kubeplan_drift_check_success{target="app"} 1');
    const firstSeen = Number(lines.find((l) => l.startsWith('kubeplan_drift_first_seen'))!.split(' ')[1]);
    expect(Math.abs(firstSeen - Date.now() / 1000)).toBeLessThan(120);
  });

  it('speaks of drift, not of a plan: the summary says "Drift:" and the diffs run live → git', async () => {
    const ns = `drift-words-${Math.random().toString(36).slice(2, 8)}`;
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n`,
      'm/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
          cm('a', { X: '1' }),
          cm('b', { Y: '1' }),
        ],
      }),
    });
    const kubeconfig = bench().adminKubeconfig;
    expect((await runCliAsync(['apply', '--no-wait', '--kubeconfig', kubeconfig], { cwd: repo })).code).toBe(0);
    await api('PATCH', `/api/v1/namespaces/${ns}/configmaps/a?fieldManager=kubectl-edit`, {
      body: { data: { X: 'by-hand' } },
      contentType: 'application/merge-patch+json',
    });
    await api('DELETE', `/api/v1/namespaces/${ns}/configmaps/b`);

    const text = await runCliAsync(['drift', '--kubeconfig', kubeconfig], { cwd: repo });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Drift: 1 differ from git, 1 missing from the cluster, 0 no longer in git, 1 match.');
    expect(text.stdout).toContain(`--- live/configmap/${ns}/a`);
    expect(text.stdout).toContain(`+++ git/configmap/${ns}/a`);
    expect(text.stdout).toContain(`+++ git/configmap/${ns}/b`);
    expect(text.stdout).not.toContain('Plan:');
    expect(text.stdout).not.toContain('planned/');

    for (const format of ['markdown', 'json']) {
      const run = await runCliAsync(['drift', '-o', format, '--kubeconfig', kubeconfig], { cwd: repo });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`+++ git/configmap/${ns}/a`);
      expect(run.stdout).not.toContain('Plan:');
      expect(run.stdout).not.toContain('planned/');
    }
  });

  it('needs only read rights', async () => {
    const ns = `drift-ro-${Math.random().toString(36).slice(2, 8)}`;
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n`,
      'm/all.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [cm('a', { X: '1' })] }),
    });
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    expect(
      (await runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig], { cwd: repo })).code,
    ).toBe(0);
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      },
    });
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
        subjects: [{ kind: 'User', name: 'limited', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    const run = await runCliAsync(['drift', '--exit-code', '--kubeconfig', bench().limitedKubeconfig], { cwd: repo });
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });
});
