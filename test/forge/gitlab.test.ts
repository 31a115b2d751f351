import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GitLab, NOTE_LIMIT, startGitLab } from './gitlab.js';

// The GitLab stand-in answers the way GitLab's REST API v4 does, for the calls kubeplan will make (issue #18).
const TOKEN = 'glpat-seededtoken0123456789';
const READ_ONLY = 'glpat-readapionly0123456789';
const JOB = 'glcbt-64_jobtoken0123456789';

let gitlab: GitLab;
beforeEach(async () => {
  gitlab = await startGitLab();
  gitlab.readOnlyTokens.add(READ_ONLY);
});
afterEach(async () => {
  await gitlab.stop();
});

const api = async (
  method: string,
  route: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
) => {
  const token = options.token ?? TOKEN;
  const res = await fetch(`${gitlab.url}${route}`, {
    method,
    headers: {
      ...(token ? { 'PRIVATE-TOKEN': token } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: the tests read GitLab's JSON field by field
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as any) : undefined };
};
const project = '/projects/acme%2Fconfig';

describe('the GitLab stand-in: identity, projects and authentication', () => {
  it('answers /user with the project access token bot, or the identity configured for the token', async () => {
    const bot = await api('GET', '/user');
    expect(bot.status).toBe(200);
    expect(bot.json).toMatchObject({ bot: true, state: 'active' });
    expect(bot.json.username).toMatch(/^project_42_bot_[0-9a-f]{32}$/);
    gitlab.identities.set('glpat-alice', { id: 7, username: 'alice', name: 'Alice', bot: false });
    const alice = await api('GET', '/user', { token: 'glpat-alice' });
    expect(alice.json).toMatchObject({ id: 7, username: 'alice', name: 'Alice', bot: false });
    // Bearer works like PRIVATE-TOKEN.
    const bearer = await api('GET', '/user', { token: '', headers: { authorization: 'Bearer glpat-alice' } });
    expect(bearer.json.username).toBe('alice');
  });

  it('finds the project by id or URL-encoded path and answers GitLab 401/404 bodies', async () => {
    for (const id of ['42', 'acme%2Fconfig', 'ACME%2Fconfig']) {
      const p = await api('GET', `/projects/${id}`);
      expect(p.status).toBe(200);
      expect(p.json).toMatchObject({
        id: 42,
        path_with_namespace: 'acme/config',
        default_branch: 'main',
        web_url: `${gitlab.serverUrl}/acme/config`,
      });
    }
    expect(await api('GET', '/projects/acme%2Fother')).toMatchObject({
      status: 404,
      json: { message: '404 Project Not Found' },
    });
    expect(await api('GET', `${project}/merge_requests`, { token: '' })).toMatchObject({
      status: 401,
      json: { message: '401 Unauthorized' },
    });
    expect(await api('GET', '/nowhere')).toMatchObject({ status: 404, json: { error: '404 Not Found' } });
    // Once tokens are registered, any other one is refused like a revoked token.
    gitlab.knownTokens.add(TOKEN);
    expect((await api('GET', '/user')).status).toBe(200);
    expect(await api('GET', '/user', { token: 'glpat-revoked' })).toMatchObject({
      status: 401,
      json: { message: '401 Unauthorized' },
    });
    expect(gitlab.violations).toEqual([]);
  });

  it('refuses every write of a read_api token with insufficient_scope, and lets it read', async () => {
    gitlab.mergeRequests.set(1, mr(1));
    const refusals = [
      await api('POST', `${project}/merge_requests/1/notes`, { token: READ_ONLY, body: { body: 'plan' } }),
      await api('POST', `${project}/merge_requests`, {
        token: READ_ONLY,
        body: { source_branch: 'b', target_branch: 'main', title: 't' },
      }),
      await api('POST', `${project}/issues`, { token: READ_ONLY, body: { title: 'drift' } }),
      await api('POST', `${project}/deployments`, {
        token: READ_ONLY,
        body: { environment: 'prod', sha: 'a'.repeat(40), ref: 'main', tag: false, status: 'running' },
      }),
    ];
    for (const r of refusals)
      expect(r).toMatchObject({
        status: 403,
        json: {
          error: 'insufficient_scope',
          error_description: 'The request requires higher privileges than provided by the access token.',
          scope: 'api',
        },
      });
    expect((await api('GET', `${project}/merge_requests/1/notes`, { token: READ_ONLY })).status).toBe(200);
    expect(gitlab.mergeRequestNotes.get(1)).toBeUndefined();
    expect(gitlab.writes().every((w) => w.status === 403)).toBe(true);
  });

  it('lets a CI job token read merge requests and their notes but not write them (401, as on routes without job_token_allowed)', async () => {
    gitlab.mergeRequests.set(1, mr(1));
    const job = (method: string, route: string, body?: unknown) =>
      api(method, route, { token: '', headers: { 'JOB-TOKEN': JOB }, body });
    expect((await job('GET', `${project}/merge_requests/1/notes`)).status).toBe(200);
    expect((await job('GET', `${project}/merge_requests/1`)).status).toBe(200);
    for (const r of [
      await job('POST', `${project}/merge_requests/1/notes`, { body: 'plan' }),
      await job('POST', `${project}/merge_requests`, { source_branch: 'b', target_branch: 'main', title: 't' }),
      await job('POST', `${project}/issues`, { title: 'drift' }),
      await job('GET', '/user'),
    ])
      expect(r).toMatchObject({ status: 401, json: { message: '401 Unauthorized' } });
    expect(gitlab.mergeRequestNotes.get(1)).toBeUndefined();
    expect(gitlab.mergeRequests.size).toBe(1);
    expect(gitlab.issues.size).toBe(0);
  });
});

const mr = (iid: number, patch: Partial<ReturnType<typeof baseMr>> = {}) => ({ ...baseMr(iid), ...patch });
const baseMr = (iid: number) => ({
  id: 100 + iid,
  iid,
  title: `MR ${iid}`,
  description: '',
  state: 'opened' as 'opened' | 'closed' | 'merged' | 'locked',
  source_branch: `feature-${iid}`,
  target_branch: 'main',
  labels: [] as string[],
  author: 'alice',
  created_at: `2026-01-0${Math.min(iid, 9)}T00:00:00.000Z`,
  updated_at: `2026-01-0${Math.min(iid, 9)}T00:00:00.000Z`,
  sha: undefined as string | undefined,
  merge_commit_sha: null as string | null,
  squash_commit_sha: null as string | null,
});

describe('the GitLab stand-in: merge request notes', () => {
  it('paginates notes like GitLab across three pages, newest first by default', async () => {
    gitlab.mergeRequests.set(3, mr(3));
    for (let k = 1; k <= 45; k++) {
      const r = await api('POST', `${project}/merge_requests/3/notes`, { body: { body: `note ${k}` } });
      expect(r.status).toBe(201);
    }
    const pages: Awaited<ReturnType<typeof api>>[] = [];
    for (let page = 1; page <= 3; page++)
      pages.push(await api('GET', `${project}/merge_requests/3/notes?sort=asc&per_page=20&page=${page}`));
    expect(pages.map((p) => p.json.length)).toEqual([20, 20, 5]);
    expect(pages.flatMap((p) => p.json.map((n: { body: string }) => n.body))).toEqual(
      Array.from({ length: 45 }, (_, k) => `note ${k + 1}`),
    );
    const h = (k: number, name: string) => pages[k]!.headers.get(name);
    expect([h(0, 'x-page'), h(0, 'x-per-page'), h(0, 'x-total'), h(0, 'x-total-pages')]).toEqual([
      '1',
      '20',
      '45',
      '3',
    ]);
    expect([h(0, 'x-next-page'), h(0, 'x-prev-page')]).toEqual(['2', '']);
    expect([h(1, 'x-next-page'), h(1, 'x-prev-page')]).toEqual(['3', '1']);
    expect([h(2, 'x-next-page'), h(2, 'x-prev-page')]).toEqual(['', '2']);
    const rels = (k: number) =>
      Object.fromEntries(
        h(k, 'link')!
          .split(', ')
          .map((part) => {
            const [, href, rel] = /^<([^>]+)>; rel="(\w+)"$/.exec(part)!;
            return [rel, new URL(href!).searchParams.get('page')];
          }),
      );
    expect(rels(0)).toEqual({ next: '2', first: '1', last: '3' });
    expect(rels(1)).toEqual({ prev: '1', next: '3', first: '1', last: '3' });
    expect(rels(2)).toEqual({ prev: '2', first: '1', last: '3' });
    expect(h(1, 'link')).toContain(`${gitlab.serverUrl}/api/v4/projects/acme%2Fconfig/merge_requests/3/notes?sort=asc`);

    // GitLab's defaults: 20 a page, newest first; per_page is capped at 100.
    const first = await api('GET', `${project}/merge_requests/3/notes`);
    expect(first.json).toHaveLength(20);
    expect(first.json[0].body).toBe('note 45');
    const big = await api('GET', `${project}/merge_requests/3/notes?per_page=500`);
    expect(big.json).toHaveLength(45);
    expect(big.headers.get('x-per-page')).toBe('100');
    expect(gitlab.violations).toEqual([]);
  });

  it('creates, edits and deletes notes with GitLab note objects; only the author may edit', async () => {
    gitlab.mergeRequests.set(5, mr(5));
    const created = await api('POST', `${project}/merge_requests/5/notes`, { body: { body: '## Plan' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      type: null,
      body: '## Plan',
      system: false,
      noteable_id: 105,
      noteable_type: 'MergeRequest',
      noteable_iid: 5,
      resolvable: false,
      confidential: false,
      internal: false,
      author: { state: 'active' },
    });
    expect(Object.keys(created.json.author).sort()).toEqual(
      ['avatar_url', 'id', 'locked', 'name', 'state', 'username', 'web_url'].sort(),
    );
    const id = created.json.id as number;
    const edited = await api('PUT', `${project}/merge_requests/5/notes/${id}`, { body: { body: '## Plan v2' } });
    expect(edited).toMatchObject({ status: 200, json: { id, body: '## Plan v2' } });
    gitlab.identities.set('glpat-mallory', { id: 66, username: 'mallory', name: 'Mallory', bot: false });
    expect(
      await api('PUT', `${project}/merge_requests/5/notes/${id}`, { token: 'glpat-mallory', body: { body: 'x' } }),
    ).toMatchObject({ status: 403, json: { message: '403 Forbidden' } });
    expect((await api('GET', `${project}/merge_requests/5/notes/${id}`)).json.body).toBe('## Plan v2');
    expect((await api('DELETE', `${project}/merge_requests/5/notes/${id}`)).status).toBe(204);
    expect(gitlab.mergeRequestNotes.get(5)).toEqual([]);
    expect(await api('GET', `${project}/merge_requests/9/notes`)).toMatchObject({ status: 404 });
    expect(gitlab.violations).toEqual([]);
  });

  it('takes a note of exactly 1,000,000 characters and refuses one more with GitLab 400', async () => {
    gitlab.mergeRequests.set(1, mr(1));
    const ok = await api('POST', `${project}/merge_requests/1/notes`, { body: { body: 'x'.repeat(NOTE_LIMIT) } });
    expect(ok.status).toBe(201);
    const tooLong = await api('POST', `${project}/merge_requests/1/notes`, {
      body: { body: 'x'.repeat(NOTE_LIMIT + 1) },
    });
    expect(tooLong).toMatchObject({
      status: 400,
      json: { message: '400 Bad request - Note {:note=>["is too long (maximum is 1000000 characters)"]}' },
    });
    const edit = await api('PUT', `${project}/merge_requests/1/notes/${ok.json.id}`, {
      body: { body: 'y'.repeat(NOTE_LIMIT + 1) },
    });
    expect(edit.status).toBe(400);
    expect(gitlab.mergeRequestNotes.get(1)!.map((n) => n.body.length)).toEqual([NOTE_LIMIT]);
  });

  it('records what does not fit the request shape: missing fields (answered 400), unknown fields and parameters', async () => {
    gitlab.mergeRequests.set(1, mr(1));
    expect(await api('POST', `${project}/merge_requests/1/notes`, { body: { note: 'x' } })).toMatchObject({
      status: 400,
      json: { error: 'body is missing' },
    });
    expect((await api('POST', `${project}/merge_requests/1/notes`, { body: { body: 'x', pinned: true } })).status).toBe(
      201,
    );
    await api('GET', `${project}/merge_requests/1/notes?direction=asc`);
    expect(gitlab.violations).toEqual([
      expect.stringMatching(/^merge_request_notes\/create request: .*must have required property 'body'/),
      expect.stringMatching(/^merge_request_notes\/create request: .*must NOT have additional properties/),
      'merge_request_notes/list query: unknown parameter direction',
    ]);
  });
});

describe('the GitLab stand-in: merge requests, issues, labels', () => {
  it('creates merge requests with comma labels (created implicitly), refuses a second open one, filters and closes', async () => {
    const created = await api('POST', `${project}/merge_requests`, {
      body: {
        source_branch: 'kubeplan/bump/shop',
        target_branch: 'main',
        title: 'Bump shop to 2.5.0',
        description: 'Images',
        labels: 'dependencies,kubeplan::bump',
        remove_source_branch: true,
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      iid: 1,
      project_id: 42,
      state: 'opened',
      labels: ['dependencies', 'kubeplan::bump'],
      source_project_id: 42,
      target_project_id: 42,
      merged_at: null,
      merge_commit_sha: null,
      squash_commit_sha: null,
      force_remove_source_branch: true,
      web_url: `${gitlab.serverUrl}/acme/config/-/merge_requests/1`,
    });
    expect([...gitlab.labels.keys()]).toEqual(['dependencies', 'kubeplan::bump']);
    const again = await api('POST', `${project}/merge_requests`, {
      body: { source_branch: 'kubeplan/bump/shop', target_branch: 'main', title: 'again' },
    });
    expect(again).toMatchObject({
      status: 409,
      json: { message: ['Another open merge request already exists for this source branch: !1'] },
    });
    gitlab.mergeRequests.set(2, mr(2, { state: 'merged', labels: ['dependencies'] }));
    const find = async (q: string) =>
      (await api('GET', `${project}/merge_requests?${q}`)).json.map((m: { iid: number }) => m.iid);
    expect(await find('state=opened&source_branch=kubeplan%2Fbump%2Fshop')).toEqual([1]);
    expect(await find('state=all&labels=dependencies')).toEqual([1, 2]);
    expect(await find('labels=kubeplan::bump')).toEqual([1]);
    expect(await find('state=merged')).toEqual([2]);
    expect((await api('GET', `${project}/merge_requests?state=open`)).status).toBe(400);
    const closed = await api('PUT', `${project}/merge_requests/1`, {
      body: { title: 'Bump shop to 2.6.0', labels: 'dependencies', state_event: 'close' },
    });
    expect(closed.json).toMatchObject({ state: 'closed', title: 'Bump shop to 2.6.0', labels: ['dependencies'] });
    expect((await api('GET', `${project}/merge_requests/1`)).json.state).toBe('closed');
    expect(await api('PUT', `${project}/merge_requests/1`, { body: { state_event: 'merge' } })).toMatchObject({
      status: 400,
      json: { error: 'state_event does not have a valid value' },
    });
    expect(gitlab.violations).toEqual([
      'merge_requests/list query: state=open is not one of opened, closed, merged, locked, all',
      expect.stringMatching(/^merge_requests\/update request: .*allowed values/),
    ]);
  });

  it('lists the merge requests of a commit by merge, squash or head sha', async () => {
    const [m, s, h] = ['1'.repeat(40), '2'.repeat(40), '3'.repeat(40)];
    gitlab.mergeRequests.set(1, mr(1, { state: 'merged', merge_commit_sha: m }));
    gitlab.mergeRequests.set(2, mr(2, { state: 'merged', squash_commit_sha: s }));
    gitlab.mergeRequests.set(3, mr(3, { sha: h }));
    const of = async (sha: string) =>
      (await api('GET', `${project}/repository/commits/${sha}/merge_requests`)).json.map((x: { iid: number }) => x.iid);
    expect(await of(m)).toEqual([1]);
    expect(await of(s)).toEqual([2]);
    expect(await of(h)).toEqual([3]);
    expect(await of('4'.repeat(40))).toEqual([]);
  });

  it('creates issues with scoped labels (created implicitly), filters by labels and state, closes and comments', async () => {
    const created = await api('POST', `${project}/issues`, {
      body: { title: 'Drift in prod', description: 'details', labels: 'kubeplan::drift,cluster::prod' },
    });
    expect(created).toMatchObject({
      status: 201,
      json: {
        iid: 1,
        state: 'opened',
        labels: ['kubeplan::drift', 'cluster::prod'],
        closed_at: null,
        web_url: `${gitlab.serverUrl}/acme/config/-/issues/1`,
      },
    });
    await api('POST', `${project}/issues`, { body: { title: 'Other', labels: ['cluster::prod'] } });
    expect((await api('GET', `${project}/labels`)).json.map((l: { name: string }) => l.name)).toEqual([
      'cluster::prod',
      'kubeplan::drift',
    ]);
    const find = async (q: string) =>
      (await api('GET', `${project}/issues?${q}`)).json.map((i: { iid: number }) => i.iid);
    expect(await find('state=opened&labels=kubeplan::drift')).toEqual([1]);
    expect(await find('labels=cluster::prod')).toEqual([2, 1]);
    const note = await api('POST', `${project}/issues/1/notes`, { body: { body: 'Still drifting' } });
    expect(note.json).toMatchObject({ noteable_type: 'Issue', noteable_iid: 1, body: 'Still drifting' });
    expect((await api('GET', `${project}/issues/1/notes`)).json).toHaveLength(1);
    const closed = await api('PUT', `${project}/issues/1`, { body: { state_event: 'close' } });
    expect(closed.json.state).toBe('closed');
    expect(closed.json.closed_at).toEqual(expect.any(String));
    expect(await find('state=opened&labels=kubeplan::drift')).toEqual([]);
    expect(await find('state=closed')).toEqual([1]);
    expect(gitlab.violations).toEqual([]);
  });

  it('creates labels and refuses a duplicate', async () => {
    const created = await api('POST', `${project}/labels`, {
      body: { name: 'kubeplan::drift', color: '#d9534f', description: 'Live state differs' },
    });
    expect(created).toMatchObject({
      status: 201,
      json: { name: 'kubeplan::drift', color: '#d9534f', description: 'Live state differs' },
    });
    expect(
      await api('POST', `${project}/labels`, { body: { name: 'Kubeplan::Drift', color: '#000000' } }),
    ).toMatchObject({ status: 409, json: { message: 'Label already exists' } });
    expect(await api('POST', `${project}/labels`, { body: { name: 'x' } })).toMatchObject({
      status: 400,
      json: { error: 'color is missing' },
    });
  });
});

describe('the GitLab stand-in: deployments and environments', () => {
  it('creates the environment with the first deployment, updates the status and lists both', async () => {
    const sha = 'a'.repeat(40);
    const created = await api('POST', `${project}/deployments`, {
      body: { environment: 'production', sha, ref: 'main', tag: false, status: 'running' },
    });
    expect(created).toMatchObject({
      status: 201,
      json: { iid: 1, ref: 'main', sha, status: 'running', deployable: null, environment: { name: 'production' } },
    });
    expect(created.json.user.username).toMatch(/^project_42_bot_/);
    const updated = await api('PUT', `${project}/deployments/${created.json.id}`, { body: { status: 'success' } });
    expect(updated.json.status).toBe('success');
    await api('POST', `${project}/deployments`, {
      body: { environment: 'production', sha, ref: 'main', tag: false, status: 'failed' },
    });
    const envs = await api('GET', `${project}/environments`);
    expect(envs.json).toEqual([
      expect.objectContaining({ name: 'production', tier: 'production', state: 'available' }),
    ]);
    const list = await api('GET', `${project}/deployments?environment=production`);
    expect(list.json.map((d: { status: string }) => d.status)).toEqual(['success', 'failed']);
    expect(gitlab.deployments[0]!.statuses).toEqual(['running', 'success']);
    expect(gitlab.violations).toEqual([]);
  });

  it('answers Grape 400s for a missing field or a status GitLab does not take', async () => {
    expect(
      await api('POST', `${project}/deployments`, {
        body: { environment: 'staging', sha: 'a'.repeat(40), ref: 'main', status: 'running' },
      }),
    ).toMatchObject({ status: 400, json: { error: 'tag is missing' } });
    expect(
      await api('POST', `${project}/deployments`, {
        body: { environment: 'staging', sha: 'a'.repeat(40), ref: 'main', tag: false, status: 'created' },
      }),
    ).toMatchObject({ status: 400, json: { error: 'status does not have a valid value' } });
    expect(gitlab.environments.size).toBe(0);
    expect(gitlab.violations).toHaveLength(2);
  });

  it('answers with an injected fault once', async () => {
    gitlab.faults.push({ operation: 'deployments/list', status: 502, body: { message: 'bad gateway' } });
    expect((await api('GET', `${project}/deployments`)).status).toBe(502);
    expect((await api('GET', `${project}/deployments`)).status).toBe(200);
  });
});

describe('the GitLab stand-in: git over smart HTTP', () => {
  let scratch: string;
  let gl: GitLab;
  let bare: string;
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'credential.helper=', ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' },
    }).trim();
  /** Git over HTTP runs asynchronously: the forge answers from this process's event loop. */
  const gitHttp = (cwd: string, ...args: string[]) =>
    new Promise<{ status: number; stderr: string }>((resolve) => {
      execFile(
        'git',
        ['-c', 'credential.helper=', ...args],
        { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' } },
        (error, _stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) || 1 : 0, stderr }),
      );
    });
  const tryGit = (cwd: string, ...args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8' });
  const remote = (user: string, token: string) =>
    `${gl.serverUrl.replace('http://', `http://${user}:${token}@`)}/acme/config.git`;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-gitlab-forge-'));
    gl = await startGitLab({ gitRoot: path.join(scratch, 'git') });
    gl.readOnlyTokens.add(READ_ONLY);
    bare = path.join(scratch, 'git', 'acme', 'config.git');
    mkdirSync(bare, { recursive: true });
    git(bare, 'init', '--quiet', '--bare', '--initial-branch=main');
    const seed = path.join(scratch, 'seed');
    mkdirSync(seed);
    git(seed, 'init', '--quiet', '--initial-branch=main');
    writeFileSync(path.join(seed, 'kubeplan.yaml'), 'targets: []\n');
    git(seed, 'add', '-A');
    git(seed, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'config');
    git(seed, 'push', '--quiet', bare, 'main');
  });
  afterAll(async () => {
    await gl?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('clones and pushes with oauth2:<token>, and the merge request of the pushed branch carries its head', async () => {
    const work = path.join(scratch, 'work');
    expect((await gitHttp(scratch, 'clone', '--quiet', remote('oauth2', TOKEN), work)).status).toBe(0);
    writeFileSync(path.join(work, 'bump.txt'), 'bump\n');
    git(work, 'checkout', '--quiet', '-b', 'kubeplan/bump/shop');
    git(work, 'add', '-A');
    git(work, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'bump');
    expect((await gitHttp(work, 'push', '--quiet', 'origin', 'kubeplan/bump/shop')).status).toBe(0);
    const head = git(work, 'rev-parse', 'HEAD');
    expect(git(bare, 'rev-parse', 'kubeplan/bump/shop')).toBe(head);
    expect(gl.writes().filter((w) => w.operation === 'git push' && w.status === 200).length).toBeGreaterThan(0);

    const res = await fetch(`${gl.url}/projects/42/merge_requests`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ source_branch: 'kubeplan/bump/shop', target_branch: 'main', title: 'Bump' }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { sha: string }).sha).toBe(head);
    const missing = await fetch(`${gl.url}/projects/42/merge_requests`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ source_branch: 'nope', target_branch: 'main', title: 'Bump' }),
    });
    expect(missing.status).toBe(400);
    const commitMrs = await fetch(`${gl.url}/projects/42/repository/commits/${head}/merge_requests`, {
      headers: { 'PRIVATE-TOKEN': TOKEN },
    });
    expect(((await commitMrs.json()) as { iid: number }[]).map((m) => m.iid)).toEqual([1]);
    const unknown = await fetch(`${gl.url}/projects/42/repository/commits/${'9'.repeat(40)}/merge_requests`, {
      headers: { 'PRIVATE-TOKEN': TOKEN },
    });
    expect(unknown.status).toBe(404);
  });

  it('refuses pushes with a read_api token or a job token (403) and fetches without credentials (401)', async () => {
    const work = path.join(scratch, 'work-ro');
    expect((await gitHttp(scratch, 'clone', '--quiet', remote('oauth2', READ_ONLY), work)).status).toBe(0);
    git(work, 'checkout', '--quiet', '-b', 'sneaky');
    for (const [user, token] of [
      ['oauth2', READ_ONLY],
      ['gitlab-ci-token', JOB],
    ]) {
      const push = await gitHttp(work, 'push', remote(user!, token!), 'sneaky');
      expect(push.status).not.toBe(0);
      expect(push.stderr).toMatch(/403/);
    }
    expect(tryGit(bare, 'rev-parse', '--verify', '--quiet', 'refs/heads/sneaky').status).not.toBe(0);
    const anonymous = await gitHttp(scratch, 'clone', '--quiet', `${gl.serverUrl}/acme/config.git`, `${scratch}/anon`);
    expect(anonymous.status).not.toBe(0);
    expect(gl.requests.filter((r) => r.operation === 'git push' && r.status === 403)).toHaveLength(2);
    expect(gl.requests.some((r) => r.operation === 'git fetch' && r.status === 401)).toBe(true);
  });
});
