import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Forge, type ForgeFault, startForge } from '../forge/forge.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import { type ActionRun, runAction } from '../helpers/run-action.js';

// dist/index.js planning a pull request (offline: the intent diff against the base commit) while the local forge
// fails in the ways GitHub does: invalid bodies, missing permissions, rate limits, 5xx and answers lost after the
// comment was made.
let forge: Forge;
let repo: string;
let base: string;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-forge-faults-'));
const TOKEN = 'ghs_faultstoken0123456789';

beforeAll(async () => {
  forge = await startForge();
  const made = makeGitRepo({
    'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: shop\n    manifests: manifests\n',
    'manifests/all.json': '{"apiVersion": "v1", "kind": "List", "items": []}',
  });
  repo = made.repo;
  base = made.head();
  made.commit('settings', {
    'manifests/all.json': JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { LOG_LEVEL: 'info' } }],
    }),
  });
});
afterAll(async () => {
  await forge.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function pullRequestEvent(number: number) {
  const r = { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, fork: false, default_branch: 'main' };
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      state: 'open',
      title: 'Settings',
      html_url: `https://github.com/acme/config/pull/${number}`,
      base: { ref: 'main', sha: base, repo: r },
      head: { ref: 'settings', sha: 'b'.repeat(40), repo: r },
    },
    repository: r,
    sender: { login: 'alice', type: 'User' },
  };
}

/** Plans pull request `pr` with `faults` injected into the forge; no cluster (the intent diff). */
async function planWith(pr: number, faults: Omit<ForgeFault, 'pathPattern'>[], pathPattern?: RegExp) {
  const pattern = pathPattern ?? new RegExp(`/issues/${pr}/comments$`);
  forge.faults.splice(0, forge.faults.length, ...faults.map((f) => ({ pathPattern: pattern, ...f })));
  const started = Date.now();
  const run = await runAction({
    repo,
    forge,
    event: 'pull_request',
    payload: pullRequestEvent(pr),
    inputs: { 'github-token': TOKEN, kubeconfig: '' },
    scratch,
  });
  expect(forge.faults, 'every injected fault was hit').toEqual([]);
  return { run, seconds: (Date.now() - started) / 1000 };
}

const commentsOn = (pr: number) => forge.comments.get(pr) ?? [];
const postsTo = (pr: number) =>
  forge.requests.filter((r) => r.method === 'POST' && r.path === `/repos/acme/config/issues/${pr}/comments`);

/** What a person reads: no stack trace, no "bug in kubeplan", no token. */
function expectCleanLog(run: ActionRun): void {
  expect(run.stdout).not.toMatch(/bug in kubeplan|unexpected error/);
  expect(run.stdout).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  const log = run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  expect(log).not.toContain(TOKEN);
}

describe('the plan comment when GitHub fails', () => {
  it('422 on the comment fails the step naming the operation, GitHub’s errors and what to do', async () => {
    const { run } = await planWith(101, [
      {
        method: 'POST',
        status: 422,
        body: {
          message: 'Validation Failed',
          errors: [
            {
              resource: 'IssueComment',
              code: 'custom',
              field: 'body',
              message: 'body is too long (maximum is 65536 characters)',
            },
          ],
          documentation_url: 'https://docs.github.com/rest',
        },
      },
    ]);
    expect(run.code, run.stdout).not.toBe(0);
    expect(run.stdout).toContain(
      '::error::GitHub acme/config: commenting on pull request #101: GitHub answered 422 Validation Failed: body is too long (maximum is 65536 characters)',
    );
    expect(run.stdout).toMatch(/hint: GitHub refused what kubeplan sent as invalid/);
    expectCleanLog(run);
    // The plan itself is in the job summary.
    expect(run.summary).toContain('Plan: +1 to create');
    expect(commentsOn(101)).toHaveLength(0);
  });

  it('403 without the permission warns naming the permission GitHub asks for, and keeps the plan in the summary', async () => {
    const { run } = await planWith(102, [
      {
        method: 'POST',
        status: 403,
        headers: { 'x-accepted-github-permissions': 'issues=write; pull_requests=write' },
        body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' },
      },
    ]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(
      /::warning::cannot write the plan comment \(commenting on pull request #102: GitHub answered 403 Resource not accessible by integration\); the report is in the job summary\. .*`permissions: pull-requests: write`/,
    );
    expect(run.stdout).toContain('`permissions: issues: write`');
    expect(run.summary).toContain('Plan: +1 to create');
    expect(commentsOn(102)).toHaveLength(0);
    expectCleanLog(run);
  });

  it('a secondary rate limit (403 with Retry-After) is waited out and the comment posted once', async () => {
    const { run, seconds } = await planWith(103, [
      {
        method: 'POST',
        status: 403,
        headers: { 'retry-after': '1' },
        body: {
          message:
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
        },
      },
    ]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(
      "POST /repos/acme/config/issues/103/comments: GitHub's secondary rate limit (too many requests at once); waiting 1 s as it asks",
    );
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(commentsOn(103)).toHaveLength(1);
    expect(commentsOn(103)[0]!.body).toContain('Plan: +1 to create');
    expect(forge.violations).toEqual([]);
  });

  it('a 500 before the comment was made: looks, finds none, posts once', async () => {
    const { run } = await planWith(104, [{ method: 'POST', status: 500 }]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('commenting on pull request #104: GitHub answered 500; checking in 1 s');
    expect(run.stdout).toContain('GitHub had not made it; sending it again');
    expect(commentsOn(104)).toHaveLength(1);
  });

  it('a 500 after the comment was made: finds it and does not post it again', async () => {
    const { run } = await planWith(105, [{ method: 'POST', status: 500, afterHandling: true }]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('GitHub had made it; not sending it again');
    expect(commentsOn(105)).toHaveLength(1);
    expect(postsTo(105)).toHaveLength(1);
    expect(run.outputs['comment-url']).toBe(
      `https://github.com/acme/config/pull/105#issuecomment-${commentsOn(105)[0]!.id}`,
    );
  });

  it('a connection reset after the comment was made: finds it and does not post it again', async () => {
    const { run } = await planWith(106, [{ method: 'POST', reset: true, afterHandling: true }]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/commenting on pull request #106: no answer from GitHub \(.+\); checking in 1 s/);
    expect(commentsOn(106)).toHaveLength(1);
    expect(postsTo(106)).toHaveLength(1);
  });

  it('reads are retried after a reset or a 502', async () => {
    const { run } = await planWith(107, [
      { method: 'GET', reset: true },
      { method: 'GET', status: 502 },
    ]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('GitHub answered 502; retrying in');
    expect(commentsOn(107)).toHaveLength(1);
  });

  it('a used-up rate limit that resets in a moment is waited for', async () => {
    const reset = Math.ceil(Date.now() / 1000) + 1;
    const { run, seconds } = await planWith(108, [
      {
        method: 'GET',
        status: 403,
        headers: {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(reset),
          'x-ratelimit-resource': 'core',
        },
        body: { message: 'API rate limit exceeded for installation ID 1.' },
      },
    ]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(
      `GitHub's API rate limit for this token is used up until ${new Date(reset * 1000).toISOString().replace(/\.\d+Z$/, 'Z')}; waiting`,
    );
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(commentsOn(108)).toHaveLength(1);
  });

  it('a used-up rate limit that resets in an hour is not waited for: the warning says when it resets', async () => {
    const reset = Math.ceil(Date.now() / 1000) + 3600;
    const { run, seconds } = await planWith(109, [
      {
        method: 'GET',
        status: 403,
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
        body: { message: 'API rate limit exceeded for installation ID 1.' },
      },
    ]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(
      `GitHub's API rate limit for this token is used up until ${new Date(reset * 1000).toISOString().replace(/\.\d+Z$/, 'Z')}`,
    );
    expect(seconds).toBeLessThan(60);
    expect(run.summary).toContain('Plan: +1 to create');
    expect(commentsOn(109)).toHaveLength(0);
    expectCleanLog(run);
  });
});
