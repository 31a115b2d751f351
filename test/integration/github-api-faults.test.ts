import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForgeError } from '../../src/core/errors.js';
import { GITHUB_POLICY } from '../../src/core/http/retry-policy.js';
import { SecretMask } from '../../src/core/report/secret-mask.js';
import { GitHubApi } from '../../src/platform/github/api.js';
import { type Forge, startForge } from '../forge/forge.js';

// The GitHub client against the local forge: what is created after a lost answer exists once, retries follow the
// policy, every failure is a ForgeError that names the operation and what to do, and no body carries a secret.
let forge: Forge;
const SECRET = 'ghs_seededsecret0123456789';
const lines: string[] = [];
let api: GitHubApi;
let requestsSeen = 0;

beforeAll(async () => {
  forge = await startForge();
  const secrets = new SecretMask();
  secrets.add(SECRET);
  api = new GitHubApi({
    apiUrl: forge.url,
    graphqlUrl: forge.graphqlUrl,
    token: 'ghs_apitoken',
    owner: forge.owner,
    repo: forge.repo,
    secrets,
    // The production numbers, with short backoff waits so the test is quick.
    policy: { ...GITHUB_POLICY, baseDelayMs: 20 },
    log: (line) => lines.push(line),
    fetch: (input, init) => {
      requestsSeen++;
      return fetch(input, init);
    },
  });
});
afterAll(async () => {
  await forge.stop();
});

const posts = (path: string) => forge.requests.filter((r) => r.method === 'POST' && r.path === path);

describe('creating through lost answers', () => {
  it('a deployment whose answer was lost is found by sha and environment, not created twice', async () => {
    const sha = 'c'.repeat(40);
    forge.faults.push({ method: 'POST', pathPattern: /\/deployments$/, status: 502, afterHandling: true });
    const id = await api.createDeployment(
      { environment: 'shop-prod', production: true },
      sha,
      'kubeplan apply ccccccc to shop-prod',
    );
    expect(forge.deployments.filter((d) => d.ref === sha)).toHaveLength(1);
    expect(id).toBe(forge.deployments.find((d) => d.ref === sha)!.id);
    expect(posts('/repos/acme/config/deployments')).toHaveLength(1);
    expect(lines.join('\n')).toContain('GitHub had made it; not sending it again');
    expect(forge.violations).toEqual([]);
  });

  it('a deployment whose POST failed before GitHub made it is created once', async () => {
    const sha = 'd'.repeat(40);
    forge.faults.push({ method: 'POST', pathPattern: /\/deployments$/, reset: true });
    await api.createDeployment(
      { environment: 'shop-prod', production: true },
      sha,
      'kubeplan apply ddddddd to shop-prod',
    );
    expect(forge.deployments.filter((d) => d.ref === sha)).toHaveLength(1);
  });

  it('an issue whose answer was lost is found among the token’s own issues, with the secret masked', async () => {
    forge.faults.push({ method: 'POST', pathPattern: /\/issues$/, reset: true, afterHandling: true });
    const number = await api.createIssue('Drift in shop-prod', `drifted; token ${SECRET}`, ['kubeplan-drift']);
    const made = [...forge.issues.values()].filter((i) => i.title === 'Drift in shop-prod');
    expect(made).toHaveLength(1);
    expect(made[0]!.number).toBe(number);
    expect(made[0]!.body).toBe('drifted; token ***');
  });

  it('a pull request whose answer was lost is found by its head branch', async () => {
    forge.faults.push({ method: 'POST', pathPattern: /\/pulls$/, status: 500, afterHandling: true });
    const pull = await api.createPull({ title: 'Bump nginx', head: 'kubeplan/bump-nginx', base: 'main', body: 'b' });
    const made = [...forge.pulls.values()].filter((p) => p.head === 'kubeplan/bump-nginx');
    expect(made).toHaveLength(1);
    expect(pull.number).toBe(made[0]!.number);
  });

  it('edits are retried on 503 and stop after the policy’s attempts with a clear error', async () => {
    const comment = await api.createComment(7, 'hello');
    forge.faults.push({ method: 'PATCH', pathPattern: /\/issues\/comments\/\d+$/, status: 503 });
    expect((await api.updateComment(comment.id, 'hello again')).body).toBe('hello again');

    forge.faults.push({ method: 'PATCH', pathPattern: /\/issues\/comments\/\d+$/, status: 503, times: 10 });
    const before = requestsSeen;
    const error = await api.updateComment(comment.id, 'third').catch((e: unknown) => e);
    forge.faults.length = 0;
    expect(requestsSeen - before).toBe(GITHUB_POLICY.attempts);
    expect(error).toBeInstanceOf(ForgeError);
    expect((error as ForgeError).format()).toBe(
      `GitHub acme/config: editing comment ${comment.id}: GitHub answered 503 Server Error\n  hint: GitHub failed; re-run the job (https://www.githubstatus.com shows outages)`,
    );
  });
});

describe('errors name the operation and what to do', () => {
  it('403 names the permission GitHub asks for, or the one the operation needs', async () => {
    forge.faults.push({
      method: 'POST',
      pathPattern: /\/deployments$/,
      status: 403,
      headers: { 'x-accepted-github-permissions': 'deployments=write' },
      body: { message: 'Resource not accessible by integration' },
    });
    const error = (await api
      .createDeployment({ environment: 'web', production: true }, 'e'.repeat(40), 'x')
      .catch((e: unknown) => e)) as ForgeError;
    expect(error).toBeInstanceOf(ForgeError);
    expect(error.status).toBe(403);
    expect(error.message).toContain('creating a deployment of eeeeeeeeeeee to web: GitHub answered 403');
    expect(error.hint).toContain('`permissions: deployments: write`');

    forge.readOnlyTokens.add('ghs_apitoken');
    try {
      const issue = (await api.createIssue('t', 'b', []).catch((e: unknown) => e)) as ForgeError;
      expect(issue.hint).toContain('`permissions: issues: write`');
      const pull = (await api
        .createPull({ title: 't', head: 'h', base: 'main', body: '' })
        .catch((e: unknown) => e)) as ForgeError;
      expect(pull.hint).toContain('`permissions: contents: write, pull-requests: write`');
    } finally {
      forge.readOnlyTokens.delete('ghs_apitoken');
    }
  });

  it('404 on the repository says to check the token’s repository access', async () => {
    const other = new GitHubApi({
      apiUrl: forge.url,
      graphqlUrl: forge.graphqlUrl,
      token: 'ghs_apitoken',
      owner: 'acme',
      repo: 'elsewhere',
    });
    const error = (await other.listComments(3).catch((e: unknown) => e)) as ForgeError;
    expect(error).toBeInstanceOf(ForgeError);
    expect(error.format()).toMatch(
      /^GitHub acme\/elsewhere: listing the comments of pull request #3: GitHub answered 404 Not Found\n {2}hint: check that acme\/elsewhere exists and that the token can access it/,
    );
  });

  it('an unreachable API is a ForgeError naming the address, after the policy’s attempts', async () => {
    // A port that nothing listens on any more.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    let attempts = 0;
    const down = new GitHubApi({
      apiUrl: `http://127.0.0.1:${port}`,
      graphqlUrl: `http://127.0.0.1:${port}/graphql`,
      fetch: (input, init) => {
        attempts++;
        return fetch(input, init);
      },
      token: 't',
      owner: 'acme',
      repo: 'config',
      policy: { ...GITHUB_POLICY, baseDelayMs: 10 },
      log: () => {},
    });
    const error = (await down.listOpenIssues('x').catch((e: unknown) => e)) as ForgeError;
    expect(error).toBeInstanceOf(ForgeError);
    expect(error.status).toBe(0);
    expect(error.message).toBe(
      `listing the open issues labelled x: cannot reach GitHub at http://127.0.0.1:${port} (ECONNREFUSED)`,
    );
    expect(attempts).toBe(GITHUB_POLICY.networkAttempts);
  });
});
