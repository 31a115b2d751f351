import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startForge, type Forge } from '../forge/forge.js';
import { OciTestClient } from '../harness/oci.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { runAction } from '../helpers/run-action.js';

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

// Bump pull requests the way a team configures them (reviewers, assignees, a commit prefix), on the bench registry and
// the local GitHub forge, which checks every request and answer against GitHub's OpenAPI description.
describe('action command bump: reviewers, assignees, commit prefix, skipped versions', () => {
  let registry: RunningRegistry;
  let pusher: OciTestClient;
  let forge: Forge;
  let scratch: string;
  let bare: string;
  let seed: string;
  let work: string;

  beforeAll(async () => {
    registry = await startRegistry(inject('registryBinary'), 'htpasswd');
    pusher = new OciTestClient(registry);
    for (const tag of ['1.0.0', '1.1.0']) await pusher.pushImage('acme/web', tag);
    scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-bump-extras-'));
    const gitRoot = path.join(scratch, 'git');
    forge = await startForge({ gitRoot });
    bare = path.join(gitRoot, 'acme', 'config.git');
    mkdirSync(bare, { recursive: true });
    git(bare, 'init', '--quiet', '--bare', '--initial-branch=main');
    seed = path.join(scratch, 'seed');
    mkdirSync(path.join(seed, 'apps'), { recursive: true });
    git(seed, 'init', '--quiet', '--initial-branch=main');
    writeFileSync(
      path.join(seed, 'kubeplan.yaml'),
      [
        'targets:',
        '  - name: web',
        '    namespace: web',
        '    manifests: apps',
        'bump:',
        '  reviewers: [alice, ghost, acme/platform]',
        '  assignees: [alice, outsider]',
        '  commitMessagePrefix: "chore(deps): "',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(seed, 'apps/web.yaml'),
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ${registry.host}/acme/web:1.0.0\n`,
    );
    git(seed, 'add', '-A');
    git(seed, 'commit', '--quiet', '-m', 'config');
    git(seed, 'push', '--quiet', bare, 'main');
    work = path.join(scratch, 'work');
    git(scratch, 'clone', '--quiet', bare, work);
    // alice and carol may review and be assigned; the platform team exists; ghost and outsider have no access.
    forge.collaborators.add('alice');
    forge.collaborators.add('carol');
    forge.teams.add('platform');
  });
  afterAll(async () => {
    await forge?.stop();
    await registry?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const bump = () =>
    runAction({
      repo: work,
      forge,
      event: 'schedule',
      payload: {},
      scratch,
      inputs: {
        'schedule-command': 'bump',
        'registry-auth': `${registry.host}=${registry.username}:${registry.password}`,
        kubeconfig: '',
      },
      env: { GITHUB_SERVER_URL: forge.url },
    });
  const branch = () => `kubeplan/bump/${registry.host.replace(':', '-')}-acme-web`;
  const pull = () =>
    [...forge.pulls.values()]
      .filter((p) => p.head === branch())
      .sort((a, b) => a.number - b.number)
      .at(-1)!;
  const calls = (operation: string) => forge.requests.filter((r) => r.operation === operation);
  const noSecrets = (run: Awaited<ReturnType<typeof bump>>) => {
    for (const secret of [registry.password, 'ghs_actiontoken'])
      for (const text of [
        run.stdout.replaceAll(`::add-mask::${secret}`, ''),
        run.summary,
        JSON.stringify(run.outputs),
        ...[...forge.pulls.values()].map((p) => `${p.title}${p.body}`),
        ...[...forge.issues.values()].map((i) => `${i.title}${i.body}`),
      ])
        expect(text).not.toContain(secret);
  };

  it('opens the pull request with the commit prefix, asks the reviewers and assignees, and warns about those GitHub refuses', async () => {
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    expect(forge.violations).toEqual([]);
    const pr = pull();
    expect(pr.title).toBe(`chore(deps): Bump ${registry.host}/acme/web from 1.0.0 to 1.1.0`);
    expect(git(bare, 'log', '-1', '--format=%s', pr.head)).toBe(
      `chore(deps): Bump ${registry.host}/acme/web from 1.0.0 to 1.1.0`,
    );
    // GitHub refuses the whole request for ghost (not a collaborator): each is then asked alone.
    expect(pr.requestedReviewers).toEqual(['alice']);
    expect(pr.requestedTeams).toEqual(['platform']);
    expect(calls('pulls/request-reviewers').map((r) => r.status)).toEqual([422, 201, 422, 201]);
    // GitHub skips an assignee without access silently; kubeplan says so.
    expect(pr.assignees).toEqual(['alice']);
    expect(calls('issues/add-assignees').map((r) => r.status)).toEqual([201]);
    expect(run.stdout).toMatch(
      new RegExp(`::warning::#${pr.number}: reviewer ghost was not requested on #${pr.number}: .*not a collaborator`),
    );
    expect(run.stdout).toContain(`GitHub did not assign outsider to #${pr.number}`);
    expect(run.stdout).not.toMatch(/reviewer (alice|acme\/platform) was not requested/);
    expect(run.summary).toContain(`- warning, #${pr.number}: reviewer ghost was not requested`);
    noSecrets(run);
  });

  it('a run with nothing new asks nobody again', async () => {
    const before = forge.writes().length;
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    expect(forge.writes().length).toBe(before);
    expect(run.stdout).not.toContain('::warning::');
  });

  it('a newer version asks again only those no longer asked, and assigns only who is missing', async () => {
    const pr = pull();
    // alice reviewed (GitHub takes her off the requested list); carol was assigned by hand.
    pr.requestedReviewers = [];
    pr.assignees = ['alice', 'carol'];
    const before = {
      reviewers: calls('pulls/request-reviewers').length,
      assignees: calls('issues/add-assignees').length,
    };
    await pusher.pushImage('acme/web', '1.2.0');
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    expect(pull().number).toBe(pr.number);
    expect(pr.title).toBe(`chore(deps): Bump ${registry.host}/acme/web from 1.0.0 to 1.2.0`);
    expect(pr.requestedReviewers).toEqual(['alice']);
    expect(pr.requestedTeams).toEqual(['platform']);
    // alice and ghost were missing (the team was still asked): one refused request, then one each.
    expect(
      calls('pulls/request-reviewers')
        .slice(before.reviewers)
        .map((r) => r.status),
    ).toEqual([422, 201, 422]);
    // outsider is the only assignee missing.
    expect(calls('issues/add-assignees').length).toBe(before.assignees + 1);
    expect(pr.assignees).toEqual(['alice', 'carol']);
    expect(forge.violations).toEqual([]);
    noSecrets(run);
  });
});
