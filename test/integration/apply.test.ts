import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySetId, applySetParent, PART_OF } from '../../src/core/cluster/applyset.js';
import { startFaultProxy } from '../harness/fault-proxy.js';
import { api, bench, kubectl } from '../harness/kube.js';
import { makeGitRepo, makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

interface ApplyJson {
  targets: {
    target: string;
    created: number;
    updated: number;
    pruned: number;
    unchanged: number;
    objects: { action: string; kind: string; name: string }[];
  }[];
}

const apply = async (repo: string, args: string[] = []) => {
  // No controllers run on the bench: only the health tests wait.
  const run = await runCliAsync(
    [
      'apply',
      '--kubeconfig',
      bench().adminKubeconfig,
      '-o',
      'json',
      ...(args.includes('--wait') ? [] : ['--no-wait']),
      ...args,
    ],
    { cwd: repo },
  );
  return { run, report: run.code === 0 ? (JSON.parse(run.stdout) as ApplyJson) : undefined };
};

function repoWith(ns: string, objects: object[]) {
  return makeRepo({
    'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
    'manifests/all.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
}
const write = (repo: string, objects: object[]) =>
  writeFileSync(
    path.join(repo, 'manifests/all.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );
const cm = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});
const uniq = () => `apply-${Math.random().toString(36).slice(2, 8)}`;

describe('kubeplan apply (real apiserver)', () => {
  it('creates a namespace, a CRD and its objects in stages, labels them into the ApplySet, and is idempotent', async () => {
    const ns = uniq();
    const group = `${ns}.example.com`;
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `gadgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
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
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      crd,
      { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'g' }, spec: { size: 1 } },
      cm('settings', { A: '1' }),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'x' } },
    ];
    const repo = repoWith(ns, objects);
    const first = await apply(repo);
    expect(first.run.code, first.run.stderr).toBe(0);
    expect(first.report!.targets[0]).toMatchObject({ created: 5, updated: 0, pruned: 0 });
    const id = applySetId(applySetParent('app', ns));
    const gadget = await api<{ metadata: { labels: Record<string, string> } }>(
      'GET',
      `/apis/${group}/v1/namespaces/${ns}/gadgets/g`,
    );
    expect(gadget.status).toBe(200);
    expect(gadget.body.metadata.labels[PART_OF]).toBe(id);
    const parent = await api<{ metadata: { labels: Record<string, string>; annotations: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${ns}/configmaps/kubeplan-app`,
    );
    expect(parent.body.metadata.labels['applyset.kubernetes.io/id']).toBe(id);
    expect(parent.body.metadata.annotations['applyset.kubernetes.io/contains-group-kinds']).toBe(
      `ConfigMap,CustomResourceDefinition.apiextensions.k8s.io,Gadget.${group},Namespace,Secret`,
    );

    const second = await apply(repo);
    expect(second.run.code).toBe(0);
    expect(second.report!.targets[0]).toMatchObject({ created: 0, updated: 0, pruned: 0, unchanged: 5 });
    const text = await runCliAsync(['apply', '--kubeconfig', bench().adminKubeconfig], { cwd: repo });
    expect(text.stdout).toContain('No changes: the cluster already matches git.');
  });

  it('updates what changed and prunes what git no longer has; an empty render never prunes', async () => {
    const ns = uniq();
    const repo = repoWith(ns, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      cm('a', { X: '1' }),
      cm('b', { Y: '1' }),
    ]);
    expect((await apply(repo)).run.code).toBe(0);
    write(repo, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cm('a', { X: '2' })]);
    const second = await apply(repo);
    expect(second.run.code, second.run.stderr).toBe(0);
    expect(second.report!.targets[0]).toMatchObject({ updated: 1, pruned: 1, unchanged: 1 });
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/b`)).status).toBe(404);
    expect(
      ((await api('GET', `/api/v1/namespaces/${ns}/configmaps/a`)).body as { data: Record<string, string> }).data.X,
    ).toBe('2');

    write(repo, []);
    const empty = await apply(repo);
    expect(empty.run.code).toBe(2);
    expect(empty.run.stderr).toContain('renders no objects');
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/a`)).status).toBe(200);
  });

  it('fails on conflicts with other managers, naming them, unless --force-conflicts', async () => {
    const ns = uniq();
    const repo = repoWith(ns, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cm('a', { X: '1' })]);
    expect((await apply(repo)).run.code).toBe(0);
    await api('PATCH', `/api/v1/namespaces/${ns}/configmaps/a?fieldManager=someone-else&force=true`, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: ns }, data: { X: 'theirs' } },
      contentType: 'application/apply-patch+yaml',
    });
    const refused = await apply(repo);
    expect(refused.run.code).toBe(2);
    expect(refused.run.stderr).toContain('someone-else');
    expect(refused.run.stderr).toContain('--force-conflicts');
    const forced = await apply(repo, ['--force-conflicts']);
    expect(forced.run.code, forced.run.stderr).toBe(0);
    expect(
      ((await api('GET', `/api/v1/namespaces/${ns}/configmaps/a`)).body as { data: Record<string, string> }).data.X,
    ).toBe('1');
  });

  it('refuses an immutable change and writes nothing; --dry-run writes nothing either', async () => {
    const ns = uniq();
    const deploy = (app: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app } },
        template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
      },
    });
    const repo = repoWith(ns, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      deploy('web'),
      cm('a', { X: '1' }),
    ]);
    expect((await apply(repo)).run.code).toBe(0);
    write(repo, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      deploy('web-v2'),
      cm('a', { X: '2' }),
    ]);
    const refused = await apply(repo);
    expect(refused.run.code).toBe(2);
    expect(refused.run.stderr).toContain('spec.selector');
    expect(
      ((await api('GET', `/api/v1/namespaces/${ns}/configmaps/a`)).body as { data: Record<string, string> }).data.X,
    ).toBe('1');
    write(repo, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, deploy('web'), cm('a', { X: '3' })]);
    const dry = await runCliAsync(['apply', '--dry-run', '--kubeconfig', bench().adminKubeconfig], { cwd: repo });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Dry run, nothing written.');
    expect(dry.stdout).toContain(`  stage everything else:\n    update  v1 ConfigMap ${ns}/a`);
    expect(
      ((await api('GET', `/api/v1/namespaces/${ns}/configmaps/a`)).body as { data: Record<string, string> }).data.X,
    ).toBe('1');
  });
});

describe('kubeplan apply and kubectl ApplySets (KEP-3659)', () => {
  it("kubectl recognises kubeplan's set as kubeplan's, and kubeplan refuses to take over kubectl's", async () => {
    const ns = uniq();
    const repo = repoWith(ns, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cm('a', { X: '1' })]);
    expect((await apply(repo)).run.code).toBe(0);
    const theirs = await kubectl(
      ['apply', '--server-side', '--applyset=configmaps/kubeplan-app', '--prune', '-n', ns, '-f', '-'],
      {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'a', namespace: ns },
          data: { X: '1' },
        }),
        env: { KUBECTL_APPLYSET: 'true' },
      },
    );
    expect(theirs.code).not.toBe(0);
    expect(theirs.stderr).toContain('managed by tooling "kubeplan"');

    const other = uniq();
    await api('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: other } },
    });
    const made = await kubectl(
      ['apply', '--server-side', '--applyset=configmaps/kubeplan-app', '--prune', '-n', other, '-f', '-'],
      {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'k', namespace: other },
          data: { K: '1' },
        }),
        env: { KUBECTL_APPLYSET: 'true' },
      },
    );
    expect(made.code, made.stderr).toBe(0);
    const refused = await apply(repoWith(other, [cm('mine', { M: '1' })]));
    expect(refused.run.code).toBe(2);
    expect(refused.run.stderr).toMatch(/managed by "kubectl\/v1\.35/);
    expect((await api('GET', `/api/v1/namespaces/${other}/configmaps/mine`)).status).toBe(404);
  });
});

describe('kubeplan apply: health', () => {
  const deploy = (replicas: number) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
  });

  /** Plays the Deployment controller: reports the rollout done once the object exists. */
  async function rollOut(ns: string, replicas: number) {
    for (let i = 0; i < 100; i++) {
      const got = await api<{ metadata: { generation: number } }>(
        'GET',
        `/apis/apps/v1/namespaces/${ns}/deployments/web`,
      );
      if (got.status === 200) {
        const status = {
          replicas,
          updatedReplicas: replicas,
          availableReplicas: replicas,
          readyReplicas: replicas,
          observedGeneration: got.body.metadata.generation,
        };
        await api(
          'PATCH',
          `/apis/apps/v1/namespaces/${ns}/deployments/web/status?fieldManager=test-controller&force=true`,
          {
            body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns }, status },
            contentType: 'application/apply-patch+yaml',
          },
        );
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('waits until the rollout is done, printing what it waits for', async () => {
    const ns = uniq();
    const repo = repoWith(ns, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, deploy(2)]);
    const running = runCliAsync(['apply', '--wait', '--timeout', '60s', '--kubeconfig', bench().adminKubeconfig], {
      cwd: repo,
    });
    // The wait starts once the Deployment is written; progress is printed every 5 s of waiting (a loaded machine may
    // take seconds to get there, so the clock starts at the write, not at the start of the process).
    for (let i = 0; i < 300 && (await api('GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 6500));
    await rollOut(ns, 2);
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /target app: waiting \d+s for Deployment \S+\/web \(waiting for the controller to observe the new generation\)/,
    );
    expect(run.stdout).toContain('stage wait until healthy');
  });

  it('fails fast on a failed rollout and names it; times out naming what is still pending', async () => {
    const ns = uniq();
    const repo = repoWith(ns, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, deploy(1)]);
    const running = runCliAsync(['apply', '--wait', '--timeout', '60s', '--kubeconfig', bench().adminKubeconfig], {
      cwd: repo,
    });
    for (let i = 0; i < 100 && (await api('GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 100));
    const cond = {
      type: 'Progressing',
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: 'ReplicaSet "web-1" has timed out progressing.',
    };
    await api(
      'PATCH',
      `/apis/apps/v1/namespaces/${ns}/deployments/web/status?fieldManager=test-controller&force=true`,
      {
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: ns },
          status: {
            observedGeneration: 1,
            conditions: [
              { ...cond, lastUpdateTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' },
            ],
          },
        },
        contentType: 'application/apply-patch+yaml',
      },
    );
    const failed = await running;
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain(
      `apps/v1 Deployment ${ns}/web: is unhealthy: ReplicaSet "web-1" has timed out progressing.`,
    );

    const ns2 = uniq();
    const slow = await runCliAsync(['apply', '--wait', '--timeout', '2s', '--kubeconfig', bench().adminKubeconfig], {
      cwd: repoWith(ns2, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns2 } }, deploy(1)]),
    });
    expect(slow.code).toBe(2);
    expect(slow.stderr).toContain('was not healthy after 2s: waiting for the controller to observe the new generation');
  });
});

describe('kubeplan apply: out-of-order merges', () => {
  it('refuses to apply a commit older than the one already applied, and records commit and digest', async () => {
    const ns = uniq();
    const { repo, git, head } = makeGitRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
      'manifests/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cm('a', { V: '1' })],
      }),
    });
    const v1 = head();
    write(repo, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cm('a', { V: '2' })]);
    git('commit', '-qam', 'v2');
    const v2 = git('rev-parse', 'HEAD');
    expect((await apply(repo)).run.code).toBe(0);
    const parent = await api<{ metadata: { annotations: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${ns}/configmaps/kubeplan-app`,
    );
    expect(parent.body.metadata.annotations['kubeplan.dev/commit']).toBe(v2);
    expect(parent.body.metadata.annotations['kubeplan.dev/bundle-digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
    git('checkout', '-q', v1);
    const old = await apply(repo);
    expect(old.run.code).toBe(2);
    expect(old.run.stderr).toContain(
      `commit ${v1.slice(0, 12)} is older than ${v2.slice(0, 12)}, which is already applied`,
    );
    expect(
      ((await api('GET', `/api/v1/namespaces/${ns}/configmaps/a`)).body as { data: Record<string, string> }).data.V,
    ).toBe('2');
  });
});

describe('kubeplan apply: Helm hooks', () => {
  it('runs pre-install hooks by weight before the release, waits for their Jobs, and deletes them as their policy says', async () => {
    const ns = uniq();
    const job = (name: string, weight: number, policy: string) =>
      [
        'apiVersion: batch/v1',
        'kind: Job',
        'metadata:',
        `  name: ${name}`,
        '  annotations:',
        '    "helm.sh/hook": pre-install,pre-upgrade',
        `    "helm.sh/hook-weight": "${weight}"`,
        `    "helm.sh/hook-delete-policy": ${policy}`,
        'spec:',
        '  template:',
        '    spec:',
        '      restartPolicy: Never',
        '      containers: [{name: run, image: busybox:1.37, command: ["true"]}]',
        '',
      ].join('\n');
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    helm:\n      chart: chart\n`,
      'chart/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
      'chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  v: "1"\n',
      'chart/templates/migrate.yaml': job('migrate', 5, 'hook-succeeded'),
      'chart/templates/backup.yaml': job('backup', -5, 'before-hook-creation'),
      'chart/templates/test.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: smoke\n  annotations:\n    "helm.sh/hook": test\nspec:\n  containers: [{name: t, image: busybox:1.37}]\n',
    });
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    const order: string[] = [];
    let stop = false;
    // Play the Job controller: complete each hook Job as it appears, remembering the order.
    const controller = (async () => {
      while (!stop) {
        const jobs = await api<{ items: { metadata: { name: string }; status?: { conditions?: unknown[] } }[] }>(
          'GET',
          `/apis/batch/v1/namespaces/${ns}/jobs`,
        );
        for (const j of jobs.body.items ?? []) {
          if (j.status?.conditions?.length) continue;
          const cm = await api('GET', `/api/v1/namespaces/${ns}/configmaps/app`);
          order.push(`${j.metadata.name}${cm.status === 200 ? ' after release' : ' before release'}`);
          const now = new Date().toISOString();
          await api(
            'PATCH',
            `/apis/batch/v1/namespaces/${ns}/jobs/${j.metadata.name}/status?fieldManager=test-controller&force=true`,
            {
              body: {
                apiVersion: 'batch/v1',
                kind: 'Job',
                metadata: { name: j.metadata.name, namespace: ns },
                status: {
                  startTime: now,
                  completionTime: now,
                  succeeded: 1,
                  conditions: [
                    { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: now, lastTransitionTime: now },
                    { type: 'Complete', status: 'True', lastProbeTime: now, lastTransitionTime: now },
                  ],
                },
              },
              contentType: 'application/apply-patch+yaml',
            },
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const run = await runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig], { cwd: repo });
    stop = true;
    await controller;
    expect(run.code, run.stderr).toBe(0);
    expect(order).toEqual(['backup before release', 'migrate before release']);
    expect(run.stdout).toContain('note: ran pre-install Job backup');
    // hook-succeeded: deleted after it ran; before-hook-creation: kept until the next run.
    expect((await api('GET', `/apis/batch/v1/namespaces/${ns}/jobs/migrate`)).status).toBe(404);
    expect((await api('GET', `/apis/batch/v1/namespaces/${ns}/jobs/backup`)).status).toBe(200);
    expect((await api('GET', `/api/v1/namespaces/${ns}/pods/smoke`)).status).toBe(404);
    // Hooks are not part of the inventory: the parent never lists Jobs.
    const parent = await api<{ metadata: { annotations: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${ns}/configmaps/kubeplan-app`,
    );
    expect(parent.body.metadata.annotations['applyset.kubernetes.io/contains-group-kinds']).toBe('ConfigMap');
  });
});

describe('kubeplan apply: per-target policy in kubeplan.yaml', () => {
  it('recreates a kind on the recreate list when an immutable field changes', async () => {
    const ns = uniq();
    const deploy = (app: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app } },
        template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
      },
    });
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n    apply:\n      recreate: [Deployment]\n`,
      'manifests/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, deploy('web')],
      }),
    });
    expect((await apply(repo)).run.code).toBe(0);
    const before = await api<{ metadata: { uid: string } }>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`);
    write(repo, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, deploy('web-v2')]);
    const again = await apply(repo);
    expect(again.run.code, again.run.stderr).toBe(0);
    expect(again.report!.targets[0]).toMatchObject({ recreated: 1 });
    const after = await api<{ metadata: { uid: string }; spec: { selector: { matchLabels: { app: string } } } }>(
      'GET',
      `/apis/apps/v1/namespaces/${ns}/deployments/web`,
    );
    expect(after.body.spec.selector.matchLabels.app).toBe('web-v2');
    expect(after.body.metadata.uid).not.toBe(before.body.metadata.uid);
  });

  it('never allows recreating Namespaces, CRDs or PVCs', async () => {
    const repo = makeRepo({
      'kubeplan.yaml':
        'targets:\n  - name: app\n    manifests: m\n    apply:\n      recreate: [PersistentVolumeClaim]\n',
      'm/a.yaml': '',
    });
    const run = await runCliAsync(['render'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('kubeplan.yaml:5');
  });
});

describe('kubeplan apply: RBAC preflight', () => {
  it('lists every missing right and the Role that grants them, writes nothing; with the Role applied the same apply succeeds', async () => {
    const ns = uniq();
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    // The limited user may read ConfigMaps and Secrets there, nothing more.
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list'] }],
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
    const repo = repoWith(ns, [
      cm('a', { X: '1' }),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' } },
    ]);
    const refused = await runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().limitedKubeconfig], { cwd: repo });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the credentials (limited) lack');
    for (const right of [
      `create configmaps in namespace ${ns}`,
      `patch configmaps in namespace ${ns}`,
      `create secrets in namespace ${ns}`,
      `patch secrets in namespace ${ns}`,
    ]) {
      expect(refused.stderr).toContain(`- ${right}`);
    }
    expect((await api<{ items: unknown[] }>('GET', `/api/v1/namespaces/${ns}/configmaps`)).body.items).toHaveLength(0);
    const yaml = refused.stderr
      .slice(
        refused.stderr.indexOf('this grants exactly them:') + 'this grants exactly them:'.length,
        refused.stderr.indexOf('  hint:'),
      )
      .replace(/^ {4}/gm, '');
    const granted = await kubectl(['apply', '-f', '-'], { input: yaml });
    expect(granted.code, granted.stderr).toBe(0);
    const ok = await runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().limitedKubeconfig], { cwd: repo });
    expect(ok.code, ok.stderr).toBe(0);
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/a`)).status).toBe(200);
  });
});

describe('kubeplan apply: access reviews the plan already answered', () => {
  const role = async (ns: string, name: string, verbs: string[]) => {
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs }],
      },
    });
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'User', name: 'limited', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
  };

  it('a re-apply asks only about the inventory: the dry-runs of the changed objects proved their rights', async () => {
    const [ns, other] = [uniq(), uniq()];
    for (const name of [ns, other])
      await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
    const objects = (v: string) => [
      cm('a', { X: v }),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: v } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'svc' },
        spec: { selector: { app: 'a' }, ports: [{ port: Number(v) + 80 }] },
      },
      { ...cm('c', { X: v }), metadata: { name: 'c', namespace: other } },
    ];
    const repo = repoWith(ns, objects('1'));
    expect((await apply(repo)).run.code).toBe(0);
    write(repo, objects('2'));
    const reviews: string[] = [];
    const proxy = await startFaultProxy(bench(), (_n, req) => {
      if (req.method === 'POST' && req.url?.includes('selfsubjectaccessreviews')) reviews.push(req.url);
      return undefined;
    });
    try {
      const kubeconfig = path.join(repo, 'proxy.kubeconfig');
      writeFileSync(kubeconfig, proxy.kubeconfig(bench().adminToken));
      const again = await apply(repo, ['--kubeconfig', kubeconfig]);
      expect(again.run.code, again.run.stderr).toBe(0);
      expect(again.report!.targets[0]).toMatchObject({ updated: 4, unchanged: 0 });
    } finally {
      await proxy.stop();
    }
    // get, create and patch of the inventory ConfigMap; not patch of the Secret, the Service or the ConfigMaps.
    expect(reviews).toHaveLength(3);
    const c = await api<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${other}/configmaps/c`);
    expect(c.body.data.X).toBe('2');
  });

  it('a missing right is reported before a foreign inventory, though both are checked at once', async () => {
    const ns = uniq();
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    const made = await kubectl(
      ['apply', '--server-side', '--applyset=configmaps/kubeplan-app', '--prune', '-n', ns, '-f', '-'],
      { input: JSON.stringify(cm('k', { K: '1' })), env: { KUBECTL_APPLYSET: 'true' } },
    );
    expect(made.code, made.stderr).toBe(0);
    // May read and update ConfigMaps there (the plan's dry-run of k passes), not create them (the inventory's right).
    await role(ns, 'updater', ['get', 'list', 'patch']);
    const repo = repoWith(ns, [cm('k', { K: '2' })]);
    const refused = await runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().limitedKubeconfig], { cwd: repo });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`- create configmaps in namespace ${ns}`);
    expect(refused.stderr).not.toContain('managed by');
    const k = await api<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${ns}/configmaps/k`);
    expect(k.body.data.K).toBe('1');
  });

  it('a right no dry-run proved is still asked, and its lack refused before any write', async () => {
    const [ns, other] = [uniq(), uniq()];
    for (const name of [ns, other])
      await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
    // The inventory's namespace: every right on ConfigMaps. The other one: update, not create.
    await role(ns, 'inventory', ['get', 'list', 'create', 'patch', 'update', 'delete']);
    await role(other, 'updater', ['get', 'list', 'patch']);
    await api('POST', `/api/v1/namespaces/${other}/configmaps`, { body: cm('c', { X: '1' }) });
    const inOther = (name: string, v: string) => ({ ...cm(name, { X: v }), metadata: { name, namespace: other } });
    const repo = repoWith(ns, [cm('a', { X: '1' }), inOther('c', '2'), inOther('d', '1')]);
    const limited = ['apply', '--no-wait', '--kubeconfig', bench().limitedKubeconfig];
    const refused = await runCliAsync(limited, { cwd: repo });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`- create configmaps in namespace ${other}`);
    expect(refused.stderr).not.toContain(`- patch configmaps in namespace ${other}`);
    for (const [where, name] of [
      [ns, 'a'],
      [other, 'd'],
    ])
      expect((await api('GET', `/api/v1/namespaces/${where}/configmaps/${name}`)).status).toBe(404);
    const c = await api<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${other}/configmaps/c`);
    expect(c.body.data.X).toBe('1');
  });
});

describe('kubeplan apply: a namespace Role', () => {
  it('applies in its namespace, and is refused before any write elsewhere: the cluster is byte for byte unchanged', async () => {
    const mine = uniq();
    const other = uniq();
    for (const name of [mine, other])
      await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${mine}/roles`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'deployer' },
        rules: [
          {
            apiGroups: [''],
            resources: ['configmaps'],
            verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
          },
        ],
      },
    });
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${mine}/rolebindings`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'deployer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
        subjects: [{ kind: 'User', name: 'limited', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    const repo = repoWith(mine, [cm('a', { X: '1' })]);
    const limited = ['apply', '--no-wait', '--kubeconfig', bench().limitedKubeconfig];
    const ok = await runCliAsync(limited, { cwd: repo });
    expect(ok.code, ok.stderr).toBe(0);
    const snapshot = async () =>
      JSON.stringify(
        await Promise.all(
          [mine, other].map(async (ns) => (await api('GET', `/api/v1/namespaces/${ns}/configmaps`)).body.items),
        ),
      );
    const before = await snapshot();
    write(repo, [cm('a', { X: '2' }), { ...cm('b', { Y: '1' }), metadata: { name: 'b', namespace: other } }]);
    const refused = await runCliAsync(limited, { cwd: repo });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`- create configmaps in namespace ${other}`);
    expect(refused.stderr).not.toContain(`in namespace ${mine}`);
    // Nothing was written: every ConfigMap in both namespaces, resourceVersions included, is as it was.
    expect(await snapshot()).toBe(before);
  });
});

describe('kubeplan diff: the rights the predicted apply needs', () => {
  it('shows in the plan (text, markdown, json) the right a prune needs and the credentials lack, with the grant', async () => {
    const ns = uniq();
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    // The limited user may do everything with ConfigMaps there but delete them: server mode, and a prune it cannot do.
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'writer' },
        rules: [
          { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'] },
        ],
      },
    });
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'writer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'writer' },
        subjects: [{ kind: 'User', name: 'limited', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    const applied = await runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig], {
      cwd: repoWith(ns, [cm('a', { X: '1' }), cm('b', { Y: '1' })]),
    });
    expect(applied.code, applied.stderr).toBe(0);
    const repo = repoWith(ns, [cm('a', { X: '2' })]);
    const args = ['diff', '--kubeconfig', bench().limitedKubeconfig];
    const text = await runCliAsync(args, { cwd: repo });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      `apply would refuse to start: the credentials (limited) lack delete configmaps in namespace ${ns}`,
    );
    const md = await runCliAsync([...args, '-o', 'markdown'], { cwd: repo });
    expect(md.stdout).toContain(
      `> Applying target \`app\` needs 1 right these credentials (\`limited\`) lack, so apply would refuse to start:\n> - delete configmaps in namespace ${ns}`,
    );
    const json = JSON.parse((await runCliAsync([...args, '-o', 'json'], { cwd: repo })).stdout);
    const access = json.targets[0].missingAccess;
    expect(access.rights).toEqual([{ verb: 'delete', group: '', resource: 'configmaps', namespace: ns }]);
    // The grant, applied, clears it.
    expect((await kubectl(['apply', '-f', '-'], { input: access.grant })).code).toBe(0);
    const clear = await runCliAsync([...args, '-o', 'json'], { cwd: repo });
    expect(JSON.parse(clear.stdout).targets[0].missingAccess).toBeNull();
  });
});

describe('policy in kubeplan.yaml', () => {
  it('shows objects outside the allowed namespaces and cluster-scoped kinds in the plan, and apply writes nothing', async () => {
    const ns = `team-${Math.random().toString(36).slice(2, 8)}`;
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    const repo = makeRepo({
      'kubeplan.yaml': `policy:\n  namespaces: [team-*]\n  clusterScoped: []\ntargets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n`,
      'm/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          cm('ok', { A: '1' }),
          { ...cm('elsewhere', { A: '1' }), metadata: { name: 'elsewhere', namespace: 'kube-system' } },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name: `${ns}-admin` },
            rules: [],
          },
        ],
      }),
    });
    const plan = await runCliAsync(['diff', '-o', 'json', '--kubeconfig', bench().adminKubeconfig], { cwd: repo });
    expect(plan.code).toBe(2);
    const report = JSON.parse(plan.stdout) as {
      targets: { changes: { action: string; name: string; error: { message: string } | null }[] }[];
    };
    const errors = report.targets[0]!.changes.filter((c) => c.action === 'error');
    expect(errors.map((e) => `${e.name}: ${e.error!.message}`).sort()).toEqual(
      [
        `${ns}-admin: cluster-scoped ClusterRole is outside the target's policy (allowed: none)`,
        "elsewhere: namespace kube-system is outside the target's policy (allowed: team-*)",
      ].sort(),
    );
    const applied = await runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig], { cwd: repo });
    expect(applied.code).toBe(2);
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/ok`)).status).toBe(404);
  });
});
