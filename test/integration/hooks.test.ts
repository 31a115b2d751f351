import { describe, expect, it } from 'vitest';
import { api, bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

const uniq = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
const admin = () => ['--kubeconfig', bench().adminKubeconfig];
const createNamespace = (name: string) =>
  api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });

/** A chart template: a ConfigMap, optionally a Helm hook. */
function configMap(
  name: string,
  options: { namespace?: string; hook?: string; weight?: number; deletePolicy?: string; data?: string } = {},
): string {
  const annotations = [
    ...(options.hook ? [`    "helm.sh/hook": ${options.hook}`] : []),
    ...(options.weight !== undefined ? [`    "helm.sh/hook-weight": "${options.weight}"`] : []),
    ...(options.deletePolicy ? [`    "helm.sh/hook-delete-policy": ${options.deletePolicy}`] : []),
  ];
  return [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    `  name: ${name}`,
    ...(options.namespace ? [`  namespace: ${options.namespace}`] : []),
    ...(annotations.length ? ['  annotations:', ...annotations] : []),
    'data:',
    `  v: "${options.data ?? '1'}"`,
    '',
  ].join('\n');
}

function chartRepo(namespace: string, templates: Record<string, string>, policy = ''): string {
  return makeRepo({
    'kubeplan.yaml': `${policy}targets:\n  - name: app\n    namespace: ${namespace}\n    helm:\n      chart: chart\n`,
    'chart/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
    ...Object.fromEntries(Object.entries(templates).map(([name, text]) => [`chart/templates/${name}`, text])),
  });
}

/** Every object in these collections with its resourceVersion: equal before and after means nothing was written. */
async function versions(collections: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const url of collections) {
    const res = await api<{ items: { metadata: { name: string; resourceVersion: string } }[] }>('GET', url);
    for (const o of res.body.items) out[`${url} ${o.metadata.name}`] = o.metadata.resourceVersion;
  }
  return out;
}

interface PlanJson {
  targets: {
    changes: {
      action: string;
      kind: string;
      namespace: string | null;
      name: string;
      error: { message: string } | null;
    }[];
    hooks: {
      apiVersion: string;
      kind: string;
      namespace: string | null;
      name: string;
      events: string[];
      weight: number;
      deletePolicies: string[];
    }[];
  }[];
}

describe('Helm hooks and the policy', () => {
  it('refuses hooks outside the policy (a ClusterRoleBinding to cluster-admin, a ConfigMap in another namespace): the plan shows them, apply writes nothing', async () => {
    const team = uniq('team');
    const victim = uniq('victim');
    await createNamespace(team);
    await createNamespace(victim);
    await api('POST', `/api/v1/namespaces/${victim}/configmaps`, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { keep: 'me' } },
    });
    const escalate = [
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: ClusterRoleBinding',
      'metadata:',
      `  name: ${team}-escalate`,
      '  annotations:',
      '    "helm.sh/hook": pre-install,pre-upgrade',
      'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}',
      `subjects: [{kind: ServiceAccount, name: default, namespace: ${team}}]`,
      '',
    ].join('\n');
    const repo = chartRepo(
      team,
      {
        'app.yaml': configMap('app'),
        'escalate.yaml': escalate,
        'settings.yaml': configMap('settings', {
          namespace: victim,
          hook: 'pre-install,pre-upgrade',
          deletePolicy: 'before-hook-creation',
        }),
      },
      'policy:\n  namespaces: [team-*]\n  clusterScoped: []\n',
    );
    const watched = [
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      `/api/v1/namespaces/${victim}/configmaps`,
      `/api/v1/namespaces/${team}/configmaps`,
    ];
    const before = await versions(watched);

    const plan = await runCliAsync(['diff', '-o', 'json', ...admin()], { cwd: repo });
    expect(plan.code).toBe(2);
    const report = JSON.parse(plan.stdout) as PlanJson;
    const errors = report.targets[0]!.changes.filter((c) => c.action === 'error');
    expect(errors.map((e) => `${e.kind} ${e.namespace ?? ''}/${e.name}: ${e.error!.message}`).sort()).toEqual(
      [
        `ClusterRoleBinding /${team}-escalate: cluster-scoped ClusterRoleBinding is outside the target's policy (allowed: none)`,
        `ConfigMap ${victim}/settings: namespace ${victim} is outside the target's policy (allowed: team-*)`,
      ].sort(),
    );
    const applied = await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: repo });
    expect(applied.code).toBe(2);
    expect(applied.stderr).toContain(
      `ClusterRoleBinding ${team}-escalate: cluster-scoped ClusterRoleBinding is outside the target's policy`,
    );
    expect(await versions(watched)).toEqual(before);
    expect((await api('GET', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${team}-escalate`)).status).toBe(
      404,
    );
  });

  it('lists every hook that will run in text, markdown and JSON; replaces its own hooks, and never deletes an object that is not one', async () => {
    const team = uniq('team');
    await createNamespace(team);
    const templates = {
      'app.yaml': configMap('app'),
      'marker.yaml': configMap('marker', { hook: 'post-install,pre-upgrade', weight: 3 }),
      'first.yaml': configMap('first', { hook: 'pre-install', weight: -2, deletePolicy: 'hook-succeeded' }),
      'smoke.yaml': configMap('smoke', { hook: 'test' }),
    };
    const repo = chartRepo(team, templates);
    const json = JSON.parse((await runCliAsync(['diff', '-o', 'json', ...admin()], { cwd: repo })).stdout) as PlanJson;
    expect(json.targets[0]!.hooks).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: team,
        name: 'first',
        events: ['pre-install'],
        weight: -2,
        deletePolicies: ['hook-succeeded'],
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: team,
        name: 'marker',
        events: ['post-install', 'pre-upgrade'],
        weight: 3,
        deletePolicies: [],
      },
    ]);
    const text = await runCliAsync(['diff', ...admin()], { cwd: repo });
    expect(text.stdout).toContain('Helm hooks apply runs when the target changes (2):');
    expect(text.stdout).toContain(`    pre-install  weight -2  v1 ConfigMap ${team}/first  (deleted: hook-succeeded)`);
    expect(text.stdout).toContain(
      `    post-install,pre-upgrade  weight 3  v1 ConfigMap ${team}/marker  (deleted: before-hook-creation)`,
    );
    expect(text.stdout).not.toContain('smoke');
    const md = await runCliAsync(['diff', '-o', 'markdown', ...admin()], { cwd: repo });
    expect(md.stdout).toContain(`| pre-install | -2 | \`v1 ConfigMap ${team}/first\` | hook-succeeded |`);
    expect(md.stdout).toContain(
      `| post-install, pre-upgrade | 3 | \`v1 ConfigMap ${team}/marker\` | before-hook-creation |`,
    );

    const dry = await runCliAsync(['apply', '--dry-run', ...admin()], { cwd: repo });
    expect(dry.stdout).toContain(
      `  helm hooks (run around the stages when something changes):\n    pre-install weight -2: v1 ConfigMap ${team}/first\n    post-install,pre-upgrade weight 3: v1 ConfigMap ${team}/marker\n`,
    );

    const first = await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: repo });
    expect(first.code, first.stderr).toBe(0);
    const marker = await api<{ metadata: { uid: string } }>('GET', `/api/v1/namespaces/${team}/configmaps/marker`);
    expect(marker.status).toBe(200);
    // An upgrade re-runs the target's own hook: before-hook-creation deletes it and creates it again.
    const upgraded = chartRepo(team, { ...templates, 'app.yaml': configMap('app', { data: '2' }) });
    const second = await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: upgraded });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('note: ran pre-upgrade ConfigMap marker');
    expect(
      (await api<{ metadata: { uid: string } }>('GET', `/api/v1/namespaces/${team}/configmaps/marker`)).body.metadata
        .uid,
    ).not.toBe(marker.body.metadata.uid);

    // A hook named like an object that is not one of this target's hooks: shown as an error, nothing deleted.
    await api('POST', `/api/v1/namespaces/${team}/configmaps`, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { keep: 'me' } },
    });
    const clash = chartRepo(team, {
      ...templates,
      'app.yaml': configMap('app', { data: '3' }),
      'settings.yaml': configMap('settings', { hook: 'pre-upgrade' }),
    });
    const before = await versions([`/api/v1/namespaces/${team}/configmaps`]);
    const plan = await runCliAsync(['diff', '-o', 'json', ...admin()], { cwd: clash });
    expect(plan.code).toBe(2);
    const errors = (JSON.parse(plan.stdout) as PlanJson).targets[0]!.changes.filter((c) => c.action === 'error');
    expect(errors.map((e) => `${e.name}: ${e.error!.message}`)).toEqual([
      'settings: a ConfigMap with this name already exists and is not a hook of this target; the hook would overwrite or delete it (before-hook-creation), so it does not run',
    ]);
    const refused = await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: clash });
    expect(refused.code).toBe(2);
    expect(await versions([`/api/v1/namespaces/${team}/configmaps`])).toEqual(before);
  });
});

describe('Helm hooks written before kubeplan labelled them', () => {
  it("are still recognised as the target's own (helm.sh/hook annotation, kubeplan's field manager) and replaced", async () => {
    const team = uniq('team');
    await createNamespace(team);
    // What an older kubeplan left behind: the hook as applied by field manager kubeplan, without the hook-of label.
    const legacy = await api<{ metadata: { uid: string } }>(
      'PATCH',
      `/api/v1/namespaces/${team}/configmaps/marker?fieldManager=kubeplan&force=true`,
      {
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'marker', namespace: team, annotations: { 'helm.sh/hook': 'pre-install' } },
          data: { v: '0' },
        },
        contentType: 'application/apply-patch+yaml',
      },
    );
    expect(legacy.status).toBe(201);
    const repo = chartRepo(team, {
      'app.yaml': configMap('app'),
      'marker.yaml': configMap('marker', { hook: 'pre-install' }),
    });
    const run = await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: repo });
    expect(run.code, run.stderr).toBe(0);
    const now = await api<{ metadata: { uid: string; labels: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${team}/configmaps/marker`,
    );
    expect(now.body.metadata.uid).not.toBe(legacy.body.metadata.uid);
    expect(now.body.metadata.labels['kubeplan.dev/hook-of']).toMatch(/^applyset-/);
  });
});

describe('Helm hooks and the RBAC preflight', () => {
  it('counts the rights hooks need: apply lists them before writing anything, and the plan shows them', async () => {
    const team = uniq('team');
    await createNamespace(team);
    // The limited user may do everything with ConfigMaps there, nothing with Jobs.
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${team}/roles`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'cm' },
        rules: [
          {
            apiGroups: [''],
            resources: ['configmaps'],
            verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
          },
        ],
      },
    });
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${team}/rolebindings`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'cm' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm' },
        subjects: [{ kind: 'User', name: 'limited', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    const job = [
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
    ].join('\n');
    const repo = chartRepo(team, { 'app.yaml': configMap('app'), 'migrate.yaml': job });
    const limited = ['--kubeconfig', bench().limitedKubeconfig];
    const refused = await runCliAsync(['apply', '--no-wait', ...limited], { cwd: repo });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the credentials (limited) lack');
    for (const verb of ['create', 'patch', 'get', 'delete'])
      expect(refused.stderr).toContain(`- ${verb} jobs.batch in namespace ${team}`);
    expect((await api<{ items: unknown[] }>('GET', `/api/v1/namespaces/${team}/configmaps`)).body.items).toHaveLength(
      0,
    );
    const plan = JSON.parse(
      (await runCliAsync(['diff', '--mode', 'server', '-o', 'json', ...limited], { cwd: repo })).stdout,
    ) as { targets: { missingAccess: { rights: { verb: string; resource: string }[] } | null }[] };
    expect(
      plan.targets[0]!.missingAccess!.rights.filter((r) => r.resource === 'jobs')
        .map((r) => r.verb)
        .sort(),
    ).toEqual(['create', 'delete', 'get', 'patch']);
  });
});
