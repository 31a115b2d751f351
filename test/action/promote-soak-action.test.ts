import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../forge/forge.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import { runAction } from '../helpers/run-action.js';

// promote.soak as a policy of the pull request's plan (dist/index.js on the local forge): a pull request that sets
// shop-prod to a version shop-staging has not run successfully for the soak fails its plan, naming the image, the
// version, what shop-staging runs and since when, and what to do.

let forge: Forge;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-soak-action-'));
beforeAll(async () => {
  forge = await startForge();
});
afterAll(async () => {
  await forge.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/\.\d+Z$/, 'Z');
const deploy = (shop: string, api: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: shop}\nspec:\n  template:\n    spec:\n      containers:\n        - name: shop\n          image: ghcr.io/acme/shop:${shop}\n        - name: api\n          image: ghcr.io/acme/api:${api}\n`;

// main: both on 2.4.0, then staging on shop 2.5.0 / api 1.1.0 (what staging runs, once deployed).
const repo = makeGitRepo({
  'kubeplan.yaml': [
    'targets:',
    '  - name: shop-staging',
    '    manifests: envs/staging',
    '  - name: shop-prod',
    '    manifests: envs/prod',
    '    promote: {from: shop-staging, soak: 2h}',
    '',
  ].join('\n'),
  'envs/staging/deploy.yaml': deploy('2.4.0', '1.0.0'),
  'envs/prod/deploy.yaml': deploy('2.4.0', '1.0.0'),
});
const applied = repo.commit('staging: shop 2.5.0, api 1.1.0', { 'envs/staging/deploy.yaml': deploy('2.5.0', '1.1.0') });

/** A pull request on main that sets shop-prod's shop image to `tag` (api stays), planned without a cluster. */
async function planPullRequest(number: number, tag: string, files: Record<string, string> = {}) {
  repo.git('checkout', '-q', '-B', `bump-${number}`, applied);
  const head = repo.commit(`prod: shop ${tag}`, { 'envs/prod/deploy.yaml': deploy(tag, '1.0.0'), ...files });
  const target = { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, fork: false };
  return runAction({
    repo: repo.repo,
    forge,
    event: 'pull_request',
    payload: {
      action: 'synchronize',
      number,
      pull_request: {
        number,
        state: 'open',
        title: `prod: shop ${tag}`,
        html_url: `https://github.com/acme/config/pull/${number}`,
        base: { ref: 'main', sha: applied, repo: target },
        head: { ref: `bump-${number}`, sha: head, repo: target },
      },
      repository: target,
      sender: { login: 'alice', type: 'User' },
    },
    inputs: { 'github-token': 'ghs_soaktoken', kubeconfig: '' },
    scratch,
  });
}

/** shop-staging's deployment of `sha` as the apply workflow records it: in progress, then success. */
const deployed = (id: number, sha: string, msAgo: number) =>
  forge.deployments.push({
    id,
    ref: sha,
    environment: 'shop-staging',
    production: false,
    description: `kubeplan apply ${sha.slice(0, 12)}`,
    createdAt: ago(msAgo + 60_000),
    statuses: [
      { state: 'in_progress', description: 'applying', log_url: '', createdAt: ago(msAgo + 60_000) },
      { state: 'success', description: 'applied', log_url: '', createdAt: ago(msAgo) },
    ],
  });

describe('the plan of a pull request that moves a promote destination (promote.soak)', () => {
  beforeEach(() => {
    forge.deployments.splice(0);
    deployed(9001, applied, 3 * HOUR);
  });

  it('fails with a policy error, in the comment and as an annotation, for a version the upstream does not run', async () => {
    const run = await planPullRequest(1, '2.6.0');
    expect(run.code, run.stdout).not.toBe(0);
    const comment = forge.comments.get(1)?.[0]?.body ?? '';
    expect(comment).toContain('> [!CAUTION]');
    expect(comment).toContain('**Policy `promote.soak`**, target `shop-prod`');
    const message = `shop-prod sets ghcr.io/acme/shop 2.6.0 (envs/prod/deploy.yaml:9), which has not soaked in shop-staging: shop-staging runs 2.5.0 (commit ${applied.slice(0, 12)}, since `;
    expect(comment).toContain(message);
    expect(comment).toContain('kubeplan promote --to shop-prod');
    // The annotation on the line of the pull request's file, and the step's verdict.
    expect(run.stdout).toMatch(
      /::error title=kubeplan policy promote\.soak \(shop-prod\),file=envs\/prod\/deploy\.yaml,line=9::shop-prod sets ghcr\.io\/acme\/shop 2\.6\.0 .*\(take exactly the versions shop-staging has soaked with kubeplan promote --to shop-prod\)$/m,
    );
    expect(run.stdout).toContain('1 policy error (promote.soak in shop-prod); see the plan');
    // The JSON report: where the plan's policy findings are.
    const report = JSON.parse(readFileSync(run.outputs['report-path']!, 'utf8'));
    expect(report.policy).toEqual([
      {
        level: 'error',
        policy: 'promote.soak',
        target: 'shop-prod',
        message: expect.stringContaining(message),
        hint: expect.stringContaining('kubeplan promote --to shop-prod'),
        file: 'envs/prod/deploy.yaml',
        line: 9,
      },
    ]);
    // api stays at 1.0.0, unchanged from the base: no error for it (the report's list above has one entry).
    expect(comment.match(/Policy `promote\.soak`/g)).toHaveLength(1);
    expect(forge.violations).toEqual([]);
  });

  it('passes for the version the upstream has run for longer than the soak', async () => {
    const run = await planPullRequest(2, '2.5.0');
    expect(run.code, run.stdout).toBe(0);
    const comment = forge.comments.get(2)?.[0]?.body ?? '';
    expect(comment).toContain('#### shop-prod');
    expect(comment).not.toContain('promote.soak');
    expect(JSON.parse(readFileSync(run.outputs['report-path']!, 'utf8')).policy).toEqual([]);
  });

  it('a re-apply of the soaked commit 30 min ago does not restart the soak', async () => {
    deployed(9002, applied, 30 * 60_000);
    const run = await planPullRequest(3, '2.5.0');
    expect(run.code, run.stdout).toBe(0);
    expect(forge.comments.get(3)?.[0]?.body ?? '').not.toContain('promote.soak');
  });

  it('fails for the version the upstream runs when it has not soaked yet, saying when it will have', async () => {
    const newer = repo.commit('staging: shop 2.6.0', { 'envs/staging/deploy.yaml': deploy('2.6.0', '1.1.0') });
    deployed(9003, newer, 30 * 60_000);
    const run = await planPullRequest(4, '2.6.0');
    expect(run.code, run.stdout).not.toBe(0);
    const comment = forge.comments.get(4)?.[0]?.body ?? '';
    expect(comment).toMatch(/shop-staging runs it only since \S+ \(30m\), and the soak is 2h/);
    expect(comment).toMatch(/wait for the soak \(plan again after \S+\), or take exactly the versions/);
  });

  it("a pull request cannot lift the policy it is checked against: the base's promote applies", async () => {
    const config = readFileSync(path.join(repo.repo, 'kubeplan.yaml'), 'utf8');
    const run = await planPullRequest(6, '2.6.0', {
      'kubeplan.yaml': config.replace('    promote: {from: shop-staging, soak: 2h}\n', ''),
    });
    expect(run.code, run.stdout).not.toBe(0);
    expect(forge.comments.get(6)?.[0]?.body ?? '').toContain(
      'shop-prod sets ghcr.io/acme/shop 2.6.0 (envs/prod/deploy.yaml:9), which has not soaked in shop-staging',
    );
  });

  it('without a token that may read deployments: a warning naming why, and the plan passes', async () => {
    forge.faults.push({ method: 'GET', pathPattern: /\/deployments$/, status: 403 });
    const run = await planPullRequest(5, '2.6.0');
    expect(run.code, run.stdout).toBe(0);
    const comment = forge.comments.get(5)?.[0]?.body ?? '';
    expect(comment).toContain('> [!WARNING]');
    expect(comment).toContain(
      "the soak of shop-prod's versions in shop-staging was not checked: reading what shop-staging runs failed",
    );
    expect(comment).toContain('deployments: read');
    expect(run.stdout).toMatch(
      /::warning title=kubeplan policy promote\.soak \(shop-prod\),file=kubeplan\.yaml,line=4::the soak/,
    );
  });
});
