import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startForge, type Forge } from '../forge/forge.js';
import { OciTestClient } from '../harness/oci.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { runAction } from '../helpers/run-action.js';
import { runCliAsync } from '../helpers/run-cli.js';
import { repoRoot } from '../helpers/tools.js';

const reportSchema = JSON.parse(readFileSync(path.join(repoRoot, 'kubeplan-report.schema.json'), 'utf8')) as {
  $id: string;
};
const ajv = new Ajv({ strict: true, allErrors: true });
ajv.addSchema(reportSchema);

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

  const cli = (...args: string[]) =>
    runCliAsync(['bump', ...args], {
      cwd: work,
      env: {
        GITHUB_TOKEN: 'ghs_clitoken',
        GITHUB_REPOSITORY: 'acme/config',
        GITHUB_API_URL: forge.url,
        GITHUB_SERVER_URL: forge.url,
        DOCKER_CONFIG: dockerConfig(),
      },
    });
  const dockerConfig = () => {
    const dir = path.join(scratch, 'docker');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { username: registry.username, password: registry.password } } }),
    );
    return dir;
  };

  it('a pull request closed without merging skips its version, and every report says why and how to get it back', async () => {
    const pr = pull();
    pr.state = 'closed';
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    const why = `#${pr.number} was closed without merging; reopen #${pr.number} to get it again (a newer version opens a new pull request)`;
    expect(run.stdout).toContain(`${registry.host}/acme/web: 1.2.0 skipped: ${why}`);
    expect(run.stdout).toContain('0 to bump, 0 current, 1 skipped, 0 failed');
    expect(run.summary).toContain(`| \`${registry.host}/acme/web\` | 1.0.0 → 1.2.0 skipped: #${pr.number} was closed`);
    expect(JSON.parse(run.outputs.bumps!)).toEqual([
      {
        image: `${registry.host}/acme/web`,
        status: 'skipped',
        from: '1.0.0',
        to: '1.2.0',
        pullRequest: `https://github.com/acme/config/pull/${pr.number}`,
      },
    ]);
    expect([...forge.pulls.values()].filter((p) => p.state === 'open')).toEqual([]);

    // --explain says it next to the tag, and -o json names the pull request (in the published schema).
    const explain = await cli('--explain');
    expect(explain.code, explain.stderr + explain.stdout).toBe(0);
    expect(explain.stdout).toMatch(
      new RegExp(`1\\.2\\.0 +chosen, but #${pr.number} was closed without merging; reopen`),
    );
    const json = await cli('-o', 'json');
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.images[0]).toMatchObject({
      status: 'skipped',
      reason: why,
      to: { tag: '1.2.0' },
      skippedBy: { number: pr.number, url: `https://github.com/acme/config/pull/${pr.number}` },
    });
    const validate = ajv.getSchema(`${reportSchema.$id}#/definitions/bump`)!;
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect(forge.violations).toEqual([]);
  });

  it('reopening the closed pull request gets its version again, as the note says', async () => {
    const pr = pull();
    pr.state = 'open';
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`${branch()}: (updated|unchanged) https://github.com/acme/config/pull/${pr.number}`),
    );
    expect(JSON.parse(run.outputs.bumps!)[0]).toMatchObject({ status: 'bump', to: '1.2.0' });
  });

  it('the pull request for a newer version lists the version skipped before and the pull request that skipped it', async () => {
    const closed = pull();
    closed.state = 'closed';
    await pusher.pushImage('acme/web', '1.3.0');
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    const pr = pull();
    expect(pr.number).not.toBe(closed.number);
    expect(pr.title).toBe(`chore(deps): Bump ${registry.host}/acme/web from 1.0.0 to 1.3.0`);
    expect(pr.body).toContain(
      `Skipped before (closing a bump pull request without merging skips its versions):\n\n- \`${registry.host}/acme/web\` \`1.2.0\`: #${closed.number} was closed without merging\n`,
    );
    // Only versions others than this one: 1.3.0 was never declined.
    expect(pr.body).not.toMatch(/`1\.3\.0`: #/);
    // A re-run writes nothing: the note is the same every time.
    const before = forge.writes().length;
    expect((await bump()).code).toBe(0);
    expect(forge.writes().length).toBe(before);
    expect(forge.violations).toEqual([]);
  });

  it("links the version's source and the commit it was built from, read from the linux/amd64 image of an index", async () => {
    const revision = '0123456789abcdef0123456789abcdef01234567';
    const arm = await pusher.pushImage('acme/web', '1.4.0-arm64', 'arm', {
      architecture: 'arm64',
      labels: { 'org.opencontainers.image.source': 'https://github.com/acme/not-this-one' },
    });
    const amd = await pusher.pushImage('acme/web', '1.4.0-amd64', 'amd', {
      created: '2026-12-01T08:00:00Z',
      labels: {
        // A label is the image author's text: a token in it must not reach the pull request.
        'org.opencontainers.image.source': 'https://x-access-token:ghp_labelsecret123@github.com/acme/web.git',
        'org.opencontainers.image.revision': revision,
      },
    });
    await pusher.pushIndex('acme/web', '1.4.0', [
      { digest: arm, architecture: 'arm64' },
      { digest: amd, architecture: 'amd64' },
    ]);
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    const pr = pull();
    expect(pr.title).toBe(`chore(deps): Bump ${registry.host}/acme/web from 1.0.0 to 1.4.0`);
    expect(pr.body).toContain(
      `| minor | \`1.0.0\` | \`1.4.0\` | 2026-12-01 | [github.com/acme/web](https://github.com/acme/web) ([0123456](https://github.com/acme/web/commit/${revision})) | \`apps/web.yaml:9\` | – |`,
    );
    expect(pr.body).not.toContain('not-this-one');
    expect(pr.body).not.toContain('ghp_labelsecret123');
    expect(run.stdout).not.toContain('ghp_labelsecret123');
    noSecrets(run);
  });

  const dashboard = () => [...forge.issues.values()].filter((i) => i.title === 'kubeplan dashboard');

  it('bump.dashboard keeps one "kubeplan dashboard" issue: current, next, skipped versions and the open pull request', async () => {
    const config = path.join(seed, 'kubeplan.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('bump:\n', 'bump:\n  dashboard: true\n'));
    git(seed, 'commit', '--quiet', '-am', 'dashboard');
    git(seed, 'push', '--quiet', bare, 'main');
    git(work, 'pull', '--quiet', '--ff-only');
    // Someone else's issue with the same title and label is never kubeplan's to edit.
    forge.issues.set(400, {
      number: 400,
      user: 'mallory',
      title: 'kubeplan dashboard',
      body: '<!-- kubeplan:dashboard -->\nmine',
      state: 'open',
      labels: ['kubeplan:dashboard'],
    });
    const skippedPull = [...forge.pulls.values()].find((p) => p.state === 'closed' && p.body.includes('"to":"1.2.0"'))!;
    const reviewRequests = calls('pulls/request-reviewers').length;
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    // main moved (the config commit): the branch is rebuilt on it, but that is no new version, so nobody (not even
    // ghost, who is always missing) is asked again.
    expect(run.stdout).toMatch(/acme-web: updated/);
    expect(calls('pulls/request-reviewers').length).toBe(reviewRequests);
    const open = pull();
    const issues = dashboard().filter((i) => i.user !== 'mallory');
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue).toMatchObject({ state: 'open', labels: ['kubeplan:dashboard'] });
    expect(issue.body).toContain('| Image | Current | Next | Skipped | Pull request |');
    expect(issue.body).toContain(
      `| \`${registry.host}/acme/web\` | \`1.0.0\` | \`1.4.0\` | \`1.2.0\` ([#${skippedPull.number}](https://github.com/acme/config/pull/${skippedPull.number}) closed) | [#${open.number}](https://github.com/acme/config/pull/${open.number}) |`,
    );
    expect(forge.issues.get(400)!.body).toBe('<!-- kubeplan:dashboard -->\nmine');
    expect(run.stdout).toContain(`dashboard: opened issue #${issue.number}`);

    // Nothing new: nothing written, the issue included.
    const before = forge.writes().length;
    const again = await bump();
    expect(again.code, again.stdout).toBe(0);
    expect(forge.writes().length).toBe(before);
    expect(again.stdout).toContain(`dashboard: issue #${issue.number} is up to date`);

    // The open pull request is closed without merging: the same issue now says 1.4.0 is skipped, and by which.
    open.state = 'closed';
    const skipped = await bump();
    expect(skipped.code, skipped.stdout).toBe(0);
    expect(dashboard().filter((i) => i.user !== 'mallory')).toHaveLength(1);
    expect(issue.body).toContain(
      `| \`${registry.host}/acme/web\` | \`1.0.0\` | \`1.4.0\` skipped | \`1.4.0\` ([#${open.number}](https://github.com/acme/config/pull/${open.number}) closed)<br>\`1.2.0\` ([#${skippedPull.number}](https://github.com/acme/config/pull/${skippedPull.number}) closed) | – |`,
    );
    expect(skipped.stdout).toContain(`dashboard: updated issue #${issue.number}`);
    expect(forge.violations).toEqual([]);
    noSecrets(skipped);
  });

  it('a dashboard GitHub refuses to edit is a warning; the bump pull request is still opened', async () => {
    const issue = dashboard().find((i) => i.user !== 'mallory')!;
    const before = issue.body;
    forge.faults.push({
      method: 'PATCH',
      pathPattern: new RegExp(`/issues/${issue.number}$`),
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    await pusher.pushImage('acme/web', '1.5.0');
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    expect(pull()).toMatchObject({
      state: 'open',
      title: `chore(deps): Bump ${registry.host}/acme/web from 1.0.0 to 1.5.0`,
    });
    expect(run.stdout).toMatch(
      /::warning::the dashboard issue was not updated: updating issue #\d+: GitHub answered 403/,
    );
    expect(issue.body).toBe(before);
  });

  it('the CLI keeps the dashboard too, saying so on stderr; a run for one image leaves it as it is', async () => {
    const issue = dashboard().find((i) => i.user !== 'mallory')!;
    const one = await cli('--image', `${registry.host}/acme/web`, '-o', 'json');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).not.toContain('dashboard');
    expect(issue.body).not.toContain('`1.5.0`');
    const run = await cli('-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    // stdout stays the JSON report.
    expect(JSON.parse(run.stdout).version).toBe(1);
    expect(run.stderr).toContain(`dashboard: updated issue #${issue.number}`);
    expect(issue.body).toContain(`| \`1.0.0\` | \`1.5.0\` |`);
    expect(`${run.stdout}${run.stderr}${issue.body}`).not.toContain('ghs_clitoken');
    expect(forge.violations).toEqual([]);
  });
});
