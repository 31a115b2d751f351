import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startForge, type Forge } from '../forge/forge.js';
import { OciTestClient } from '../harness/oci.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { runAction } from '../helpers/run-action.js';
import { runCliAsync } from '../helpers/run-cli.js';

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

describe('action command bump: pull requests through git http-backend and the local forge (bench registry)', () => {
  let registry: RunningRegistry;
  let pusher: OciTestClient;
  let forge: Forge;
  let scratch: string;
  let bare: string;
  let work: string;
  const password = () => registry.password;

  beforeAll(async () => {
    registry = await startRegistry(inject('registryBinary'), 'htpasswd');
    pusher = new OciTestClient(registry);
    await pusher.pushImage('acme/shop', '2.4.0');
    await pusher.pushImage('acme/shop', '2.5.0', '2.5.0', { created: '2026-11-30T12:00:00Z' });
    for (const tag of ['1.0.0', '1.1.0']) await pusher.pushImage('acme/api', tag);
    for (const tag of ['3.0.0', '3.0.1']) await pusher.pushImage('acme/worker', tag);
    scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-bump-action-'));
    const gitRoot = path.join(scratch, 'git');
    forge = await startForge({ gitRoot });
    bare = path.join(gitRoot, 'acme', 'config.git');
    mkdirSync(bare, { recursive: true });
    git(bare, 'init', '--quiet', '--bare', '--initial-branch=main');

    // The config repository: a chart's values with the shop image, manifests with api and worker (one group).
    const seed = path.join(scratch, 'seed');
    mkdirSync(seed);
    git(seed, 'init', '--quiet', '--initial-branch=main');
    const files: Record<string, string> = {
      'kubeplan.yaml': [
        'targets:',
        '  - name: shop',
        '    namespace: shop',
        '    helm: {chart: chart}',
        '  - name: backend',
        '    namespace: backend',
        '    manifests: backend',
        'images:',
        `  - name: ${registry.host}/acme/api`,
        '    group: backend',
        `  - name: ${registry.host}/acme/worker`,
        '    group: backend',
        'bump:',
        '  labels: [dependencies, images]',
        '',
      ].join('\n'),
      'chart/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 0.1.0\n',
      'chart/values.yaml': `# shop\nimage:\n  repository: ${registry.host}/acme/shop  # the storefront\n  tag: "2.4.0"\n`,
      'backend/deploy.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: ${registry.host}/acme/api:1.0.0\n        - name: worker\n          image: "${registry.host}/acme/worker:3.0.0"  # queue worker\n`,
    };
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(seed, name)), { recursive: true });
      writeFileSync(path.join(seed, name), content);
    }
    git(seed, 'add', '-A');
    git(seed, 'commit', '--quiet', '-m', 'config');
    git(seed, 'push', '--quiet', bare, 'main');
    work = path.join(scratch, 'work');
    git(scratch, 'clone', '--quiet', bare, work);
    // What actions/checkout leaves behind: its own token in a URL-scoped extra header. Here it may not push, so the
    // pushes below only succeed if git sends the token kubeplan was given.
    forge.readOnlyTokens.add('ghs_checkouttoken');
    git(
      work,
      'config',
      '--local',
      `http.${forge.url}/.extraheader`,
      `AUTHORIZATION: basic ${Buffer.from('x-access-token:ghs_checkouttoken').toString('base64')}`,
    );
  });
  afterAll(async () => {
    await forge?.stop();
    await registry?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const bump = (inputs: Record<string, string> = {}, event = 'schedule') =>
    runAction({
      repo: work,
      forge,
      event,
      payload: {},
      scratch,
      inputs: {
        'schedule-command': 'bump',
        'registry-auth': `${registry.host}=${registry.username}:${password()}`,
        kubeconfig: '',
        ...inputs,
      },
      env: { GITHUB_SERVER_URL: forge.url },
    });
  const pulls = () => [...forge.pulls.values()].sort((a, b) => a.number - b.number);
  const shopBranch = () => `kubeplan/bump/${registry.host.replace(':', '-')}-acme-shop`;
  /** The newest pull request of a branch. */
  const pullOf = (branch: string) =>
    pulls()
      .filter((p) => p.head === branch)
      .at(-1)!;
  const branchFile = (branch: string, file: string) => git(bare, 'show', `${branch}:${file}`);
  const pushes = () => forge.requests.filter((r) => r.operation === 'git push' && r.method === 'POST').length;

  it('opens one pull request per image or group, on stable branches, with labels, outputs and a summary', async () => {
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    expect(forge.violations).toEqual([]);
    expect(pulls()).toHaveLength(2);
    const shop = pullOf(shopBranch());
    const backend = pullOf('kubeplan/bump/backend');
    expect(shop).toMatchObject({
      title: `Bump ${registry.host}/acme/shop from 2.4.0 to 2.5.0`,
      head: `kubeplan/bump/${registry.host.replace(':', '-')}-acme-shop`,
      base: 'main',
      state: 'open',
      labels: ['dependencies', 'images'],
    });
    expect(backend).toMatchObject({ title: 'Bump backend: api 1.1.0, worker 3.0.1', head: 'kubeplan/bump/backend' });
    // The update type and the day the version was built (from its image config; none given for the others).
    expect(shop!.body).toContain('| Image | Update | From | To | Built | Source | Where | Digest |');
    expect(shop!.body).toContain(
      `| [${registry.host}/acme/shop](http://${registry.host}/acme/shop) | minor | \`2.4.0\` | \`2.5.0\` | 2026-11-30 | – | \`chart/values.yaml:4\` | – |`,
    );
    expect(backend!.body).toMatch(/\/acme\/api\) \| minor \| `1\.0\.0` \| `1\.1\.0` \| – \|/);
    expect(backend!.body).toMatch(/\/acme\/worker\) \| patch \| `3\.0\.0` \| `3\.0\.1` \| – \|/);
    expect(shop!.body).toContain(
      `<!-- kubeplan:bump {"images":[{"key":"${registry.host}/acme/shop","to":"2.5.0"}]} -->`,
    );
    // The branch is one commit on main that changes exactly the version, byte for byte.
    const main = git(bare, 'rev-parse', 'main');
    expect(git(bare, 'rev-parse', `${shop!.head}^`)).toBe(main);
    expect(branchFile(shop!.head, 'chart/values.yaml')).toBe(
      `# shop\nimage:\n  repository: ${registry.host}/acme/shop  # the storefront\n  tag: "2.5.0"`,
    );
    expect(git(bare, 'diff', '--stat', 'main', backend!.head)).toMatch(/backend\/deploy\.yaml \| 4 \+\+--/);
    expect(branchFile(backend!.head, 'backend/deploy.yaml')).toContain(
      `image: "${registry.host}/acme/worker:3.0.1"  # queue worker`,
    );
    expect(git(bare, 'log', '-1', '--format=%an <%ae>', shop!.head)).toBe(
      'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>',
    );
    // The working tree of the checkout is untouched.
    expect(git(work, 'status', '--porcelain')).toBe('');
    expect(JSON.parse(run.outputs['pull-requests']!)).toHaveLength(2);
    expect(JSON.parse(run.outputs.bumps!)).toContainEqual({
      image: `${registry.host}/acme/shop`,
      status: 'bump',
      from: '2.4.0',
      to: '2.5.0',
      pullRequest: `https://github.com/acme/config/pull/${shop!.number}`,
    });
    expect(run.summary).toContain(`| \`${registry.host}/acme/shop\` | 2.4.0 → 2.5.0 | [#${shop!.number}]`);
    // The registry password and the GitHub token never reach the log, the summary, the outputs, the pull requests or
    // the repository's git config.
    for (const secret of [password(), 'ghs_actiontoken']) {
      for (const text of [
        run.stdout.replaceAll(`::add-mask::${secret}`, ''),
        run.summary,
        JSON.stringify(run.outputs),
        ...pulls().map((p) => `${p.title}${p.body}`),
        readFileSync(path.join(work, '.git', 'config'), 'utf8'),
      ]) {
        expect(text).not.toContain(secret);
      }
    }
  });

  it('a second run with nothing new writes nothing: no push, no API write', async () => {
    const before = { writes: forge.writes().length, pushes: pushes() };
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    expect(forge.writes().length).toBe(before.writes);
    expect(pushes()).toBe(before.pushes);
    expect(run.stdout).toMatch(/kubeplan\/bump\/backend: unchanged/);
  });

  it('a newer tag updates the same branch and pull request in place', async () => {
    await pusher.pushImage('acme/shop', '2.6.0');
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    expect(pulls()).toHaveLength(2);
    const shop = pullOf(shopBranch());
    expect(shop.title).toBe(`Bump ${registry.host}/acme/shop from 2.4.0 to 2.6.0`);
    expect(branchFile(shop.head, 'chart/values.yaml')).toContain('tag: "2.6.0"');
    expect(git(bare, 'rev-list', '--count', `main..${shop.head}`)).toBe('1');
    expect(forge.violations).toEqual([]);
  });

  it('a pull request closed without merging skips that version; a newer version opens a new one', async () => {
    const shop = pullOf(shopBranch());
    shop.state = 'closed';
    const skipped = await bump();
    expect(skipped.code, skipped.stdout).toBe(0);
    expect(skipped.stdout, skipped.stdout).toContain(
      `${registry.host}/acme/shop: 2.6.0 skipped: #${shop.number} was closed without merging; reopen #${shop.number} to get it again`,
    );
    expect(pulls().filter((p) => p.state === 'open')).toHaveLength(1);

    await pusher.pushImage('acme/shop', '2.7.0');
    const next = await bump();
    expect(next.code, next.stdout).toBe(0);
    const reopened = pulls().filter((p) => p.state === 'open' && p.head === shop.head);
    expect(reopened).toHaveLength(1);
    expect(reopened[0]!.title).toBe(`Bump ${registry.host}/acme/shop from 2.4.0 to 2.7.0`);
    expect(reopened[0]!.number).not.toBe(shop.number);
  });

  it('an open pull request whose images were moved by hand is closed with a comment saying why', async () => {
    const seed = path.join(scratch, 'seed');
    const file = path.join(seed, 'backend/deploy.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace('acme/api:1.0.0', 'acme/api:1.1.0')
        .replace('acme/worker:3.0.0', 'acme/worker:3.0.1'),
    );
    git(seed, 'commit', '--quiet', '-am', 'bump backend by hand');
    git(seed, 'push', '--quiet', bare, 'main');
    git(work, 'pull', '--quiet', '--ff-only');
    const backend = pulls().find((p) => p.head === 'kubeplan/bump/backend')!;
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    expect(backend.state).toBe('closed');
    const comment = forge.comments.get(backend.number)!.at(-1)!.body;
    expect(comment).toContain(
      `No longer needed: ${registry.host}/acme/api is at 1.1.0, the newest version its policy allows`,
    );
    // The shop pull request is rebuilt on the new main: still one commit on top of it.
    const shop = pulls().find((p) => p.state === 'open')!;
    expect(git(bare, 'rev-parse', `${shop.head}^`)).toBe(git(bare, 'rev-parse', 'main'));
    expect(forge.violations).toEqual([]);
  });

  it('repository_dispatch with image and tag bumps that version (auto command), checking the digest', async () => {
    const digest = await pusher.pushImage('acme/worker', '3.0.2');
    const run = await bump(
      { command: 'auto', image: `${registry.host}/acme/worker`, tag: '3.0.2', digest },
      'repository_dispatch',
    );
    expect(run.code, run.stdout).toBe(0);
    const backend = pulls().find((p) => p.state === 'open' && p.head === 'kubeplan/bump/backend')!;
    expect(backend.title).toBe(`Bump ${registry.host}/acme/worker from 3.0.1 to 3.0.2`);
    expect(JSON.parse(run.outputs.bumps!)).toEqual([
      {
        image: `${registry.host}/acme/worker`,
        status: 'bump',
        from: '3.0.1',
        to: '3.0.2',
        pullRequest: `https://github.com/acme/config/pull/${backend.number}`,
      },
    ]);
    // A dispatch looks at one image: the other open pull requests stay as they are.
    expect(pulls().filter((p) => p.state === 'open')).toHaveLength(2);
  });

  it('a token that cannot push fails the step with what to do, and opens nothing', async () => {
    await pusher.pushImage('acme/api', '1.2.0');
    forge.readOnlyTokens.add('ghs_readonly');
    const before = pulls().length;
    const run = await bump({ 'github-token': 'ghs_readonly', image: `${registry.host}/acme/api` });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toMatch(/git push kubeplan\/bump\/backend failed.*may push branches/);
    expect(pulls()).toHaveLength(before);
  });

  it('the CLI opens pull requests too, from GITHUB_TOKEN and GITHUB_REPOSITORY, into the checked-out branch', async () => {
    const docker = path.join(scratch, 'docker');
    mkdirSync(docker, { recursive: true });
    writeFileSync(
      path.join(docker, 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { username: registry.username, password: password() } } }),
    );
    // An uncommitted change in a file the bump edits is refused: it would not be in the branch made from HEAD.
    const values = path.join(work, 'chart/values.yaml');
    const committed = readFileSync(values, 'utf8');
    writeFileSync(values, committed.replace('# shop', '# shop, edited by hand'));
    const dirty = await runCliAsync(['bump', '--image', `${registry.host}/acme/shop`], {
      cwd: work,
      env: {
        GITHUB_TOKEN: 'ghs_clitoken',
        GITHUB_REPOSITORY: 'acme/config',
        GITHUB_API_URL: forge.url,
        GITHUB_SERVER_URL: forge.url,
        DOCKER_CONFIG: path.join(scratch, 'docker'),
      },
    });
    writeFileSync(values, committed);
    expect(dirty.code).toBe(2);
    expect(dirty.stdout).toContain('chart/values.yaml differs from the committed file (uncommitted changes?)');
    await pusher.pushImage('acme/shop', '2.8.0');
    const run = await runCliAsync(['bump', '--image', `${registry.host}/acme/shop`], {
      cwd: work,
      env: {
        GITHUB_TOKEN: 'ghs_clitoken',
        GITHUB_REPOSITORY: 'acme/config',
        GITHUB_API_URL: forge.url,
        GITHUB_SERVER_URL: forge.url,
        DOCKER_CONFIG: docker,
      },
    });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const shop = pullOf(shopBranch());
    expect(shop).toMatchObject({
      state: 'open',
      base: 'main',
      title: `Bump ${registry.host}/acme/shop from 2.4.0 to 2.8.0`,
    });
    expect(run.stdout).toContain(`${shopBranch()}: updated https://github.com/acme/config/pull/${shop.number}`);
    expect(run.stdout + run.stderr).not.toContain('ghs_clitoken');
    expect(forge.violations).toEqual([]);
  });

  it('an image that joins a group moves to the group pull request; its own is closed as superseded', async () => {
    const seed = path.join(scratch, 'seed');
    const config = path.join(seed, 'kubeplan.yaml');
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(
        'bump:\n',
        `  - name: ${registry.host}/acme/shop\n    group: backend\nbump:\n`,
      ),
    );
    git(seed, 'commit', '--quiet', '-am', 'shop joins the backend group');
    git(seed, 'push', '--quiet', bare, 'main');
    git(work, 'pull', '--quiet', '--ff-only');
    const own = pullOf(shopBranch());
    const run = await bump();
    expect(run.code, run.stdout).toBe(0);
    const group = pulls().find((p) => p.state === 'open' && p.head === 'kubeplan/bump/backend')!;
    expect(group.body).toContain(`${registry.host}/acme/shop`);
    expect(own.state).toBe('closed');
    expect(forge.comments.get(own.number)!.at(-1)!.body).toContain(`Superseded by #${group.number}`);
    expect(forge.violations).toEqual([]);
  });

  it("with no registry-auth, runs the credential helper Docker's config.json names, and masks the secret it gives", async () => {
    const helperDir = mkdtempSync(path.join(scratch, 'helper-'));
    const script = path.join(helperDir, 'docker-credential-bench');
    writeFileSync(
      script,
      `#!/bin/sh\nread -r server\nprintf '{"ServerURL":"%s","Username":"${registry.username}","Secret":"${password()}"}\\n' "$server"\n`,
    );
    chmodSync(script, 0o755);
    writeFileSync(path.join(helperDir, 'config.json'), JSON.stringify({ credsStore: 'bench' }));
    const run = await runAction({
      repo: work,
      forge,
      event: 'schedule',
      payload: {},
      scratch,
      inputs: { 'schedule-command': 'bump', kubeconfig: '' },
      env: {
        GITHUB_SERVER_URL: forge.url,
        DOCKER_CONFIG: helperDir,
        PATH: `${helperDir}${path.delimiter}${inject('toolsDir')}${path.delimiter}${process.env.PATH}`,
      },
    });
    // Without credentials every image of the htpasswd registry would fail the step.
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(`::add-mask::${password()}`);
    for (const text of [
      run.stdout.replaceAll(`::add-mask::${password()}`, ''),
      run.summary,
      JSON.stringify(run.outputs),
      ...pulls().map((p) => `${p.title}${p.body}`),
    ])
      expect(text).not.toContain(password());
  });
});
