import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretMask } from '../../src/core/report/secret-mask.js';
import { applyPush } from '../../src/core/workflows/apply.js';
import { trackDrift } from '../../src/core/workflows/drift.js';
import { commentKey, planPullRequest } from '../../src/core/workflows/plan.js';
import {
  parseApplyRequest,
  parseBumpRequest,
  parsePlanRequest,
  parseRequest,
  type RequestSource,
} from '../../src/core/workflows/request.js';
import type { WorkflowRun } from '../../src/core/workflows/types.js';
import type { CiContext } from '../../src/platform/types.js';
import { bench, freshNamespace } from '../harness/kube.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import { memoryPorts, pullRequestContext } from '../helpers/memory-ports.js';
import { helmBin, kubectlBin } from '../helpers/tools.js';

// The workflows with in-memory ports: what they decide (comments, issues, deployments, verdicts, outputs) without a
// runner or a forge; the core below them is real (git, render, the bench apiserver).
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-workflows-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const source = (values: Record<string, string>, via = 'test'): RequestSource => ({
  get: (name) => (values[name] === '' ? undefined : values[name]),
  where: (name) => ({ via: 'cli', command: via, input: name }),
  name: (name) => `--${name}`,
});

const gitRepo = makeGitRepo;

const cm = (name: string, value: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { VALUE: value } });

function workflowRun(
  repo: string,
  ctx: CiContext,
  memory: ReturnType<typeof memoryPorts>,
  cluster: boolean,
  secrets = new SecretMask(),
): WorkflowRun {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  return {
    ctx,
    ports: memory.ports,
    workingDirectory: repo,
    env,
    tools: { helm: helmBin, kubectl: kubectlBin, kustomize: undefined },
    secrets,
    version: '0.0.0-test',
    cluster: {
      options: cluster
        ? { kubeconfig: bench().adminKubeconfig, context: undefined, concurrency: 4, cwd: repo, env }
        : undefined,
      inputs: 'a kubeconfig',
    },
    where: (name) => ({ input: name, via: 'action' }),
  };
}

describe('one request parser for the action and the CLI', () => {
  it('takes the same values with the same rules, naming the input or flag as the user wrote it', () => {
    expect(parseApplyRequest(source({ timeout: '250ms' })).timeoutMs).toBe(250);
    expect(parseApplyRequest(source({ timeout: '90' })).timeoutMs).toBe(90_000);
    expect(parseApplyRequest(source({ timeout: '2m', wait: 'false' })).waitTimeoutMs).toBeUndefined();
    expect(() => parseApplyRequest(source({ timeout: '5 minutes' }, '--'))).toThrow(
      'must be a duration like 90s, 5m or 1h, not "5 minutes"',
    );
    expect(() => parseBumpRequest(source({ image: 'ghcr.io/acme/shop', tag: '2', digest: 'sha256:abc' }))).toThrow(
      'must be sha256: and 64 hex digits',
    );
    expect(parseBumpRequest(source({ image: 'ghcr.io/acme/shop', tag: '2' })).dispatch).toEqual({
      image: 'ghcr.io/acme/shop',
      tag: '2',
      digest: undefined,
    });
    expect(parsePlanRequest(source({ comment: 'on-changes', targets: 'a, b\nc' }))).toMatchObject({
      comment: 'on-changes',
      targets: ['a', 'b', 'c'],
      failOn: 'never',
    });
    try {
      parsePlanRequest(source({ 'fail-on': 'everything' }, 'ci'));
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe('must be never, changes, destroy or replace, not "everything"');
      expect((error as { where?: unknown }).where).toBe('kubeplan ci --fail-on');
      expect((error as { location?: unknown }).location).toEqual({ via: 'cli', command: 'ci', input: 'fail-on' });
    }
  });

  it('parses the comment request: the report, the pull request, labels; and names what is missing or wrong', () => {
    expect(
      parseRequest('comment', source({ 'report-path': 'r.json', 'pull-request': '12', labels: 'true' })),
    ).toMatchObject({ command: 'comment', reportPath: 'r.json', pullRequest: 12, labels: true, comment: 'always' });
    expect(parsePlanRequest(source({})).labels).toBe(false);
    expect(() => parseRequest('comment', source({}))).toThrow('command comment needs the JSON report a plan wrote');
    expect(() => parseRequest('comment', source({ 'report-path': 'r.json', 'pull-request': '12; rm' }))).toThrow(
      'must be a pull request number, not "12; rm"',
    );
    expect(() => parseRequest('comment', source({ 'report-path': 'r.json', labels: 'yes' }))).toThrow(
      'must be true or false, not "yes"',
    );
  });
});

describe('plan a pull request', () => {
  it('keeps one comment, writes nothing when it already says the plan, and gives the fail-on verdict', async () => {
    const { repo, git } = gitRepo({
      'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: apps\n    manifests: manifests\n',
      'manifests/cm.json': cm('settings', '1'),
    });
    const base = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'manifests/cm.json'), cm('settings', '2'));
    git('commit', '-qam', 'change');
    const memory = memoryPorts();
    const run = workflowRun(repo, pullRequestContext({ baseSha: base, tempDir: scratch }), memory, false);
    const first = await planPullRequest(parsePlanRequest(source({ 'fail-on': 'changes' })), run);
    expect(memory.comments.get(5)).toHaveLength(1);
    expect(memory.comments.get(5)![0]!.body).toContain('~1 to update');
    expect(memory.comments.get(5)![0]!.body).toContain('against no cluster (intent diff)');
    expect(first.failed).toBe(
      'fail-on: changes: Plan: +0 to create, ~1 to update, ±0 to replace, -0 to delete, 0 unchanged.',
    );
    expect(first.outputs['has-changes']).toBe('true');
    expect(first.summary).toContain('~1 to update');

    const writes = memory.writes.length;
    const again = await planPullRequest(parsePlanRequest(source({})), run);
    expect(memory.writes.length).toBe(writes);
    expect(again.failed).toBeUndefined();

    // A fork: the summary only.
    const fork = memoryPorts();
    const forkCtx = pullRequestContext({ baseSha: base, tempDir: scratch });
    forkCtx.pullRequest!.fromFork = true;
    const forked = await planPullRequest(parsePlanRequest(source({})), workflowRun(repo, forkCtx, fork, false));
    expect(fork.writes).toEqual([]);
    expect(forked.summary).toContain('~1 to update');
  });

  it('a token without the permission is a warning (the plan is in the summary); a 422 fails the step', async () => {
    const { repo, git } = gitRepo({
      'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: apps\n    manifests: manifests\n',
      'manifests/cm.json': cm('settings', '1'),
    });
    const base = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'manifests/cm.json'), cm('settings', '2'));
    git('commit', '-qam', 'change');
    const memory = memoryPorts();
    const run = workflowRun(repo, pullRequestContext({ baseSha: base, tempDir: scratch }), memory, false);
    memory.failNext('createComment', 403, 'Resource not accessible by integration');
    const denied = await planPullRequest(parsePlanRequest(source({})), run);
    expect(denied.summary).toContain('~1 to update');
    expect(denied.outputs['comment-url']).toBe('');
    expect(memory.log.join('\n')).toContain(
      'warning: cannot write the plan comment (Resource not accessible by integration); the report is in the job summary.',
    );
    memory.failNext('createComment', 422, 'Validation Failed: body is too long');
    // A 422 fails the step, and the summary and outputs still say the plan.
    const refused = await planPullRequest(parsePlanRequest(source({})), run);
    expect(refused.error).toMatchObject({ status: 422 });
    expect(refused.summary).toContain('~1 to update');
    expect(refused.outputs['has-changes']).toBe('true');
  });
});

describe('the comment key', () => {
  it('an upgrade takes over the comment written under the key without the cluster instead of adding one', async () => {
    const ns = await freshNamespace('legacy');
    const { repo, git } = gitRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
      'manifests/cm.json': cm('settings', '1'),
    });
    const memory = memoryPorts();
    const run = workflowRun(
      repo,
      pullRequestContext({ baseSha: git('rev-parse', 'HEAD'), tempDir: scratch }),
      memory,
      true,
    );
    const request = parsePlanRequest(source({ 'only-affected': 'false' }));
    const { key, legacy } = commentKey(request, run.cluster.options);
    expect(legacy).toHaveLength(1);
    expect(key).not.toBe(legacy[0]);
    const old = await memory.ports.comments!.createComment(5, `<!-- kubeplan:plan:${legacy[0]} -->\nan old plan`);
    await planPullRequest(request, run);
    expect(memory.comments.get(5)).toHaveLength(1);
    expect(memory.comments.get(5)![0]!.id).toBe(old.id);
    expect(memory.comments.get(5)![0]!.body).toMatch(new RegExp(`^<!-- kubeplan:plan:${key} part:1/1 -->`));
  });
});

describe('apply a push, then track drift', () => {
  it('records a deployment per target, comments on the merged pull request, and opens and closes the drift issue', async () => {
    const ns = await freshNamespace('wf');
    const { repo, git } = gitRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
      'manifests/cm.json': cm('settings', '1'),
    });
    const sha = git('rev-parse', 'HEAD');
    const memory = memoryPorts();
    const ctx: CiContext = {
      event: 'schedule',
      repository: { owner: 'acme', name: 'config' },
      sha,
      ref: 'refs/heads/main',
      pullRequest: undefined,
      push: undefined,
      runUrl: undefined,
      tempDir: scratch,
    };
    const run = workflowRun(repo, ctx, memory, true);
    const now = new Date('2026-12-01T10:00:00Z');
    // Nothing applied yet: the object is missing, which is drift.
    const drifting = await trackDrift(
      { command: 'drift', config: 'kubeplan.yaml', targets: [], trackIssues: true },
      run,
      now,
    );
    expect(drifting.outputs['drifted-targets']).toBe('["app"]');
    expect(memory.issues.filter((i) => i.state === 'open')).toHaveLength(1);
    expect(memory.issues[0]!.title).toBe('kubeplan drift: app differs from git since 2026-12-01');
    const writes = memory.writes.length;
    await trackDrift({ command: 'drift', config: 'kubeplan.yaml', targets: [], trackIssues: true }, run, now);
    expect(memory.writes.length).toBe(writes);

    const pushCtx: CiContext = {
      ...ctx,
      event: 'push',
      push: { before: '0'.repeat(40), after: sha, toDefaultBranch: true },
    };
    const applied = await applyPush(
      parseApplyRequest(source({ wait: 'false' })),
      workflowRun(repo, pushCtx, memory, true),
    );
    expect(applied.error).toBeUndefined();
    expect(JSON.parse(applied.outputs.applied!)).toMatchObject({ app: { created: 1 } });
    expect(memory.deployments).toEqual([
      expect.objectContaining({
        environment: 'app',
        sha,
        statuses: [
          { state: 'in_progress', description: `applying ${sha.slice(0, 7)}` },
          { state: 'success', description: '1 created, 0 updated, 0 pruned' },
        ],
      }),
    ]);
    expect(memory.comments.get(9)![0]!.body).toContain(`### kubeplan applied \`${sha.slice(0, 7)}\``);

    const clean = await trackDrift(
      { command: 'drift', config: 'kubeplan.yaml', targets: [], trackIssues: true },
      run,
      now,
    );
    expect(clean.outputs['drifted-targets']).toBe('[]');
    expect(memory.issues[0]!.state).toBe('closed');
    expect(memory.issues[0]!.comments[0]).toContain('The cluster matches git again for target app');
  });
});
