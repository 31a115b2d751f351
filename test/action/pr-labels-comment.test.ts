import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Forge, startForge } from '../forge/forge.js';
import { makeRepo } from '../helpers/fixture-repo.js';
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

/** A git repository with one target; returns it and a git runner. */
function gitRepo() {
  const repo = makeRepo({
    'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: labels\n    manifests: manifests\n',
    'manifests/a.json': JSON.stringify(cm('a', '1')),
  });
  rmSync(path.join(repo, '.git'), { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: repo,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'base');
  return { repo, git };
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
