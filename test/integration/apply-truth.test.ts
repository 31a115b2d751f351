import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

// Issue #16 "Apply tells the truth": what apply reports is what it did, what it did not do, and what it will do.

const uniq = () => `truth-${Math.random().toString(36).slice(2, 8)}`;
const kubeconfig = () => ['--kubeconfig', bench().adminKubeconfig];
const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const cm = (name: string, data: Record<string, string>, ns?: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(ns ? { namespace: ns } : {}) }, data });
const list = (objects: object[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
const createNamespace = (name: string) => api('POST', '/api/v1/namespaces', { body: namespace(name) });

function repoWith(ns: string, objects: object[], apply = '') {
  return makeRepo({
    'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n${apply}`,
    'manifests/all.json': list(objects),
  });
}

describe('apply reports the waits it does', () => {
  it('the text report shows the wait for CRDs to be established', async () => {
    const ns = uniq();
    const group = `${ns}.example.com`;
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}` },
      spec: { group, scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    };
    const repo = repoWith(ns, [namespace(ns), crd, { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec: {} }]);
    const run = await runCliAsync(['apply', ...kubeconfig(), '--no-wait'], { cwd: repo });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/stage wait for CRDs to be established: 1 object in \d+ ms/);
  });
});

describe('Helm hooks', () => {
  const hookChart = (ns: string) =>
    makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    helm:\n      chart: chart\n`,
      'chart/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
      'chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  v: "1"\n',
      'chart/templates/migrate.yaml': [
        'apiVersion: batch/v1',
        'kind: Job',
        'metadata:',
        '  name: migrate',
        '  annotations:',
        '    "helm.sh/hook": pre-install,pre-upgrade',
        'spec:',
        '  template:',
        '    spec:',
        '      restartPolicy: Never',
        '      containers: [{name: run, image: busybox:1.37, command: ["true"]}]',
        '',
      ].join('\n'),
    });

  it('--timeout bounds a hook under --no-wait too, and the error names the hook once', async () => {
    const ns = uniq();
    await createNamespace(ns);
    const repo = hookChart(ns);
    // No Job controller runs on the bench: the hook never completes, so only --timeout ends the wait.
    const started = Date.now();
    const run = await runCliAsync(['apply', ...kubeconfig(), '--no-wait', '--timeout', '3s'], { cwd: repo });
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('was not healthy after 3s');
    const name = `pre-install hook batch/v1 Job ${ns}/migrate`;
    const error = run.stderr.slice(run.stderr.indexOf('error: '));
    expect(error).toContain(`error: ${name}: failed: `);
    expect(error.split(name).length - 1).toBe(1);
  });
});

describe('the plan says what apply will do', () => {
  it('a missing namespace is named as such, with what creates it', async () => {
    const ns = uniq();
    const repo = repoWith(ns, [cm('a', { X: '1' })]);
    for (const args of [['diff', '--mode', 'server'], ['apply', '--no-wait']]) {
      const run = await runCliAsync([...args, ...kubeconfig()], { cwd: repo });
      expect(run.code).toBe(2);
      const out = run.stdout + run.stderr;
      expect(out).toContain(`namespace ${ns} does not exist and no target of this run creates it`);
      expect(out).not.toContain('a missing CRD or API?');
    }
  });

  it('a conflict with another manager: apply will fail unless forced, or takes the fields over when it is', async () => {
    const ns = uniq();
    await createNamespace(ns);
    await api('PATCH', `/api/v1/namespaces/${ns}/configmaps/a?fieldManager=someone-else&force=true`, {
      body: cm('a', { X: 'theirs' }, ns),
      contentType: 'application/apply-patch+yaml',
    });
    const repo = repoWith(ns, [cm('a', { X: 'ours' })]);
    const plain = await runCliAsync(['diff', '--mode', 'server', ...kubeconfig()], { cwd: repo });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('someone-else');
    expect(plain.stdout).toContain('apply will fail on them unless --force-conflicts (or apply.forceConflicts on the target) is set');
    expect(plain.stdout).not.toContain('apply takes these fields over');
    const refused = await runCliAsync(['apply', '--no-wait', ...kubeconfig()], { cwd: repo });
    expect(refused.code).toBe(2);

    writeFileSync(path.join(repo, 'kubeplan.yaml'), `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n    apply:\n      forceConflicts: true\n`);
    const forced = await runCliAsync(['diff', '--mode', 'server', ...kubeconfig()], { cwd: repo });
    expect(forced.stdout).toContain('apply takes these fields over');
    expect(forced.stdout).not.toContain('apply will fail');
  });
});
