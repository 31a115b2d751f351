import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySetId, applySetParent, PART_OF } from '../../src/core/cluster/applyset.js';
import { api, bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

const uniq = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
const cm = (name: string, data: Record<string, string>, namespace?: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(namespace ? { namespace } : {}) },
  data,
});
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
  targets: {
    changes: {
      action: string;
      kind: string;
      namespace: string | null;
      name: string;
      error: { message: string; hint?: string } | null;
    }[];
  }[];
}
const errorsOf = (stdout: string) =>
  (JSON.parse(stdout) as PlanJson).targets.flatMap((t) => t.changes.filter((c) => c.action === 'error'));

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
    const namespaces = async () =>
      Object.fromEntries(
        Object.entries(await versions(['/api/v1/namespaces'])).filter(
          ([k]) => k.endsWith(` ${team}`) || k.endsWith(` ${victim}`),
        ),
      );
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
    const first = await runCliAsync(['apply', '--no-wait', ...admin()], {
      cwd: makeRepo({
        'kubeplan.yaml': config,
        'm/all.json': list([ns(team), cm('a', { A: '1' }), cm('b', { B: '1' })]),
      }),
    });
    expect(first.code, first.stderr).toBe(0);
    // Someone with write access to the inventory points it at another namespace and labels an object there.
    const id = applySetId(applySetParent('app', team));
    await api('PATCH', `/api/v1/namespaces/${team}/configmaps/kubeplan-app`, {
      body: { metadata: { annotations: { 'applyset.kubernetes.io/additional-namespaces': victim } } },
      contentType: 'application/merge-patch+json',
    });
    await api('POST', `/api/v1/namespaces/${victim}/configmaps`, {
      body: { ...cm('precious', { P: '1' }), metadata: { name: 'precious', labels: { [PART_OF]: id } } },
    });
    // The next commit drops b: a real prune in the target's namespace, and the planted one outside the policy.
    const repo = makeRepo({ 'kubeplan.yaml': config, 'm/all.json': list([ns(team), cm('a', { A: '1' })]) });
    const before = await versions([`/api/v1/namespaces/${team}/configmaps`, `/api/v1/namespaces/${victim}/configmaps`]);
    const plan = await runCliAsync(['diff', '-o', 'json', ...admin()], { cwd: repo });
    expect(plan.code).toBe(2);
    const errors = errorsOf(plan.stdout);
    expect(errors.map((e) => `${e.namespace}/${e.name}`)).toEqual([`${victim}/precious`]);
    expect(errors[0]!.error!.message).toContain(
      `namespace ${victim} is outside the target's policy (allowed: team-*); nothing is deleted`,
    );
    const applied = await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: repo });
    expect(applied.code).toBe(2);
    expect(applied.stderr).toContain(`ConfigMap ${victim}/precious`);
    expect(
      await versions([`/api/v1/namespaces/${team}/configmaps`, `/api/v1/namespaces/${victim}/configmaps`]),
    ).toEqual(before);
  });
});

describe('ownership: objects of another ApplySet', () => {
  it("a target planned alone does not take over another target's object: an error naming the other set, unless git adopts it explicitly", async () => {
    const team = uniq('team');
    await api('POST', '/api/v1/namespaces', { body: ns(team) });
    const config = `targets:\n  - name: one\n    namespace: ${team}\n    manifests: one\n  - name: two\n    namespace: ${team}\n    manifests: two\n`;
    const first = makeRepo({
      'kubeplan.yaml': config,
      'one/all.json': list([cm('shared', { S: '1' }), cm('a', { A: '1' })]),
      'two/all.json': list([cm('b', { B: '1' })]),
    });
    expect((await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: first })).code).toBe(0);
    const idOne = applySetId(applySetParent('one', team));
    const idTwo = applySetId(applySetParent('two', team));

    // A commit moves `shared` to target two without saying so; two is planned and applied alone.
    const moved = makeRepo({
      'kubeplan.yaml': config,
      'one/all.json': list([cm('a', { A: '1' })]),
      'two/all.json': list([cm('b', { B: '1' }), cm('shared', { S: '1' })]),
    });
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
      'two/all.json': list([
        cm('b', { B: '1' }),
        { ...cm('shared', { S: '1' }), metadata: { name: 'shared', annotations: { 'kubeplan.dev/adopt': 'true' } } },
      ]),
    });
    const taken = await runCliAsync(['apply', '--no-wait', '--target', 'two', ...admin()], { cwd: adopted });
    expect(taken.code, taken.stderr).toBe(0);
    const one = await runCliAsync(['apply', '--no-wait', '-o', 'json', '--target', 'one', ...admin()], {
      cwd: adopted,
    });
    expect(one.code, one.stderr).toBe(0);
    expect((JSON.parse(one.stdout) as { targets: { pruned: number }[] }).targets[0]!.pruned).toBe(0);
    const live = await api<{ metadata: { labels: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${team}/configmaps/shared`,
    );
    expect(live.status).toBe(200);
    expect(live.body.metadata.labels[PART_OF]).toBe(idTwo);
  });
});

describe('ownership: the repository an inventory belongs to', () => {
  it('two repositories with a target of the same name: the second is refused, naming the first, and nothing of the first is pruned', async () => {
    const team = uniq('team');
    const config = `targets:\n  - name: app\n    namespace: ${team}\n    manifests: m\n`;
    // Repository A: identified by its git remote (the token in the URL is never recorded).
    const a = makeRepo({ 'kubeplan.yaml': config, 'm/all.json': list([ns(team), cm('a', { A: '1' })]) });
    rmSync(path.join(a, '.git'), { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: a });
    execFileSync(
      'git',
      ['remote', 'add', 'origin', 'https://x-access-token:tok-SEEKRIT-123@GitHub.com/Team-A/deploy.git'],
      { cwd: a },
    );
    const first = await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: a });
    expect(first.code, first.stderr).toBe(0);
    const parent = await api<{ metadata: { annotations: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${team}/configmaps/kubeplan-app`,
    );
    expect(parent.body.metadata.annotations['kubeplan.dev/repository']).toBe('github.com/Team-A/deploy');
    expect(JSON.stringify(parent.body)).not.toContain('SEEKRIT');

    // Repository B, in GitHub Actions, has a target of the same name in the same namespace that renders other objects.
    const b = makeRepo({ 'kubeplan.yaml': config, 'm/all.json': list([cm('b', { B: '1' })]) });
    const actions = { GITHUB_REPOSITORY: 'team-b/deploy', GITHUB_SERVER_URL: 'https://github.com' };
    const watched = [`/api/v1/namespaces/${team}/configmaps`];
    const before = {
      ...(await versions(watched)),
      ns: (await api<{ metadata: { resourceVersion: string } }>('GET', `/api/v1/namespaces/${team}`)).body.metadata
        .resourceVersion,
    };
    const plan = await runCliAsync(['diff', '-o', 'json', ...admin()], { cwd: b, env: actions });
    expect(plan.code).toBe(2);
    const errors = errorsOf(plan.stdout);
    expect(errors.map((e) => `${e.kind} ${e.namespace}/${e.name}: ${e.error!.message}`)).toEqual([
      `ConfigMap ${team}/kubeplan-app: the inventory ConfigMap ${team}/kubeplan-app belongs to repository github.com/Team-A/deploy, not to github.com/team-b/deploy; nothing of target app is applied or pruned from here`,
    ]);
    expect(errors[0]!.error!.hint).toContain('rename this target');
    expect(plan.stdout).not.toMatch(/"action": "delete"/);
    const refused = await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: b, env: actions });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('belongs to repository github.com/Team-A/deploy');
    expect(refused.stdout + refused.stderr).not.toContain('fetch full history');
    const after = {
      ...(await versions(watched)),
      ns: (await api<{ metadata: { resourceVersion: string } }>('GET', `/api/v1/namespaces/${team}`)).body.metadata
        .resourceVersion,
    };
    expect(after).toEqual(before);

    // Repository A, moved: its new identity is overridden in kubeplan.yaml, and it owns the inventory again.
    const movedConfig = makeRepo({
      'kubeplan.yaml': `repository: github.com/team-a/deploy\n${config}`,
      'm/all.json': list([ns(team), cm('a', { A: '2' })]),
    });
    const moved = await runCliAsync(['apply', '--no-wait', '-o', 'json', ...admin()], {
      cwd: movedConfig,
      env: { GITHUB_REPOSITORY: 'new-org/deploy' },
    });
    expect(moved.code, moved.stderr).toBe(0);
    expect((JSON.parse(moved.stdout) as { targets: { updated: number; pruned: number }[] }).targets[0]).toMatchObject({
      updated: 1,
      pruned: 0,
    });
  });

  it('an inventory written before kubeplan recorded repositories is taken over and gets the record', async () => {
    const team = uniq('team');
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${team}\n    manifests: m\n`,
      'm/all.json': list([ns(team), cm('a', { A: '1' })]),
    });
    expect((await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: repo })).code).toBe(0);
    const parent = () =>
      api<{ metadata: { annotations: Record<string, string> } }>(
        'GET',
        `/api/v1/namespaces/${team}/configmaps/kubeplan-app`,
      );
    expect((await parent()).body.metadata.annotations['kubeplan.dev/repository']).toBeUndefined();
    const env = { GITHUB_REPOSITORY: 'acme/deploy' };
    const again = await runCliAsync(['apply', '--no-wait', ...admin()], { cwd: repo, env });
    expect(again.code, again.stderr).toBe(0);
    expect((await parent()).body.metadata.annotations['kubeplan.dev/repository']).toBe('github.com/acme/deploy');
  });
});
