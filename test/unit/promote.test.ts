import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deploymentsSource, promoteCommand } from '../../src/core/commands/promote.js';
import { checkPromotionSoak } from '../../src/core/commands/soak-policy.js';
import { loadConfig } from '../../src/core/config/load-config.js';
import { formatError } from '../../src/core/errors.js';
import type { FileEdit } from '../../src/core/images/bump.js';
import type { BumpChange, BumpPublisher, ExistingPull } from '../../src/core/images/publish.js';
import type { DeploymentRecord } from '../../src/platform/types.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';

// promote in-process: a Helm chart version and image tag + digest moved together, an upstream on two named clusters,
// and the one pull request updated in place when the upstream moves on.

const HOUR = 3_600_000;
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const D3 = `sha256:${'3'.repeat(64)}`;

const config = (stagingChart: string) => `clusters:
  stg-a: {server: https://a.example:6443, auth: {tokenEnv: A_TOKEN}}
  stg-b: {server: https://b.example:6443, auth: {tokenEnv: B_TOKEN}}
  prod: {server: https://p.example:6443, auth: {tokenEnv: P_TOKEN}}
helm:
  allowRepositories: [oci://ghcr.io/acme/charts]
targets:
  - name: shop-staging
    clusters: [stg-a, stg-b]
    helm: {chart: oci://ghcr.io/acme/charts/shop, version: "${stagingChart}", values: [envs/staging.yaml]}
  - name: shop-prod
    clusters: [prod]
    helm:
      chart: oci://ghcr.io/acme/charts/shop
      version: '1.2.0' # pinned
      values: [envs/prod.yaml]
    promote: {from: shop-staging, soak: 2h}
`;
const values = (tag: string, digest: string) =>
  `image:\n  repository: ghcr.io/acme/shop\n  tag: ${tag}   # app\n  digest: "${digest}"\n`;

function memoryPublisher() {
  const pulls: (ExistingPull & { files: FileEdit[] })[] = [];
  const branches = new Map<string, string>();
  const log: string[] = [];
  const publisher: BumpPublisher = {
    findPulls: async (prefix, names) => pulls.filter((p) => p.branch.startsWith(prefix) || names.includes(p.branch)),
    pushBranch: async (branch, files) => {
      const content = JSON.stringify(files.map((f) => [f.file, f.after]));
      if (branches.get(branch) === content) return 'unchanged';
      branches.set(branch, content);
      log.push(`push ${branch}`);
      return 'pushed';
    },
    createPull: async (change: BumpChange) => {
      const number = pulls.length + 1;
      pulls.push({
        number,
        url: `https://forge/pull/${number}`,
        state: 'open',
        merged: false,
        branch: change.branch,
        title: change.title,
        body: change.body,
        files: change.files,
      });
      log.push(`create ${number}`);
      return { number, url: `https://forge/pull/${number}` };
    },
    updatePull: async (number, change) => {
      Object.assign(pulls.find((p) => p.number === number)!, { title: change.title, body: change.body });
      log.push(`update ${number}`);
    },
    closePull: async () => {},
  };
  return { publisher, pulls, log };
}

describe('promote (core)', () => {
  const repo = makeGitRepo({
    'kubeplan.yaml': config('1.2.0'),
    'envs/staging.yaml': values('2.4.0', D1),
    'envs/prod.yaml': values('2.4.0', D1),
  });
  const applied = repo.commit('staging: chart 1.3.0, shop 2.5.0', {
    'kubeplan.yaml': config('1.3.0'),
    'envs/staging.yaml': values('2.5.0', D2),
  });
  const records = new Map<string, DeploymentRecord[]>();
  const success = (environment: string, sha: string, msAgo: number, id: number) =>
    records.set(environment, [
      {
        id,
        sha,
        environment,
        createdAt: new Date(Date.now() - msAgo).toISOString(),
        statuses: [
          {
            state: 'success',
            createdAt: new Date(Date.now() - msAgo).toISOString(),
            description: '',
            logUrl: `https://ci/run/${id}`,
          },
        ],
      },
      ...(records.get(environment) ?? []),
    ]);
  const source = deploymentsSource(
    async (environment) => records.get(environment) ?? [],
    () => undefined,
  );
  const { publisher, pulls, log } = memoryPublisher();
  const run = (dryRun = false) =>
    promoteCommand({
      config: 'kubeplan.yaml',
      cwd: repo.repo,
      env: process.env,
      to: 'shop-prod',
      from: undefined,
      dryRun,
      output: 'json',
      source,
      publisher,
    });

  it('refuses a deployed commit the clone does not have, saying to fetch it', async () => {
    success('shop-staging@stg-a', 'f'.repeat(40), 3 * HOUR, 90);
    success('shop-staging@stg-b', 'f'.repeat(40), 3 * HOUR, 91);
    const error = formatError(await run().catch((e: unknown) => e));
    expect(error).toContain(`the upstream's commit ${'f'.repeat(12)} is not in`);
    expect(error).toContain('fetch-depth: 0');
    expect(log).toEqual([]);
    records.clear();
  });

  it('refuses when the instances of the upstream run different commits', async () => {
    success('shop-staging@stg-a', applied, 3 * HOUR, 1);
    success('shop-staging@stg-b', repo.git('rev-parse', 'HEAD~1'), 3 * HOUR, 2);
    const error = await run().catch((e: unknown) => e);
    expect(formatError(error)).toContain(
      `its instances run different commits (shop-staging@stg-a: ${applied.slice(0, 12)}, shop-staging@stg-b: `,
    );
    expect(log).toEqual([]);
  });

  it('sets the chart version and the image tag and digest of the commit every instance runs, byte for byte', async () => {
    success('shop-staging@stg-b', applied, 2.5 * HOUR, 3);
    const { report } = await run();
    expect(report.chart).toEqual({ from: '1.2.0', to: '1.3.0' });
    expect(report.images).toEqual([
      { image: 'ghcr.io/acme/shop', from: `2.4.0@${D1}`, to: `2.5.0@${D2}`, references: expect.any(Array) },
    ]);
    const files = Object.fromEntries(pulls[0]!.files.map((f) => [f.file, f.after]));
    expect(files['kubeplan.yaml']).toBe(
      readFileSync(path.join(repo.repo, 'kubeplan.yaml'), 'utf8').replace(
        "version: '1.2.0' # pinned",
        "version: '1.3.0' # pinned",
      ),
    );
    expect(files['envs/prod.yaml']).toBe(values('2.5.0', D2));
    expect(pulls[0]!.body).toContain('[shop-staging@stg-a](https://ci/run/1), [shop-staging@stg-b](https://ci/run/3)');
    expect(log).toEqual(['push kubeplan/promote/shop-prod', 'create 1']);
  });

  it('updates the same pull request when the upstream moves on, and only once it soaked', async () => {
    const newer = repo.commit('staging: shop 2.6.0', { 'envs/staging.yaml': values('2.6.0', D3) });
    success('shop-staging@stg-a', newer, 3 * HOUR - 1, 4);
    success('shop-staging@stg-b', newer, 30 * 60_000, 5);
    expect(formatError(await run().catch((e: unknown) => e))).toMatch(/for 30m since .*, and the soak is 2h/);
    // Time passes: that success is now 2 h 1 min old.
    records.get('shop-staging@stg-b')![0]!.statuses[0]!.createdAt = new Date(
      Date.now() - 2 * HOUR - 60_000,
    ).toISOString();
    const { report } = await run();
    expect(report.pullRequest).toMatchObject({ action: 'updated', number: 1 });
    expect(pulls).toHaveLength(1);
    expect(pulls[0]!.title).toBe(`Promote shop-prod to shop-staging's versions (${newer.slice(0, 12)})`);
    expect(report.images[0]!.to).toBe(`2.6.0@${D3}`);
    const again = await run();
    expect(again.report.pullRequest).toMatchObject({ action: 'unchanged', number: 1 });
  });
});

describe('the soak counts from the first success of the commit the upstream runs', () => {
  const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
  const deployment = (id: number, sha: string, state: string, msAgo: number): DeploymentRecord => ({
    id,
    sha,
    environment: 'staging',
    createdAt: at(msAgo + 60_000),
    statuses: [
      // Newest first, as the forge lists them; the in-progress and inactive statuses are no outcome.
      { state, createdAt: at(msAgo), description: state, logUrl: undefined },
      { state: 'in_progress', createdAt: at(msAgo + 60_000), description: 'applying', logUrl: undefined },
    ],
  });
  const upstream = { name: 'staging', deployment: { environment: 'staging' } } as never;
  const stateOf = async (records: DeploymentRecord[]) => {
    const [state] = await deploymentsSource(
      async () => records,
      () => undefined,
    ).lastApplied(upstream);
    return state as { sha: string; appliedAt: Date; lastSuccessAt: Date; failedSince: unknown[] };
  };
  const A = 'a'.repeat(40);
  const B = 'b'.repeat(40);

  it('a re-apply of the same commit 30 min ago keeps the soak from its success 3 h ago', async () => {
    const first = deployment(1, A, 'success', 3 * HOUR);
    // GitHub marks the older deployment inactive when the re-apply succeeds: still no outcome.
    first.statuses.unshift({ state: 'inactive', createdAt: at(30 * 60_000), description: '', logUrl: undefined });
    const state = await stateOf([deployment(2, A, 'success', 30 * 60_000), first]);
    expect(state.sha).toBe(A);
    expect(Math.round((Date.now() - state.appliedAt.getTime()) / 60_000)).toBe(180);
    expect(Math.round((Date.now() - state.lastSuccessAt.getTime()) / 60_000)).toBe(30);
    expect(state.failedSince).toEqual([]);
  });

  it('a failure in between restarts it at the success after the failure', async () => {
    const state = await stateOf([
      deployment(3, A, 'success', 30 * 60_000),
      deployment(2, A, 'failure', HOUR),
      deployment(1, A, 'success', 3 * HOUR),
    ]);
    expect(Math.round((Date.now() - state.appliedAt.getTime()) / 60_000)).toBe(30);
  });

  it('another commit applied in between restarts it too', async () => {
    const state = await stateOf([
      deployment(3, A, 'success', 30 * 60_000),
      deployment(2, B, 'success', HOUR),
      deployment(1, A, 'success', 3 * HOUR),
    ]);
    expect(state.sha).toBe(A);
    expect(Math.round((Date.now() - state.appliedAt.getTime()) / 60_000)).toBe(30);
  });

  it('a failure after the newest success is still reported', async () => {
    const state = await stateOf([
      deployment(3, B, 'error', 10 * 60_000),
      deployment(2, A, 'success', 30 * 60_000),
      deployment(1, A, 'success', 3 * HOUR),
    ]);
    expect(Math.round((Date.now() - state.appliedAt.getTime()) / 60_000)).toBe(180);
    expect(state.failedSince).toEqual([expect.objectContaining({ state: 'error' })]);
  });
});

describe('promote.soak as a policy of the plan (core): chart version, tag and digest, instances', () => {
  const repo = makeGitRepo({
    'kubeplan.yaml': config('1.2.0'),
    'envs/staging.yaml': values('2.4.0', D1),
    'envs/prod.yaml': values('2.4.0', D1),
  });
  const applied = repo.commit('staging: chart 1.3.0, shop 2.5.0', {
    'kubeplan.yaml': config('1.3.0'),
    'envs/staging.yaml': values('2.5.0', D2),
  });
  const records = new Map<string, DeploymentRecord[]>();
  const success = (environment: string, msAgo: number, sha = applied) =>
    records.set(environment, [
      {
        id: records.size + 1,
        sha,
        environment,
        createdAt: new Date(Date.now() - msAgo).toISOString(),
        statuses: [
          {
            state: 'success',
            createdAt: new Date(Date.now() - msAgo).toISOString(),
            description: '',
            logUrl: undefined,
          },
        ],
      },
    ]);
  /** The pull request: shop-prod's chart version and values as given, planned against `applied`. */
  const check = async (chart: string, tag: string, digest: string) => {
    repo.git('checkout', '-q', '-B', 'pr', applied);
    writeFileSync(
      path.join(repo.repo, 'kubeplan.yaml'),
      config('1.3.0').replace("version: '1.2.0' # pinned", `version: '${chart}' # pinned`),
    );
    writeFileSync(path.join(repo.repo, 'envs/prod.yaml'), values(tag, digest));
    repo.git('commit', '-qam', 'prod', '--allow-empty');
    return checkPromotionSoak(
      loadConfig('kubeplan.yaml', repo.repo),
      new Set(['shop-prod']),
      {
        source: deploymentsSource(
          async (environment) => records.get(environment) ?? [],
          () => undefined,
        ),
        base: async () => ({ ref: applied }),
      },
      process.env,
    );
  };

  it("passes the chart version, tag and digest every instance has run for the soak, and leaves the base's alone", async () => {
    success('shop-staging@stg-a', 3 * HOUR);
    success('shop-staging@stg-b', 2.5 * HOUR);
    expect(await check('1.3.0', '2.5.0', D2)).toEqual([]);
    // Nothing changed from the base: nothing to check, whatever the upstream runs.
    records.clear();
    expect(await check('1.2.0', '2.4.0', D1)).toEqual([]);
  });

  it('an instance that runs them for 30 min only: an error for the chart version and for the image', async () => {
    success('shop-staging@stg-a', 3 * HOUR);
    success('shop-staging@stg-b', 30 * 60_000);
    const findings = await check('1.3.0', '2.5.0', D2);
    expect(findings.map((f) => [f.level, f.file, f.line])).toEqual([
      ['error', 'envs/prod.yaml', 3],
      ['error', 'kubeplan.yaml', 15],
    ]);
    expect(findings[1]!.message).toMatch(
      /^shop-prod sets chart oci:\/\/ghcr\.io\/acme\/charts\/shop 1\.3\.0 \(kubeplan\.yaml:15\), which has not soaked in shop-staging: shop-staging runs it only since \S+ \(30m\), and the soak is 2h$/,
    );
    expect(findings[0]!.hint).toMatch(/^wait for the soak \(plan again after \S+\), or take exactly the versions/);
  });

  it('a digest the upstream does not run is an error, naming what it runs', async () => {
    success('shop-staging@stg-a', 3 * HOUR);
    success('shop-staging@stg-b', 3 * HOUR);
    const [finding, ...rest] = await check('1.3.0', '2.5.0', D3);
    expect(rest).toEqual([]);
    expect(finding!.message).toContain(`sets ghcr.io/acme/shop 2.5.0@${D3}`);
    expect(finding!.message).toContain(`shop-staging runs 2.5.0@${D2} (commit ${applied.slice(0, 12)}, since `);
  });

  it('an upstream that never succeeded, or failed since: errors that say so and what to do', async () => {
    records.clear();
    success('shop-staging@stg-a', 3 * HOUR);
    const never = await check('1.3.0', '2.5.0', D2);
    expect(never[0]!.message).toContain(
      'which has not soaked in shop-staging: it never ran upstream: no deployment to environment shop-staging@stg-b succeeded',
    );
    expect(never[0]!.hint).toMatch(/^apply it to shop-staging first and let it soak, then take exactly the versions/);
    success('shop-staging@stg-b', 3 * HOUR);
    records.get('shop-staging@stg-b')!.unshift({
      id: 99,
      sha: applied,
      environment: 'shop-staging@stg-b',
      createdAt: new Date(Date.now() - 10 * 60_000).toISOString(),
      statuses: [
        {
          state: 'failure',
          createdAt: new Date(Date.now() - 10 * 60_000).toISOString(),
          description: 'the rollout of Deployment shop did not finish',
          logUrl: undefined,
        },
      ],
    });
    const failed = await check('1.3.0', '2.5.0', D2);
    expect(failed).toHaveLength(2);
    expect(failed[0]!.message).toMatch(
      /shop-staging@stg-b recorded failure at \S+ \(the rollout of Deployment shop did not finish\) after its last success of [0-9a-f]{12}$/,
    );
    expect(failed[0]!.hint).toMatch(/^fix shop-staging and apply it successfully again, let it soak, then take/);
  });

  it('instances on different commits: a warning (the soak cannot be told), not an error', async () => {
    success('shop-staging@stg-a', 3 * HOUR);
    success('shop-staging@stg-b', 3 * HOUR, repo.git('rev-parse', 'main~1'));
    const [warning] = await check('1.3.0', '2.5.0', D2);
    expect(warning).toMatchObject({ level: 'warning', file: 'kubeplan.yaml', line: 11 });
    expect(warning!.message).toContain('its instances run different commits');
  });
});
