import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Forge, startForge } from '../forge/forge.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import { type ActionRun, runAction } from '../helpers/run-action.js';

// Labels the plan puts on its pull request (labels: true), and command: comment, which posts the sticky comment from
// a JSON report another (untrusted) run wrote: dist/index.js against the local forge, plans without a cluster.
let forge: Forge;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-labels-'));
beforeAll(async () => {
  forge = await startForge();
});
afterAll(async () => {
  await forge.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const HEAD = 'c'.repeat(40);
const TOKEN = 'ghs_labeltoken0123456789';

function prEvent(number: number, baseSha: string, fork = false) {
  const repo = { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, fork: false };
  const head = fork ? { full_name: 'mallory/config', name: 'config', owner: { login: 'mallory' }, fork: true } : repo;
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      state: 'open',
      base: { ref: 'main', sha: baseSha, repo },
      head: { ref: 'change', sha: HEAD, repo: head },
    },
    repository: repo,
  };
}

function plan(repo: string, pr: number, baseSha: string, inputs: Record<string, string> = {}) {
  return runAction({
    repo,
    forge,
    event: 'pull_request',
    payload: prEvent(pr, baseSha),
    // No cluster: the intent diff against the base commit.
    inputs: { 'github-token': TOKEN, kubeconfig: '', ...inputs },
    scratch,
  });
}

function cm(name: string, value: string) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { VALUE: value } };
}

/** A git repository with one target. */
function gitRepo() {
  return makeGitRepo({
    'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: labels\n    manifests: manifests\n',
    'manifests/a.json': JSON.stringify(cm('a', '1')),
  });
}

function openPull(number: number, labels: string[] = []) {
  forge.pulls.set(number, {
    number,
    title: 'change',
    body: '',
    head: 'change',
    base: 'main',
    state: 'open',
    merged: false,
    labels,
  });
}

const ok = (run: ActionRun) => expect(run.code, run.stdout).toBe(0);
const labelWrites = () => forge.writes().filter((r) => r.path.includes('/labels'));

describe('labels: true', () => {
  it('labels the pull request from its plan, creates each label once with its colour, and touches no other label', async () => {
    const { repo, git } = gitRepo();
    const base = git('rev-parse', 'HEAD');
    openPull(41, ['bug']);
    // A label the maintainers made already keeps their colour.
    forge.labels.set('kubeplan:destroy', { color: '000000', description: 'ours' });

    writeFileSync(path.join(repo, 'manifests/b.json'), JSON.stringify(cm('b', '1')));
    git('add', '-A');
    git('commit', '-qm', 'add b');
    const first = await plan(repo, 41, base, { labels: 'true' });
    ok(first);
    expect(forge.pulls.get(41)!.labels.sort()).toEqual(['bug', 'kubeplan:changes']);
    expect(forge.labels.get('kubeplan:changes')).toEqual({
      color: 'fbca04',
      description: 'kubeplan: the plan creates, updates or deletes objects',
    });

    // A re-run with the same plan writes no label.
    const before = labelWrites().length;
    ok(await plan(repo, 41, base, { labels: 'true' }));
    expect(labelWrites().length).toBe(before);

    unlinkSync(path.join(repo, 'manifests/a.json'));
    git('add', '-A');
    git('commit', '-qm', 'delete a');
    ok(await plan(repo, 41, base, { labels: 'true' }));
    expect(forge.pulls.get(41)!.labels.sort()).toEqual(['bug', 'kubeplan:changes', 'kubeplan:destroy']);
    expect(forge.labels.get('kubeplan:destroy')!.color).toBe('000000');

    // Back to the base: no changes; kubeplan takes its own two labels off, never "bug".
    unlinkSync(path.join(repo, 'manifests/b.json'));
    git('checkout', base, '--', 'manifests/a.json');
    git('add', '-A');
    git('commit', '-qm', 'back to the base');
    const last = await plan(repo, 41, base, { labels: 'true' });
    ok(last);
    expect(forge.pulls.get(41)!.labels.sort()).toEqual(['bug', 'kubeplan:no-changes']);
    expect(forge.labels.get('kubeplan:no-changes')!.color).toBe('0e8a16');
    expect(forge.violations).toEqual([]);
  });

  it('sets no label unless asked', async () => {
    const { repo, git } = gitRepo();
    const base = git('rev-parse', 'HEAD');
    openPull(42);
    writeFileSync(path.join(repo, 'manifests/b.json'), JSON.stringify(cm('b', '1')));
    git('add', '-A');
    git('commit', '-qm', 'add b');
    ok(await plan(repo, 42, base));
    expect(forge.pulls.get(42)!.labels).toEqual([]);
    expect(forge.requests.filter((r) => r.path.includes('/issues/42/labels'))).toEqual([]);
  });
});

/** command: comment in a workflow_run job, after the plan of `headSha` ran. */
function commentJob(repo: string, inputs: Record<string, string>, headSha = HEAD, pullRequests: number[] = []) {
  return runAction({
    repo,
    forge,
    event: 'workflow_run',
    payload: {
      action: 'completed',
      workflow_run: { head_sha: headSha, pull_requests: pullRequests.map((number) => ({ number })) },
      repository: { full_name: 'acme/config', name: 'config', owner: { login: 'acme' } },
    },
    inputs: { 'github-token': TOKEN, kubeconfig: '', command: 'comment', ...inputs },
    scratch,
  });
}

const commentsOn = (pr: number) => forge.comments.get(pr) ?? [];

describe('command: comment', () => {
  it('posts the plan of a fork pull request from its report, with labels, in a workflow_run job', async () => {
    const { repo, git } = gitRepo();
    const base = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'manifests/b.json'), JSON.stringify(cm('b', '1')));
    git('add', '-A');
    git('commit', '-qm', 'add b');
    openPull(43);
    forge.pulls.get(43)!.headSha = HEAD;
    // The fork's run: the plan goes to the summary and the report, nothing to the pull request.
    const planned = await runAction({
      repo,
      forge,
      event: 'pull_request',
      payload: prEvent(43, base, true),
      inputs: { 'github-token': TOKEN, kubeconfig: '' },
      scratch,
    });
    ok(planned);
    expect(commentsOn(43)).toEqual([]);
    const report = planned.outputs['report-path']!;
    expect(JSON.parse(readFileSync(report, 'utf8')).head).toBe(HEAD);

    const run = await commentJob(repo, { 'report-path': report, 'pull-request': '43', labels: 'true' });
    ok(run);
    expect(commentsOn(43)).toHaveLength(1);
    const body = commentsOn(43)[0]!.body;
    expect(body).toMatch(/^<!-- kubeplan:plan:[\w.-]+ part:1\/1 -->/);
    expect(body).toContain('### kubeplan: Intent diff, no cluster. Plan: +1 to create, 1 unchanged.');
    expect(body).toContain(`[\`ccccccc\`](https://github.com/acme/config/commit/${HEAD})`);
    expect(run.outputs['comment-url']).toContain('/pull/43#issuecomment-');
    expect(forge.pulls.get(43)!.labels).toEqual(['kubeplan:changes']);
    expect(body).not.toContain(TOKEN);
    expect(forge.violations).toEqual([]);
  });

  it('is the same comment a same-repository plan posts: commenting from its report writes nothing', async () => {
    const { repo, git } = gitRepo();
    const base = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'manifests/a.json'), JSON.stringify(cm('a', '2')));
    git('commit', '-qam', 'change a');
    openPull(45);
    forge.pulls.get(45)!.headSha = HEAD;
    const planned = await plan(repo, 45, base);
    ok(planned);
    expect(commentsOn(45)).toHaveLength(1);
    const writes = forge.writes().length;
    ok(await commentJob(repo, { 'report-path': planned.outputs['report-path']!, 'pull-request': '45' }, HEAD, [45]));
    expect(forge.writes().length).toBe(writes);
  });

  it('refuses a report for another commit, a pull request at another head, and a report over 20 MiB', async () => {
    const { repo, git } = gitRepo();
    const base = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'manifests/b.json'), JSON.stringify(cm('b', '1')));
    git('add', '-A');
    git('commit', '-qm', 'add b');
    openPull(47);
    forge.pulls.get(47)!.headSha = HEAD;
    openPull(48);
    forge.pulls.get(48)!.headSha = 'd'.repeat(40);
    const planned = await runAction({
      repo,
      forge,
      event: 'pull_request',
      payload: prEvent(47, base, true),
      inputs: { 'github-token': TOKEN, kubeconfig: '' },
      scratch,
    });
    ok(planned);
    const report = planned.outputs['report-path']!;

    // The report steers the comment onto another pull request: its head is not the planned commit.
    const other = await commentJob(repo, { 'report-path': report, 'pull-request': '48' });
    expect(other.code).not.toBe(0);
    expect(other.stdout).toContain(
      `action input pull-request: pull request #48 is at dddddddddddd, not at cccccccccccc where the report was planned`,
    );
    // A report of another run than the one that triggered this job.
    const stale = await commentJob(repo, { 'report-path': report, 'pull-request': '47' }, 'e'.repeat(40));
    expect(stale.code).not.toBe(0);
    expect(stale.stdout).toContain('the report was planned at cccccccccccc, but the workflow run that triggered');

    const big = path.join(scratch, 'big-report.json');
    writeFileSync(big, `{"version":1,"pad":"${'x'.repeat(21 * 1024 * 1024)}"}`);
    const huge = await commentJob(repo, { 'report-path': big, 'pull-request': '47' });
    expect(huge.code).not.toBe(0);
    expect(huge.stdout).toMatch(/big-report\.json is 21\.0 MiB; a JSON report kubeplan reads is at most 20 MiB/);

    const broken = path.join(scratch, 'broken-report.json');
    writeFileSync(broken, JSON.stringify({ ...JSON.parse(readFileSync(report, 'utf8')), targets: 'all' }));
    const bad = await commentJob(repo, { 'report-path': broken, 'pull-request': '47' });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain('is not a kubeplan JSON report: targets must be a list');
    expect(commentsOn(47)).toEqual([]);
    expect(commentsOn(48)).toEqual([]);
    expect(forge.violations).toEqual([]);
  });
});
