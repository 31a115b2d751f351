import { describe, expect, it } from 'vitest';
import { applySetId, applySetParent, PART_OF } from '../../src/core/cluster/applyset.js';
import { api, bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

const uniq = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
const cm = (name: string, data: Record<string, string>, namespace?: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace ? { namespace } : {}) }, data });
const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const list = (items: object[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
const admin = () => ['--kubeconfig', bench().adminKubeconfig];

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
  targets: { changes: { action: string; kind: string; namespace: string | null; name: string; error: { message: string; hint?: string } | null }[] }[];
}
const errorsOf = (stdout: string) => (JSON.parse(stdout) as PlanJson).targets.flatMap((t) => t.changes.filter((c) => c.action === 'error'));

describe('ownership: policy.namespaces bounds Namespace objects', () => {
  it('refuses to adopt or create a Namespace outside policy.namespaces even when clusterScoped allows Namespaces; nothing is written', async () => {
    const team = uniq('team');
    const victim = uniq('victim');
    await api('POST', '/api/v1/namespaces', { body: ns(victim) });
    const repo = makeRepo({
      'kubeplan.yaml': `policy:\n  namespaces: [team-*]\n  clusterScoped: [Namespace]\ntargets:\n  - name: app\n    namespace: ${team}\n    manifests: m\n`,
      'm/all.json': list([ns(team), ns(victim), cm('a', { A: '1' })]),
    });
    // Other tests create namespaces meanwhile: compare the two this one is about (absent: no resourceVersion).
    const namespaces = async () => Object.fromEntries(Object.entries(await versions(['/api/v1/namespaces'])).filter(([k]) => k.endsWith(` ${team}`) || k.endsWith(` ${victim}`)));
    const before = await namespaces();
    const plan = await runCliAsync(['diff', '-o', 'json', ...admin()], { cwd: repo });
    expect(plan.code).toBe(2);
    expect(errorsOf(plan.stdout).map((e) => `${e.kind} ${e.name}: ${e.error!.message}`)).toEqual([
      `Namespace ${victim}: Namespace ${victim} is outside the target's policy (allowed namespaces: team-*)`,
    ]);
    const applied = await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: repo });
    expect(applied.code).toBe(2);
    expect(applied.stderr).toContain(`Namespace ${victim} is outside the target's policy`);
    expect(await namespaces()).toEqual(before);
    const live = await api<{ metadata: { labels?: Record<string, string> } }>('GET', `/api/v1/namespaces/${victim}`);
    expect(live.body.metadata.labels?.[PART_OF]).toBeUndefined();
  });
});

describe('ownership: prunes go through the policy', () => {
  it('an inventory edited to reach kube-system-like namespaces prunes nothing there: the plan shows an error, apply deletes nothing', async () => {
    const team = uniq('team');
    const victim = uniq('victim');
    await api('POST', '/api/v1/namespaces', { body: ns(victim) });
    const config = `policy:\n  namespaces: [team-*]\ntargets:\n  - name: app\n    namespace: ${team}\n    manifests: m\n`;
    const first = await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: makeRepo({ 'kubeplan.yaml': config, 'm/all.json': list([ns(team), cm('a', { A: '1' }), cm('b', { B: '1' })]) }) });
    expect(first.code, first.stderr).toBe(0);
    // Someone with write access to the inventory points it at another namespace and labels an object there.
    const id = applySetId(applySetParent('app', team));
    await api('PATCH', `/api/v1/namespaces/${team}/configmaps/kubeplan-app`, {
      body: { metadata: { annotations: { 'applyset.kubernetes.io/additional-namespaces': victim } } },
      contentType: 'application/merge-patch+json',
    });
    await api('POST', `/api/v1/namespaces/${victim}/configmaps`, { body: { ...cm('precious', { P: '1' }), metadata: { name: 'precious', labels: { [PART_OF]: id } } } });
    // The next commit drops b: a real prune in the target's namespace, and the planted one outside the policy.
    const repo = makeRepo({ 'kubeplan.yaml': config, 'm/all.json': list([ns(team), cm('a', { A: '1' })]) });
    const before = await versions([`/api/v1/namespaces/${team}/configmaps`, `/api/v1/namespaces/${victim}/configmaps`]);
    const plan = await runCliAsync(['diff', '-o', 'json', ...admin()], { cwd: repo });
    expect(plan.code).toBe(2);
    const errors = errorsOf(plan.stdout);
    expect(errors.map((e) => `${e.namespace}/${e.name}`)).toEqual([`${victim}/precious`]);
    expect(errors[0]!.error!.message).toContain(`namespace ${victim} is outside the target's policy (allowed: team-*); nothing is deleted`);
    const applied = await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: repo });
    expect(applied.code).toBe(2);
    expect(applied.stderr).toContain(`ConfigMap ${victim}/precious`);
    expect(await versions([`/api/v1/namespaces/${team}/configmaps`, `/api/v1/namespaces/${victim}/configmaps`])).toEqual(before);
  });
});

describe('ownership: objects of another ApplySet', () => {
  it('a target planned alone does not take over another target\'s object: an error naming the other set, unless git adopts it explicitly', async () => {
    const team = uniq('team');
    await api('POST', '/api/v1/namespaces', { body: ns(team) });
    const config = `targets:\n  - name: one\n    namespace: ${team}\n    manifests: one\n  - name: two\n    namespace: ${team}\n    manifests: two\n`;
    const first = makeRepo({ 'kubeplan.yaml': config, 'one/all.json': list([cm('shared', { S: '1' }), cm('a', { A: '1' })]), 'two/all.json': list([cm('b', { B: '1' })]) });
    expect((await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: first })).code).toBe(0);
    const idOne = applySetId(applySetParent('one', team));
    const idTwo = applySetId(applySetParent('two', team));

    // A commit moves `shared` to target two without saying so; two is planned and applied alone.
    const moved = makeRepo({ 'kubeplan.yaml': config, 'one/all.json': list([cm('a', { A: '1' })]), 'two/all.json': list([cm('b', { B: '1' }), cm('shared', { S: '1' })]) });
    const before = await versions([`/api/v1/namespaces/${team}/configmaps`]);
    const plan = await runCliAsync(['diff', '-o', 'json', '--target', 'two', ...admin()], { cwd: moved });
    expect(plan.code).toBe(2);
    const errors = errorsOf(plan.stdout);
    expect(errors.map((e) => `${e.name}: ${e.error!.message}`)).toEqual([
      `shared: belongs to ApplySet ${idOne} of target one (namespace ${team}); kubeplan takes an object over from another set only when asked`,
    ]);
    expect(errors[0]!.error!.hint).toContain('kubeplan.dev/adopt: "true"');
    const refused = await runCliAsync(['apply', '--no-wait', '--target', 'two', ...admin()], { cwd: moved });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`of target one (namespace ${team})`);
    expect(await versions([`/api/v1/namespaces/${team}/configmaps`])).toEqual(before);

    // Adopted explicitly: two takes it over, and one's next apply no longer prunes it.
    const adopted = makeRepo({
      'kubeplan.yaml': config,
      'one/all.json': list([cm('a', { A: '1' })]),
      'two/all.json': list([cm('b', { B: '1' }), { ...cm('shared', { S: '1' }), metadata: { name: 'shared', annotations: { 'kubeplan.dev/adopt': 'true' } } }]),
    });
    const taken = await runCliAsync(['apply', '--no-wait', '--target', 'two', ...admin()], { cwd: adopted });
    expect(taken.code, taken.stderr).toBe(0);
    const one = await runCliAsync(['apply', '--no-wait', '-o', 'json', '--target', 'one', ...admin()], { cwd: adopted });
    expect(one.code, one.stderr).toBe(0);
    expect((JSON.parse(one.stdout) as { targets: { pruned: number }[] }).targets[0]!.pruned).toBe(0);
    const live = await api<{ metadata: { labels: Record<string, string> } }>('GET', `/api/v1/namespaces/${team}/configmaps/shared`);
    expect(live.status).toBe(200);
    expect(live.body.metadata.labels[PART_OF]).toBe(idTwo);
  });
});
