import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type GitLab, startGitLab } from '../forge/gitlab.js';
import { GitLabApi } from '../../src/platform/gitlab/api.js';
import { OciTestClient } from '../harness/oci.js';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { gitlabVariables, runComponentJob, type GitLabJobRun } from '../helpers/run-gitlab.js';

// kubeplan ci in GitLab jobs, run the way a runner runs the CI/CD component (templates/kubeplan.yml), against the bench
// apiserver, the bench registry and a local GitLab (test/forge/gitlab.ts) that serves the API and git over HTTP.
const TOKEN = 'glpat-seeded-project-token-7f3a9c';
const SECRET = 'seeded-secret-value-gl-5e1d';
let gitlab: GitLab;
let registry: RunningRegistry;
let scratch: string;
let bare: string;

const gitEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  GIT_AUTHOR_NAME: 'dev',
  GIT_AUTHOR_EMAIL: 'dev@acme.test',
  GIT_COMMITTER_NAME: 'dev',
  GIT_COMMITTER_EMAIL: 'dev@acme.test',
};
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv }).trim();

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-gitlab-'));
  const gitRoot = path.join(scratch, 'git');
  gitlab = await startGitLab({ gitRoot });
  bare = path.join(gitRoot, 'acme', 'config.git');
  mkdirSync(bare, { recursive: true });
  git(bare, 'init', '--quiet', '--bare', '--initial-branch=main');
  registry = await startRegistry(inject('registryBinary'), 'htpasswd');
});
afterAll(async () => {
  await gitlab?.stop();
  await registry?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A clone of a fresh config repository with one target in `ns`, its first commit on main pushed. */
function project(ns: string, extra: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(scratch, 'project-'));
  git(dir, 'init', '--quiet', '--initial-branch=main');
  const files: Record<string, string> = {
    'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
    'manifests/cm.yaml': configMap('1'),
    'manifests/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${SECRET}\n`,
    ...extra,
  };
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', 'config');
  const commit = (message: string, changes: Record<string, string>) => {
    for (const [name, content] of Object.entries(changes)) writeFileSync(path.join(dir, name), content);
    git(dir, 'commit', '--quiet', '-am', message);
    return git(dir, 'rev-parse', 'HEAD');
  };
  return { dir, head: () => git(dir, 'rev-parse', 'HEAD'), commit };
}

const configMap = (value: string) =>
  `# settings\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  VALUE: "${value}"\n`;

/** A merge request in the local GitLab, as it exists when its pipeline runs. */
function openMergeRequest(iid: number, state: 'opened' | 'merged' = 'opened', sha?: string) {
  const now = new Date().toISOString();
  gitlab.mergeRequests.set(iid, {
    id: 1000 + iid,
    iid,
    title: `Change ${iid}`,
    description: '',
    state,
    source_branch: `change-${iid}`,
    target_branch: 'main',
    labels: [],
    author: 'dev',
    sha,
    merge_commit_sha: state === 'merged' ? sha : null,
    created_at: now,
    updated_at: now,
  });
}

/** A job of the component in `dir` for a pipeline of `source`, with the bench kubeconfig as the agent's. */
function job(
  dir: string,
  source: Parameters<typeof gitlabVariables>[0]['source'],
  options: {
    sha: string;
    mergeRequest?: { iid: number; baseSha: string; sourceProjectId?: number };
    beforeSha?: string;
    inputs?: Record<string, string | boolean>;
    env?: Record<string, string>;
    token?: string | null;
  },
): Promise<GitLabJobRun> {
  return runComponentJob({
    scratch,
    projectDir: dir,
    inputs: { image: 'registry.example.com/platform/kubeplan:1', ...options.inputs },
    env: {
      ...gitlabVariables({
        apiUrl: gitlab.url,
        serverUrl: gitlab.serverUrl,
        projectId: gitlab.project.id,
        projectPath: gitlab.project.path,
        projectDir: dir,
        source,
        sha: options.sha,
        mergeRequest: options.mergeRequest,
        beforeSha: options.beforeSha,
      }),
      KUBECONFIG: bench().adminKubeconfig,
      ...(options.token === null ? {} : { KUBEPLAN_GITLAB_TOKEN: options.token ?? TOKEN }),
      ...options.env,
    },
  });
}

const notesOn = (iid: number) => gitlab.mergeRequestNotes.get(iid) ?? [];
const ok = (run: GitLabJobRun) => expect(run.code, run.log).toBe(0);
/** Nothing kubeplan wrote anywhere holds the token or the Secret's value. */
function expectNoSecrets(run: GitLabJobRun) {
  const written = [
    run.log,
    run.summary,
    run.report,
    JSON.stringify(run.dotenv),
    JSON.stringify(run.codequality),
    ...[...gitlab.mergeRequestNotes.values()].flat().map((n) => n.body),
    ...[...gitlab.issues.values()].map((i) => `${i.title}${i.description}`),
    ...[...gitlab.mergeRequests.values()].map((m) => `${m.title}${m.description}`),
  ];
  for (const text of written) {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(SECRET);
  }
}

describe('kubeplan ci on merge requests', () => {
  it('keeps one note: created once, no write on a re-run, edited in place, then No changes', async () => {
    const ns = await freshNamespace('glmr');
    const p = project(ns);
    const base = p.head();
    const head = p.commit('debug', { 'manifests/cm.yaml': configMap('2') });
    const mr = { iid: 11, baseSha: base };
    openMergeRequest(11, 'opened', head);
    const first = await job(p.dir, 'merge_request_event', { sha: head, mergeRequest: mr });
    ok(first);
    expect(gitlab.violations).toEqual([]);
    expect(notesOn(11), first.log).toHaveLength(1);
    const note = notesOn(11)[0]!;
    expect(note.body).toMatch(/^<!-- kubeplan:plan:[\w.-]+ part:1\/1 -->/);
    expect(note.body).toContain('### kubeplan: Plan: +2 to create');
    expect(note.body).toContain(`${gitlab.project.webUrl}/-/commit/${head}`);
    expect(note.body).toContain(`[run](${gitlab.project.webUrl}/-/jobs/4242)`);
    expect(first.dotenv).toMatchObject({ KUBEPLAN_HAS_CHANGES: 'true', KUBEPLAN_MATRIX: '["app"]' });
    expect(first.dotenv.KUBEPLAN_COMMENT_URL).toBe(`${gitlab.project.webUrl}/-/merge_requests/11#note_${note.id}`);
    expect(JSON.parse(first.report)).toMatchObject({ summary: { create: 2 } });
    expect(first.summary).toContain('### kubeplan: Plan: +2 to create');
    // GitLab's collapsible sections, not GitHub's ::group::.
    expect(first.log).toMatch(/\u001b\[0Ksection_start:\d+:kubeplan_1\[collapsed=true\]\r\u001b\[0Kapp: /);
    expect(first.log).not.toContain('::group::');
    expectNoSecrets(first);

    const writes = gitlab.writes().length;
    ok(await job(p.dir, 'merge_request_event', { sha: head, mergeRequest: mr }));
    expect(gitlab.writes().length).toBe(writes);

    const again = p.commit('info', { 'manifests/cm.yaml': configMap('3') });
    ok(await job(p.dir, 'merge_request_event', { sha: again, mergeRequest: mr }));
    expect(notesOn(11)).toHaveLength(1);
    expect(notesOn(11)[0]!.id).toBe(note.id);
    expect(notesOn(11)[0]!.body).toMatch(/\+ {2}VALUE: .3./);

    // The merge request now changes nothing: its note says so instead of keeping a stale diff.
    const same = p.head();
    ok(await job(p.dir, 'merge_request_event', { sha: same, mergeRequest: { iid: 11, baseSha: same } }));
    expect(notesOn(11)).toHaveLength(1);
    expect(notesOn(11)[0]!.body).toContain('### kubeplan: No changes');
  });

  it('finds its note again past GitLab’s pages, and reaches the cluster through the GitLab agent context', async () => {
    const ns = await freshNamespace('glpage');
    const p = project(ns);
    const base = p.head();
    const head = p.commit('change', { 'manifests/cm.yaml': configMap('2') });
    openMergeRequest(15, 'opened', head);
    // 130 notes of reviewers and GitLab itself before kubeplan's: its note is on the second page of 100.
    const now = new Date().toISOString();
    gitlab.mergeRequestNotes.set(
      15,
      Array.from({ length: 130 }, (_, i) => ({
        id: 90_000 + i,
        body: i % 2 ? `review remark ${i}` : 'added 1 commit',
        author: i % 2 ? 'alice' : 'gitlab-bot',
        created_at: now,
        updated_at: now,
        system: i % 2 === 0,
      })),
    );
    // The agent's KUBECONFIG: one context per agent, named <agent-project-path>:<agent-name>; none is current.
    const kubeconfig = readFileSync(bench().adminKubeconfig, 'utf8')
      .replace(/current-context: .*/, 'current-context: ""')
      .replaceAll('bench-admin', 'acme/agents:prod');
    const agentConfig = path.join(scratch, 'agent-kubeconfig');
    writeFileSync(agentConfig, kubeconfig);
    const viaAgent = { inputs: { context: 'acme/agents:prod' }, env: { KUBECONFIG: agentConfig } };
    const mr = { iid: 15, baseSha: base };
    const first = await job(p.dir, 'merge_request_event', { sha: head, mergeRequest: mr, ...viaAgent });
    ok(first);
    expect(notesOn(15)).toHaveLength(131);
    expect(notesOn(15).at(-1)!.body).toContain('against cluster acme/agents:prod (');
    const writes = gitlab.writes().length;
    ok(await job(p.dir, 'merge_request_event', { sha: head, mergeRequest: mr, ...viaAgent }));
    expect(gitlab.writes().length).toBe(writes);
    expect(notesOn(15)).toHaveLength(131);
  });

  it('a fork merge request and a job without the token write nothing to GitLab, and the plan is in the log and artifacts', async () => {
    const ns = await freshNamespace('glfork');
    const p = project(ns);
    const base = p.head();
    const head = p.commit('change', { 'manifests/cm.yaml': configMap('2') });
    openMergeRequest(12, 'opened', head);
    openMergeRequest(13, 'opened', head);
    const writes = gitlab.writes().length;
    const fork = await job(p.dir, 'merge_request_event', {
      sha: head,
      mergeRequest: { iid: 12, baseSha: base, sourceProjectId: 777 },
    });
    ok(fork);
    expect(fork.log).toContain('merge request from a fork: nothing is written back to it');
    const tokenless = await job(p.dir, 'merge_request_event', {
      sha: head,
      mergeRequest: { iid: 13, baseSha: base },
      token: null,
    });
    ok(tokenless);
    expect(gitlab.writes().length).toBe(writes);
    expect(tokenless.log).toContain('no GitLab API token in $KUBEPLAN_GITLAB_TOKEN');
    expect(tokenless.log).toContain('CI_JOB_TOKEN cannot write notes');
    expect(tokenless.summary).toContain('+2 to create');
    expect(tokenless.log).toContain('create  v1 ConfigMap');
  });

  it('GitLab failing once is retried; a read_api token is a warning naming the scope; a refused note fails the job after its artifacts', async () => {
    const ns = await freshNamespace('glfault');
    const p = project(ns);
    const base = p.head();
    const head = p.commit('change', { 'manifests/cm.yaml': configMap('2') });
    const mr = { iid: 16, baseSha: base };
    openMergeRequest(16, 'opened', head);
    gitlab.faults.push({ operation: 'merge_request_notes/list', status: 502, body: { message: '502 Bad Gateway' } });
    const retried = await job(p.dir, 'merge_request_event', { sha: head, mergeRequest: mr });
    ok(retried);
    expect(retried.log).toMatch(
      /GitLab: GET \/api\/v4\/projects\/42\/merge_requests\/16\/notes: GitLab answered 502; retrying in 1 s/,
    );
    expect(notesOn(16)).toHaveLength(1);

    gitlab.readOnlyTokens.add('glpat-read-only-token-0000');
    const readOnly = await job(p.dir, 'merge_request_event', {
      sha: p.commit('again', { 'manifests/cm.yaml': configMap('3') }),
      mergeRequest: mr,
      token: 'glpat-read-only-token-0000',
    });
    ok(readOnly);
    expect(readOnly.log).toContain('cannot write the plan comment (cannot update the plan note: 403');
    expect(readOnly.log).toContain('give the token the api scope');

    gitlab.faults.push({
      operation: 'merge_request_notes/update',
      status: 400,
      body: { message: '400 Bad request - Note {:note=>["is too long (maximum is 1000000 characters)"]}' },
    });
    const refused = await job(p.dir, 'merge_request_event', { sha: p.head(), mergeRequest: mr });
    expect(refused.code).toBe(2);
    expect(refused.log).toContain('cannot update the plan note: 400 400 Bad request - Note');
    expect(refused.log).not.toMatch(/bug in kubeplan| {4}at /);
    expect(refused.summary).toContain('VALUE');
    expect(refused.dotenv.KUBEPLAN_HAS_CHANGES).toBe('true');
  });

  it('a broken config fails the job with a Code Quality entry on the file and line', async () => {
    const ns = await freshNamespace('glbad');
    const p = project(ns);
    const base = p.head();
    const head = p.commit('typo', {
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n    nmespace: x\n`,
    });
    openMergeRequest(14, 'opened', head);
    const run = await job(p.dir, 'merge_request_event', { sha: head, mergeRequest: { iid: 14, baseSha: base } });
    expect(run.code).toBe(2);
    expect(run.log).toContain('kubeplan.yaml:5: target "app": unknown field "nmespace"');
    expect(run.codequality).toEqual([
      expect.objectContaining({ location: { path: 'kubeplan.yaml', lines: { begin: 5 } }, severity: 'major' }),
    ]);
    expect(notesOn(14)[0]!.body).toContain('### kubeplan: the plan failed');
    expect(run.log).not.toMatch(/bug in kubeplan| {4}at /);
  });
});

describe('kubeplan ci on the default branch and on schedules', () => {
  it('tracks drift in a kubeplan::drift issue, applies with a deployment and a note on the merged merge request, then closes the issue', async () => {
    const ns = await freshNamespace('glapply');
    // The deployment goes to the environment kubeplan.yaml names (GitLab's deployments API takes no tier).
    const p = project(ns, {
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n    environment: app-live\n`,
    });
    const sha = p.head();
    const drift = () => job(p.dir, 'schedule', { sha });
    const drifting = await drift();
    ok(drifting);
    const open = [...gitlab.issues.values()].filter((i) => i.state === 'opened');
    expect(open).toHaveLength(1);
    expect(open[0]!.labels).toEqual(['kubeplan::drift']);
    expect(open[0]!.title).toContain('kubeplan drift: app differs from git since');
    const writes = gitlab.writes().length;
    ok(await drift());
    expect(gitlab.writes().length).toBe(writes);

    // The commit is GitLab's (the merge of !21), so GitLab finds its merge request.
    git(p.dir, 'push', '--quiet', bare, 'HEAD:refs/heads/settings');
    openMergeRequest(21, 'merged', sha);
    const apply = await job(p.dir, 'push', { sha, beforeSha: '0'.repeat(40), inputs: { apply: true } });
    ok(apply);
    expect(JSON.parse(apply.dotenv.KUBEPLAN_APPLIED!)).toMatchObject({ app: { created: 2 } });
    expect((await api(`GET`, `/api/v1/namespaces/${ns}/configmaps/settings`)).status).toBe(200);
    const deployment = gitlab.deployments.find((d) => d.environment === 'app-live' && d.sha === sha)!;
    expect(deployment.statuses).toEqual(['running', 'success']);
    expect(notesOn(21).at(-1)?.body, apply.log).toContain(`### kubeplan applied \`${sha.slice(0, 7)}\``);
    expectNoSecrets(apply);

    // A job that declares environment: itself gets its deployment from GitLab: deployments false records none.
    const count = gitlab.deployments.length;
    ok(await job(p.dir, 'push', { sha, beforeSha: '0'.repeat(40), inputs: { apply: true, deployments: false } }));
    expect(gitlab.deployments.length).toBe(count);

    ok(await drift());
    expect(gitlab.issues.get(open[0]!.iid)!.state).toBe('closed');
    expect(gitlab.issueNotes.get(open[0]!.iid)!.at(-1)!.body).toContain('The cluster matches git again for target app');
  });
});

describe('kubeplan ci bumps', () => {
  it('opens a merge request on a stable branch pushed over HTTPS, and updates it in place', async () => {
    const pusher = new OciTestClient(registry);
    for (const tag of ['1.0.0', '1.1.0']) await pusher.pushImage('acme/web', tag);
    const seed = project('bump-ns', {
      'manifests/deploy.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ${registry.host}/acme/web:1.0.0  # the site\n`,
    });
    git(seed.dir, 'push', '--quiet', bare, 'main');
    const docker = path.join(scratch, 'docker');
    mkdirSync(docker, { recursive: true });
    writeFileSync(
      path.join(docker, 'config.json'),
      JSON.stringify({
        auths: {
          [registry.host]: { auth: Buffer.from(`${registry.username}:${registry.password}`).toString('base64') },
        },
      }),
    );
    const bump = () =>
      job(seed.dir, 'schedule', {
        sha: seed.head(),
        env: { KUBEPLAN_SCHEDULE_COMMAND: 'bump', DOCKER_CONFIG: docker },
      });
    const first = await bump();
    ok(first);
    const mrs = [...gitlab.mergeRequests.values()].filter((m) => m.source_branch.startsWith('kubeplan/bump/'));
    expect(mrs).toHaveLength(1);
    expect(mrs[0]).toMatchObject({
      title: `Bump ${registry.host}/acme/web from 1.0.0 to 1.1.0`,
      state: 'opened',
      target_branch: 'main',
    });
    expect(git(bare, 'show', `${mrs[0]!.source_branch}:manifests/deploy.yaml`)).toContain(
      `image: ${registry.host}/acme/web:1.1.0  # the site`,
    );
    expect(JSON.parse(first.dotenv.KUBEPLAN_PULL_REQUESTS!)).toEqual([
      `${gitlab.project.webUrl}/-/merge_requests/${mrs[0]!.iid}`,
    ]);
    await pusher.pushImage('acme/web', '1.2.0');
    ok(await bump());
    const after = [...gitlab.mergeRequests.values()].filter((m) => m.source_branch.startsWith('kubeplan/bump/'));
    expect(after).toHaveLength(1);
    expect(after[0]!.title).toBe(`Bump ${registry.host}/acme/web from 1.0.0 to 1.2.0`);
    expect(readFileSync(path.join(seed.dir, '.git', 'config'), 'utf8')).not.toContain(TOKEN);
    expectNoSecrets(first);
    expect(first.log).not.toContain(registry.password);

    // App CI announces 1.3.0 with a pipeline trigger: that version, through the same merge request.
    await pusher.pushImage('acme/web', '1.3.0');
    const announced = await job(seed.dir, 'trigger', {
      sha: seed.head(),
      env: { KUBEPLAN_IMAGE: `${registry.host}/acme/web`, KUBEPLAN_TAG: '1.3.0', DOCKER_CONFIG: docker },
    });
    ok(announced);
    const bumped = [...gitlab.mergeRequests.values()].filter((m) => m.source_branch.startsWith('kubeplan/bump/'));
    expect(bumped).toHaveLength(1);
    expect(bumped[0]!.title).toBe(`Bump ${registry.host}/acme/web from 1.0.0 to 1.3.0`);

    // Without the API token a bump cannot open anything, and says which variable to set.
    const tokenless = await job(seed.dir, 'schedule', {
      sha: seed.head(),
      env: { KUBEPLAN_SCHEDULE_COMMAND: 'bump', DOCKER_CONFIG: docker },
      token: null,
    });
    expect(tokenless.code, tokenless.log).toBe(2);
    expect(tokenless.log).toContain('kubeplan ci $KUBEPLAN_GITLAB_TOKEN: bump opens merge requests and needs a token');
  });
});

describe('kubeplan ci bumps with reviewers and assignees', () => {
  it('looks the usernames up, sends their ids with the commit prefix, warns about a name GitLab does not know, and keeps the dashboard issue', async () => {
    const pusher = new OciTestClient(registry);
    for (const tag of ['1.0.0', '1.1.0']) await pusher.pushImage('acme/people', tag);
    gitlab.users.set('alice', { id: 7001, username: 'alice', name: 'Alice', bot: false });
    gitlab.users.set('bob', { id: 7002, username: 'bob', name: 'Bob', bot: false });
    const seed = project('bump-people', {
      'kubeplan.yaml': [
        'targets:',
        '  - name: app',
        '    namespace: bump-people',
        '    manifests: manifests',
        'bump:',
        '  reviewers: [alice, ghost]',
        '  assignees: [bob]',
        '  commitMessagePrefix: "chore(deps): "',
        '  dashboard: true',
        '',
      ].join('\n'),
      'manifests/deploy.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: people}\nspec:\n  template:\n    spec:\n      containers:\n        - name: people\n          image: ${registry.host}/acme/people:1.0.0\n`,
    });
    git(seed.dir, 'push', '--quiet', '--force', bare, 'main');
    const docker = path.join(scratch, 'docker-people');
    mkdirSync(docker, { recursive: true });
    writeFileSync(
      path.join(docker, 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { username: registry.username, password: registry.password } } }),
    );
    const bump = () =>
      job(seed.dir, 'schedule', {
        sha: seed.head(),
        env: { KUBEPLAN_SCHEDULE_COMMAND: 'bump', DOCKER_CONFIG: docker },
      });
    const first = await bump();
    ok(first);
    expect(gitlab.violations).toEqual([]);
    const mr = [...gitlab.mergeRequests.values()].find((m) => m.source_branch.endsWith('acme-people'))!;
    expect(mr.title).toBe(`chore(deps): Bump ${registry.host}/acme/people from 1.0.0 to 1.1.0`);
    expect(git(bare, 'log', '-1', '--format=%s', mr.source_branch)).toBe(mr.title);
    expect(mr.reviewer_ids).toEqual([7001]);
    expect(mr.assignee_ids).toEqual([7002]);
    expect(first.log).toContain(
      `warning: reviewer ghost was not added to !${mr.iid}: GitLab has no user of that name (check bump.reviewers in kubeplan.yaml)`,
    );
    // The dashboard issue, with GitLab's scoped label and merge request references.
    const dashboard = [...gitlab.issues.values()].filter((i) => i.title === 'kubeplan dashboard');
    expect(dashboard).toHaveLength(1);
    expect(dashboard[0]!.labels).toEqual(['kubeplan::dashboard']);
    expect(dashboard[0]!.description).toContain('| Image | Current | Next | Skipped | Merge request |');
    expect(dashboard[0]!.description).toContain(
      `| \`${registry.host}/acme/people\` | \`1.0.0\` | \`1.1.0\` | – | [!${mr.iid}](${gitlab.project.webUrl}/-/merge_requests/${mr.iid}) |`,
    );
    expectNoSecrets(first);

    // Someone else was asked by hand: a newer version adds only who is missing, and keeps them.
    mr.reviewer_ids = [7002];
    await pusher.pushImage('acme/people', '1.2.0');
    const writes = gitlab.requests.filter((r) => r.operation === 'merge_requests/update').length;
    ok(await bump());
    expect(mr.title).toBe(`chore(deps): Bump ${registry.host}/acme/people from 1.0.0 to 1.2.0`);
    expect(mr.reviewer_ids).toEqual([7002, 7001]);
    expect(mr.assignee_ids).toEqual([7002]);
    expect([...gitlab.issues.values()].filter((i) => i.title === 'kubeplan dashboard')[0]!.description).toContain(
      `| \`1.0.0\` | \`1.2.0\` | – | [!${mr.iid}]`,
    );
    // The title and description, then the reviewers (the assignee is there already).
    expect(gitlab.requests.filter((r) => r.operation === 'merge_requests/update').length).toBe(writes + 2);
    expect(gitlab.violations).toEqual([]);
  });
});

describe('kubeplan ci labels', () => {
  it('labels: true puts kubeplan:changes on the merge request (the label created in colour), then kubeplan:no-changes, and no other label changes', async () => {
    const ns = await freshNamespace('gllabel');
    const p = project(ns);
    const base = p.head();
    const head = p.commit('change', { 'manifests/cm.yaml': configMap('2') });
    openMergeRequest(17, 'opened', head);
    gitlab.mergeRequests.get(17)!.labels = ['backend'];
    const mr = { iid: 17, baseSha: base };
    const first = await job(p.dir, 'merge_request_event', { sha: head, mergeRequest: mr, inputs: { labels: 'true' } });
    ok(first);
    expect(gitlab.violations).toEqual([]);
    expect(gitlab.mergeRequests.get(17)!.labels.sort()).toEqual(['backend', 'kubeplan:changes']);
    expect(gitlab.labels.get('kubeplan:changes')?.color).toBe('#fbca04');

    const same = p.head();
    ok(
      await job(p.dir, 'merge_request_event', {
        sha: same,
        mergeRequest: { iid: 17, baseSha: same },
        inputs: { labels: 'true' },
      }),
    );
    expect(gitlab.mergeRequests.get(17)!.labels.sort()).toEqual(['backend', 'kubeplan:no-changes']);
    expect(gitlab.labels.get('kubeplan:no-changes')?.color).toBe('#0e8a16');
    expect(gitlab.violations).toEqual([]);
  });
});

describe('kubeplan ci plan binding', () => {
  it('applies exactly the plan of the approved merge request head; strict refuses an approval of an older version', async () => {
    const ns = await freshNamespace('glbind');
    const p = project(ns, {
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n    apply:\n      binding: strict\n`,
    });
    /** Merge request `iid` from branch change-<iid>, one version per value, planned at each, then merged and applied. */
    const mergeRequest = async (iid: number, values: string[], approve: (versions: string[]) => void) => {
      const from = p.head();
      git(p.dir, 'checkout', '--quiet', '-b', `change-${iid}`);
      const heads: string[] = [];
      for (const v of values) {
        heads.push(p.commit(`value ${v}`, { 'manifests/cm.yaml': configMap(v) }));
        const now = new Date().toISOString();
        gitlab.mergeRequests.set(iid, {
          id: 1000 + iid,
          iid,
          title: `Change ${iid}`,
          description: '',
          state: 'opened',
          source_branch: `change-${iid}`,
          target_branch: 'main',
          labels: [],
          author: 'dev',
          sha: heads.at(-1),
          created_at: now,
          updated_at: now,
        });
        gitlab.addVersion(iid, heads.at(-1)!);
        ok(await job(p.dir, 'merge_request_event', { sha: heads.at(-1)!, mergeRequest: { iid, baseSha: from } }));
        approve(heads);
      }
      git(p.dir, 'checkout', '--quiet', 'main');
      git(p.dir, 'merge', '--quiet', '--no-ff', '-m', `Merge branch 'change-${iid}'`, `change-${iid}`);
      const merge = p.head();
      git(p.dir, 'push', '--quiet', '--force', bare, `HEAD:refs/heads/bind-${ns}`);
      Object.assign(gitlab.mergeRequests.get(iid)!, { state: 'merged', merge_commit_sha: merge });
      return {
        merge,
        heads,
        apply: await job(p.dir, 'push', { sha: merge, beforeSha: from, inputs: { apply: true } }),
      };
    };

    const first = await mergeRequest(31, ['2'], (heads) => heads.length === 1 && gitlab.approve(31, 'alice'));
    expect(notesOn(31).find((n) => !n.system)!.body).toContain('<!-- kubeplan:digests {');
    ok(first.apply);
    expect(first.apply.summary).toMatch(
      /applied exactly the reviewed plan sha256:[0-9a-f]{64} \(merge request !31, approved by alice\)/,
    );
    expect(
      ((await api('GET', `/api/v1/namespaces/${ns}/configmaps/settings`)).body as { data: { VALUE: string } }).data
        .VALUE,
    ).toBe('2');
    expectNoSecrets(first.apply);

    // bob approved the first version; a push made another one, which nobody approved.
    const second = await mergeRequest(32, ['3', '4'], (heads) => heads.length === 1 && gitlab.approve(32, 'bob'));
    expect(second.apply.code, second.apply.log).toBe(4);
    expect(second.apply.summary).toContain(
      `stale approval: merge request !32 was approved on an older commit (bob on ${second.heads[0]!.slice(0, 7)}), not on its head ${second.heads[1]!.slice(0, 7)}`,
    );
    const digest = /kubeplan apply --target app --expect-plan (sha256:[0-9a-f]{64})/.exec(second.apply.summary)![1]!;
    const value = async () =>
      ((await api('GET', `/api/v1/namespaces/${ns}/configmaps/settings`)).body as { data: { VALUE: string } }).data
        .VALUE;
    expect(await value()).toBe('2');
    // The way out: a manual pipeline applies the plan computed now, by its digest (KUBEPLAN_EXPECT_PLAN).
    const out = await job(p.dir, 'web', {
      sha: second.merge,
      inputs: { command: 'apply' },
      env: { KUBEPLAN_EXPECT_PLAN: digest },
    });
    ok(out);
    expect(await value()).toBe('4');
    expect(gitlab.violations).toEqual([]);
  });
});

describe('kubeplan ci: promote.soak on a merge request', () => {
  it("fails the plan of a merge request that sets the destination to a version its upstream's GitLab deployments have not soaked", async () => {
    const ns = await freshNamespace('glsoak');
    const deploy = (name: string, tag: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    matchLabels: {app: ${name}}\n  template:\n    metadata:\n      labels: {app: ${name}}\n    spec:\n      containers:\n        - name: shop\n          image: ghcr.io/acme/shop:${tag}\n`;
    const p = project(ns, {
      'kubeplan.yaml': [
        'targets:',
        '  - name: shop-staging',
        `    namespace: ${ns}`,
        '    manifests: envs/staging',
        '  - name: shop-prod',
        `    namespace: ${ns}`,
        '    manifests: envs/prod',
        '    promote: {from: shop-staging, soak: 2h}',
        '',
      ].join('\n'),
      'envs/staging/deploy.yaml': deploy('shop-staging', '2.4.0'),
      'envs/prod/deploy.yaml': deploy('shop-prod', '2.4.0'),
    });
    const applied = p.commit('staging: shop 2.5.0', { 'envs/staging/deploy.yaml': deploy('shop-staging', '2.5.0') });
    // shop-staging's deployment of that commit, 3 hours ago.
    const gl = new GitLabApi({ apiUrl: gitlab.url, token: TOKEN, project: gitlab.project.path });
    const { data } = await gl.request<{ id: number }>(
      'POST',
      gl.projectPath('/deployments'),
      { environment: 'shop-staging', sha: applied, ref: 'main', tag: false, status: 'running' },
      'create',
    );
    await gl.request('PUT', gl.projectPath(`/deployments/${data.id}`), { status: 'success' }, 'finish');
    gitlab.deployments.find((d) => d.id === data.id)!.updated_at = new Date(Date.now() - 3 * 3_600_000).toISOString();

    const bump = async (iid: number, tag: string) => {
      git(p.dir, 'checkout', '--quiet', '-B', `change-${iid}`, applied);
      const head = p.commit(`prod: shop ${tag}`, { 'envs/prod/deploy.yaml': deploy('shop-prod', tag) });
      openMergeRequest(iid, 'opened', head);
      return job(p.dir, 'merge_request_event', { sha: head, mergeRequest: { iid, baseSha: applied } });
    };
    const unsoaked = await bump(31, '2.6.0');
    expect(unsoaked.code, unsoaked.log).not.toBe(0);
    const note = notesOn(31)[0]!.body;
    expect(note).toContain('**Policy `promote.soak`**, target `shop-prod`');
    expect(note).toContain(
      `shop-prod sets ghcr.io/acme/shop 2.6.0 (envs/prod/deploy.yaml:14), which has not soaked in shop-staging: shop-staging runs 2.5.0 (commit ${applied.slice(0, 12)}, since `,
    );
    expect(unsoaked.codequality).toEqual([
      expect.objectContaining({ location: { path: 'envs/prod/deploy.yaml', lines: { begin: 14 } }, severity: 'major' }),
    ]);
    expect(JSON.parse(unsoaked.report).policy).toHaveLength(1);
    expectNoSecrets(unsoaked);

    const soaked = await bump(32, '2.5.0');
    ok(soaked);
    expect(notesOn(32)[0]!.body).not.toContain('promote.soak');
    expect(gitlab.violations).toEqual([]);
  });
});
