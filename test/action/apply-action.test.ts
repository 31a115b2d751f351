import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../forge/forge.js';
import { api } from '../harness/kube.js';
import { runAction as runActionHelper } from '../helpers/run-action.js';
import { makeGitRepo, makeRepo } from '../helpers/fixture-repo.js';

let forge: Forge;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-apply-action-'));
beforeAll(async () => {
  forge = await startForge();
});
afterAll(async () => {
  await forge.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const cm = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});
const uniq = () => `act-${Math.random().toString(36).slice(2, 8)}`;

const runAction = (repo: string, event: string, payload: object, inputs: Record<string, string>) =>
  runActionHelper({ repo, forge, event, payload, inputs, scratch });

const gitRepo = makeGitRepo;

const pushEvent = (before: string, after: string) => ({
  ref: 'refs/heads/main',
  before,
  after,
  repository: { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, default_branch: 'main' },
  pusher: { name: 'alice' },
});

describe('the action on a push to the default branch (apply)', () => {
  it('applies the affected targets with a GitHub Deployment each, a summary, outputs and a comment on the merged PR', async () => {
    const ns = uniq();
    const { repo, git } = gitRepo({
      'kubeplan.yaml': `targets:\n  - name: web\n    namespace: ${ns}\n    manifests: web\n  - name: jobs\n    namespace: ${ns}\n    manifests: jobs\n`,
      'web/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cm('web', { V: '1' })],
      }),
      'jobs/cm.json': JSON.stringify(cm('jobs', { V: '1' })),
    });
    const before = git('rev-parse', 'HEAD');
    writeFileSync(
      path.join(repo, 'web/all.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cm('web', { V: '2' })],
      }),
    );
    git('commit', '-qam', 'web v2 (#42)');
    const after = git('rev-parse', 'HEAD');
    forge.commitPulls.set(after, [42]);
    // Someone else's comment with the marker of this apply is not kubeplan's to edit.
    const key = createHash('sha256').update(`kubeplan.yaml|${after}`).digest('hex').slice(0, 12);
    const planted = {
      id: 42_001,
      node_id: 'IC_m42',
      body: `<!-- kubeplan:plan:apply-${key} -->\nnot applied, ignore the deployment`,
      user: 'mallory',
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    };
    forge.comments.set(42, [{ ...planted }]);
    const run = await runAction(repo, 'push', pushEvent(before, after), { apply: 'true' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('1 of 2 targets affected');
    expect(JSON.parse(run.outputs.applied!)).toEqual({
      web: { created: 2, updated: 0, recreated: 0, pruned: 0, unchanged: 0 },
    });
    expect(run.outputs['failed-target']).toBe('');
    expect(
      ((await api('GET', `/api/v1/namespaces/${ns}/configmaps/web`)).body as { data: Record<string, string> }).data.V,
    ).toBe('2');
    const deployment = forge.deployments.find((d) => d.ref === after)!;
    expect(deployment).toMatchObject({ environment: 'web' });
    expect(deployment.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(deployment.statuses[0]!.log_url).toBe('https://github.com/acme/config/actions/runs/777');
    expect(run.summary).toContain(`### kubeplan applied \`${after.slice(0, 7)}\``);
    expect(forge.comments.get(42)![0]).toEqual(planted);
    expect(forge.comments.get(42)![1]!.body).toContain(`kubeplan applied \`${after.slice(0, 7)}\``);
    expect(forge.comments.get(42)![1]!.user).toBe('github-actions[bot]');
    expect(forge.violations).toEqual([]);
  });

  it('the apply action records each deployment to the environment kubeplan.yaml names, production or not; none with deployments false', async () => {
    const ns = uniq();
    const { repo, git } = gitRepo({
      'kubeplan.yaml':
        `targets:\n  - name: web\n    namespace: ${ns}\n    manifests: web\n    environment: staging-eu\n    production: false\n` +
        `  - name: jobs\n    namespace: ${ns}\n    manifests: jobs\n`,
      'web/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cm('web', { V: '1' })],
      }),
      'jobs/cm.json': JSON.stringify(cm('jobs', { V: '1' })),
    });
    const head = git('rev-parse', 'HEAD');
    // apply/action.yml runs apply/index.js: apply on a push without `apply: true`, whatever command says.
    const run = await runActionHelper({
      repo,
      forge,
      event: 'push',
      payload: pushEvent('0'.repeat(40), head),
      inputs: { command: 'render' },
      scratch,
      entry: 'apply/index.js',
    });
    expect(run.code, run.stdout).toBe(0);
    expect(Object.keys(JSON.parse(run.outputs.applied!)).sort()).toEqual(['jobs', 'web']);
    expect(
      forge.deployments
        .filter((d) => d.ref === head)
        .map(({ environment, production }) => ({ environment, production })),
    ).toEqual([
      { environment: 'staging-eu', production: false },
      { environment: 'jobs', production: true },
    ]);
    expect(forge.deployments.find((d) => d.environment === 'staging-eu')!.statuses.map((s) => s.state)).toEqual([
      'in_progress',
      'success',
    ]);

    // A job with its own `environment:` gets its deployment from GitHub: kubeplan records none.
    writeFileSync(path.join(repo, 'jobs/cm.json'), JSON.stringify(cm('jobs', { V: '2' })));
    git('commit', '-qam', 'jobs v2');
    const next = git('rev-parse', 'HEAD');
    const quiet = await runActionHelper({
      repo,
      forge,
      event: 'push',
      payload: pushEvent(head, next),
      inputs: { deployments: 'false' },
      scratch,
      entry: 'apply/index.js',
    });
    expect(quiet.code, quiet.stdout).toBe(0);
    expect(JSON.parse(quiet.outputs.applied!)).toMatchObject({ jobs: { updated: 1 } });
    expect(forge.deployments.filter((d) => d.ref === next)).toEqual([]);
    expect(forge.violations).toEqual([]);
  });

  it('reports a failing target: failure status, failed-target, the object named on the PR, and a failed step', async () => {
    const ns = uniq();
    const { repo, git } = gitRepo({
      'kubeplan.yaml': `targets:\n  - name: web\n    namespace: ${ns}\n    manifests: web\n`,
      'web/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cm('web', { V: '1' })],
      }),
    });
    const sha = git('rev-parse', 'HEAD');
    forge.commitPulls.set(sha, [43]);
    expect((await runAction(repo, 'push', pushEvent('0'.repeat(40), sha), { command: 'apply' })).code).toBe(0);
    await api('PATCH', `/api/v1/namespaces/${ns}/configmaps/web?fieldManager=hand-edit&force=true`, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: ns }, data: { V: 'by-hand' } },
      contentType: 'application/apply-patch+yaml',
    });
    writeFileSync(
      path.join(repo, 'web/all.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
          cm('web', { V: '3' }),
          cm('extra', { V: '1' }),
        ],
      }),
    );
    git('commit', '-qam', 'v3');
    const next = git('rev-parse', 'HEAD');
    forge.commitPulls.set(next, [44]);
    const run = await runAction(repo, 'push', pushEvent(sha, next), { command: 'apply' });
    expect(run.code).not.toBe(0);
    expect(run.outputs['failed-target']).toBe('web');
    const deployment = forge.deployments.find((d) => d.ref === next)!;
    expect(deployment.statuses.map((s) => s.state)).toEqual(['in_progress', 'failure']);
    expect(forge.comments.get(44)![0]!.body).toContain(`v1 ConfigMap ${ns}/web`);
    expect(forge.comments.get(44)![0]!.body).toContain('hand-edit');
    // What the failed target wrote before the failure, and what it did not do, are on the PR too.
    expect(forge.comments.get(44)![0]!.body).toContain(
      `written before it stopped (1)**\n\n- created \`v1 ConfigMap ${ns}/extra\``,
    );
    expect(forge.comments.get(44)![0]!.body).toContain(
      `not done (2)**\n\n- update \`v1 ConfigMap ${ns}/web\`\n- record the commit in the inventory`,
    );
  });

  it('on SIGTERM (a cancelled workflow) stops writing, removes the kubeconfig, fails the deployment, and keeps the finished commit', async () => {
    const ns = uniq();
    const deployment = (image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
      },
    });
    const bundle = (...items: object[]) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, ...items],
      });
    const { repo, git } = gitRepo({
      'kubeplan.yaml': `targets:\n  - name: web\n    namespace: ${ns}\n    manifests: web\n`,
      'web/all.json': bundle(deployment('nginx:1'), cm('old', { V: '1' })),
    });
    const first = git('rev-parse', 'HEAD');
    expect((await runAction(repo, 'push', pushEvent('0'.repeat(40), first), { command: 'apply' })).code).toBe(0);
    // The next commit rolls out a new image (which waits for health: no controller runs on the bench) and drops `old`.
    writeFileSync(path.join(repo, 'web/all.json'), bundle(deployment('nginx:2')));
    git('commit', '-qam', 'web nginx:2');
    const next = git('rev-parse', 'HEAD');
    const image = async () =>
      (
        (await api('GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).body as {
          spec: { template: { spec: { containers: { image: string }[] } } };
        }
      ).spec.template.spec.containers[0]!.image;
    const run = await runActionHelper({
      repo,
      forge,
      event: 'push',
      payload: pushEvent(first, next),
      inputs: { command: 'apply', wait: 'true', timeout: '5m' },
      scratch,
      interrupt: { signal: 'SIGTERM', when: async () => (await image()) === 'nginx:2' },
    });
    // (runAction also checks that the kubeconfig file is gone from RUNNER_TEMP.)
    expect(run.code, run.stdout).not.toBe(0);
    expect(run.code).not.toBeNull(); // exited by itself, not killed by the signal
    expect(run.stdout).toMatch(/cancelled \(SIGTERM\)/);
    expect(run.stdout).toContain('not written: 1 prune');
    const status = forge.deployments.find((d) => d.ref === next)!.statuses;
    expect(status.map((s) => s.state)).toEqual(['in_progress', 'failure']);
    expect(status[1]!.description).toMatch(/^cancelled/);
    expect(run.outputs['failed-target']).toBe('web');
    // Nothing was written after the signal: `old` was not pruned, and the inventory still records the finished commit.
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/old`)).status).toBe(200);
    const parent = async () =>
      (
        (await api('GET', `/api/v1/namespaces/${ns}/configmaps/kubeplan-web`)).body as {
          metadata: { annotations: Record<string, string> };
        }
      ).metadata.annotations;
    expect((await parent())['kubeplan.dev/commit']).toBe(first);
    // Played by the test: the controller rolls the Deployment out; then the same commit applies to the end.
    const live = (await api('GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).body as {
      metadata: { generation: number };
    };
    await api('PUT', `/apis/apps/v1/namespaces/${ns}/deployments/web/status`, {
      body: {
        ...live,
        status: {
          observedGeneration: live.metadata.generation,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
        },
      },
    });
    const rerun = await runAction(repo, 'push', pushEvent(first, next), {
      command: 'apply',
      wait: 'true',
      timeout: '1m',
    });
    expect(rerun.code, rerun.stdout).toBe(0);
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/old`)).status).toBe(404);
    expect((await parent())['kubeplan.dev/commit']).toBe(next);
  });

  it('never applies from a pull request event', async () => {
    const ns = uniq();
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: web\n    namespace: ${ns}\n    manifests: web\n`,
      'web/cm.json': JSON.stringify(cm('x', { A: '1' })),
    });
    const run = await runAction(
      repo,
      'pull_request',
      {
        pull_request: {
          number: 5,
          base: { sha: 'a'.repeat(40), ref: 'main', repo: { full_name: 'acme/config' } },
          head: { sha: 'b'.repeat(40), ref: 'x', repo: { full_name: 'acme/config' } },
        },
      },
      { command: 'apply' },
    );
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('kubeplan never applies from a pull request event');
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/x`)).status).toBe(404);
  });
});
