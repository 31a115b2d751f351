import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApiserver, type RunningApiserver } from '../bench/servers.mjs';
import { type Forge, startForge } from '../forge/forge.js';
import { bench, freshNamespace } from '../harness/kube.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import { type ActionRun, runAction } from '../helpers/run-action.js';
import { kubectlBin } from '../helpers/tools.js';

// What the sticky plan comment says about itself (commit, run, cluster), one comment per cluster for matrix jobs, and
// comment: on-changes; dist/index.js against the bench apiserver (and a second one) and the local forge.
let forge: Forge;
let second: RunningApiserver;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-plan-comment-'));
beforeAll(async () => {
  forge = await startForge();
  second = await startApiserver(inject('apiserverBinary'));
});
afterAll(async () => {
  await forge.stop();
  await second?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const HEAD = 'b'.repeat(40);

function event(number: number, baseSha: string) {
  const repo = { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, fork: false };
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      state: 'open',
      base: { ref: 'main', sha: baseSha, repo },
      head: { ref: 'change', sha: HEAD, repo },
    },
    repository: repo,
  };
}

function plan(repo: string, pr: number, baseSha: string, inputs: Record<string, string> = {}, env = {}) {
  return runAction({
    repo,
    forge,
    event: 'pull_request',
    payload: event(pr, baseSha),
    inputs: { 'github-token': 'ghs_commenttoken0123456789', ...inputs },
    scratch,
    env,
  });
}

/** A git repository with one target in `ns`. */
function gitRepo(ns: string) {
  return makeGitRepo({
    'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
    'manifests/cm.json': JSON.stringify(configMap('1')),
  });
}

function configMap(value: string) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { VALUE: value } };
}

const commentsOn = (pr: number) => forge.comments.get(pr) ?? [];
const ok = (run: ActionRun) => expect(run.code, run.stdout).toBe(0);

describe('the plan comment', () => {
  it('names the head commit it planned (linked), the run, the cluster and when, never a credential', async () => {
    const ns = await freshNamespace('stamp');
    const { repo, git } = gitRepo(ns);
    const base = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'manifests/cm.json'), JSON.stringify(configMap('2')));
    git('commit', '-qam', 'change');
    const run = await plan(repo, 31, base);
    ok(run);
    const body = commentsOn(31)[0]!.body;
    expect(body).toContain(`[\`bbbbbbb\`](https://github.com/acme/config/commit/${HEAD})`);
    expect(body).toContain('[run](https://github.com/acme/config/actions/runs/777)');
    const server = new URL(readFileSync(bench().adminKubeconfig, 'utf8').match(/server: (\S+)/)![1]!).host;
    expect(body).toContain(`against cluster bench-admin (${server})`);
    expect(body).toMatch(/ · \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    // The short plan digest reviewers approve; the JSON report has the whole one (kubeplan apply --expect-plan).
    const report = JSON.parse(readFileSync(run.outputs['report-path']!, 'utf8'));
    expect(body).toContain(`against cluster bench-admin (${server}) · plan \`${report.digests.plan.slice(0, 19)}\``);
    expect(run.summary).toContain(`against cluster bench-admin (${server})`);
    expect(JSON.parse(readFileSync(run.outputs['report-path']!, 'utf8')).cluster).toEqual({
      server: `https://${server}`,
      context: 'bench-admin',
    });
    expect(body).not.toContain('ghs_commenttoken');
  });

  it('keeps one comment per cluster for matrix jobs, and a re-run edits only its own', async () => {
    const ns = await freshNamespace('matrix');
    const { repo, git } = gitRepo(ns);
    const base = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'manifests/cm.json'), JSON.stringify(configMap('2')));
    git('commit', '-qam', 'change');
    // The namespace exists on the second cluster too, so both plans are clean.
    execFileSync(kubectlBin, ['--kubeconfig', second.adminKubeconfig, 'create', 'namespace', ns]);
    const other = { kubeconfig: readFileSync(second.adminKubeconfig, 'utf8') };
    ok(await plan(repo, 32, base));
    ok(await plan(repo, 32, base, other));
    expect(commentsOn(32)).toHaveLength(2);
    const hosts = [bench().adminKubeconfig, second.adminKubeconfig].map(
      (f) => new URL(readFileSync(f, 'utf8').match(/server: (\S+)/)![1]!).host,
    );
    for (const host of hosts) expect(commentsOn(32).filter((c) => c.body.includes(`(${host})`))).toHaveLength(1);

    const writes = forge.writes().length;
    ok(await plan(repo, 32, base, other));
    ok(await plan(repo, 32, base));
    expect(commentsOn(32)).toHaveLength(2);
    expect(forge.writes().length).toBe(writes);

    // comment-key names the comment explicitly: a third one, for a job that wants its own.
    ok(await plan(repo, 32, base, { 'comment-key': 'canary-eu' }));
    expect(commentsOn(32)).toHaveLength(3);
    expect(commentsOn(32).at(-1)!.body).toMatch(/^<!-- kubeplan:plan:canary-eu part:1\/1 -->/);
    const bad = await plan(repo, 32, base, { 'comment-key': 'has space' });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain('action input comment-key: may hold letters, digits, _ . and -');
  });

  it('comment: on-changes posts nothing for a plan without changes, and turns an earlier comment into No changes', async () => {
    const ns = await freshNamespace('quiet');
    const { repo, git } = gitRepo(ns);
    const quiet = { comment: 'on-changes' };
    const unchanged = await plan(repo, 33, git('rev-parse', 'HEAD'), quiet);
    ok(unchanged);
    expect(commentsOn(33)).toHaveLength(0);
    expect(unchanged.outputs['comment-url']).toBe('');
    expect(unchanged.stdout).toContain('plan comment: none posted (comment: on-changes');
    expect(unchanged.summary).toContain('### kubeplan: No changes');

    const base = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'manifests/cm.json'), JSON.stringify(configMap('2')));
    git('commit', '-qam', 'change');
    ok(await plan(repo, 33, base, quiet));
    expect(commentsOn(33)).toHaveLength(1);
    expect(commentsOn(33)[0]!.body).toContain('+1 to create');

    // The change is reverted in the pull request: its comment must not keep showing the old plan.
    writeFileSync(path.join(repo, 'manifests/cm.json'), JSON.stringify(configMap('1')));
    git('commit', '-qam', 'revert');
    ok(await plan(repo, 33, git('rev-parse', 'HEAD'), quiet));
    expect(commentsOn(33)).toHaveLength(1);
    expect(commentsOn(33)[0]!.body).toContain('### kubeplan: No changes');
  });

  it('a runner without its temp folder: kubeplan creates it instead of failing with ENOENT', async () => {
    const ns = await freshNamespace('temp');
    const { repo, git } = gitRepo(ns);
    const missing = path.join(mkdtempSync(path.join(scratch, 'gone-')), 'not', 'there');
    const run = await plan(repo, 34, git('rev-parse', 'HEAD'), {}, { RUNNER_TEMP: missing });
    ok(run);
    expect(run.outputs['report-path']).toBe(path.join(missing, 'kubeplan-report.json'));
    expect(existsSync(run.outputs['report-path']!)).toBe(true);
    expect(run.stdout).not.toContain('bug in kubeplan');
  });
});
