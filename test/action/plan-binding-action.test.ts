import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckRunText, parseDigestsMarkers } from '../../src/core/diff/plan-record.js';
import { type Forge, startForge } from '../forge/forge.js';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { type GitRepo, makeGitRepo } from '../helpers/fixture-repo.js';
import { type ActionRun, runAction } from '../helpers/run-action.js';
import { runCliAsync } from '../helpers/run-cli.js';

// Plan binding, end to end: dist/index.js plans a pull request (check run and comment marker), a reviewer approves on
// the local forge, the branch merges, and the apply of the push binds to the reviewed plan on the bench apiserver.
let forge: Forge;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-binding-action-'));
beforeAll(async () => {
  forge = await startForge();
});
afterAll(async () => {
  await forge.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const repository = {
  full_name: 'acme/config',
  name: 'config',
  owner: { login: 'acme' },
  fork: false,
  default_branch: 'main',
};
const SECRET = 'binding-action-secret-5e1f';
const cm = (name: string, data: Record<string, string>) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

interface Scenario {
  ns: string;
  g: GitRepo;
  base: string;
}

/** A config repository with target app (settings V=1, other W=1) in a fresh namespace, applied once by the CLI. */
async function scenario(mode: 'strict' | 'warn'): Promise<Scenario> {
  const ns = await freshNamespace('bind');
  const g = makeGitRepo({
    'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n    apply:\n      binding: ${mode}\n`,
    'm/settings.json': cm('settings', { V: '1' }),
    'm/other.json': cm('other', { W: '1' }),
    'm/secret.json': JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      stringData: { password: SECRET },
    }),
  });
  const boot = await runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig], { cwd: g.repo });
  expect(boot.code, boot.stderr).toBe(0);
  return { ns, g, base: g.head() };
}

/** Opens pull request `number` from branch pr-<number> with these file changes; returns its head commit. */
function openPullRequest(s: Scenario, number: number, changes: Record<string, string>): string {
  s.g.git('checkout', '-q', '-B', `pr-${number}`, 'main');
  const head = s.g.commit(`change #${number}`, changes);
  s.g.git('checkout', '-q', 'main');
  forge.pulls.set(number, {
    number,
    title: `change #${number}`,
    body: '',
    head: `pr-${number}`,
    base: 'main',
    state: 'open',
    merged: false,
    labels: [],
    headSha: head,
  });
  return head;
}

/** Pushes another commit to the pull request's branch; returns the new head. */
function pushToPullRequest(s: Scenario, number: number, changes: Record<string, string>): string {
  s.g.git('checkout', '-q', `pr-${number}`);
  const head = s.g.commit(`more #${number}`, changes);
  s.g.git('checkout', '-q', 'main');
  forge.pulls.get(number)!.headSha = head;
  return head;
}

/** The plan job of the pull request at `head`, checked out there. */
async function plan(s: Scenario, number: number, head: string, token = 'ghs_plantoken0123'): Promise<ActionRun> {
  s.g.git('checkout', '-q', head);
  try {
    return await runAction({
      repo: s.g.repo,
      forge,
      event: 'pull_request',
      payload: {
        action: 'synchronize',
        number,
        pull_request: {
          number,
          state: 'open',
          title: `change #${number}`,
          html_url: `https://github.com/acme/config/pull/${number}`,
          base: { ref: 'main', sha: s.base, repo: repository },
          head: { ref: `pr-${number}`, sha: head, repo: repository },
        },
        repository,
        sender: { login: 'alice', type: 'User' },
      },
      inputs: { 'github-token': token },
      scratch,
    });
  } finally {
    s.g.git('checkout', '-q', 'main');
  }
}

/** Merges the pull request into main (a merge commit) and runs the apply of that push. */
async function mergeAndApply(s: Scenario, number: number): Promise<{ run: ActionRun; merge: string }> {
  const before = s.g.head();
  s.g.git('merge', '-q', '--no-ff', '-m', `Merge pull request #${number}`, `pr-${number}`);
  const merge = s.g.head();
  Object.assign(forge.pulls.get(number)!, { state: 'closed', merged: true });
  forge.commitPulls.set(merge, [number]);
  const run = await runAction({
    repo: s.g.repo,
    forge,
    event: 'push',
    payload: { ref: 'refs/heads/main', before, after: merge, repository, pusher: { name: 'alice' } },
    inputs: { command: 'apply' },
    scratch,
  });
  return { run, merge };
}

const data = async (ns: string, name: string) =>
  ((await api('GET', `/api/v1/namespaces/${ns}/configmaps/${name}`)).body as { data: Record<string, string> }).data;
const versions = async (ns: string) =>
  (
    (await api('GET', `/api/v1/namespaces/${ns}/configmaps`)).body as {
      items: { metadata: { name: string; resourceVersion: string } }[];
    }
  ).items
    .map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)
    .sort();

describe('plan binding on merge (the action)', () => {
  it('plan → approve → merge: applies exactly the reviewed plan, and records it on the inventory and the Deployment', async () => {
    const s = await scenario('strict');
    const head = openPullRequest(s, 11, { 'm/settings.json': cm('settings', { V: '2' }) });
    const planned = await plan(s, 11, head);
    expect(planned.code, planned.stdout).toBe(0);
    // The check run on the head commit carries the digests; the sticky comment repeats them in its marker.
    const check = forge.checkRuns.find((c) => c.head_sha === head)!;
    expect(check).toMatchObject({ name: 'kubeplan plan', status: 'completed', conclusion: 'success' });
    const record = parseCheckRunText(check.output.text)!;
    expect(record.head).toBe(head);
    expect(record.digests.targets.app!.plan).toMatch(/^sha256:[0-9a-f]{64}$/);
    const comment = forge.comments.get(11)![0]!.body;
    expect(parseDigestsMarkers(comment)[0]!.digests).toEqual(record.digests);
    expect(comment).toContain(`plan \`${record.digests.plan.slice(0, 19)}\``);
    // A re-run of the same plan writes nothing, the check run included.
    const writes = forge.writes().length;
    expect((await plan(s, 11, head)).code).toBe(0);
    expect(forge.writes().length).toBe(writes);

    forge.addReview(11, { user: 'bob', state: 'COMMENTED', commitId: head });
    forge.addReview(11, { user: 'alice', state: 'APPROVED', commitId: head });
    const { run, merge } = await mergeAndApply(s, 11);
    expect(run.code, run.stdout).toBe(0);
    const digest = record.digests.targets.app!.plan;
    expect(run.summary).toContain(`applied exactly the reviewed plan ${digest} (pull request #11, approved by alice)`);
    expect((await data(s.ns, 'settings')).V).toBe('2');
    const inventory = (await api('GET', `/api/v1/namespaces/${s.ns}/configmaps/kubeplan-app`)).body as {
      metadata: { annotations: Record<string, string> };
    };
    expect(inventory.metadata.annotations).toMatchObject({
      'kubeplan.dev/commit': merge,
      'kubeplan.dev/plan-digest': digest,
      'kubeplan.dev/pull-request': '11',
      'kubeplan.dev/approved-by': 'alice',
    });
    expect(forge.deployments.find((d) => d.ref === merge)!.payload).toEqual({
      kubeplan: { planDigest: digest, pullRequest: 11, approvers: ['alice'] },
    });
    // The digests carry a Secret's values only through a hash: no record, comment or summary holds one.
    const written = [JSON.stringify(forge.checkRuns), JSON.stringify([...forge.comments.values()]), run.summary];
    for (const text of [...written, planned.summary, JSON.stringify(forge.deployments)])
      expect(text).not.toContain(SECRET);
    expect(forge.violations).toEqual([]);
  });

  it('strict: a live edit by another field manager since the plan is plan drift: nothing written, exit 4, the diff of plans and the way out', async () => {
    const s = await scenario('strict');
    const head = openPullRequest(s, 12, {
      'm/settings.json': cm('settings', { V: '2' }),
      'm/other.json': cm('other', { W: '2' }),
    });
    // A token without checks: write: the check run is only a warning; the comment marker holds the digests.
    forge.noChecksTokens.add('ghs_nochecks0123');
    const planned = await plan(s, 12, head, 'ghs_nochecks0123');
    expect(planned.code, planned.stdout).toBe(0);
    expect(planned.stdout).toContain('cannot record the plan digests in the `kubeplan plan` check run');
    expect(planned.stdout).toContain('checks: write');
    expect(forge.checkRuns.filter((c) => c.head_sha === head)).toEqual([]);
    forge.addReview(12, { user: 'alice', state: 'APPROVED', commitId: head });

    // Between review and merge, someone sets settings by hand to what the pull request wanted.
    const edit = await api(
      'PATCH',
      `/api/v1/namespaces/${s.ns}/configmaps/settings?fieldManager=hand-edit&force=true`,
      {
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'settings', namespace: s.ns },
          data: { V: '2' },
        },
        contentType: 'application/apply-patch+yaml',
      },
    );
    expect(edit.status).toBe(200);
    const before = await versions(s.ns);
    const { run, merge } = await mergeAndApply(s, 12);
    expect(run.code, run.stdout).toBe(4);
    expect(run.outputs['failed-target']).toBe('app');
    expect(run.summary).toContain('not the reviewed plan, app not applied');
    expect(run.summary).toContain('plan drift: the cluster changed since pull request #12 was planned');
    expect(run.summary).toContain(`- planned, now gone: update ConfigMap ${s.ns}/settings (data.V)`);
    expect(await versions(s.ns)).toEqual(before);
    expect((await data(s.ns, 'other')).W).toBe('1');
    expect(forge.deployments.filter((d) => d.ref === merge)).toEqual([]);

    // The way out: apply the plan computed now, by its digest (a workflow_dispatch job behind an environment).
    const digest = /--expect-plan (sha256:[0-9a-f]{64})/.exec(run.summary)![1]!;
    expect(run.summary).toContain(`kubeplan apply --target app --expect-plan ${digest}`);
    const wrong = await runAction({
      repo: s.g.repo,
      forge,
      event: 'workflow_dispatch',
      payload: { repository },
      inputs: { command: 'apply', 'expect-plan': `sha256:${'0'.repeat(64)}` },
      env: { GITHUB_SHA: merge },
      scratch,
    });
    expect(wrong.code, wrong.stdout).toBe(4);
    expect(await versions(s.ns)).toEqual(before);
    const out = await runAction({
      repo: s.g.repo,
      forge,
      event: 'workflow_dispatch',
      payload: { repository },
      inputs: { command: 'apply', 'expect-plan': digest },
      env: { GITHUB_SHA: merge },
      scratch,
    });
    expect(out.code, out.stdout).toBe(0);
    expect((await data(s.ns, 'other')).W).toBe('2');
    expect(forge.violations).toEqual([]);
  });

  it('strict: a plan of the head made again after the approval does not stand in for the approved one', async () => {
    const s = await scenario('strict');
    const head = openPullRequest(s, 18, {
      'm/settings.json': cm('settings', { V: '2' }),
      'm/other.json': cm('other', { W: '2' }),
    });
    expect((await plan(s, 18, head)).code).toBe(0);
    forge.addReview(18, { user: 'alice', state: 'APPROVED', commitId: head });
    // The cluster changes, and the plan job runs again on the same head: a second check run, with another plan.
    await api('PATCH', `/api/v1/namespaces/${s.ns}/configmaps/settings?fieldManager=hand-edit&force=true`, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: s.ns }, data: { V: '2' } },
      contentType: 'application/apply-patch+yaml',
    });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await plan(s, 18, head)).code).toBe(0);
    const checks = forge.checkRuns.filter((c) => c.head_sha === head);
    expect(checks).toHaveLength(2);
    const approved = parseCheckRunText(checks[0]!.output.text)!;
    const before = await versions(s.ns);
    const { run } = await mergeAndApply(s, 18);
    // Bound to the plan alice saw, not to the newer one: the merge plan is the newer one, so this is plan drift.
    expect(run.code, run.stdout).toBe(4);
    expect(run.summary).toContain('plan drift: the cluster changed since pull request #18 was planned');
    expect(run.summary).toContain(`plan: reviewed ${approved.digests.targets.app!.plan.slice(0, 19)}…`);
    expect(run.summary).toContain(`- planned, now gone: update ConfigMap ${s.ns}/settings (data.V)`);
    expect(await versions(s.ns)).toEqual(before);
  });

  it('strict: another pull request merged in between is intent drift: the merge commit renders otherwise', async () => {
    const s = await scenario('strict');
    const head = openPullRequest(s, 13, { 'm/settings.json': cm('settings', { V: '2' }) });
    expect((await plan(s, 13, head)).code).toBe(0);
    forge.addReview(13, { user: 'alice', state: 'APPROVED', commitId: head });
    // Pull request #14 lands on main first (its own apply aside).
    s.g.commit('Merge pull request #14', { 'm/other.json': cm('other', { W: '3' }) });
    const before = await versions(s.ns);
    const { run } = await mergeAndApply(s, 13);
    expect(run.code, run.stdout).toBe(4);
    expect(run.summary).toContain(
      "intent drift: the merge commit renders target app differently from pull request #13's reviewed head",
    );
    expect(run.summary).toMatch(
      /render: target app renders something else than at review \(sha256:\w+… at the reviewed head → sha256:\w+… at the merge commit\)/,
    );
    expect(run.summary).toContain(`+ new since the plan: update ConfigMap ${s.ns}/other (data.W)`);
    expect(await versions(s.ns)).toEqual(before);
  });

  it('warn: an approval of an older commit is stale: applied, with a warning and a summary line', async () => {
    const s = await scenario('warn');
    const first = openPullRequest(s, 15, { 'm/settings.json': cm('settings', { V: '2' }) });
    expect((await plan(s, 15, first)).code).toBe(0);
    forge.addReview(15, { user: 'bob', state: 'APPROVED', commitId: first });
    const head = pushToPullRequest(s, 15, { 'm/settings.json': cm('settings', { V: '3' }) });
    expect((await plan(s, 15, head)).code).toBe(0);
    const { run } = await mergeAndApply(s, 15);
    expect(run.code, run.stdout).toBe(0);
    expect((await data(s.ns, 'settings')).V).toBe('3');
    expect(run.stdout).toContain(
      `::warning::app: stale approval: pull request #15 was approved on an older commit (bob on ${first.slice(0, 7)})`,
    );
    expect(run.summary).toContain('app: ⚠️ applied anyway (warn): stale approval');
  });
});

describe('plan binding and command: comment', () => {
  it("a workflow_run job's report comes from another run: its comment shows the plan but records no digests to bind to", async () => {
    const s = await scenario('strict');
    const head = openPullRequest(s, 16, { 'm/settings.json': cm('settings', { V: '2' }) });
    const planned = await plan(s, 16, head);
    expect(planned.code, planned.stdout).toBe(0);
    const report = planned.outputs['report-path']!;
    expect(parseDigestsMarkers(forge.comments.get(16)![0]!.body)).toHaveLength(1);
    // The same report, posted by a workflow_run job on another pull request at the same head (as for a fork).
    forge.pulls.set(17, { ...forge.pulls.get(16)!, number: 17 });
    const run = await runAction({
      repo: s.g.repo,
      forge,
      event: 'workflow_run',
      payload: {
        action: 'completed',
        workflow_run: { head_sha: head, pull_requests: [] },
        repository,
      },
      inputs: { command: 'comment', kubeconfig: '', 'report-path': report, 'pull-request': '17' },
      scratch,
    });
    expect(run.code, run.stdout).toBe(0);
    const body = forge.comments.get(17)![0]!.body;
    expect(body).toContain('Plan: ~1 to update');
    expect(body).not.toContain('kubeplan:digests');
  });
});
