import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySetId, applySetParent, PART_OF } from '../../src/core/cluster/applyset.js';
import { api, bench, freshNamespace, kubectl } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

interface JsonChange {
  action: string;
  kind: string;
  name: string;
  namespace: string | null;
  paths: string[];
  digest: string[];
  diff: string;
  via: string;
  notes: string[];
  replaceFields: string[] | null;
  secrets: { key: string; change: string }[] | null;
  error: { message: string } | null;
}
interface JsonReport {
  mode: string;
  stats: { objects: number; fastPath: number; dryRuns: number; lists: number };
  summary: Record<string, number>;
  targets: { name: string; summary: Record<string, number>; changes: JsonChange[] }[];
}

const deployment = (
  ns: string,
  opts: { replicas?: number; image?: string; env?: Record<string, string>; cpu?: string; selector?: string } = {},
) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: ns },
  spec: {
    replicas: opts.replicas ?? 1,
    selector: { matchLabels: { app: opts.selector ?? 'web' } },
    template: {
      metadata: { labels: { app: opts.selector ?? 'web' } },
      spec: {
        containers: [
          {
            name: 'web',
            image: opts.image ?? 'ghcr.io/example/web:1.0.0',
            ...(opts.env ? { env: Object.entries(opts.env).map(([name, value]) => ({ name, value })) } : {}),
            ...(opts.cpu ? { resources: { requests: { cpu: opts.cpu } } } : {}),
          },
        ],
      },
    },
  },
});

/**
 * Applies objects the way `kubeplan apply` will: server-side apply as field manager kubeplan, labelled as part of the
 * target's ApplySet (target `app` in the object's namespace).
 */
async function applyAsKubeplan(...objects: Record<string, unknown>[]) {
  for (const original of objects) {
    const o = structuredClone(original);
    const meta = o.metadata as { name: string; namespace: string; labels?: Record<string, string> };
    meta.labels = { ...meta.labels, [PART_OF]: applySetId(applySetParent('app', meta.namespace)) };
    const kind = o.kind as string;
    const url =
      kind === 'Deployment'
        ? `/apis/apps/v1/namespaces/${meta.namespace}/deployments/${meta.name}`
        : `/api/v1/namespaces/${meta.namespace}/${kind.toLowerCase()}s/${meta.name}`;
    const res = await api('PATCH', `${url}?fieldManager=kubeplan&force=true`, {
      body: o,
      contentType: 'application/apply-patch+yaml',
    });
    if (res.status >= 300) throw new Error(`apply ${kind}: ${JSON.stringify(res.body)}`);
  }
}

/** A config repository with one plain-manifests target holding `objects`, in namespace `ns`. */
function repoWith(ns: string, objects: Record<string, unknown>[]) {
  return makeRepo({
    'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
    'manifests/objects.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
}

async function diff(repo: string, args: string[] = [], kubeconfig = bench().adminKubeconfig) {
  const run = await runCliAsync(['diff', '--kubeconfig', kubeconfig, ...args], { cwd: repo });
  return run;
}

async function diffJson(repo: string, args: string[] = [], kubeconfig?: string) {
  const run = await diff(repo, ['-o', 'json', ...args], kubeconfig);
  expect(run.stdout, run.stderr).not.toBe('');
  return { run, report: JSON.parse(run.stdout) as JsonReport };
}

const changeOf = (report: JsonReport, kind: string) => report.targets[0]!.changes.find((c) => c.kind === kind);

describe('kubeplan diff (server mode, real apiserver)', () => {
  it('reports creates, and objects in a namespace created by the same plan as creates with a note', async () => {
    const ns = `new-${Date.now().toString(36)}`;
    const repo = repoWith(ns, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { A: '1' } },
    ]);
    const { run, report } = await diffJson(repo, ['--exit-code']);
    expect(run.code).toBe(1);
    expect(report.summary).toMatchObject({ create: 2, update: 0, error: 0 });
    expect(changeOf(report, 'ConfigMap')!.notes[0]).toContain(`namespace ${ns} is created by this plan`);
  });

  it('finds unchanged objects on the fast path, with quantities compared by value and defaults ignored', async () => {
    const ns = await freshNamespace('fast');
    const withPort = deployment(ns, { cpu: '500m' });
    (withPort.spec.template.spec.containers[0] as Record<string, unknown>).ports = [{ containerPort: 8080 }];
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    await applyAsKubeplan(withPort, service);
    const rendered = deployment(ns, { cpu: '0.5' });
    (rendered.spec.template.spec.containers[0] as Record<string, unknown>).ports = [{ containerPort: 8080 }];
    const repo = repoWith(ns, [rendered, service]);
    const { run, report } = await diffJson(repo, ['--exit-code']);
    expect(run.code, run.stderr).toBe(0);
    expect(report.summary).toMatchObject({ unchanged: 2, update: 0 });
    // Defaulted list keys (a port's protocol) do not defeat the fast path: no dry-run was needed.
    expect(report.stats).toMatchObject({ objects: 2, fastPath: 2, dryRuns: 0 });
    const text = await diff(repo);
    expect(text.stdout).toContain('Plan: +0 to create, ~0 to update, ±0 to replace, -0 to delete, 2 unchanged.');
  });

  it('reports an update with its digest, field paths and a diff without noise', async () => {
    const ns = await freshNamespace('update');
    await applyAsKubeplan(deployment(ns, { replicas: 1, image: 'ghcr.io/example/web:1.0.0' }));
    const repo = repoWith(ns, [
      deployment(ns, { replicas: 3, image: 'ghcr.io/example/web:1.1.0', env: { LOG_LEVEL: 'info' } }),
    ]);
    const { run, report } = await diffJson(repo, ['--exit-code']);
    expect(run.code).toBe(1);
    const change = changeOf(report, 'Deployment')!;
    expect(change.action).toBe('update');
    expect(change.via).toBe('dry-run');
    expect(change.digest).toEqual(
      expect.arrayContaining(['image web: web:1.0.0 → 1.1.0', 'env web: +LOG_LEVEL', 'replicas 1 → 3']),
    );
    expect(change.paths).toEqual(
      expect.arrayContaining(['spec.replicas', 'spec.template.spec.containers[name=web].image']),
    );
    expect(change.diff).toContain('-  replicas: 1');
    expect(change.diff).toContain('+  replicas: 3');
    for (const noise of ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'status:'])
      expect(change.diff).not.toContain(noise);
  });

  it('sees a field removed from git (kubeplan owned it) even though every rendered field matches', async () => {
    const ns = await freshNamespace('removed');
    await applyAsKubeplan({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: ns, labels: { team: 'shop', tier: 'web' } },
      data: { A: '1', B: '2' },
    });
    const repo = repoWith(ns, [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', labels: { team: 'shop' } }, data: { A: '1' } },
    ]);
    const { report } = await diffJson(repo);
    const change = changeOf(report, 'ConfigMap')!;
    expect(change.action).toBe('update');
    expect(change.paths.sort()).toEqual(['data.B', 'metadata.labels.tier']);
    expect(change.digest).toEqual(expect.arrayContaining(['data: -B', 'labels: -tier']));
  });

  it('never takes the fast path when the rendered list order differs from the cluster', async () => {
    const ns = await freshNamespace('reorder');
    await applyAsKubeplan(deployment(ns, { env: { A: '1', B: '2' } }));
    const swapped = deployment(ns);
    (swapped.spec.template.spec.containers[0] as Record<string, unknown>).env = [
      { name: 'B', value: '2' },
      { name: 'A', value: '1' },
    ];
    const { report } = await diffJson(repoWith(ns, [swapped]));
    const change = changeOf(report, 'Deployment');
    // Whatever the server decides about the order, it decided it: the answer came from a dry-run.
    expect(change === undefined || change.via === 'dry-run').toBe(true);
    if (change) expect(change.paths.join()).toContain('env');
  });

  it('shows a field another manager changed by hand, with the conflict', async () => {
    const ns = await freshNamespace('manual');
    await applyAsKubeplan(deployment(ns, { replicas: 2 }));
    const edit = await api('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/web?fieldManager=kubectl-edit`, {
      body: { spec: { replicas: 5 } },
      contentType: 'application/merge-patch+json',
    });
    expect(edit.status).toBe(200);
    const { report } = await diffJson(repoWith(ns, [deployment(ns, { replicas: 2 })]));
    const change = changeOf(report, 'Deployment')!;
    expect(change.action).toBe('update');
    expect(change.digest).toContain('replicas 5 → 2');
    expect(change.notes.join()).toContain('kubectl-edit');
  });

  it('reports a changed immutable field as replace, naming the field', async () => {
    const ns = await freshNamespace('replace');
    await applyAsKubeplan(deployment(ns, { selector: 'web' }));
    const { report } = await diffJson(repoWith(ns, [deployment(ns, { selector: 'web-v2' })]));
    const change = changeOf(report, 'Deployment')!;
    expect(change.action).toBe('replace');
    expect(change.replaceFields!.join()).toContain('spec.selector');
    // The diff shows what changes, not the server's defaults the bare rendered object lacks.
    const selectorPaths = ['spec.selector.matchLabels.app', 'spec.template.metadata.labels.app'];
    expect(change.paths.sort()).toEqual(selectorPaths);
    expect(change.diff).not.toMatch(
      /^-\s+(progressDeadlineSeconds|revisionHistoryLimit|terminationMessagePath|dnsPolicy):/m,
    );
    const client = changeOf(
      (await diffJson(repoWith(ns, [deployment(ns, { selector: 'web-v2' })]), ['--mode', 'client'])).report,
      'Deployment',
    )!;
    expect(client.action).toBe('replace');
    expect(client.paths.sort()).toEqual(selectorPaths);
    const md = await diff(repoWith(ns, [deployment(ns, { selector: 'web-v2' })]), ['-o', 'markdown']);
    expect(md.stdout).toContain('[!WARNING]');
    expect(md.stdout).toContain('± replace');
  });

  it('reports per-object errors, still plans the rest, and exits 2', async () => {
    const ns = await freshNamespace('errors');
    const repo = repoWith(ns, [
      { apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name: 'g' }, spec: {} },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok' }, data: { A: '1' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad' }, spec: { ports: [{ port: 99999 }] } },
    ]);
    const { run, report } = await diffJson(repo, ['--exit-code']);
    expect(run.code).toBe(2);
    expect(report.summary).toMatchObject({ create: 1, error: 2 });
    expect(changeOf(report, 'Gizmo')!.error!.message).toContain('no kind Gizmo in example.com/v1');
    expect(changeOf(report, 'Service')!.error!.message).toMatch(/port/i);
  });
});

describe('kubeplan diff: secrets', () => {
  it('never prints a Secret value, old or new, plain or base64, in any format', async () => {
    const ns = await freshNamespace('secrets');
    const oldValue = 'old-seeded-password-7d1c';
    const newValue = 'new-seeded-password-93fa';
    const same = 'unchanged-seeded-value-51b2';
    await applyAsKubeplan({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: ns },
      data: {
        password: Buffer.from(oldValue).toString('base64'),
        user: Buffer.from(same).toString('base64'),
        gone: Buffer.from(oldValue).toString('base64'),
      },
    });
    const repo = repoWith(ns, [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'db' },
        stringData: { password: newValue, user: same, token: newValue },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'fresh' },
        data: { key: Buffer.from(newValue).toString('base64') },
      },
    ]);
    const seeded = [oldValue, newValue, same].flatMap((v) => [v, Buffer.from(v).toString('base64')]);
    for (const format of ['text', 'markdown', 'json']) {
      const run = await diff(repo, ['-o', format]);
      for (const s of seeded) {
        expect(run.stdout, `${format} stdout`).not.toContain(s);
        expect(run.stderr, `${format} stderr`).not.toContain(s);
      }
    }
    const { report } = await diffJson(repo);
    const db = report.targets[0]!.changes.find((c) => c.name === 'db')!;
    // An invalid Secret: the server's message may quote the value, kubeplan's never does.
    const invalid = repoWith(ns, [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'bad' },
        type: 'kubernetes.io/dockerconfigjson',
        stringData: { '.dockerconfigjson': newValue },
      },
    ]);
    const bad = await diff(invalid, ['-o', 'json']);
    expect(bad.code).toBe(2);
    expect(bad.stdout + bad.stderr).not.toContain(newValue);
    expect(db.secrets).toEqual([
      { key: 'gone', change: 'removed' },
      { key: 'password', change: 'changed' },
      { key: 'token', change: 'added' },
      { key: 'user', change: 'unchanged' },
    ]);
    expect(db.digest).toContain('data: +token ~password -gone');
  });
});

describe('kubeplan diff: modes and credentials', () => {
  it('auto picks client mode for read-only credentials and still finds the change', async () => {
    const ns = await freshNamespace('readonly');
    await applyAsKubeplan({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: ns },
      data: { A: '1', B: '2' },
    });
    await kubectl(['create', 'role', 'reader', '--verb=get,list', '--resource=configmaps', '-n', ns]);
    await kubectl(['create', 'rolebinding', 'reader', '--role=reader', '--user=limited', '-n', ns]);
    const repo = repoWith(ns, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { A: '9' } }]);
    const { run, report } = await diffJson(repo, ['--exit-code'], bench().limitedKubeconfig);
    expect(run.code, run.stderr).toBe(1);
    expect(report.mode).toBe('client');
    const change = changeOf(report, 'ConfigMap')!;
    expect(change.action).toBe('update');
    expect(change.paths.sort()).toEqual(['data.A', 'data.B']);
    expect(change.via).toBe('client');
  });

  it('client mode finds removals inside list items (an env var, a resource) as server mode does', async () => {
    const ns = await freshNamespace('client-items');
    const before = deployment(ns, { env: { A: '1', B: '2' }, cpu: '100m' });
    await applyAsKubeplan(before);
    // Git drops env B and the resources of the container: server-side apply removes both, since kubeplan owned them.
    const repo = repoWith(ns, [{ ...deployment(ns, { env: { A: '1' } }), metadata: { name: 'web' } }]);
    const client = (await diffJson(repo, ['--mode', 'client'])).report;
    const server = (await diffJson(repo, ['--mode', 'server'])).report;
    const paths = (r: JsonReport) => changeOf(r, 'Deployment')!.paths.sort();
    expect(paths(server)).toEqual([
      'spec.template.spec.containers[name=web].env[name=B]',
      'spec.template.spec.containers[name=web].resources.requests',
    ]);
    // The estimate removes the resources map whole; the server keeps an empty one (a Go struct): the same change.
    expect(paths(client)).toEqual([
      'spec.template.spec.containers[name=web].env[name=B]',
      'spec.template.spec.containers[name=web].resources',
    ]);
    expect(changeOf(client, 'Deployment')!.diff).toMatch(/-\s+cpu: 100m/);
  });

  it('client mode keeps list items another manager added (an injected sidecar), as server-side apply does', async () => {
    const ns = await freshNamespace('client-sidecar');
    await applyAsKubeplan(deployment(ns, { env: { A: '1' } }));
    const sidecar = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: { template: { spec: { containers: [{ name: 'proxy', image: 'ghcr.io/example/proxy:1.0.0' }] } } },
    };
    const res = await api('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/web?fieldManager=injector`, {
      body: sidecar,
      contentType: 'application/apply-patch+yaml',
    });
    expect(res.status).toBe(200);
    const repo = repoWith(ns, [{ ...deployment(ns, { env: { A: '1' } }), metadata: { name: 'web' } }]);
    for (const mode of ['client', 'server']) {
      const { report } = await diffJson(repo, ['--mode', mode]);
      expect(changeOf(report, 'Deployment'), mode).toBeUndefined();
    }
  });

  it('server mode without patch permission is a per-object Forbidden error', async () => {
    const ns = await freshNamespace('forbidden');
    await applyAsKubeplan({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: ns },
      data: { A: '1' },
    });
    await kubectl(['create', 'role', 'reader', '--verb=get,list', '--resource=configmaps', '-n', ns]);
    await kubectl(['create', 'rolebinding', 'reader', '--role=reader', '--user=limited', '-n', ns]);
    const repo = repoWith(ns, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { A: '2' } }]);
    const { run, report } = await diffJson(repo, ['--mode', 'server'], bench().limitedKubeconfig);
    expect(run.code).toBe(2);
    expect(changeOf(report, 'ConfigMap')!.error!.message).toContain('forbidden');
  });

  it('an unreachable cluster is one clear error', async () => {
    const repo = repoWith('x', [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } }]);
    const kubeconfig = path.join(repo, 'dead.kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: dead, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: dead, context: {cluster: dead, user: u}}]\ncurrent-context: dead\n`,
    );
    const run = await diff(repo, [], kubeconfig);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot reach the apiserver at https://127.0.0.1:1');
  });
});

describe('kubeplan diff: deletions from the inventory (ApplySet, as kubectl writes it)', () => {
  it("reports objects of the target's ApplySet that git no longer renders as deletes, destructive ones flagged", async () => {
    const ns = await freshNamespace('prune');
    const objects = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept', namespace: ns }, data: { A: '1' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dropped', namespace: ns }, data: { B: '2' } },
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', namespace: ns },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    ];
    // kubectl computes the same ApplySet id as kubeplan for the parent ConfigMap kubeplan-app.
    const applied = await kubectl(
      [
        'apply',
        '--server-side',
        '--field-manager=kubeplan',
        `--applyset=configmaps/kubeplan-app`,
        '--prune',
        '-n',
        ns,
        '-f',
        '-',
      ],
      { input: objects.map((o) => JSON.stringify(o)).join('\n'), env: { KUBECTL_APPLYSET: 'true' } },
    );
    expect(applied.code, applied.stderr).toBe(0);
    const parent = await api<{ metadata: { labels: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${ns}/configmaps/kubeplan-app`,
    );
    expect(parent.body.metadata.labels['applyset.kubernetes.io/id']).toBe(applySetId(applySetParent('app', ns)));
    const repo = repoWith(ns, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' }, data: { A: '1' } }]);
    const { run, report } = await diffJson(repo, ['--exit-code']);
    expect(run.code, run.stderr).toBe(1);
    expect(report.summary).toMatchObject({ delete: 2, unchanged: 1 });
    const deletes = report.targets[0]!.changes.filter((c) => c.action === 'delete');
    expect(deletes.map((c) => `${c.kind}/${c.name}`).sort()).toEqual([
      'ConfigMap/dropped',
      'PersistentVolumeClaim/data',
    ]);
    expect(deletes.find((c) => c.kind === 'PersistentVolumeClaim')).toMatchObject({ destructive: true });
    expect(deletes.find((c) => c.name === 'dropped')!.diff).toContain("-  B: '2'");
  });
});

describe('kubeplan diff: ignore rules', () => {
  it('does not report fields owned by named managers or named by JSON pointers, and says what it hid', async () => {
    const ns = await freshNamespace('ignore');
    await applyAsKubeplan(deployment(ns, { replicas: 2 }), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: ns },
      data: { A: '1', STAMP: 'a' },
    });
    // An autoscaler owns replicas now.
    const scaled = await api('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/web?fieldManager=hpa-controller`, {
      body: { spec: { replicas: 7 } },
      contentType: 'application/merge-patch+json',
    });
    expect(scaled.status).toBe(200);
    const repo = makeRepo({
      'kubeplan.yaml': [
        'targets:',
        '  - name: app',
        `    namespace: ${ns}`,
        '    manifests: manifests',
        '    ignore:',
        '      - kind: Deployment',
        '        managers: [hpa-controller]',
        '      - kind: ConfigMap',
        '        name: cfg',
        '        paths: [/data/STAMP]',
        '',
      ].join('\n'),
      'manifests/objects.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          deployment(ns, { replicas: 2 }),
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { A: '1', STAMP: 'b' } },
        ],
      }),
    });
    const { run, report } = await diffJson(repo, ['--exit-code']);
    expect(run.code, run.stdout).toBe(0);
    expect(report.summary).toMatchObject({ unchanged: 2, update: 0 });
    const hidden = (report.targets[0] as unknown as { hidden: Record<string, number> }).hidden;
    expect(hidden).toMatchObject({
      'ignore fields of hpa-controller': expect.any(Number),
      'ignore /data/STAMP': expect.any(Number),
    });
  });

  it('rejects an ignore rule without paths or managers', async () => {
    const repo = makeRepo({
      'kubeplan.yaml': 'targets:\n  - name: app\n    manifests: m\n    ignore:\n      - kind: Deployment\n',
      'm/a.yaml': '',
    });
    const run = await runCliAsync(['render'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('kubeplan.yaml:5');
  });
});

describe('kubeplan diff: objects changed on admission (a mutating policy, like a webhook)', () => {
  it('neither hides a change nor reports the mutation as one', async () => {
    const ns = await freshNamespace('mutate');
    const label = `kubeplan-test/${ns}`;
    await api('PATCH', `/api/v1/namespaces/${ns}?fieldManager=test`, {
      body: { metadata: { labels: { [label]: 'true' } } },
      contentType: 'application/merge-patch+json',
    });
    const policy = {
      apiVersion: 'admissionregistration.k8s.io/v1beta1',
      kind: 'MutatingAdmissionPolicy',
      metadata: { name: ns },
      spec: {
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] },
          ],
          namespaceSelector: { matchLabels: { [label]: 'true' } },
        },
        failurePolicy: 'Fail',
        reinvocationPolicy: 'Never',
        mutations: [
          {
            patchType: 'ApplyConfiguration',
            applyConfiguration: { expression: 'Object{ data: {"INJECTED": "by-policy"} }' },
          },
        ],
      },
    };
    expect(
      (await api('POST', '/apis/admissionregistration.k8s.io/v1beta1/mutatingadmissionpolicies', { body: policy }))
        .status,
    ).toBe(201);
    const binding = {
      apiVersion: 'admissionregistration.k8s.io/v1beta1',
      kind: 'MutatingAdmissionPolicyBinding',
      metadata: { name: ns },
      spec: { policyName: ns },
    };
    expect(
      (
        await api('POST', '/apis/admissionregistration.k8s.io/v1beta1/mutatingadmissionpolicybindings', {
          body: binding,
        })
      ).status,
    ).toBe(201);
    // Policies load asynchronously: wait until a dry-run shows the mutation.
    for (let i = 0; ; i++) {
      const probe = await api<{ data?: Record<string, string> }>(
        'POST',
        `/api/v1/namespaces/${ns}/configmaps?dryRun=All`,
        { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe' } } },
      );
      if (probe.body.data?.INJECTED === 'by-policy') break;
      if (i > 50) throw new Error('the mutating policy never took effect');
      await new Promise((r) => setTimeout(r, 200));
    }
    await applyAsKubeplan({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: ns },
      data: { A: '1', INJECTED: 'from-git' },
    });
    const live = await api<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${ns}/configmaps/cfg`);
    expect(live.body.data).toEqual({ A: '1', INJECTED: 'by-policy' });

    // Git unchanged: the rendered INJECTED differs from live, but applying changes nothing, so nothing is reported.
    const same = await diffJson(
      repoWith(ns, [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { A: '1', INJECTED: 'from-git' } },
      ]),
    );
    expect(same.report.summary).toMatchObject({ unchanged: 1, update: 0 });
    expect(same.report.stats.dryRuns).toBe(1);

    // Git changes A: exactly that is reported, not the mutated field.
    const changed = await diffJson(
      repoWith(ns, [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { A: '2', INJECTED: 'from-git' } },
      ]),
    );
    expect(changeOf(changed.report, 'ConfigMap')!.paths).toEqual(['data.A']);
    await api('DELETE', `/apis/admissionregistration.k8s.io/v1beta1/mutatingadmissionpolicybindings/${ns}`);
  });
});

describe('kubeplan diff: a CRD and its objects in the same plan', () => {
  it('reports the custom objects as creates with a note instead of "unknown kind"', async () => {
    const ns = await freshNamespace('crd');
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
      crd,
      { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 } },
    ]);
    const { run, report } = await diffJson(repo, ['--exit-code']);
    expect(run.code, run.stderr).toBe(1);
    expect(report.summary).toMatchObject({ create: 2, error: 0 });
    const kinds = report.targets[0]!.changes.map((c) => c.kind);
    expect(kinds).toEqual(['CustomResourceDefinition', 'Widget']);
    expect(changeOf(report, 'Widget')!.notes[0]).toContain('CustomResourceDefinition is created by this plan');
  });
});

describe('kubeplan diff: one object in two targets', () => {
  it('is an error that names both targets', async () => {
    const ns = await freshNamespace('shared');
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: one\n    namespace: ${ns}\n    manifests: one\n  - name: two\n    namespace: ${ns}\n    manifests: two\n`,
      'one/cm.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'shared' },
        data: { A: '1' },
      }),
      'two/cm.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'shared' },
        data: { A: '2' },
      }),
    });
    const { run, report } = await diffJson(repo);
    expect(run.code).toBe(2);
    expect(report.targets[1]!.changes[0]!.error!.message).toBe(
      'is also rendered by target one; an object can belong to one target only',
    );
  });
});
