import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applySetId, applySetParent, PART_OF } from '../../src/core/cluster/applyset.js';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { runCliAsync } from '../helpers/run-cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cm = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

/** A real git repository: the base commit on main, then the working tree changed on top of it. */
function gitRepo(ns: string, base: object[], head: object[]) {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'kubeplan-git-')), 'repo');
  dirs.push(path.dirname(root));
  mkdirSync(path.join(root, 'manifests'), { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: root,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });
  git('init', '-q', '-b', 'main');
  writeFileSync(
    path.join(root, 'kubeplan.yaml'),
    `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
  );
  writeFileSync(
    path.join(root, 'manifests', 'all.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: base }),
  );
  git('add', '-A');
  git('commit', '-qm', 'base');
  writeFileSync(
    path.join(root, 'manifests', 'all.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: head }),
  );
  return root;
}

interface Report {
  mode: string;
  base: string;
  summary: Record<string, number>;
  targets: { changes: { action: string; name: string; paths: string[] }[] }[];
  drift: {
    summary: Record<string, number>;
    targets: { changes: { action: string; name: string; paths: string[] }[] }[];
  } | null;
}

describe('kubeplan diff --base', () => {
  const base = [cm('a', { X: '1' }), cm('b', { Y: '1' })];
  const head = [cm('a', { X: '2' }), cm('c', { Z: '1' })];

  it('--offline reports the intent diff from git alone', async () => {
    const repo = gitRepo('nowhere', base, head);
    const run = await runCliAsync(['diff', '--base', 'main', '--offline', '-o', 'json', '--exit-code'], {
      cwd: repo,
      env: { KUBECONFIG: '/nonexistent' },
    });
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.mode).toBe('intent');
    expect(report.drift).toBeNull();
    expect(report.targets[0]!.changes.map((c) => `${c.action} ${c.name}`).sort()).toEqual([
      'create c',
      'delete b',
      'update a',
    ]);
    const text = await runCliAsync(['diff', '--base', 'main', '--offline'], { cwd: repo });
    expect(text.stdout).toContain('What this change does (main → working tree)');
    expect(text.stdout).toContain('--- base/configmap/nowhere/a');
  });

  it('with a cluster adds the drift: where the live objects already differ from the base', async () => {
    const ns = await freshNamespace('base');
    const repo = gitRepo(ns, base, head);
    const id = applySetId(applySetParent('app', ns));
    for (const o of base) {
      const obj = {
        ...(o as { metadata: object }),
        metadata: { ...(o as { metadata: object }).metadata, namespace: ns, labels: { [PART_OF]: id } },
      };
      await api(
        'PATCH',
        `/api/v1/namespaces/${ns}/configmaps/${(o as { metadata: { name: string } }).metadata.name}?fieldManager=kubeplan`,
        {
          body: obj,
          contentType: 'application/apply-patch+yaml',
        },
      );
    }
    // Someone edited b by hand after the base was applied.
    await api('PATCH', `/api/v1/namespaces/${ns}/configmaps/b?fieldManager=kubectl-edit`, {
      body: { data: { Y: 'hand-edit' } },
      contentType: 'application/merge-patch+json',
    });
    const run = await runCliAsync(['diff', '--base', 'main', '-o', 'json', '--kubeconfig', bench().adminKubeconfig], {
      cwd: repo,
    });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.targets[0]!.changes.map((c) => `${c.action} ${c.name}`).sort()).toEqual([
      'create c',
      'delete b',
      'update a',
    ]);
    expect(report.drift!.targets[0]!.changes.map((c) => `${c.action} ${c.name} ${c.paths.join()}`)).toEqual([
      'update b data.Y',
    ]);
  });

  it('an unknown ref says how to fetch it', async () => {
    const repo = gitRepo('x', base, head);
    const run = await runCliAsync(['diff', '--base', 'origin/nope', '--offline'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--base origin/nope: no such commit');
    expect(run.stderr).toContain('fetch-depth: 0');
  });
});
