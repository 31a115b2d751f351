import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForgeError } from '../../src/core/errors.js';
import { GITHUB_POLICY } from '../../src/core/http/retry-policy.js';
import { SecretMask } from '../../src/core/report/secret-mask.js';
import { GitHubApi } from '../../src/platform/github/api.js';
import { type Forge, startForge } from '../forge/forge.js';

// The GitHub client's plan-binding calls against the local forge: check runs and pull-request reviews, every page,
// shapes checked against GitHub's description, a check run made once after a lost answer, a 403 that names checks.
let forge: Forge;
const SECRET = 'ghs_seededsecret-checks-42';
const client = (token: string) => {
  const secrets = new SecretMask();
  secrets.add(SECRET);
  return new GitHubApi({
    apiUrl: forge.url,
    graphqlUrl: forge.graphqlUrl,
    token,
    owner: forge.owner,
    repo: forge.repo,
    secrets,
    policy: { ...GITHUB_POLICY, baseDelayMs: 20 },
    log: () => {},
  });
};

beforeAll(async () => {
  forge = await startForge();
});
afterAll(async () => {
  await forge.stop();
});

const check = (text: string) => ({ conclusion: 'success' as const, title: 't', summary: 's', text });

describe('the kubeplan plan check run', () => {
  it('is created once, left alone when it says the same, made anew (never edited) when it changes; secrets masked', async () => {
    const api = client('ghs_checks1');
    const sha = '1'.repeat(40);
    expect(await api.recordPlanCheck(sha, 'k1', check(`record ${SECRET}`))).toBe('created');
    expect(await api.recordPlanCheck(sha, 'k1', check(`record ${SECRET}`))).toBe('unchanged');
    expect(await api.recordPlanCheck(sha, 'k1', { ...check(`record ${SECRET}`), conclusion: 'failure' })).toBe(
      'created',
    );
    // Another plan: a new check run, so the one current at an earlier approval stays readable.
    expect(await api.recordPlanCheck(sha, 'k1', check('record 2'))).toBe('created');
    expect(await api.recordPlanCheck(sha, 'k2', check('other key'))).toBe('created');
    const runs = forge.checkRuns.filter((c) => c.head_sha === sha);
    expect(runs.map((c) => [c.external_id, c.output.text, c.conclusion])).toEqual([
      ['k1', 'record ***', 'success'],
      ['k1', 'record ***', 'failure'],
      ['k1', 'record 2', 'success'],
      ['k2', 'other key', 'success'],
    ]);
    expect(JSON.stringify(forge.checkRuns)).not.toContain(SECRET);
    expect((await api.planChecks(sha)).map((c) => [c.key, c.text])).toEqual([
      ['k2', 'other key'],
      ['k1', 'record 2'],
      ['k1', 'record ***'],
      ['k1', 'record ***'],
    ]);
    expect(forge.violations).toEqual([]);
  });

  it('a create whose answer was lost is found, not made twice', async () => {
    const api = client('ghs_checks2');
    const sha = '2'.repeat(40);
    forge.faults.push({ method: 'POST', pathPattern: /\/check-runs$/, status: 502, afterHandling: true });
    expect(await api.recordPlanCheck(sha, 'k', check('x'))).toBe('created');
    expect(forge.checkRuns.filter((c) => c.head_sha === sha)).toHaveLength(1);
  });

  it('reads every page of check runs', async () => {
    const api = client('ghs_checks3');
    const sha = '3'.repeat(40);
    for (let i = 0; i < 130; i++) await api.recordPlanCheck(sha, `key-${i}`, check(`t${i}`));
    const found = await api.planChecks(sha);
    expect(found).toHaveLength(130);
    expect(new Set(found.map((c) => c.key)).size).toBe(130);
    expect(forge.requests.some((r) => r.operation === 'checks/list-for-ref' && r.path.includes(sha))).toBe(true);
    expect(forge.violations).toEqual([]);
  });

  it('a token without checks permission gets a ForgeError with status 403 that names checks: write', async () => {
    forge.noChecksTokens.add('ghs_nochecks');
    const error = await client('ghs_nochecks')
      .recordPlanCheck('4'.repeat(40), 'k', check('x'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForgeError);
    expect((error as ForgeError).status).toBe(403);
    expect((error as ForgeError).hint).toContain('checks: write');
  });
});

describe('pull-request reviews', () => {
  it('every page, in order, with the commit each was made on; the head of a merged pull request', async () => {
    const api = client('ghs_reviews');
    forge.pulls.set(77, {
      number: 77,
      title: 't',
      body: '',
      head: 'b',
      base: 'main',
      state: 'closed',
      merged: true,
      labels: [],
      headSha: 'f'.repeat(40),
    });
    for (let i = 0; i < 120; i++)
      forge.addReview(77, { user: `user${i % 7}`, state: i % 2 ? 'COMMENTED' : 'APPROVED', commitId: 'e'.repeat(40) });
    forge.addReview(77, { user: 'alice', state: 'APPROVED', commitId: 'f'.repeat(40) });
    const reviews = await api.pullRequestReviews(77);
    expect(reviews).toHaveLength(121);
    expect(reviews.at(-1)).toMatchObject({ user: 'alice', state: 'APPROVED', commitId: 'f'.repeat(40) });
    expect(await api.pullRequestHeadSha(77)).toBe('f'.repeat(40));
    expect(forge.violations).toEqual([]);
  });
});
