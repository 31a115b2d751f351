import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalChanges, planDigests, renderDigest } from '../../src/core/diff/plan-digest.js';
import type { Change, TargetPlan } from '../../src/core/diff/types.js';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

// kubeplan diff --out / apply --plan / --expect-plan on the bench apiserver: the apply applies the plan that was
// reviewed, or nothing.
const SECRET = 'binding-secret-value-9c4e';
const cm = (value: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings' },
  data: { V: value },
});
const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: SECRET } };

type Listed = { items: { metadata: { name: string; resourceVersion: string } }[] };

describe('plan binding from the CLI', () => {
  it('applies exactly the reviewed plan; refuses, writing nothing, when the cluster or git changed since', async () => {
    const ns = await freshNamespace('bind');
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n`,
      'm/all.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [cm('1'), secret] }),
    });
    const write = (value: string) =>
      writeFileSync(
        path.join(repo, 'm', 'all.json'),
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [cm(value), secret] }),
      );
    const kubeconfig = ['--kubeconfig', bench().adminKubeconfig];
    const cli = (...args: string[]) => runCliAsync([...args, ...kubeconfig], { cwd: repo });
    const versions = async () => {
      const cms = await api<Listed>('GET', `/api/v1/namespaces/${ns}/configmaps`);
      const secrets = await api<Listed>('GET', `/api/v1/namespaces/${ns}/secrets`);
      return [...cms.body.items, ...secrets.body.items]
        .map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)
        .sort();
    };

    // Reviewed and applied as planned.
    const planned = await cli('diff', '--out', 'plan.json');
    expect(planned.code, planned.stderr).toBe(0);
    const file = JSON.parse(readFileSync(path.join(repo, 'plan.json'), 'utf8'));
    expect(file.digests.plan).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(file.digests.targets.app.render).toMatch(/^sha256:/);
    expect(file.digests.cluster.server).toBe(bench().server);
    expect(file.digests.changes.app.map((c: { kind: string; action: string }) => `${c.action} ${c.kind}`)).toEqual([
      'create ConfigMap',
      'create Secret',
    ]);
    expect(planned.stderr).toContain(`wrote the plan ${file.digests.plan} to plan.json`);
    expect(readFileSync(path.join(repo, 'plan.json'), 'utf8')).not.toContain(SECRET);
    const applied = await cli('apply', '--no-wait', '--plan', 'plan.json');
    expect(applied.code, applied.stderr).toBe(0);
    expect((await api(`GET`, `/api/v1/namespaces/${ns}/configmaps/settings`)).status).toBe(200);

    // Plan drift: reviewed, then someone edits the cluster before the apply. Nothing is written.
    write('2');
    expect((await cli('diff', '--out', 'plan2.json')).code).toBe(0);
    // Someone deletes the ConfigMap by hand: the apply would now create it, not update it.
    expect((await api('DELETE', `/api/v1/namespaces/${ns}/configmaps/settings`)).status).toBe(200);
    const before = await versions();
    const drifted = await cli('apply', '--no-wait', '--plan', 'plan2.json');
    expect(drifted.code, drifted.stderr).toBe(4);
    expect(drifted.stderr).toContain('this is not the reviewed plan; nothing was written');
    expect(drifted.stderr).toContain('plan drift: target app: the cluster changed since the plan was made');
    expect(drifted.stderr).toMatch(/- planned, now gone: update ConfigMap bind-\w+\/settings \(data\.V\)/);
    expect(drifted.stderr).toMatch(/\+ new since the plan: create ConfigMap bind-\w+\/settings/);
    expect(await versions()).toEqual(before);
    expect(drifted.stderr).not.toContain(SECRET);

    // The way out: review the new plan, and bind to its digest.
    const digest = /--expect-plan (sha256:[a-f0-9]{64})/.exec(drifted.stderr)![1]!;
    const forced = await cli('apply', '--no-wait', '--expect-plan', digest);
    expect(forced.code, forced.stderr).toBe(0);

    // Intent drift: reviewed, then git renders something else (another change merged in between).
    write('3');
    expect((await cli('diff', '--out', 'plan3.json')).code).toBe(0);
    write('4');
    const moved = await versions();
    const intent = await cli('apply', '--no-wait', '--plan', 'plan3.json');
    expect(intent.code).toBe(4);
    expect(intent.stderr).toContain('intent drift: target app renders something else than at review');
    expect(await versions()).toEqual(moved);

    // A digest that is not one, and a file that is not a plan.
    const bad = await cli('apply', '--expect-plan', 'abc');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('kubeplan apply --expect-plan: must be sha256: and 64 hex digits');
    writeFileSync(path.join(repo, 'not-a-plan.json'), '{"version": 1}');
    const notPlan = await cli('apply', '--plan', 'not-a-plan.json');
    expect(notPlan.code).toBe(2);
    expect(notPlan.stderr).toContain('not-a-plan.json: holds no plan digests');
  });
});

describe('plan digests', () => {
  const change = (name: string, action: Change['action'], value: string): Change => ({
    action,
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: 'ns',
    name,
    paths: action === 'update' ? ['data.V'] : [],
    digest: [],
    diff: '',
    via: 'dry-run',
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data: { V: value } },
  });
  const target = (changes: Change[]): TargetPlan => ({
    target: 'app',
    namespace: 'ns',
    changes,
    summary: { create: 0, update: 0, replace: 0, delete: 0, adopt: 0, unchanged: 0, error: 0 },
    hidden: {} as TargetPlan['hidden'],
  });
  const cluster = { server: 'https://a.example:6443', caSha256: 'aa' };
  const sets = [{ target: 'app', manifests: [] }];

  it('is stable, independent of order and of unchanged objects, and differs by value, action and cluster', () => {
    const a = [change('a', 'create', '1'), change('b', 'update', '2'), change('c', 'unchanged', '3')];
    const digest = (changes: Change[], c = cluster) => planDigests({ targets: [target(changes)] }, sets, c).plan;
    expect(digest(a)).toBe(digest(a));
    expect(digest([a[2]!, a[1]!, a[0]!])).toBe(digest(a));
    expect(digest(a.slice(0, 2))).toBe(digest(a));
    expect(digest([change('a', 'create', '1'), change('b', 'update', 'X')])).not.toBe(digest(a));
    expect(digest([change('a', 'update', '1'), change('b', 'update', '2')])).not.toBe(digest(a));
    expect(digest(a, { server: 'https://b.example:6443', caSha256: 'aa' })).not.toBe(digest(a));
    expect(digest(a, { ...cluster, caSha256: 'bb' })).not.toBe(digest(a));
    // A Secret's value enters only through the hash of the planned object.
    expect(JSON.stringify(canonicalChanges(a))).not.toContain('"V"');
  });

  it('the render digest does not depend on the order objects come in, or their keys', () => {
    const x = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { A: '1', B: '2' } };
    const y = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'y' }, data: { B: '2', A: '1' } };
    const yReordered = { apiVersion: 'v1', metadata: { name: 'y' }, kind: 'ConfigMap', data: { A: '1', B: '2' } };
    expect(renderDigest([x, y])).toBe(renderDigest([yReordered, x]));
    expect(renderDigest([x])).not.toBe(renderDigest([x, y]));
  });
});
