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
const cm = (name: string, data: Record<string, string>, ns?: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(ns ? { namespace: ns } : {}) },
  data,
});
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
      spec: {
        group,
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    const repo = repoWith(ns, [
      namespace(ns),
      crd,
      { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec: {} },
    ]);
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
    // What the failed hook kept from happening is listed.
    expect(run.stdout).toContain(`── target app: STOPPED after writing nothing`);
    expect(run.stdout).toContain(
      `  not done:\n    run hook pre-install,pre-upgrade batch/v1 Job ${ns}/migrate\n    create    v1 ConfigMap ${ns}/app\n    record the commit in the inventory`,
    );
  });
});

describe('the plan says what apply will do', () => {
  it('a missing namespace is named as such, with what creates it', async () => {
    const ns = uniq();
    const repo = repoWith(ns, [cm('a', { X: '1' })]);
    for (const args of [
      ['diff', '--mode', 'server'],
      ['apply', '--no-wait'],
    ]) {
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
    expect(plain.stdout).toContain(
      'apply will fail on them unless --force-conflicts (or apply.forceConflicts on the target) is set',
    );
    expect(plain.stdout).not.toContain('apply takes these fields over');
    const refused = await runCliAsync(['apply', '--no-wait', ...kubeconfig()], { cwd: repo });
    expect(refused.code).toBe(2);

    writeFileSync(
      path.join(repo, 'kubeplan.yaml'),
      `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n    apply:\n      forceConflicts: true\n`,
    );
    const forced = await runCliAsync(['diff', '--mode', 'server', ...kubeconfig()], { cwd: repo });
    expect(forced.stdout).toContain('apply takes these fields over');
    expect(forced.stdout).not.toContain('apply will fail');
  });
});

interface ApplyJson {
  finished: boolean;
  error: { message: string; where: string | null } | null;
  targets: {
    target: string;
    status: string;
    created: number;
    objects: { action: string; kind: string; namespace?: string; name: string }[];
    notDone: { step: string; kind?: string; namespace?: string; name?: string }[];
  }[];
}

describe('a failed apply reports what it wrote before the failure and what it did not do', () => {
  /** Three targets; the second fails on a field another manager owns, after writing its first object. */
  async function threeTargets() {
    const ns = uniq();
    await createNamespace(ns);
    await api('PATCH', `/api/v1/namespaces/${ns}/configmaps/c?fieldManager=someone-else&force=true`, {
      body: cm('c', { X: 'theirs' }, ns),
      contentType: 'application/apply-patch+yaml',
    });
    const target = (name: string) => `  - name: ${name}\n    namespace: ${ns}\n    manifests: ${name}\n`;
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n${target('first')}${target('second')}${target('third')}`,
      'first/all.json': list([cm('a', { X: '1' })]),
      'second/all.json': list([cm('b', { X: '1' }), cm('c', { X: 'ours' })]),
      'third/all.json': list([cm('d', { X: '1' })]),
    });
    return { ns, repo };
  }

  it('-o json: per target its status, the objects written, and notDone', async () => {
    const { ns, repo } = await threeTargets();
    const run = await runCliAsync(['apply', ...kubeconfig(), '--no-wait', '-o', 'json'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('someone-else');
    expect(run.stderr).not.toContain('nothing was applied');
    const report = JSON.parse(run.stdout) as ApplyJson;
    expect(report.finished).toBe(false);
    expect(report.error?.message).toContain('conflicts with other field managers');
    expect(report.targets.map((t) => [t.target, t.status])).toEqual([
      ['first', 'applied'],
      ['second', 'stopped'],
      ['third', 'not started'],
    ]);
    expect(report.targets[0]!.objects).toContainEqual({
      action: 'created',
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      name: 'a',
    });
    expect(report.targets[0]!.notDone).toEqual([]);
    expect(report.targets[1]!.objects.filter((o) => o.action !== 'unchanged')).toEqual([
      { action: 'created', apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'b' },
    ]);
    expect(report.targets[1]!.notDone).toEqual([
      { step: 'update', apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'c' },
      { step: 'record the commit in the inventory' },
    ]);
    expect(report.targets[2]!.notDone).toEqual([
      { step: 'create', apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'd' },
      { step: 'record the commit in the inventory' },
    ]);
    // The report is the truth: b was written, d was not.
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/b`)).status).toBe(200);
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/d`)).status).toBe(404);
  });

  it('text: the targets applied, what the failed one wrote, and what was not done', async () => {
    const { ns, repo } = await threeTargets();
    const run = await runCliAsync(['apply', ...kubeconfig(), '--no-wait'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      `── target first: 1 created, 0 updated, 0 pruned, 0 unchanged\n  created   v1 ConfigMap ${ns}/a`,
    );
    expect(run.stdout).toContain(
      `── target second: STOPPED after 1 created, 0 updated, 0 pruned\n  created   v1 ConfigMap ${ns}/b`,
    );
    expect(run.stdout).toContain(
      `  not done:\n    update    v1 ConfigMap ${ns}/c\n    record the commit in the inventory`,
    );
    expect(run.stdout).toContain(`── target third: not started\n  not done:\n    create    v1 ConfigMap ${ns}/d`);
    expect(run.stdout).toContain('Stopped before the apply finished: 2 created, 0 updated, 0 pruned before it stopped');
    expect(run.stdout).not.toContain('No changes');
    expect(run.stderr).not.toContain('nothing was applied');
  });
});

describe('health: a re-run waits for what an earlier apply left unhealthy', () => {
  const deploy = () => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
  });

  it('re-running a failed apply does not say "No changes" while the Deployment is still unhealthy', async () => {
    const ns = uniq();
    const repo = repoWith(ns, [namespace(ns), deploy()]);
    const first = await runCliAsync(['apply', ...kubeconfig(), '--wait', '--timeout', '2s'], { cwd: repo });
    expect(first.code).toBe(2);
    expect(first.stderr).toContain('was not healthy after 2s');
    expect(first.stdout).toContain('  not done:\n    wait until healthy');
    // Nothing changed in git or in the cluster: the Deployment is still not rolled out.
    const again = await runCliAsync(['apply', ...kubeconfig(), '--wait', '--timeout', '2s'], { cwd: repo });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`apps/v1 Deployment ${ns}/web: was not healthy after 2s`);
    expect(again.stdout).not.toContain('No changes');
    // Play the controller: once rolled out, the same apply succeeds and has nothing to write.
    const got = await api<{ metadata: { generation: number } }>(
      'GET',
      `/apis/apps/v1/namespaces/${ns}/deployments/web`,
    );
    await api(
      'PATCH',
      `/apis/apps/v1/namespaces/${ns}/deployments/web/status?fieldManager=test-controller&force=true`,
      {
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: ns },
          status: {
            replicas: 1,
            updatedReplicas: 1,
            availableReplicas: 1,
            readyReplicas: 1,
            observedGeneration: got.body.metadata.generation,
          },
        },
        contentType: 'application/apply-patch+yaml',
      },
    );
    const healthy = await runCliAsync(['apply', ...kubeconfig(), '--wait', '--timeout', '10s'], { cwd: repo });
    expect(healthy.code, healthy.stderr).toBe(0);
    expect(healthy.stdout).toContain('No changes: the cluster already matches git.');
  });
});

describe('target order: what a target creates comes first', () => {
  it('a target using a namespace that a later target (in config order) creates is applied after it', async () => {
    const ns = uniq();
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: app\n  - name: platform\n    namespace: ${ns}\n    manifests: platform\n`,
      'app/all.json': list([cm('settings', { A: '1' })]),
      'platform/all.json': list([namespace(ns)]),
    });
    // The dry run shows the order apply will use.
    const dry = await runCliAsync(['apply', ...kubeconfig(), '--dry-run'], { cwd: repo });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('note: targets run in the order platform, app');
    expect(dry.stdout.indexOf('── target platform')).toBeLessThan(dry.stdout.indexOf('── target app'));
    const run = await runCliAsync(['apply', ...kubeconfig(), '--no-wait', '-o', 'json'], { cwd: repo });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as ApplyJson;
    expect(report.targets.map((t) => t.target)).toEqual(['platform', 'app']);
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/settings`)).status).toBe(200);
  });
});
