import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentsSource, promoteCommand } from '../../src/core/commands/promote.js';
import { formatError } from '../../src/core/errors.js';
import { GitLabApi } from '../../src/platform/gitlab/api.js';
import { gitlabPorts } from '../../src/platform/gitlab/ports.js';
import type { CiContext } from '../../src/platform/types.js';
import { startForge, type Forge } from '../forge/forge.js';
import { startGitLab } from '../forge/gitlab.js';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { runAction } from '../helpers/run-action.js';
import { runCliAsync } from '../helpers/run-cli.js';
import { repoRoot } from '../helpers/tools.js';

// kubeplan promote (the built CLI): what the upstream really runs (its GitHub Deployments on the local forge, or its
// inventory in the bench cluster), the soak, and one pull request per destination with exactly those versions.

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GIT_AUTHOR_NAME: 'dev',
      GIT_AUTHOR_EMAIL: 'dev@acme.test',
      GIT_COMMITTER_NAME: 'dev',
      GIT_COMMITTER_EMAIL: 'dev@acme.test',
    },
  }).trim();

const deploy = (shop: string, api: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: shop}\nspec:\n  template:\n    spec:\n      containers:\n        - name: shop\n          image: ghcr.io/acme/shop:${shop}  # the storefront\n        - name: api\n          image: "ghcr.io/acme/api:${api}"\n`;

function write(dir: string, files: Record<string, string>) {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
}

/**
 * A config repository with three commits: both environments on shop 2.4.0 / api 1.0.0; then staging on 2.5.0 / 1.1.0
 * (what staging runs); then staging on 2.6.0 (merged, not applied yet). Returns the commits.
 */
function seedRepo(dir: string, config: string): { first: string; applied: string; head: string } {
  git(dir, 'init', '--quiet', '--initial-branch=main');
  write(dir, {
    'kubeplan.yaml': config,
    'envs/staging/deploy.yaml': deploy('2.4.0', '1.0.0'),
    'envs/prod/deploy.yaml': deploy('2.4.0', '1.0.0'),
  });
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', 'both on 2.4.0');
  const first = git(dir, 'rev-parse', 'HEAD');
  write(dir, { 'envs/staging/deploy.yaml': deploy('2.5.0', '1.1.0') });
  git(dir, 'commit', '--quiet', '-am', 'staging: shop 2.5.0, api 1.1.0');
  const applied = git(dir, 'rev-parse', 'HEAD');
  write(dir, { 'envs/staging/deploy.yaml': deploy('2.6.0', '1.1.0') });
  git(dir, 'commit', '--quiet', '-am', 'staging: shop 2.6.0');
  return { first, applied, head: git(dir, 'rev-parse', 'HEAD') };
}

const ago = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/\.\d+Z$/, 'Z');
const HOUR = 3_600_000;

/**
 * A config repository served by the local forge over git http-backend: the seed commits (seedRepo) pushed to
 * acme/config, and a clone of it to run kubeplan in.
 */
async function forgeRepo(prefix: string, config: string) {
  const scratch = mkdtempSync(path.join(os.tmpdir(), prefix));
  const gitRoot = path.join(scratch, 'git');
  const forge = await startForge({ gitRoot });
  const bare = path.join(gitRoot, 'acme', 'config.git');
  mkdirSync(bare, { recursive: true });
  git(bare, 'init', '--quiet', '--bare', '--initial-branch=main');
  const seed = path.join(scratch, 'seed');
  mkdirSync(seed);
  const commits = seedRepo(seed, config);
  git(seed, 'push', '--quiet', bare, 'main');
  const work = path.join(scratch, 'work');
  git(scratch, 'clone', '--quiet', bare, work);
  return { scratch, forge, bare, commits, work };
}

describe('kubeplan promote with GitHub Deployments (local forge, git http-backend)', () => {
  let forge: Forge;
  let scratch: string;
  let bare: string;
  let work: string;
  let commits: { first: string; applied: string; head: string };
  const TOKEN = 'ghs_promotetoken';

  beforeAll(async () => {
    ({ scratch, forge, bare, commits, work } = await forgeRepo(
      'kubeplan-promote--',
      [
        'targets:',
        '  - name: shop-staging',
        '    manifests: envs/staging',
        '  - name: shop-prod',
        '    manifests: envs/prod',
        '    promote: {from: shop-staging, soak: 2h}',
        '',
      ].join('\n'),
    ));
  }, 60_000);
  afterAll(async () => {
    await forge?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const promote = (...args: string[]) =>
    runCliAsync(['promote', '--to', 'shop-prod', ...args], {
      cwd: work,
      env: {
        GITHUB_TOKEN: TOKEN,
        GITHUB_REPOSITORY: 'acme/config',
        GITHUB_API_URL: forge.url,
        GITHUB_SERVER_URL: forge.url,
        GITHUB_REF: 'refs/heads/main',
      },
    });
  const pushes = () => forge.requests.filter((r) => r.operation === 'git push' && r.method === 'POST').length;
  /** A deployment of `sha` to shop-staging as the apply workflow records it: in progress, then its outcome. */
  const deployed = (id: number, sha: string, state: string, msAgo: number) =>
    forge.deployments.push({
      id,
      ref: sha,
      environment: 'shop-staging',
      production: true,
      description: `kubeplan apply ${sha.slice(0, 12)}`,
      createdAt: ago(msAgo + 60_000),
      statuses: [
        { state: 'in_progress', description: 'applying', log_url: '', createdAt: ago(msAgo + 60_000) },
        {
          state,
          description: state === 'success' ? 'applied' : 'the rollout of Deployment shop did not finish',
          log_url: `https://github.com/acme/config/actions/runs/${id}`,
          createdAt: ago(msAgo),
        },
      ],
    });

  it('refuses while the upstream success is younger than the soak, and pushes nothing', async () => {
    deployed(9001, commits.first, 'success', 5 * HOUR);
    deployed(9002, commits.applied, 'success', 30 * 60_000);
    const run = await promote();
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(`shop-staging has run ${commits.applied.slice(0, 12)} for 30m since .*, and the soak is 2h`),
    );
    expect(run.stderr).toContain('nothing was pushed');
    const json = await promote('-o', 'json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error.message).toContain('and the soak is 2h');
    expect(forge.pulls.size).toBe(0);
    expect(pushes()).toBe(0);
    expect(forge.violations).toEqual([]);
  });

  it('opens one pull request with exactly the tags of the commit the upstream applied, once it soaked', async () => {
    // The same success, now 3 hours old.
    forge.deployments.find((d) => d.id === 9002)!.statuses.at(-1)!.createdAt = ago(3 * HOUR);
    const dry = await promote('--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('ghcr.io/acme/shop: 2.4.0 → 2.5.0');
    expect(dry.stdout).toContain('dry run: nothing was pushed');
    expect(pushes()).toBe(0);

    const run = await promote('-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.upstream.sha).toBe(commits.applied);
    expect(report.images).toEqual([
      {
        image: 'ghcr.io/acme/shop',
        from: '2.4.0',
        to: '2.5.0',
        references: [{ file: 'envs/prod/deploy.yaml', line: 9 }],
      },
      {
        image: 'ghcr.io/acme/api',
        from: '1.0.0',
        to: '1.1.0',
        references: [{ file: 'envs/prod/deploy.yaml', line: 11 }],
      },
    ]);
    expect(forge.violations).toEqual([]);
    const pulls = [...forge.pulls.values()];
    expect(pulls).toHaveLength(1);
    const pr = pulls[0]!;
    expect(pr).toMatchObject({ head: 'kubeplan/promote/shop-prod', base: 'main', state: 'open' });
    expect(pr.title).toBe(`Promote shop-prod to shop-staging's versions (${commits.applied.slice(0, 12)})`);
    expect(pr.body).toContain('| `ghcr.io/acme/shop` | `2.4.0` | `2.5.0` | `envs/prod/deploy.yaml:9` |');
    expect(pr.body).toContain('(https://github.com/acme/config/actions/runs/9002)');
    // The branch: main plus exactly the upstream's versions (2.5.0, not the 2.6.0 merged since), byte for byte.
    expect(git(bare, 'show', 'kubeplan/promote/shop-prod:envs/prod/deploy.yaml')).toBe(
      deploy('2.5.0', '1.1.0').trimEnd(),
    );
    expect(git(bare, 'rev-parse', 'kubeplan/promote/shop-prod^')).toBe(commits.head);
    expect(git(work, 'status', '--porcelain')).toBe('');
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it('a re-run with nothing new leaves the pull request as it is: no push, no API write', async () => {
    const before = { writes: forge.writes().length, pushes: pushes(), body: [...forge.pulls.values()][0]!.body };
    const run = await promote();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/pull request #\d+ unchanged/);
    expect(forge.writes().length).toBe(before.writes);
    expect(pushes()).toBe(before.pushes);
    expect([...forge.pulls.values()][0]!.body).toBe(before.body);
  });

  it('a re-apply of the soaked commit 30 min ago does not restart the soak', async () => {
    deployed(9004, commits.applied, 'success', 30 * 60_000);
    const run = await promote('--dry-run', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.upstream.sha).toBe(commits.applied);
    // Counted from the first success of that commit (3 h ago), not from the re-apply.
    expect(report.soak.ageMs).toBeGreaterThan(2.9 * HOUR);
    expect(report.upstream.instances[0].link).toBe('https://github.com/acme/config/actions/runs/9004');
  });

  it('refuses when a deployment failed after the last success, naming it', async () => {
    deployed(9003, commits.head, 'failure', 10 * 60_000);
    const before = { writes: forge.writes().length, pushes: pushes() };
    const run = await promote();
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'shop-staging recorded failure at', // the state, when, and what it said
    );
    expect(run.stderr).toContain('the rollout of Deployment shop did not finish');
    expect(run.stderr).toContain(`after its last success at`);
    expect(forge.writes().length).toBe(before.writes);
    expect(pushes()).toBe(before.pushes);
  });
});

describe('kubeplan promote without a forge: the upstream inventory in the bench cluster', () => {
  let scratch: string;
  let repo: string;
  let ns: string;
  let commits: { first: string; applied: string; head: string };

  beforeAll(async () => {
    ns = await freshNamespace('promote');
    scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-promote-cli-'));
    repo = path.join(scratch, 'repo');
    mkdirSync(repo);
    commits = seedRepo(
      repo,
      [
        'targets:',
        '  - name: shop-staging',
        `    namespace: ${ns}`,
        '    manifests: envs/staging',
        '  - name: shop-prod',
        '    manifests: envs/prod',
        '    promote: {from: shop-staging, soak: 2h}',
        '  - name: shop-qa',
        '    manifests: envs/prod',
        '    promote: {from: shop-staging}',
        '',
      ].join('\n'),
    );
    // What apply leaves in the cluster: the inventory ConfigMap recording the commit it applied.
    const res = await api('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'kubeplan-shop-staging',
          namespace: ns,
          annotations: { 'kubeplan.dev/commit': commits.applied },
        },
      },
    });
    expect(res.status).toBe(201);
  }, 60_000);
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const promote = (...args: string[]) =>
    runCliAsync(['promote', '--dry-run', '--kubeconfig', bench().adminKubeconfig, ...args], { cwd: repo });

  it('reads the commit from the inventory and prints the edits to exactly its versions, writing nothing', async () => {
    const run = await promote('--to', 'shop-qa');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`shop-staging runs ${commits.applied.slice(0, 12)}`);
    expect(run.stdout).toContain('ghcr.io/acme/shop: 2.4.0 → 2.5.0 (envs/prod/deploy.yaml:9)');
    expect(run.stdout).toContain('ghcr.io/acme/api: 1.0.0 → 1.1.0 (envs/prod/deploy.yaml:11)');
    expect(run.stdout).toContain('+          image: ghcr.io/acme/shop:2.5.0  # the storefront');
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('applies the soak to the time the inventory was written', async () => {
    const run = await promote('--to', 'shop-prod');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/shop-staging has run [0-9a-f]{12} for 0m since .*, and the soak is 2h/);
  });

  it('kubeplan diff: a change to a version the upstream has not soaked is a policy error (its inventory in the cluster)', async () => {
    const prod = path.join(repo, 'envs/prod/deploy.yaml');
    writeFileSync(prod, deploy('2.5.0', '1.0.0'));
    try {
      const diff = (target: string, output = 'json') =>
        runCliAsync(['diff', '--base', 'HEAD', '-t', target, '-o', output, '--kubeconfig', bench().adminKubeconfig], {
          cwd: repo,
        });
      // shop-staging's inventory was written a moment ago: 2.5.0 runs there, and has not soaked for 2h.
      const run = await diff('shop-prod');
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('error: 1 policy error (see the report)');
      const report = JSON.parse(run.stdout);
      expect(report.policy).toEqual([
        expect.objectContaining({
          level: 'error',
          target: 'shop-prod',
          file: 'envs/prod/deploy.yaml',
          line: 9,
          message: expect.stringMatching(
            /^shop-prod sets ghcr\.io\/acme\/shop 2\.5\.0 \(envs\/prod\/deploy\.yaml:9\), which has not soaked in shop-staging: shop-staging runs it only since \S+ \(0m\), and the soak is 2h$/,
          ),
        }),
      ]);
      const schema = JSON.parse(readFileSync(path.join(repoRoot, 'kubeplan-report.schema.json'), 'utf8'));
      const validate = new Ajv({ strict: true, allErrors: true })
        .addSchema(schema)
        .getSchema(`${schema.$id}#/definitions/plan`)!;
      expect(validate(report) ? [] : validate.errors).toEqual([]);
      const text = await diff('shop-prod', 'text');
      expect(text.stdout).toMatch(
        /^policy error \(promote\.soak, target shop-prod\): shop-prod sets ghcr\.io\/acme\/shop 2\.5\.0 .*\n {2}hint: wait for the soak \(plan again after \S+\), or take exactly the versions shop-staging has soaked with kubeplan promote --to shop-prod$/m,
      );
      // Without --base the change starts at what shop-prod last applied here; it never was: a warning, no failure.
      const unknown = await runCliAsync(
        ['diff', '-t', 'shop-prod', '-o', 'json', '--kubeconfig', bench().adminKubeconfig],
        { cwd: repo },
      );
      expect(unknown.stderr).not.toContain('policy error');
      expect(JSON.parse(unknown.stdout).policy).toEqual([
        expect.objectContaining({
          level: 'warning',
          message: expect.stringMatching(/was not checked: what the change sets cannot be told \(.*\); pass --base$/),
        }),
      ]);
      // shop-qa takes the same versions with no soak: they pass.
      const qa = await diff('shop-qa');
      // (The exit code is 2 for both: the cluster refuses the drift dry-run of this selector-less test Deployment.)
      expect(qa.stderr).not.toContain('policy error');
      expect(JSON.parse(qa.stdout).policy).toEqual([]);
    } finally {
      git(repo, 'checkout', '--', 'envs/prod/deploy.yaml');
    }
  });

  it('without --dry-run and without a forge, says what it needs', async () => {
    const run = await runCliAsync(['promote', '--to', 'shop-qa'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('needs GITHUB_TOKEN and GITHUB_REPOSITORY');
  });
});

describe('the action with schedule-command: promote (local forge)', () => {
  let forge: Forge;
  let scratch: string;
  let bare: string;
  let work: string;
  let commits: { first: string; applied: string; head: string };

  beforeAll(async () => {
    ({ scratch, forge, bare, commits, work } = await forgeRepo(
      'kubeplan-promote-action--',
      [
        'targets:',
        '  - name: shop-staging',
        '    manifests: envs/staging',
        '  - name: shop-prod',
        '    manifests: envs/prod',
        '    promote: {from: shop-staging, soak: 2h}',
        '  - name: shop-eu',
        '    manifests: envs/prod',
        '    promote: {from: shop-staging, soak: 6h}',
        '',
      ].join('\n'),
    ));
    forge.deployments.push({
      id: 9100,
      ref: commits.applied,
      environment: 'shop-staging',
      production: true,
      description: 'kubeplan apply',
      createdAt: ago(3 * HOUR),
      statuses: [{ state: 'success', description: 'applied', log_url: '', createdAt: ago(3 * HOUR) }],
    });
  }, 60_000);
  afterAll(async () => {
    await forge?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const promote = () =>
    runAction({
      repo: work,
      forge,
      event: 'schedule',
      payload: {},
      scratch,
      inputs: { 'schedule-command': 'promote', kubeconfig: '' },
      env: { GITHUB_SERVER_URL: forge.url },
    });

  it('opens the pull request of every soaked destination; one not soaked yet is a notice, not a failure', async () => {
    const run = await promote();
    expect(run.code, run.stdout).toBe(0);
    expect(forge.violations).toEqual([]);
    const pulls = [...forge.pulls.values()];
    expect(pulls.map((p) => p.head)).toEqual(['kubeplan/promote/shop-prod']);
    expect(git(bare, 'show', 'kubeplan/promote/shop-prod:envs/prod/deploy.yaml')).toBe(
      deploy('2.5.0', '1.1.0').trimEnd(),
    );
    expect(JSON.parse(run.outputs['pull-requests']!)).toHaveLength(1);
    // The deployment's status has no log URL: the body links the deployed commit instead.
    expect(pulls[0]!.body).toContain(`[shop-staging](${forge.url}/acme/config/commit/${commits.applied})`);
    expect(run.summary).toContain('| shop-prod | shop-staging @ `');
    expect(run.summary).toMatch(/\| shop-eu \| – \| cannot promote shop-staging to shop-eu yet: .* the soak is 6h/);
    expect(run.stdout).toContain('::notice');
  });

  it('fails the step when the upstream failed since its last success', async () => {
    forge.deployments.push({
      id: 9101,
      ref: commits.head,
      environment: 'shop-staging',
      production: true,
      description: 'kubeplan apply',
      createdAt: ago(HOUR),
      statuses: [{ state: 'error', description: 'cluster unreachable', log_url: '', createdAt: ago(HOUR) }],
    });
    const run = await promote();
    expect(run.code).not.toBe(0);
    expect(run.stdout).toMatch(/::error.*shop-staging recorded error at .*cluster unreachable/);
  });
});

describe('promote reads GitLab deployments (local GitLab)', () => {
  it('takes the commit of the newest successful deployment, and refuses after a failed one', async () => {
    const gitlab = await startGitLab();
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-promote-gitlab-'));
    try {
      const repo = path.join(scratch, 'repo');
      mkdirSync(repo);
      const commits = seedRepo(
        repo,
        'targets:\n  - name: staging\n    manifests: envs/staging\n  - name: prod\n    manifests: envs/prod\n    promote: {from: staging}\n',
      );
      const api = new GitLabApi({ apiUrl: gitlab.url, token: 'glpat-promote', project: 'acme/config' });
      const deploy = async (sha: string, status: string) => {
        const { data } = await api.request<{ id: number }>(
          'POST',
          api.projectPath('/deployments'),
          { environment: 'staging', sha, ref: 'main', tag: false, status: 'running' },
          'create',
        );
        await api.request('PUT', api.projectPath(`/deployments/${data.id}`), { status }, 'finish');
      };
      await deploy(commits.first, 'success');
      await deploy(commits.applied, 'success');
      const ctx = { ref: 'main' } as CiContext;
      const ports = gitlabPorts({
        api,
        ctx,
        env: {},
        reporter: undefined as never,
        secrets: undefined as never,
        token: 'glpat-promote',
        cwd: repo,
      });
      const run = () =>
        promoteCommand({
          config: 'kubeplan.yaml',
          cwd: repo,
          env: process.env,
          to: 'prod',
          from: undefined,
          dryRun: true,
          output: 'text',
          source: deploymentsSource(
            (e) => ports.deployments!.history!(e),
            () => undefined,
          ),
        });
      const { report } = await run();
      expect(report.upstream.sha).toBe(commits.applied);
      expect(report.images.map((i) => `${i.image} ${i.to}`)).toEqual([
        'ghcr.io/acme/shop 2.5.0',
        'ghcr.io/acme/api 1.1.0',
      ]);
      await new Promise((r) => setTimeout(r, 1100)); // a later updated_at
      await deploy(commits.head, 'failed');
      expect(formatError(await run().catch((e: unknown) => e))).toMatch(
        /staging recorded failure at .*GitLab deployment #3 failed/,
      );
      expect(gitlab.violations).toEqual([]);
    } finally {
      await gitlab.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
