import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { serveGitHttpBackend } from './git-http.js';
import { merge, sampleFromSchema } from './sample.js';

/**
 * A local, stateful stand-in for the GitHub API endpoints kubeplan uses, on 127.0.0.1. It keeps comments per issue,
 * paginates like GitHub (per_page, page, Link), enforces the 65,536-character body limit and read-only tokens, answers
 * GraphQL minimizeComment, and validates every request and response body against GitHub's OpenAPI description
 * (test/forge/github-openapi.json): a mismatch is recorded in `violations`, which tests assert to be empty.
 */

interface Operation {
  method: string;
  route: string;
  request: object | null;
  responses: Record<string, object | null>;
}
const spec = JSON.parse(
  readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'github-openapi.json'), 'utf8'),
) as {
  operations: Record<string, Operation>;
};
/**
 * Label operations missing from the trimmed description in github-openapi.json, transcribed from GitHub's REST
 * description (@octokit/openapi-types: issues/list-labels-on-issue, issues/remove-label, issues/create-label): the
 * label item is the one issues/add-labels answers with.
 */
{
  const label = (spec.operations['issues/add-labels']!.responses['200'] as { items: object }).items;
  spec.operations['issues/list-labels-on-issue'] ??= {
    method: 'GET',
    route: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
    request: null,
    responses: { '200': { type: 'array', items: label } },
  };
  spec.operations['issues/remove-label'] ??= {
    method: 'DELETE',
    route: '/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}',
    request: null,
    responses: { '200': { type: 'array', items: label } },
  };
  spec.operations['issues/create-label'] ??= {
    method: 'POST',
    route: '/repos/{owner}/{repo}/labels',
    request: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: { type: 'string' }, color: { type: 'string' }, description: { type: 'string' } },
    },
    responses: { '201': label },
  };
}

/**
 * Check runs and pull-request reviews, also missing from the trimmed description, transcribed from GitHub's REST
 * description (@octokit/openapi-types: checks/create, checks/update, checks/list-for-ref, pulls/list-reviews and the
 * check-run and pull-request-review schemas), down to the depth the trimmed ones keep.
 */
{
  const nullable = (type: string) => ({ type: [type, 'null'] });
  const conclusions = [
    'action_required',
    'cancelled',
    'failure',
    'neutral',
    'success',
    'skipped',
    'stale',
    'timed_out',
  ];
  const output = (required: string[]) => ({
    type: 'object',
    additionalProperties: false,
    required,
    properties: {
      title: { type: 'string' },
      summary: { type: 'string', maxLength: 65_535 },
      text: { type: 'string', maxLength: 65_535 },
      annotations: { type: 'array', maxItems: 50, items: { type: 'object' } },
      images: { type: 'array', items: { type: 'object' } },
    },
  });
  const requestBody = (required: string[]) => ({
    type: 'object',
    additionalProperties: false,
    required,
    properties: {
      name: { type: 'string' },
      head_sha: { type: 'string' },
      details_url: { type: 'string' },
      external_id: { type: 'string' },
      status: { enum: ['queued', 'in_progress', 'completed'] },
      started_at: { type: 'string', format: 'date-time' },
      conclusion: { enum: conclusions },
      completed_at: { type: 'string', format: 'date-time' },
      output: output(required.includes('head_sha') ? ['title', 'summary'] : ['summary']),
      actions: { type: 'array', maxItems: 3, items: { type: 'object' } },
    },
  });
  const checkRun = {
    type: 'object',
    required: [
      'id',
      'node_id',
      'head_sha',
      'name',
      'url',
      'html_url',
      'details_url',
      'status',
      'conclusion',
      'started_at',
      'completed_at',
      'external_id',
      'check_suite',
      'output',
      'app',
      'pull_requests',
    ],
    properties: {
      id: { type: 'integer' },
      head_sha: { type: 'string' },
      node_id: { type: 'string' },
      external_id: nullable('string'),
      url: { type: 'string' },
      html_url: nullable('string'),
      details_url: nullable('string'),
      status: { enum: ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending'] },
      conclusion: { enum: [...conclusions.filter((c) => c !== 'stale'), null] },
      started_at: { type: ['string', 'null'], format: 'date-time' },
      completed_at: { type: ['string', 'null'], format: 'date-time' },
      output: {
        type: 'object',
        required: ['title', 'summary', 'text', 'annotations_count', 'annotations_url'],
        properties: {
          title: nullable('string'),
          summary: nullable('string'),
          text: nullable('string'),
          annotations_count: { type: 'integer' },
          annotations_url: { type: 'string' },
        },
      },
      name: { type: 'string' },
      check_suite: { type: ['object', 'null'], required: ['id'], properties: { id: { type: 'integer' } } },
      app: { type: ['object', 'null'] },
      pull_requests: { type: 'array', items: { type: 'object' } },
    },
  };
  const review = {
    type: 'object',
    required: [
      'id',
      'node_id',
      'user',
      'body',
      'state',
      'html_url',
      'pull_request_url',
      '_links',
      'commit_id',
      'author_association',
    ],
    properties: {
      id: { type: 'integer' },
      node_id: { type: 'string' },
      user: { type: ['object', 'null'], required: ['login', 'id'], properties: { login: { type: 'string' } } },
      body: { type: 'string' },
      state: { type: 'string' },
      html_url: { type: 'string' },
      pull_request_url: { type: 'string' },
      _links: { type: 'object', required: ['html', 'pull_request'] },
      submitted_at: { type: 'string', format: 'date-time' },
      commit_id: nullable('string'),
      author_association: { type: 'string' },
    },
  };
  spec.operations['checks/create'] ??= {
    method: 'POST',
    route: '/repos/{owner}/{repo}/check-runs',
    request: requestBody(['name', 'head_sha']),
    responses: { '201': checkRun },
  };
  spec.operations['checks/update'] ??= {
    method: 'PATCH',
    route: '/repos/{owner}/{repo}/check-runs/{check_run_id}',
    request: requestBody([]),
    responses: { '200': checkRun },
  };
  spec.operations['checks/list-for-ref'] ??= {
    method: 'GET',
    route: '/repos/{owner}/{repo}/commits/{ref}/check-runs',
    request: null,
    responses: {
      '200': {
        type: 'object',
        required: ['total_count', 'check_runs'],
        properties: { total_count: { type: 'integer' }, check_runs: { type: 'array', items: checkRun } },
      },
    },
  };
  spec.operations['pulls/list-reviews'] ??= {
    method: 'GET',
    route: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
    request: null,
    responses: { '200': { type: 'array', items: review } },
  };
}

/**
 * Review requests and assignees, also missing from the trimmed description, transcribed from GitHub's REST description
 * (@octokit/openapi-types: pulls/request-reviewers answers a pull-request-simple, issues/add-assignees an issue): the
 * answers are the shapes pulls/list and issues/create answer with.
 */
{
  const pullSimple = (spec.operations['pulls/list']!.responses['200'] as { items: object }).items;
  spec.operations['pulls/request-reviewers'] ??= {
    method: 'POST',
    route: '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
    request: {
      type: 'object',
      additionalProperties: false,
      anyOf: [{ required: ['reviewers'] }, { required: ['team_reviewers'] }],
      properties: {
        reviewers: { type: 'array', items: { type: 'string' } },
        team_reviewers: { type: 'array', items: { type: 'string' } },
      },
    },
    responses: { '201': pullSimple },
  };
  spec.operations['issues/add-assignees'] ??= {
    method: 'POST',
    route: '/repos/{owner}/{repo}/issues/{issue_number}/assignees',
    request: {
      type: 'object',
      additionalProperties: false,
      properties: {
        assignees: {
          type: 'array',
          items: {
            oneOf: [
              { type: 'string' },
              {
                type: 'object',
                required: ['login'],
                properties: {
                  login: { type: 'string' },
                  rationale: { type: 'string' },
                  suggest: { type: 'boolean' },
                  confidence: { enum: ['low', 'medium', 'high'] },
                },
              },
            ],
          },
        },
      },
    },
    responses: { '201': spec.operations['issues/create']!.responses['201']! },
  };
}

export const BODY_LIMIT = 65_536;

export interface ForgeCheckRun {
  id: number;
  head_sha: string;
  name: string;
  external_id: string | null;
  status: string;
  conclusion: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  started_at: string;
  completed_at: string | null;
}

export interface ForgeReview {
  id: number;
  user: string;
  /** APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING. */
  state: string;
  commit_id: string | null;
  submitted_at: string;
}

export interface ForgeComment {
  id: number;
  node_id: string;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
  minimized?: string;
}

export interface ForgeRequest {
  method: string;
  path: string;
  operation: string;
  status: number;
}

export interface ForgeDeployment {
  id: number;
  ref: string;
  environment: string;
  /** production_environment as sent (GitHub's default: true only for an environment named production). */
  production: boolean;
  description: string;
  /** In order; `createdAt` (ISO) is when the forge got it, or what a test set to play an older status. */
  statuses: { state: string; description: string; log_url: string; createdAt?: string }[];
  createdAt: string;
  /** The payload as sent (kubeplan's audit record). */
  payload?: unknown;
}

export interface ForgeIssue {
  number: number;
  /** Who opened it (github-actions[bot] when unset). */
  user?: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
}

export interface ForgePull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  merged: boolean;
  labels: string[];
  /** The head commit (pulls/get); the head branch's commit in gitRoot, else zeros, when unset. */
  headSha?: string;
  /** Logins asked for a review (pulls/request-reviewers). */
  requestedReviewers?: string[];
  /** Team slugs asked for a review. */
  requestedTeams?: string[];
  /** Logins it is assigned to (issues/add-assignees). */
  assignees?: string[];
}

/**
 * A failure the forge injects into the next matching requests. Without `afterHandling` the request is refused and not
 * processed; with it the request IS processed (the comment is created) and only its answer is replaced: the lost
 * answer a client cannot tell from a failure.
 */
export interface ForgeFault {
  method: string;
  /** Matched against the request path (`/repos/acme/config/issues/3/comments`, `/graphql`). */
  pathPattern: RegExp;
  /** The status answered (500 when unset); ignored with `reset`. */
  status?: number;
  headers?: Record<string, string>;
  /** The JSON body answered; a GitHub-style `{message}` when unset. */
  body?: unknown;
  /** Destroys the connection instead of answering. */
  reset?: boolean;
  afterHandling?: boolean;
  /** How many matching requests it hits (1 when unset); it is removed after the last. */
  times?: number;
}

export interface Forge {
  /** Failures to inject, first match wins (see ForgeFault). */
  faults: ForgeFault[];
  /** Pull requests, by number (numbers are shared with issues, as on GitHub). */
  pulls: Map<number, ForgePull>;
  /** Where bare repositories live (`<gitRoot>/<owner>/<repo>.git`), served over `git http-backend` at `<url>/<owner>/<repo>.git`. */
  gitRoot: string | undefined;
  /** Issues (not pull requests), by number. */
  issues: Map<number, ForgeIssue>;
  /** GitHub Deployments created, with their statuses in order. */
  deployments: ForgeDeployment[];
  /** Pull requests a commit belongs to (for commits/{sha}/pulls): sha → numbers. */
  commitPulls: Map<string, number[]>;
  url: string;
  graphqlUrl: string;
  owner: string;
  repo: string;
  /** Comments per issue/PR number. */
  comments: Map<number, ForgeComment[]>;
  requests: ForgeRequest[];
  violations: string[];
  /** The repository's labels, by name: the colour (6 hex digits) and description they were created with. */
  labels: Map<string, { color: string; description: string | null }>;
  /** Tokens that may only read (fork pull requests). */
  readOnlyTokens: Set<string>;
  /** Who a token acts as (its comments' author, GraphQL `viewer`); any other token is `github-actions[bot]`. */
  identities: Map<string, string>;
  /** Check runs, in the order they were created. */
  checkRuns: ForgeCheckRun[];
  /** Tokens whose job has no `checks` permission: every check-run request is a 403. */
  noChecksTokens: Set<string>;
  /** Reviews per pull request number, in the order they were submitted. */
  reviews: Map<number, ForgeReview[]>;
  /**
   * Who has access to the repository, when not empty: a review requested from anyone else is refused (422, as GitHub
   * refuses a non-collaborator) and an assignee who is not one is skipped silently, as GitHub does.
   */
  collaborators: Set<string>;
  /** The organization's teams (slugs) that may be asked to review; any other team is refused (422). */
  teams: Set<string>;
  /** Submits a review of a pull request (a test's reviewer), now or at `at`. */
  addReview(pr: number, review: { user: string; state: string; commitId: string | null; at?: string }): ForgeReview;
  writes(): ForgeRequest[];
  stop(): Promise<void>;
}

export async function startForge(options: { owner?: string; repo?: string; gitRoot?: string } = {}): Promise<Forge> {
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'config';
  const gitRoot = options.gitRoot;
  const pulls = new Map<number, ForgePull>();
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const format of ['date-time', 'uri', 'email', 'uri-template', 'int32', 'int64', 'repo.nwo'])
    ajv.addFormat(format, true);
  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (key: string, schema: object) => {
    let v = validators.get(key);
    if (!v) validators.set(key, (v = ajv.compile(schema)));
    return v;
  };
  const comments = new Map<number, ForgeComment[]>();
  const requests: ForgeRequest[] = [];
  const violations: string[] = [];
  const readOnlyTokens = new Set<string>();
  const identities = new Map<string, string>();
  const loginOf = (token: string) => identities.get(token) ?? 'github-actions[bot]';
  const deployments: ForgeDeployment[] = [];
  const commitPulls = new Map<string, number[]>();
  const issues = new Map<number, ForgeIssue>();
  const labels = new Map<string, { color: string; description: string | null }>();
  const renderLabel = (name: string, k: number) => ({
    id: k + 1,
    node_id: `LA_${k}`,
    url: `${base}/repos/${owner}/${repo}/labels/${encodeURIComponent(name)}`,
    name,
    color: labels.get(name)?.color ?? 'ededed',
    default: false,
    description: labels.get(name)?.description ?? null,
  });
  const faults: ForgeFault[] = [];
  const checkRuns: ForgeCheckRun[] = [];
  const noChecksTokens = new Set<string>();
  const reviews = new Map<number, ForgeReview[]>();
  const collaborators = new Set<string>();
  const teams = new Set<string>();
  let nextReview = 9000;
  let reviewClock = Date.parse('2026-01-01T00:00:00Z');
  const addReview = (pr: number, r: { user: string; state: string; commitId: string | null; at?: string }) => {
    // Whole seconds, as GitHub gives them, never before an earlier review nor before now.
    reviewClock = Math.max(reviewClock + 1000, Math.ceil(Date.now() / 1000) * 1000);
    const review: ForgeReview = {
      id: nextReview++,
      user: r.user,
      state: r.state,
      commit_id: r.commitId,
      submitted_at: r.at ?? new Date(reviewClock).toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    reviews.set(pr, [...(reviews.get(pr) ?? []), review]);
    return review;
  };
  let nextIssue = 500;
  let nextId = 1000;
  let base = '';

  const check = (operation: string, what: 'request' | string, body: unknown) => {
    const op = spec.operations[operation];
    if (!op) return;
    const schema = what === 'request' ? op.request : op.responses[what];
    if (!schema) return;
    try {
      const validate = validatorFor(`${operation} ${what}`, schema);
      if (!validate(body)) violations.push(`${operation} ${what}: ${ajv.errorsText(validate.errors)}`);
    } catch (error) {
      violations.push(`${operation} ${what}: the schema does not compile: ${(error as Error).message}`);
    }
  };

  const userFields = (login: string) => ({
    login,
    id: login === 'github-actions[bot]' ? 41898282 : 5_000_000 + [...login].reduce((n, ch) => n + ch.charCodeAt(0), 0),
    node_id: login === 'github-actions[bot]' ? 'MDM6Qm90NDE4OTgyODI=' : `U_${Buffer.from(login).toString('base64')}`,
    avatar_url: 'https://avatars.githubusercontent.com/in/15368?v=4',
    gravatar_id: '',
    url: `${base}/users/${encodeURIComponent(login)}`,
    html_url: 'https://github.com/apps/github-actions',
    followers_url: `${base}/users/${encodeURIComponent(login)}/followers`,
    following_url: `${base}/users/${encodeURIComponent(login)}/following{/other_user}`,
    gists_url: `${base}/users/${encodeURIComponent(login)}/gists{/gist_id}`,
    starred_url: `${base}/users/${encodeURIComponent(login)}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/users/${encodeURIComponent(login)}/subscriptions`,
    organizations_url: `${base}/users/${encodeURIComponent(login)}/orgs`,
    repos_url: `${base}/users/${encodeURIComponent(login)}/repos`,
    events_url: `${base}/users/${encodeURIComponent(login)}/events{/privacy}`,
    received_events_url: `${base}/users/${encodeURIComponent(login)}/received_events`,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
  });
  const user = (login = 'github-actions[bot]') => ({
    ...userFields(login),
    site_admin: false,
  });
  const issueNumberOf = (c: ForgeComment) => [...comments].find(([, list]) => list.includes(c))![0];
  const render = (c: ForgeComment) => ({
    id: c.id,
    node_id: c.node_id,
    url: `${base}/repos/${owner}/${repo}/issues/comments/${c.id}`,
    html_url: `https://github.com/${owner}/${repo}/pull/${issueNumberOf(c)}#issuecomment-${c.id}`,
    issue_url: `${base}/repos/${owner}/${repo}/issues/${issueNumberOf(c)}`,
    body: c.body,
    user: user(c.user),
    created_at: c.created_at,
    updated_at: c.updated_at,
    author_association: 'NONE',
    performed_via_github_app: null,
  });

  const server = http.createServer((req, res) => {
    if (gitRoot && (req.url ?? '').startsWith(`/${owner}/${repo}.git/`)) return serveGit(req, res);
    let raw = '';
    req.setEncoding('utf8').on('data', (d: string) => (raw += d));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      const token = (req.headers.authorization ?? '').replace(/^(token|Bearer)\s+/i, '');
      let operation = 'unknown';
      const faultIndex = faults.findIndex((f) => f.method === req.method && f.pathPattern.test(url.pathname));
      const fault = faults[faultIndex];
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.times <= 0) faults.splice(faultIndex, 1);
      }
      // The request as it was processed is recorded by `send`; one refused before processing, here.
      const injure = (f: ForgeFault, record: boolean) => {
        const status = f.reset ? 0 : (f.status ?? 500);
        if (record) requests.push({ method: req.method ?? '', path: url.pathname, operation: 'fault', status });
        if (f.reset) return void req.socket.destroy();
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...f.headers });
        res.end(JSON.stringify(f.body ?? { message: status >= 500 ? 'Server Error' : 'injected failure' }));
      };
      if (fault && !fault.afterHandling) return injure(fault, true);
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        if (fault?.afterHandling) {
          requests.push({ method: req.method ?? '', path: url.pathname, operation, status });
          return injure(fault, false);
        }
        requests.push({ method: req.method ?? '', path: url.pathname, operation, status });
        if (body !== undefined && status < 300) check(operation, String(status), body);
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      const fail = (status: number, message: string, errors?: object[], headers?: Record<string, string>) =>
        send(
          status,
          {
            message,
            documentation_url: 'https://docs.github.com/rest',
            ...(errors ? { errors } : {}),
            status: String(status),
          },
          headers,
        );
      if (!token) return fail(401, 'Requires authentication');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        return fail(400, 'Problems parsing JSON');
      }
      const writing = req.method !== 'GET';
      if (url.pathname === '/graphql') {
        operation = 'graphql';
        const { query, variables } = (body ?? {}) as { query?: string; variables?: Record<string, string> };
        if (/^\s*(query\s*)?\{\s*viewer\s*\{\s*login\s*\}\s*\}\s*$/.test(query ?? '')) {
          // A read, though a POST: it is not counted among the writes.
          operation = 'graphql query';
          return send(200, { data: { viewer: { login: loginOf(token) } } });
        }
        if (!query?.includes('minimizeComment')) return send(200, { errors: [{ message: 'unsupported query' }] });
        if (readOnlyTokens.has(token))
          return send(200, {
            data: null,
            errors: [{ type: 'FORBIDDEN', message: 'Resource not accessible by integration' }],
          });
        const id = variables?.id;
        const comment = [...comments.values()].flat().find((c) => c.node_id === id);
        if (!comment)
          return send(200, {
            data: null,
            errors: [{ type: 'NOT_FOUND', message: `Could not resolve to a node with the global id of '${id}'` }],
          });
        comment.minimized = variables?.classifier ?? 'OUTDATED';
        return send(200, {
          data: {
            minimizeComment: {
              minimizedComment: { isMinimized: true, minimizedReason: comment.minimized.toLowerCase() },
            },
          },
        });
      }
      const repoPrefix = `/repos/${owner}/${repo}`;
      const commitPullsMatch = new RegExp(`^${repoPrefix}/commits/([0-9a-f]{7,40})/pulls$`).exec(url.pathname);
      if (commitPullsMatch && req.method === 'GET') {
        operation = 'repos/list-pull-requests-associated-with-commit';
        const op = spec.operations[operation]!;
        const numbers = commitPulls.get(commitPullsMatch[1]!) ?? [];
        const items = numbers.map((number) =>
          merge(sampleFromSchema((op.responses['200'] as { items?: unknown } | null)?.items), {
            number,
            state: 'closed',
            html_url: `https://github.com/${owner}/${repo}/pull/${number}`,
            merged_at: '2026-01-01T00:00:00Z',
            merge_commit_sha: commitPullsMatch[1],
          }),
        );
        return send(200, items);
      }
      if (url.pathname === `${repoPrefix}/deployments` && req.method === 'GET') {
        // repos/list-deployments: the items have create-deployment's shape (the trimmed description has only that).
        operation = 'repos/list-deployments';
        const sha = url.searchParams.get('sha');
        const environment = url.searchParams.get('environment');
        const op = spec.operations['repos/create-deployment']!;
        const list = deployments
          .filter((d) => (!sha || d.ref === sha) && (!environment || d.environment === environment))
          .sort((a, b) => b.id - a.id)
          .map((d) => {
            const item = merge(sampleFromSchema(op.responses['201']), {
              id: d.id,
              node_id: `DE_${d.id}`,
              url: `${base}${repoPrefix}/deployments/${d.id}`,
              sha: d.ref,
              ref: d.ref,
              environment: d.environment,
              description: d.description,
              creator: null,
              created_at: d.createdAt,
              updated_at: d.createdAt,
              statuses_url: `${base}${repoPrefix}/deployments/${d.id}/statuses`,
              repository_url: `${base}${repoPrefix}`,
            });
            check('repos/create-deployment', '201', item);
            return item;
          });
        return send(200, list);
      }
      if (url.pathname === `${repoPrefix}/deployments` && req.method === 'POST') {
        operation = 'repos/create-deployment';
        if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
        check(operation, 'request', body);
        const b = body as {
          ref: string;
          environment?: string;
          description?: string;
          production_environment?: boolean;
          payload?: unknown;
        };
        const d: ForgeDeployment = {
          id: nextId++,
          ref: b.ref,
          environment: b.environment ?? 'production',
          production: b.production_environment ?? (b.environment ?? 'production') === 'production',
          description: b.description ?? '',
          statuses: [],
          createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          ...(b.payload !== undefined ? { payload: b.payload } : {}),
        };
        deployments.push(d);
        const op = spec.operations[operation]!;
        return send(
          201,
          merge(sampleFromSchema(op.responses['201']), {
            id: d.id,
            node_id: `DE_${d.id}`,
            url: `${base}${repoPrefix}/deployments/${d.id}`,
            sha: d.ref,
            ref: d.ref,
            environment: d.environment,
            description: d.description,
            creator: null,
            created_at: d.createdAt,
            updated_at: d.createdAt,
            statuses_url: `${base}${repoPrefix}/deployments/${d.id}/statuses`,
            repository_url: `${base}${repoPrefix}`,
          }),
        );
      }
      const statusMatch = new RegExp(`^${repoPrefix}/deployments/(\\d+)/statuses$`).exec(url.pathname);
      if (statusMatch && req.method === 'GET') {
        // repos/list-deployment-statuses: the items have create-deployment-status's shape (the trimmed description
        // has only that), newest first as GitHub lists them.
        operation = 'repos/list-deployment-statuses';
        const d = deployments.find((x) => x.id === Number(statusMatch[1]));
        if (!d) return fail(404, 'Not Found');
        const op = spec.operations['repos/create-deployment-status']!;
        const list = d.statuses
          .map((st, k) => {
            const item = merge(sampleFromSchema(op.responses['201']), {
              id: d.id * 1000 + k,
              node_id: `DES_${d.id}_${k}`,
              state: st.state,
              description: st.description,
              environment: d.environment,
              creator: null,
              created_at: st.createdAt ?? d.createdAt,
              updated_at: st.createdAt ?? d.createdAt,
              url: `${base}${repoPrefix}/deployments/${d.id}/statuses/${k}`,
              deployment_url: `${base}${repoPrefix}/deployments/${d.id}`,
              repository_url: `${base}${repoPrefix}`,
              log_url: st.log_url,
              // GitHub keeps target_url (the older name) equal to log_url.
              target_url: st.log_url,
            });
            check('repos/create-deployment-status', '201', item);
            return item;
          })
          .reverse();
        return send(200, list);
      }
      if (statusMatch && req.method === 'POST') {
        operation = 'repos/create-deployment-status';
        if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
        check(operation, 'request', body);
        const d = deployments.find((x) => x.id === Number(statusMatch[1]));
        if (!d) return fail(404, 'Not Found');
        const b = body as { state: string; description?: string; log_url?: string };
        d.statuses.push({
          state: b.state,
          description: b.description ?? '',
          log_url: b.log_url ?? '',
          createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        });
        const op = spec.operations[operation]!;
        return send(
          201,
          merge(sampleFromSchema(op.responses['201']), {
            id: nextId++,
            node_id: `DES_${nextId}`,
            state: b.state,
            description: b.description ?? '',
            environment: d.environment,
            creator: null,
            url: `${base}${repoPrefix}/deployments/${d.id}/statuses/${nextId}`,
            deployment_url: `${base}${repoPrefix}/deployments/${d.id}`,
            repository_url: `${base}${repoPrefix}`,
            log_url: b.log_url ?? '',
          }),
        );
      }
      const renderIssue = (i: ForgeIssue) => {
        const op = spec.operations['issues/create']!;
        return merge(sampleFromSchema(op.responses['201']), {
          id: 700_000 + i.number,
          node_id: `I_${i.number}`,
          number: i.number,
          title: i.title,
          body: i.body,
          state: i.state,
          labels: i.labels.map((name, k) => ({
            id: k + 1,
            node_id: `LA_${k}`,
            url: `${base}${repoPrefix}/labels/${encodeURIComponent(name)}`,
            name,
            color: 'ededed',
            default: false,
            description: null,
          })),
          url: `${base}${repoPrefix}/issues/${i.number}`,
          html_url: `https://github.com/${owner}/${repo}/issues/${i.number}`,
          user: user(i.user),
          assignee: null,
          milestone: null,
          closed_at: i.state === 'closed' ? '2026-01-01T00:00:00Z' : null,
          comments: (comments.get(i.number) ?? []).length,
        });
      };
      if (url.pathname === `${repoPrefix}/issues`) {
        if (req.method === 'GET') {
          operation = 'issues/list-for-repo';
          const state = url.searchParams.get('state') ?? 'open';
          const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean);
          const list = [...issues.values()].filter(
            (i) => (state === 'all' || i.state === state) && labels.every((l) => i.labels.includes(l)),
          );
          return send(200, list.map(renderIssue));
        }
        if (req.method === 'POST') {
          operation = 'issues/create';
          if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
          check(operation, 'request', body);
          const b = body as { title: string; body?: string; labels?: string[] };
          const issue: ForgeIssue = {
            number: nextIssue++,
            user: loginOf(token),
            title: b.title,
            body: b.body ?? '',
            state: 'open',
            labels: b.labels ?? [],
          };
          issues.set(issue.number, issue);
          return send(201, renderIssue(issue));
        }
      }
      const issueMatch = new RegExp(`^${repoPrefix}/issues/(\\d+)$`).exec(url.pathname);
      if (issueMatch && req.method === 'PATCH') {
        operation = 'issues/update';
        if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
        check(operation, 'request', body);
        const issue = issues.get(Number(issueMatch[1]));
        if (!issue) return fail(404, 'Not Found');
        const b = body as { title?: string; body?: string; state?: 'open' | 'closed' };
        if (b.title !== undefined) issue.title = b.title;
        if (b.body !== undefined) issue.body = b.body;
        if (b.state !== undefined) issue.state = b.state;
        return send(200, renderIssue(issue));
      }
      const teamSchema = (
        spec.operations['pulls/create']!.responses['201'] as { properties: Record<string, { items: object }> }
      ).properties.requested_teams!.items;
      const renderPull = (p: ForgePull) => {
        const op = spec.operations['pulls/create']!;
        const repoObject = {
          ...(sampleFromSchema(
            (op.responses['201'] as { properties: { head: { properties: { repo: object } } } }).properties.head
              .properties.repo,
          ) as object),
          full_name: `${owner}/${repo}`,
          name: repo,
        };
        const branch = (ref: string, sha?: string) => ({
          label: `${owner}:${ref}`,
          ref,
          sha: sha ?? headSha(ref) ?? '0'.repeat(40),
          user: user(),
          repo: repoObject,
        });
        return merge(sampleFromSchema(op.responses['201']), {
          id: 800_000 + p.number,
          node_id: `PR_${p.number}`,
          number: p.number,
          title: p.title,
          body: p.body,
          state: p.state,
          locked: false,
          url: `${base}${repoPrefix}/pulls/${p.number}`,
          html_url: `https://github.com/${owner}/${repo}/pull/${p.number}`,
          // pulls/list's label schema wants a string description where issues' allows null.
          labels: p.labels.map((name, k) => ({
            id: k + 1,
            node_id: `LA_${k}`,
            url: `${base}${repoPrefix}/labels/${encodeURIComponent(name)}`,
            name,
            color: 'ededed',
            default: false,
            description: '',
          })),
          head: branch(p.head, p.headSha),
          base: branch(p.base),
          requested_reviewers: (p.requestedReviewers ?? []).map((login) => user(login)),
          requested_teams: (p.requestedTeams ?? []).map((slug, k) =>
            merge(sampleFromSchema(teamSchema), {
              id: 300 + k,
              name: slug,
              slug,
              html_url: `https://github.com/orgs/${owner}/teams/${slug}`,
              parent: null,
            }),
          ),
          assignees: (p.assignees ?? []).map((login) => user(login)),
          merged: p.merged,
          merged_at: p.merged ? '2026-01-01T00:00:00Z' : null,
          closed_at: p.state === 'closed' ? '2026-01-01T00:00:00Z' : null,
          user: user(),
          assignee: p.assignees?.length ? user(p.assignees[0]) : null,
          milestone: null,
          merged_by: null,
          auto_merge: null,
          active_lock_reason: null,
          draft: false,
        });
      };
      if (url.pathname === `${repoPrefix}/pulls`) {
        if (req.method === 'GET') {
          operation = 'pulls/list';
          const state = url.searchParams.get('state') ?? 'open';
          const head = url.searchParams.get('head');
          const list = [...pulls.values()]
            .filter((p) => (state === 'all' || p.state === state) && (!head || `${owner}:${p.head}` === head))
            .sort((a, b) => b.number - a.number);
          const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
          const page = Math.max(Number(url.searchParams.get('page') ?? 1), 1);
          const more = list.length > page * perPage;
          const next = new URL(url);
          next.searchParams.set('page', String(page + 1));
          // pulls/list returns the "simple" shape; the full one validates against it too, so one renderer serves.
          return send(
            200,
            list.slice((page - 1) * perPage, page * perPage).map(renderPull),
            more ? { link: `<${next.href}>; rel="next"` } : {},
          );
        }
        if (req.method === 'POST') {
          operation = 'pulls/create';
          if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
          check(operation, 'request', body);
          const b = body as { title: string; head: string; base: string; body?: string };
          if (gitRoot && !headSha(b.head))
            return fail(422, 'Validation Failed', [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
          if ([...pulls.values()].some((p) => p.state === 'open' && p.head === b.head)) {
            return fail(422, 'Validation Failed', [
              {
                resource: 'PullRequest',
                code: 'custom',
                message: `A pull request already exists for ${owner}:${b.head}.`,
              },
            ]);
          }
          const pull: ForgePull = {
            number: nextIssue++,
            title: b.title,
            body: b.body ?? '',
            head: b.head,
            base: b.base,
            state: 'open',
            merged: false,
            labels: [],
          };
          pulls.set(pull.number, pull);
          return send(201, renderPull(pull));
        }
      }
      const pullMatch = new RegExp(`^${repoPrefix}/pulls/(\\d+)$`).exec(url.pathname);
      if (pullMatch && req.method === 'GET') {
        operation = 'pulls/get';
        const pull = pulls.get(Number(pullMatch[1]));
        if (!pull) return fail(404, 'Not Found');
        return send(200, renderPull(pull));
      }
      if (pullMatch && req.method === 'PATCH') {
        operation = 'pulls/update';
        if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
        check(operation, 'request', body);
        const pull = pulls.get(Number(pullMatch[1]));
        if (!pull) return fail(404, 'Not Found');
        const b = body as { title?: string; body?: string; state?: 'open' | 'closed' };
        if (b.title !== undefined) pull.title = b.title;
        if (b.body !== undefined) pull.body = b.body;
        if (b.state !== undefined) pull.state = b.state;
        return send(200, renderPull(pull));
      }
      const reviewersMatch = new RegExp(`^${repoPrefix}/pulls/(\\d+)/requested_reviewers$`).exec(url.pathname);
      if (reviewersMatch && req.method === 'POST') {
        operation = 'pulls/request-reviewers';
        if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
        check(operation, 'request', body);
        const pull = pulls.get(Number(reviewersMatch[1]));
        if (!pull) return fail(404, 'Not Found');
        const b = body as { reviewers?: string[]; team_reviewers?: string[] };
        const users = b.reviewers ?? [];
        const slugs = b.team_reviewers ?? [];
        // GitHub's answers (pulls/request-reviewers 422; the author: "Review cannot be requested from pull request author.").
        if (users.some((u) => u.toLowerCase() === loginOf(token).toLowerCase()))
          return fail(422, 'Review cannot be requested from pull request author.');
        const outsider =
          (collaborators.size > 0 &&
            users.some((u) => ![...collaborators].some((c) => c.toLowerCase() === u.toLowerCase()))) ||
          slugs.some((t) => !teams.has(t));
        if (outsider)
          return fail(
            422,
            `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${owner}/${repo} repository.`,
          );
        pull.requestedReviewers = [...new Set([...(pull.requestedReviewers ?? []), ...users])];
        pull.requestedTeams = [...new Set([...(pull.requestedTeams ?? []), ...slugs])];
        return send(201, renderPull(pull));
      }
      const assigneesMatch = new RegExp(`^${repoPrefix}/issues/(\\d+)/assignees$`).exec(url.pathname);
      if (assigneesMatch && req.method === 'POST') {
        operation = 'issues/add-assignees';
        if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
        check(operation, 'request', body);
        const number = Number(assigneesMatch[1]);
        const target = pulls.get(number) ?? issues.get(number);
        if (!target) return fail(404, 'Not Found');
        const names = ((body as { assignees?: (string | { login: string })[] }).assignees ?? []).map((a) =>
          typeof a === 'string' ? a : a.login,
        );
        // Who may not be assigned is left out silently; GitHub assigns at most 10.
        const allowed = names.filter(
          (n) => collaborators.size === 0 || [...collaborators].some((c) => c.toLowerCase() === n.toLowerCase()),
        );
        const record = target as { assignees?: string[] };
        record.assignees = [...new Set([...(record.assignees ?? []), ...allowed])].slice(0, 10);
        const issue = pulls.has(number)
          ? {
              number,
              user: loginOf(token),
              title: pulls.get(number)!.title,
              body: '',
              state: pulls.get(number)!.state,
              labels: [],
            }
          : issues.get(number)!;
        return send(201, {
          ...(renderIssue(issue as ForgeIssue) as object),
          assignee: record.assignees[0] ? user(record.assignees[0]) : null,
          assignees: record.assignees.map((l) => user(l)),
        });
      }
      const labelsMatch = new RegExp(`^${repoPrefix}/issues/(\\d+)/labels$`).exec(url.pathname);
      if (labelsMatch && req.method === 'POST') {
        operation = 'issues/add-labels';
        if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
        check(operation, 'request', body);
        const target = pulls.get(Number(labelsMatch[1])) ?? issues.get(Number(labelsMatch[1]));
        if (!target) return fail(404, 'Not Found');
        const names = ((body as { labels?: (string | { name: string })[] }).labels ?? []).map((l) =>
          typeof l === 'string' ? l : l.name,
        );
        target.labels = [...new Set([...target.labels, ...names])];
        // GitHub creates a label it does not know yet, grey.
        for (const name of names) if (!labels.has(name)) labels.set(name, { color: 'ededed', description: null });
        return send(200, target.labels.map(renderLabel));
      }
      if (labelsMatch && req.method === 'GET') {
        operation = 'issues/list-labels-on-issue';
        const target = pulls.get(Number(labelsMatch[1])) ?? issues.get(Number(labelsMatch[1]));
        if (!target) return fail(404, 'Not Found');
        return send(200, target.labels.map(renderLabel));
      }
      const labelMatch = new RegExp(`^${repoPrefix}/issues/(\\d+)/labels/([^/]+)$`).exec(url.pathname);
      if (labelMatch && req.method === 'DELETE') {
        operation = 'issues/remove-label';
        if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
        const target = pulls.get(Number(labelMatch[1])) ?? issues.get(Number(labelMatch[1]));
        const name = decodeURIComponent(labelMatch[2]!);
        if (!target?.labels.includes(name)) return fail(404, 'Label does not exist');
        target.labels = target.labels.filter((l) => l !== name);
        return send(200, target.labels.map(renderLabel));
      }
      if (url.pathname === `${repoPrefix}/labels` && req.method === 'POST') {
        operation = 'issues/create-label';
        if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
        check(operation, 'request', body);
        const b = body as { name: string; color?: string; description?: string };
        if (b.color !== undefined && !/^[0-9a-fA-F]{6}$/.test(b.color))
          return fail(422, 'Validation Failed', [{ resource: 'Label', code: 'invalid', field: 'color' }]);
        if ([...labels.keys()].some((k) => k.toLowerCase() === b.name.toLowerCase()))
          return fail(422, 'Validation Failed', [{ resource: 'Label', code: 'already_exists', field: 'name' }]);
        labels.set(b.name, { color: b.color ?? 'ededed', description: b.description ?? null });
        return send(201, renderLabel(b.name, labels.size));
      }
      // Pages a list like GitHub: per_page (at most 100), page, and a Link header to the next page.
      const page = <T>(list: T[]) => {
        const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
        const n = Math.max(Number(url.searchParams.get('page') ?? 1), 1);
        const next = new URL(url);
        next.searchParams.set('page', String(n + 1));
        return {
          items: list.slice((n - 1) * perPage, n * perPage),
          headers: list.length > n * perPage ? { link: `<${next.href}>; rel="next"` } : ({} as Record<string, string>),
        };
      };
      const reviewsMatch = new RegExp(`^${repoPrefix}/pulls/(\\d+)/reviews$`).exec(url.pathname);
      if (reviewsMatch && req.method === 'GET') {
        operation = 'pulls/list-reviews';
        const number = Number(reviewsMatch[1]);
        const known = pulls.has(number) || [...commitPulls.values()].some((l) => l.includes(number));
        if (!known) return fail(404, 'Not Found');
        const { items, headers } = page(reviews.get(number) ?? []);
        return send(
          200,
          items.map((r) => ({
            id: r.id,
            node_id: `PRR_${r.id}`,
            user: user(r.user),
            body: '',
            state: r.state,
            html_url: `https://github.com/${owner}/${repo}/pull/${number}#pullrequestreview-${r.id}`,
            pull_request_url: `${base}${repoPrefix}/pulls/${number}`,
            _links: {
              html: { href: `https://github.com/${owner}/${repo}/pull/${number}#pullrequestreview-${r.id}` },
              pull_request: { href: `${base}${repoPrefix}/pulls/${number}` },
            },
            ...(r.state === 'PENDING' ? {} : { submitted_at: r.submitted_at }),
            commit_id: r.commit_id,
            author_association: 'MEMBER',
          })),
          headers,
        );
      }
      const renderCheckRun = (c: ForgeCheckRun) => ({
        id: c.id,
        head_sha: c.head_sha,
        node_id: `CR_${c.id}`,
        external_id: c.external_id,
        url: `${base}${repoPrefix}/check-runs/${c.id}`,
        html_url: `https://github.com/${owner}/${repo}/runs/${c.id}`,
        details_url: `https://github.com/${owner}/${repo}/runs/${c.id}`,
        status: c.status,
        conclusion: c.conclusion,
        started_at: c.started_at,
        completed_at: c.completed_at,
        output: {
          ...c.output,
          annotations_count: 0,
          annotations_url: `${base}${repoPrefix}/check-runs/${c.id}/annotations`,
        },
        name: c.name,
        check_suite: { id: 1 },
        app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' },
        pull_requests: [],
      });
      const checksRefused = () =>
        fail(403, 'Resource not accessible by integration', undefined, {
          'x-accepted-github-permissions': 'checks=write',
        });
      const checkListMatch = new RegExp(`^${repoPrefix}/commits/([^/]+)/check-runs$`).exec(url.pathname);
      if (checkListMatch && req.method === 'GET') {
        operation = 'checks/list-for-ref';
        if (noChecksTokens.has(token)) return checksRefused();
        const name = url.searchParams.get('check_name');
        const list = checkRuns
          .filter((c) => c.head_sha === checkListMatch[1] && (!name || c.name === name))
          .sort((a, b) => b.id - a.id);
        const { items, headers } = page(list);
        return send(200, { total_count: list.length, check_runs: items.map(renderCheckRun) }, headers);
      }
      const tooLongOutput = (b: { output?: { summary?: string; text?: string } }) =>
        (b.output?.summary?.length ?? 0) > 65_535 || (b.output?.text?.length ?? 0) > 65_535;
      if (url.pathname === `${repoPrefix}/check-runs` && req.method === 'POST') {
        operation = 'checks/create';
        if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
        if (noChecksTokens.has(token)) return checksRefused();
        check(operation, 'request', body);
        const b = body as Partial<ForgeCheckRun> & { output?: { title: string; summary: string; text?: string } };
        if (!b.name || !b.head_sha) return fail(422, 'Validation Failed', [{ resource: 'CheckRun', code: 'missing' }]);
        if (tooLongOutput(b)) return fail(422, 'Validation Failed', [{ resource: 'CheckRun', code: 'too_long' }]);
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        const run: ForgeCheckRun = {
          id: nextId++,
          head_sha: b.head_sha,
          name: b.name,
          external_id: b.external_id ?? null,
          status: b.status ?? 'queued',
          conclusion: b.conclusion ?? null,
          output: { title: b.output?.title ?? null, summary: b.output?.summary ?? null, text: b.output?.text ?? null },
          started_at: now,
          completed_at: b.conclusion ? (b.completed_at ?? now) : null,
        };
        checkRuns.push(run);
        return send(201, renderCheckRun(run));
      }
      const checkMatch = new RegExp(`^${repoPrefix}/check-runs/(\\d+)$`).exec(url.pathname);
      if (checkMatch && req.method === 'PATCH') {
        operation = 'checks/update';
        if (readOnlyTokens.has(token)) return fail(403, 'Resource not accessible by integration');
        if (noChecksTokens.has(token)) return checksRefused();
        check(operation, 'request', body);
        const run = checkRuns.find((c) => c.id === Number(checkMatch[1]));
        if (!run) return fail(404, 'Not Found');
        const b = body as Partial<ForgeCheckRun> & { output?: { title?: string; summary: string; text?: string } };
        if (tooLongOutput(b)) return fail(422, 'Validation Failed', [{ resource: 'CheckRun', code: 'too_long' }]);
        if (b.name !== undefined) run.name = b.name;
        if (b.external_id !== undefined) run.external_id = b.external_id;
        if (b.status !== undefined) run.status = b.status;
        if (b.conclusion !== undefined) {
          run.conclusion = b.conclusion;
          run.status = 'completed';
          run.completed_at = b.completed_at ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        }
        if (b.output)
          run.output = {
            title: b.output.title ?? run.output.title,
            summary: b.output.summary,
            text: b.output.text ?? run.output.text,
          };
        return send(200, renderCheckRun(run));
      }
      const prefix = `${repoPrefix}/issues/`;
      if (!url.pathname.startsWith(prefix)) return fail(404, 'Not Found');
      const rest = url.pathname.slice(prefix.length).split('/');
      if (writing && readOnlyTokens.has(token)) {
        operation =
          rest[0] === 'comments'
            ? `issues/${req.method === 'DELETE' ? 'delete' : 'update'}-comment`
            : 'issues/create-comment';
        return fail(403, 'Resource not accessible by integration');
      }
      // /repos/o/r/issues/{n}/comments
      if (rest.length === 2 && rest[1] === 'comments' && /^\d+$/.test(rest[0]!)) {
        const number = Number(rest[0]);
        const list = comments.get(number) ?? [];
        if (req.method === 'GET') {
          operation = 'issues/list-comments';
          const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
          const page = Math.max(Number(url.searchParams.get('page') ?? 1), 1);
          const last = Math.max(1, Math.ceil(list.length / perPage));
          const links: string[] = [];
          const link = (p: number, rel: string) =>
            `<${base}${url.pathname}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
          if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
          if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
          return send(
            200,
            list.slice((page - 1) * perPage, page * perPage).map(render),
            links.length ? { link: links.join(', ') } : {},
          );
        }
        if (req.method === 'POST') {
          operation = 'issues/create-comment';
          check(operation, 'request', body);
          const text = (body as { body?: string })?.body ?? '';
          if (text.length > BODY_LIMIT) return tooLong();
          const now = new Date().toISOString();
          const comment: ForgeComment = {
            id: nextId++,
            node_id: `IC_kwDO${nextId}`,
            body: text,
            user: loginOf(token),
            created_at: now,
            updated_at: now,
          };
          comments.set(number, [...list, comment]);
          return send(201, render(comment), {
            location: `${base}/repos/${owner}/${repo}/issues/comments/${comment.id}`,
          });
        }
      }
      // /repos/o/r/issues/comments/{id}
      if (rest.length === 2 && rest[0] === 'comments' && /^\d+$/.test(rest[1]!)) {
        const id = Number(rest[1]);
        const comment = [...comments.values()].flat().find((c) => c.id === id);
        operation =
          req.method === 'GET'
            ? 'issues/get-comment'
            : req.method === 'PATCH'
              ? 'issues/update-comment'
              : 'issues/delete-comment';
        if (!comment) return fail(404, 'Not Found');
        if (req.method === 'GET') return send(200, render(comment));
        if (req.method === 'PATCH') {
          check(operation, 'request', body);
          const text = (body as { body?: string })?.body ?? '';
          if (text.length > BODY_LIMIT) return tooLong();
          comment.body = text;
          comment.updated_at = new Date().toISOString();
          return send(200, render(comment));
        }
        if (req.method === 'DELETE') {
          for (const [n, list] of comments)
            comments.set(
              n,
              list.filter((c) => c !== comment),
            );
          return send(204);
        }
      }
      return fail(404, 'Not Found');

      function tooLong() {
        return fail(422, 'Validation Failed', [
          {
            resource: 'IssueComment',
            code: 'custom',
            field: 'body',
            message: `body is too long (maximum is ${BODY_LIMIT} characters)`,
          },
        ]);
      }
    });
  });
  /** The commit a branch of the served repository points at, or undefined. */
  function headSha(branch: string): string | undefined {
    if (!gitRoot) return undefined;
    const r = spawnSync('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
      cwd: path.join(gitRoot, owner, `${repo}.git`),
      encoding: 'utf8',
    });
    return r.status === 0 ? r.stdout.trim() : undefined;
  }

  /** Smart HTTP through `git http-backend` (CGI), behind GitHub's auth: Basic x-access-token:<token>; read-only tokens cannot push. */
  function serveGit(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', base);
    const auth = req.headers.authorization ?? '';
    const decoded = /^basic\s+/i.test(auth)
      ? Buffer.from(auth.replace(/^basic\s+/i, ''), 'base64').toString('utf8')
      : '';
    const token = decoded.slice(decoded.indexOf(':') + 1);
    const pushing =
      url.searchParams.get('service') === 'git-receive-pack' || url.pathname.endsWith('/git-receive-pack');
    const record = (status: number) =>
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        operation: pushing ? 'git push' : 'git fetch',
        status,
      });
    if (!token) {
      record(401);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' });
      return void res.end();
    }
    if (pushing && readOnlyTokens.has(token)) {
      record(403);
      res.writeHead(403);
      return void res.end('Permission denied');
    }
    serveGitHttpBackend(req, res, {
      projectRoot: gitRoot!,
      url,
      remoteUser: 'x-access-token',
      onStatus: record,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    graphqlUrl: `${base}/graphql`,
    owner,
    repo,
    comments,
    faults,
    pulls,
    gitRoot,
    issues,
    deployments,
    commitPulls,
    requests,
    violations,
    readOnlyTokens,
    identities,
    labels,
    checkRuns,
    noChecksTokens,
    reviews,
    collaborators,
    teams,
    addReview,
    writes: () => requests.filter((r) => r.method !== 'GET' && r.operation !== 'graphql query'),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
