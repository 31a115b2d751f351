import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge, BODY_LIMIT } from '../forge/forge.js';
import { bench, freshNamespace } from '../harness/kube.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import { makeGitRepo, makeRepo } from '../helpers/fixture-repo.js';

// dist/index.js run the way the GitHub runner runs it, against the bench apiserver and the local forge.
let forge: Forge;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-plan-action-'));
beforeAll(async () => {
  forge = await startForge();
});
afterAll(async () => {
  await forge.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const SECRET = 'seeded-secret-value-c0ffee42';

function pullRequestEvent(number: number, fork: boolean, baseSha = 'a'.repeat(40)) {
  const repo = {
    full_name: 'acme/config',
    name: 'config',
    owner: { login: 'acme' },
    fork: false,
    default_branch: 'main',
  };
  const head = fork
    ? { full_name: 'mallory/config', name: 'config', owner: { login: 'mallory' }, fork: true, default_branch: 'main' }
    : repo;
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      state: 'open',
      title: 'Bump shop',
      html_url: `https://github.com/acme/config/pull/${number}`,
      base: { ref: 'main', sha: baseSha, repo },
      head: { ref: fork ? 'mallory:patch-1' : 'bump-shop', sha: 'b'.repeat(40), repo: head },
    },
    repository: repo,
    sender: { login: fork ? 'mallory' : 'alice', type: 'User' },
  };
}

async function runPlan(
  repo: string,
  options: { pr: number; fork?: boolean; inputs?: Record<string, string>; token?: string; baseSha?: string },
): Promise<ActionRun> {
  const token = options.token ?? 'ghs_seededtoken0123456789';
  if (options.fork) forge.readOnlyTokens.add(token);
  return runAction({
    repo,
    forge,
    event: 'pull_request',
    payload: pullRequestEvent(options.pr, options.fork ?? false, options.baseSha),
    inputs: { 'github-token': token, ...options.inputs },
    scratch,
  });
}

function repoFiles(ns: string, objects: object[]) {
  return {
    'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
    'manifests/all.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  };
}

function repoWith(ns: string, objects: object[]) {
  return makeRepo(repoFiles(ns, objects));
}

const cm = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});
const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: SECRET } };
const writes = () => forge.writes().length;
const commentsOn = (pr: number) => forge.comments.get(pr) ?? [];

describe('the action on a pull request (plan)', () => {
  it('creates one comment, then makes no write when nothing changed, then edits the same comment', async () => {
    const ns = await freshNamespace('pr');
    const repo = repoWith(ns, [cm('settings', { LOG_LEVEL: 'info' }), secret]);
    const first = await runPlan(repo, { pr: 1 });
    expect(first.code, first.stdout).toBe(0);
    expect(commentsOn(1)).toHaveLength(1);
    const comment = commentsOn(1)[0]!;
    expect(comment.body).toContain('### kubeplan: Plan: +2 to create');
    expect(first.outputs).toMatchObject({
      'has-changes': 'true',
      matrix: '["app"]',
      'comment-url': `https://github.com/acme/config/pull/1#issuecomment-${comment.id}`,
    });
    expect(JSON.parse(first.outputs.summary!)).toMatchObject({ create: 2 });
    expect(JSON.parse(readFileSync(first.outputs['report-path']!, 'utf8'))).toMatchObject({
      version: 1,
      summary: { create: 2 },
    });
    expect(first.summary).toContain('### kubeplan: Plan: +2 to create');

    const before = writes();
    const second = await runPlan(repo, { pr: 1 });
    expect(second.code).toBe(0);
    expect(writes()).toBe(before);

    writeFileSync(
      path.join(repo, 'manifests/all.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [cm('settings', { LOG_LEVEL: 'debug' }), secret] }),
    );
    const third = await runPlan(repo, { pr: 1 });
    expect(third.code).toBe(0);
    expect(commentsOn(1)).toHaveLength(1);
    expect(commentsOn(1)[0]!.id).toBe(comment.id);
    expect(commentsOn(1)[0]!.body).toContain('LOG_LEVEL: debug');

    for (const run of [first, second, third]) {
      // The runner consumes ::add-mask:: lines (they register values to mask); they never appear in the log.
      const log = run.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n');
      expect(run.stdout).toContain('::add-mask::ghs_seededtoken0123456789');
      for (const text of [
        log,
        run.summary,
        JSON.stringify(run.outputs),
        readFileSync(run.outputs['report-path']!, 'utf8'),
      ]) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(Buffer.from(SECRET).toString('base64'));
        expect(text).not.toContain('ghs_seededtoken0123456789');
      }
    }
    for (const c of commentsOn(1)) expect(c.body).not.toContain(SECRET);
    expect(forge.violations).toEqual([]);
  });

  it('splits a large plan into parts within the limit, then deletes the parts a smaller plan no longer needs', async () => {
    const ns = await freshNamespace('big');
    const many = Array.from({ length: 300 }, (_, i) =>
      cm(`config-${String(i).padStart(3, '0')}`, { PAYLOAD: `value-${i}-`.repeat(30), INDEX: String(i) }),
    );
    const repo = repoWith(ns, many);
    const big = await runPlan(repo, { pr: 2 });
    expect(big.code, big.stdout).toBe(0);
    const parts = commentsOn(2);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.body.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(parts[0]!.body).toContain('### kubeplan: Plan: +300 to create');
    expect(parts[0]!.body).toContain(`part 1/${parts.length}`);
    for (const p of parts) {
      // Never split inside a fence or a <details>.
      expect((p.body.match(/<details>/g) ?? []).length).toBe((p.body.match(/<\/details>/g) ?? []).length);
      expect((p.body.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    writeFileSync(
      path.join(repo, 'manifests/all.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: many.slice(0, 3) }),
    );
    const small = await runPlan(repo, { pr: 2 });
    expect(small.code).toBe(0);
    expect(commentsOn(2)).toHaveLength(1);
    expect(commentsOn(2)[0]!.id).toBe(parts[0]!.id);
    expect(forge.violations).toEqual([]);
  });

  it('says "No changes" when the cluster already matches, so no stale diff stays', async () => {
    const ns = await freshNamespace('nochange');
    const repo = repoWith(ns, []);
    const run = await runPlan(repo, { pr: 3 });
    expect(run.code, run.stdout).toBe(0);
    expect(commentsOn(3)[0]!.body).toContain('### kubeplan: No changes.');
    expect(run.outputs['has-changes']).toBe('false');
  });

  it('a fork pull request gets the job summary only and the step passes', async () => {
    const ns = await freshNamespace('fork');
    const repo = repoWith(ns, [cm('x', { A: '1' })]);
    const before = writes();
    const run = await runPlan(repo, { pr: 4, fork: true, token: 'ghs_readonlyforktoken' });
    expect(run.code, run.stdout).toBe(0);
    expect(writes()).toBe(before);
    expect(commentsOn(4)).toHaveLength(0);
    expect(run.summary).toContain('Plan: +1 to create');
    expect(run.stdout).toContain('pull request from a fork');
  });

  it("on pull_request_target, warns when the pull request's head is checked out (untrusted code with secrets), not when the base is", async () => {
    const ns = await freshNamespace('prt');
    const { repo, git } = makeGitRepo(repoFiles(ns, [cm('x', { A: '1' })]));
    const base = git('rev-parse', 'HEAD');
    writeFileSync(
      path.join(repo, 'manifests/all.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [cm('x', { A: '2' })] }),
    );
    git('commit', '-qam', 'from the pull request');
    const head = git('rev-parse', 'HEAD');
    const payload = pullRequestEvent(6, true, base);
    payload.pull_request.head.sha = head;
    const plan = () =>
      runAction({
        repo,
        forge,
        event: 'pull_request_target',
        payload,
        inputs: { 'github-token': 'ghs_seededtoken0123456789' },
        scratch,
      });
    const warning = /::warning title=kubeplan::pull_request_target run with the pull request's head .* checked out/;
    const onHead = await plan();
    expect(onHead.code, onHead.stdout).toBe(0);
    expect(onHead.stdout).toMatch(warning);
    expect(onHead.stdout).toContain(head.slice(0, 12));
    expect(onHead.stdout).toMatch(/check out the base branch .*or plan on the pull_request event/);
    git('checkout', '-q', base);
    const onBase = await plan();
    expect(onBase.code, onBase.stdout).toBe(0);
    expect(onBase.stdout).not.toMatch(/pull_request_target run/);
  });

  it('a cancelled plan (SIGTERM from the runner) removes the kubeconfig file and ends the step at once', async () => {
    const ns = await freshNamespace('cancel');
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    helm:\n      chart: chart\n`,
      'chart/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
    });
    // A helm that takes long to render, and says when it started.
    const started = path.join(repo, '..', 'helm-started');
    const slowHelm = path.join(repo, '..', 'slow-helm');
    writeFileSync(slowHelm, `#!/bin/sh\ntouch '${started}'\nexec sleep 10\n`, { mode: 0o755 });
    const startedAt = Date.now();
    const run = await runAction({
      repo,
      forge,
      event: 'pull_request',
      payload: pullRequestEvent(7, false),
      inputs: { 'github-token': 'ghs_seededtoken0123456789', helm: slowHelm },
      scratch,
      interrupt: { signal: 'SIGTERM', when: () => existsSync(started) },
    });
    // (runAction checks that the kubeconfig file is gone from RUNNER_TEMP.)
    expect(run.code, run.stdout).toBe(143);
    expect(run.stdout).toContain('SIGTERM: the run was cancelled');
    expect(Date.now() - startedAt).toBeLessThan(9000); // did not wait for helm
  });

  it('a broken config fails the step with an error comment, which a later good run minimizes', async () => {
    const ns = await freshNamespace('err');
    const repo = repoWith(ns, [cm('x', { A: '1' })]);
    writeFileSync(
      path.join(repo, 'kubeplan.yaml'),
      `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n    nmespace: typo\n`,
    );
    const bad = await runPlan(repo, { pr: 5 });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain('file=kubeplan.yaml,line=5::kubeplan.yaml:5');
    const error = commentsOn(5).find((c) => c.body.includes('the plan failed'))!;
    expect(error.body).toContain('unknown field "nmespace"');
    writeFileSync(
      path.join(repo, 'kubeplan.yaml'),
      `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
    );
    const good = await runPlan(repo, { pr: 5 });
    expect(good.code, good.stdout).toBe(0);
    expect(commentsOn(5).find((c) => c.id === error.id)!.minimized).toBe('OUTDATED');
    // Another good run does not touch it again.
    const writesBefore = writes();
    expect((await runPlan(repo, { pr: 5 })).code).toBe(0);
    expect(writes()).toBe(writesBefore);
    // The error comes back: a new, visible error comment; the outdated one stays as it was.
    writeFileSync(
      path.join(repo, 'kubeplan.yaml'),
      `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n    nmespace: typo\n`,
    );
    expect((await runPlan(repo, { pr: 5 })).code).not.toBe(0);
    const errors = commentsOn(5).filter((c) => c.body.includes('the plan failed'));
    expect(errors).toHaveLength(2);
    expect(errors.find((c) => c.id !== error.id)!.minimized).toBeUndefined();
    expect(forge.violations).toEqual([]);
  });

  it('fail-on: destroy fails the step when the plan deletes or replaces, not otherwise', async () => {
    const ns = await freshNamespace('failon');
    const repo = repoWith(ns, [cm('x', { A: '1' })]);
    const run = await runPlan(repo, { pr: 6, inputs: { 'fail-on': 'changes', comment: 'false' } });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('fail-on: changes');
    expect(commentsOn(6)).toHaveLength(0);
    const ok = await runPlan(repo, { pr: 6, inputs: { 'fail-on': 'destroy', comment: 'false' } });
    expect(ok.code).toBe(0);
  });
});

describe('the action plans only the targets a pull request touches', () => {
  it('skips targets whose files did not change, and says so when none did', async () => {
    const ns = await freshNamespace('affected');
    const { repo, git } = makeGitRepo({
      'kubeplan.yaml': `targets:\n  - name: web\n    namespace: ${ns}\n    manifests: web\n  - name: jobs\n    namespace: ${ns}\n    manifests: jobs\n`,
      'web/cm.json': JSON.stringify(cm('web', { A: '1' })),
      'jobs/cm.json': JSON.stringify(cm('jobs', { B: '1' })),
      'README.md': 'docs\n',
    });
    const base = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'web/cm.json'), JSON.stringify(cm('web', { A: '2' })));
    git('commit', '-qam', 'change web');
    const run = await runPlan(repo, { pr: 7, baseSha: base });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(
      '1 of 2 targets affected by this pull request (1 skipped: none of their files changed)',
    );
    expect(run.outputs.matrix).toBe('["web"]');
    expect(commentsOn(7)[0]!.body).toContain('#### web');
    expect(commentsOn(7)[0]!.body).not.toContain('#### jobs');

    writeFileSync(path.join(repo, 'README.md'), 'more docs\n');
    git('commit', '-qam', 'docs only');
    const docs = await runPlan(repo, { pr: 8, baseSha: git('rev-parse', 'HEAD~1') });
    expect(docs.code, docs.stdout).toBe(0);
    expect(commentsOn(8)[0]!.body).toContain(
      "### kubeplan: No changes: no target's files changed in this pull request.",
    );
    expect(docs.outputs['has-changes']).toBe('false');
  });

  it('finds its comment among more than a page of others', async () => {
    const ns = await freshNamespace('paged');
    const repo = repoWith(ns, [cm('x', { A: '1' })]);
    forge.comments.set(
      9,
      Array.from({ length: 150 }, (_, i) => ({
        id: 90_000 + i,
        node_id: `IC_x${i}`,
        body: `review remark ${i}`,
        user: 'alice',
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
      })),
    );
    await runPlan(repo, { pr: 9 });
    const mine = commentsOn(9).filter((c) => c.body.includes('kubeplan:plan'));
    expect(mine).toHaveLength(1);
    const before = writes();
    await runPlan(repo, { pr: 9 });
    expect(writes()).toBe(before);
    expect(
      forge.requests.some((r) => r.operation === 'issues/list-comments' && r.path.endsWith('/issues/9/comments')),
    ).toBe(true);
  });
});

describe('the action edits only its own comments', () => {
  it("leaves other people's comments that carry kubeplan's marker untouched", async () => {
    const ns = await freshNamespace('hijack');
    const repo = repoWith(ns, [cm('x', { A: '1' })]);
    // The marker key of the default config and target set is public: anyone can post a comment that carries it.
    const key = createHash('sha256').update('kubeplan.yaml|').digest('hex').slice(0, 12);
    const planted = (id: number, body: string) => ({
      id,
      node_id: `IC_m${id}`,
      body,
      user: 'mallory',
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    });
    const theirs = [
      planted(95_001, `<!-- kubeplan:plan:${key} part:1/2 -->\nLooks good to me, merge away`),
      planted(95_002, `<!-- kubeplan:plan:${key} part:2/2 -->\nsecond part`),
      planted(95_003, `<!-- kubeplan:error:${key} -->\nan error that is not kubeplan's`),
    ];
    forge.comments.set(
      11,
      theirs.map((c) => ({ ...c })),
    );
    // A personal token that writes as alice: alice's own marker comments are kubeplan's, mallory's are not.
    forge.identities.set('ghp_alicetoken', 'alice');
    const run = await runPlan(repo, { pr: 11, token: 'ghp_alicetoken' });
    expect(run.code, run.stdout).toBe(0);
    for (const c of theirs) expect(commentsOn(11).find((x) => x.id === c.id)).toEqual(c);
    const mine = commentsOn(11).filter((c) => c.user === 'alice');
    expect(mine).toHaveLength(1);
    expect(mine[0]!.body).toContain('Plan: +1 to create');
    // A later run edits alice's comment, still not mallory's.
    writeFileSync(
      path.join(repo, 'manifests/all.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [cm('x', { A: '2' })] }),
    );
    expect((await runPlan(repo, { pr: 11, token: 'ghp_alicetoken' })).code).toBe(0);
    expect(
      commentsOn(11)
        .filter((c) => c.user === 'alice')
        .map((c) => c.id),
    ).toEqual([mine[0]!.id]);
    for (const c of theirs) expect(commentsOn(11).find((x) => x.id === c.id)).toEqual(c);
    // The workflow's GITHUB_TOKEN writes as github-actions[bot]: it neither takes over alice's comment nor mallory's.
    expect((await runPlan(repo, { pr: 11 })).code).toBe(0);
    expect(commentsOn(11).filter((c) => c.user === 'github-actions[bot]')).toHaveLength(1);
    expect(commentsOn(11).filter((c) => c.user === 'alice')).toHaveLength(1);
    expect(forge.violations).toEqual([]);
  });
});

describe('the action never writes a credential it knows', () => {
  it('masks the GitHub token and the kubeconfig token that a chart reads into an object, in comments, summary, outputs and report', async () => {
    const ns = await freshNamespace('mask');
    const githubToken = 'ghs_maskedtoken0123456789abcdef';
    const clusterToken = bench().adminToken;
    // `.Files.Get` reads anything in the chart, and a pull request can add a file holding what it wants to leak (a
    // workflow that writes the token into the workspace, a values file typed by a user).
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    helm: {chart: chart}\n`,
      'chart/Chart.yaml': 'apiVersion: v2\nname: leak\nversion: 0.1.0\n',
      'chart/files/creds.txt': `github=${githubToken}\ncluster=${clusterToken}\n`,
      'chart/templates/cm.yaml': [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: creds}',
        'data:',
        '  creds: {{ .Files.Get "files/creds.txt" | quote }}',
        '  encoded: {{ .Files.Get "files/creds.txt" | b64enc | quote }}',
        `  github: {{ "${githubToken}" | quote }}`,
        `  github64: {{ "${githubToken}" | b64enc | quote }}`,
        `  cluster64: {{ "${clusterToken}" | b64enc | quote }}`,
        '',
      ].join('\n'),
    });
    const run = await runPlan(repo, { pr: 12, token: githubToken });
    expect(run.code, run.stdout).toBe(0);
    const comments = commentsOn(12);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('github: ***');
    const report = readFileSync(run.outputs['report-path']!, 'utf8');
    for (const [where, text] of [
      ['comment', comments.map((c) => c.body).join('\n')],
      ['job summary', run.summary],
      ['outputs', JSON.stringify(run.outputs)],
      ['JSON report', report],
    ] as const) {
      for (const secret of [githubToken, clusterToken]) {
        expect(text, where).not.toContain(secret);
        expect(text, where).not.toContain(Buffer.from(secret).toString('base64'));
      }
    }

    // A chart that fails with the credential in its message: the error comment is masked too.
    writeFileSync(path.join(repo, 'chart/templates/fail.yaml'), '{{ fail (.Files.Get "files/creds.txt") }}\n');
    const failed = await runPlan(repo, { pr: 12, token: githubToken });
    expect(failed.code).not.toBe(0);
    const error = commentsOn(12).find((c) => c.body.includes('the plan failed'));
    expect(error, JSON.stringify(commentsOn(12).map((c) => c.body.slice(0, 200)))).toBeDefined();
    expect(error!.body).toContain('github=***');
    for (const secret of [githubToken, clusterToken]) {
      expect(error!.body).not.toContain(secret);
      expect(failed.summary).not.toContain(secret);
    }
    expect(forge.violations).toEqual([]);
  });
});

/** Lines a runner would take for workflow commands (it trims blanks first); kubeplan's own come from @actions/core. */
function injectedCommands(log: string): string[] {
  return log
    .split('\n')
    .filter(
      (l) =>
        /^\s*(::|##\[)/.test(l) &&
        /INJECTED|stop-commands/.test(l) &&
        !/^::(error|warning|notice|debug|group)[^:]*::.*%0A/.test(l.trim()),
    );
}

/** The inline code spans of a markdown line, as CommonMark finds them (a run of n backticks closes on the next run of n). */
function codeSpans(line: string): [number, number][] {
  const runs = [...line.matchAll(/`+/g)].map((m) => ({ at: m.index, n: m[0].length }));
  const spans: [number, number][] = [];
  for (let i = 0; i < runs.length; i++) {
    const close = runs.findIndex((r, k) => k > i && r.n === runs[i]!.n);
    if (close === -1) continue;
    spans.push([runs[i]!.at, runs[close]!.at + runs[close]!.n]);
    i = close;
  }
  return spans;
}

/** What a pull request put in: outside code it may only appear escaped, on a line that kubeplan started. */
function markdownProblems(body: string): string[] {
  const problems: string[] = [];
  let fence: string | undefined;
  for (const line of body.split('\n')) {
    if (fence) {
      if (line.startsWith(fence) && /^`+$/.test(line) && line.length >= fence.length) fence = undefined;
      continue;
    }
    const open = /^(`{3,})/.exec(line);
    if (open) {
      fence = open[1];
      continue;
    }
    if (/^\s*(::|#+ *INJECTED|@|<img|INJECTED)/.test(line))
      problems.push(`a line starts with pull-request text: ${line}`);
    if (line.startsWith('<summary>') && !line.endsWith('</summary>'))
      problems.push(`a <summary> is left open: ${line}`);
    const spans = codeSpans(line);
    const inCode = (i: number) => spans.some(([a, b]) => i >= a && i < b) || /<code>[^<]*$/.test(line.slice(0, i));
    for (const m of line.matchAll(/@octocat/g)) if (!inCode(m.index)) problems.push(`a mention outside code: ${line}`);
    for (const m of line.matchAll(/<(img|b)\b/g)) if (!inCode(m.index)) problems.push(`raw HTML: ${line}`);
    if (/^Source: /.test(line) && !spans.some(([a, b]) => a === 'Source: '.length && b === line.length))
      problems.push(`the file name leaves its code span: ${line}`);
  }
  if (fence) problems.push('a fence is left open');
  return problems;
}

describe('text from the pull request cannot inject workflow commands or markdown', () => {
  it('kinds, names, keys and file names with newlines, backticks, HTML and mentions', async () => {
    const ns = await freshNamespace('inject');
    const evilFile = 'manifests/evil```\n::warning::INJECTED-FILE @octocat <img src=x>.yaml';
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
      [evilFile]:
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-file}\ndata:\n  note: "line one\\n::warning::INJECTED-VALUE\\n```\\n# INJECTED heading"\n',
      'manifests/keys.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keys}\ndata:\n  "a\\n::warning::INJECTED-KEY @octocat <b>x</b>": "1"\n',
      'manifests/kind.yaml':
        'apiVersion: example.com/v1\nkind: "Widget\\n::stop-commands::INJECTED-KIND"\nmetadata: {name: w}\n',
      'manifests/name.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "n\\n::warning::INJECTED-NAME `x` @octocat"}\n',
    });
    const run = await runPlan(repo, { pr: 13 });
    expect(injectedCommands(run.stdout)).toEqual([]);
    const comments = commentsOn(13);
    expect(comments.length, run.stdout).toBeGreaterThan(0);
    for (const c of comments) expect(markdownProblems(c.body), c.body).toEqual([]);
    expect(markdownProblems(run.summary), run.summary).toEqual([]);
    expect(comments.map((c) => c.body).join('\n')).toContain('INJECTED');

    // A config key can hold a fence: the error comment's fence is longer than anything inside it.
    writeFileSync(
      path.join(repo, 'kubeplan.yaml'),
      `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n    "x\\n\`\`\`\\n# INJECTED @octocat\\n::warning::INJECTED-CONFIG": 1\n`,
    );
    const bad = await runPlan(repo, { pr: 13 });
    expect(bad.code).not.toBe(0);
    expect(injectedCommands(bad.stdout)).toEqual([]);
    const error = commentsOn(13).find((c) => c.body.includes('the plan failed'));
    expect(error, bad.stdout).toBeDefined();
    expect(markdownProblems(error!.body), error!.body).toEqual([]);
    expect(error!.body).toContain('INJECTED');
  });
});

describe('a huge plan does not flood the pull request', () => {
  it('stops at 5 comment parts, the last saying how many objects are left out and where the full plan is', async () => {
    const { repo, git } = makeGitRepo({
      'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: flood\n    manifests: manifests\n',
      'manifests/all.json': '{"apiVersion": "v1", "kind": "List", "items": []}',
    });
    const base = git('rev-parse', 'HEAD');
    const many = Array.from({ length: 2500 }, (_, i) =>
      cm(`config-${String(i).padStart(4, '0')}`, { PAYLOAD: `value-${i}-`.repeat(20) }),
    );
    writeFileSync(
      path.join(repo, 'manifests/all.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: many }),
    );
    git('commit', '-qam', 'flood');
    // No cluster: the intent diff against the base, which is quick for thousands of objects.
    const run = await runPlan(repo, { pr: 14, baseSha: base, inputs: { kubeconfig: '' } });
    expect(run.code, run.stdout).toBe(0);
    const parts = commentsOn(14);
    expect(parts).toHaveLength(5);
    for (const p of parts) expect(p.body.length).toBeLessThanOrEqual(BODY_LIMIT);
    // No cluster was read: the title says so, and only the counts that are not zero.
    expect(parts[0]!.body).toContain('### kubeplan: Intent diff, no cluster. Plan: +2500 to create.\n');
    const shown = parts.map((p) => (p.body.match(/<summary>/g) ?? []).length).reduce((a, b) => a + b, 0);
    const note =
      /(\d+) more changed objects are not shown here \(a plan gets at most 5 comments\); the full plan is in the \[job summary\]\(https:\/\/github\.com\/acme\/config\/actions\/runs\/777\)\./.exec(
        parts[4]!.body,
      );
    expect(note, parts[4]!.body.slice(-600)).not.toBeNull();
    expect(shown + Number(note![1])).toBe(2500);
    // The job summary holds more, and says where the rest is.
    expect(run.summary).toMatch(
      /\d+ more changed objects are not shown here; the full report is kubeplan-report\.json \(report-path output\)\./,
    );
    expect(JSON.parse(readFileSync(run.outputs['report-path']!, 'utf8')).summary.create).toBe(2500);
    expect(forge.violations).toEqual([]);
  });
});
