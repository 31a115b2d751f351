import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { serveGitHttpBackend } from './git-http.js';

/**
 * A local, stateful stand-in for the GitLab REST API v4 endpoints kubeplan uses, on 127.0.0.1, modelled on the GitHub
 * forge next to it (forge.ts). It keeps merge requests, issues, their notes, labels, deployments and environments of
 * one project, paginates like GitLab (page, per_page up to 100, x-* headers and Link), enforces the 1,000,000-character
 * note limit, refuses writes from `read_api` tokens and CI job tokens the way GitLab does, and serves the project's
 * bare repository over smart HTTP (`git http-backend`) behind GitLab's Basic auth.
 *
 * GitLab publishes no OpenAPI description for these endpoints, so what kubeplan SENDS is checked against the request
 * schemas below (written from the endpoints' parameter declarations): a missing required field is answered as GitLab
 * answers it, and every mismatch, unknown field or unknown query parameter is recorded in `violations`, which tests
 * assert to be empty.
 *
 * Shapes come from (as stored on 2026-12-07):
 * - pagination headers: https://docs.gitlab.com/ee/api/rest/#pagination (x-page, x-per-page, x-total, x-total-pages,
 *   x-next-page, x-prev-page, Link rel prev/next/first/last; per_page default 20, max 100; at least one page)
 * - status codes and bodies: https://docs.gitlab.com/ee/api/rest/troubleshooting.html, and GitLab's source
 *   (gitlabhq/gitlabhq lib/api/helpers.rb: `{"message":"401 Unauthorized"}`, `{"message":"403 Forbidden"}`,
 *   `{"message":"404 Project Not Found"}`; lib/api/api_guard.rb: a token without the `api` scope gets 403
 *   `{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the
 *   access token.","scope":"api"}`, as reported in https://gitlab.com/gitlab-org/gitlab/-/issues/520392)
 * - notes: https://docs.gitlab.com/ee/api/notes.html and lib/api/notes.rb, lib/api/helpers/notes_helpers.rb (sort
 *   defaults to desc by created_at; a too-long note is `bad_request!("Note #{note.errors.messages}")`, i.e. 400
 *   `{"message":"400 Bad request - Note {:note=>[\"is too long (maximum is 1000000 characters)\"]}"}`, as clients
 *   report it: https://github.com/NARKOZ/gitlab/issues/610; job tokens may only read notes)
 * - merge requests: https://docs.gitlab.com/ee/api/merge_requests.html and lib/api/helpers/merge_requests_helpers.rb
 *   (a second open merge request for a source branch is 409 `{"message":["Another open merge request already exists
 *   for this source branch: !1"]}`); commits' merge requests: https://docs.gitlab.com/ee/api/commits.html
 * - issues: https://docs.gitlab.com/ee/api/issues.html; labels: https://docs.gitlab.com/ee/api/labels.html
 * - deployments: https://docs.gitlab.com/ee/api/deployments.html and lib/api/deployments.rb (environment, sha, ref,
 *   tag and status are all required; status one of running, success, failed, canceled; the environment is created
 *   when missing); environments: https://docs.gitlab.com/ee/api/environments.html
 * - CI job tokens (JOB-TOKEN header, or `gitlab-ci-token:<token>` for git): lib/gitlab/auth/auth_finders.rb
 *   `find_user_from_job_token` returns nothing unless the route sets `job_token_allowed`, so on every other route the
 *   request is unauthenticated: 401 `{"message":"401 Unauthorized"}` (not 403). Merge request reads allow job tokens.
 * - parameter errors are Grape's: 400 `{"error":"title is missing"}`, `{"error":"state_event does not have a valid
 *   value"}`
 */

export const NOTE_LIMIT = 1_000_000;
/** Issue and merge request descriptions (GitLab's `description` column limit, 1 MiB of characters). */
export const DESCRIPTION_LIMIT = 1_048_576;

export interface GitLabIdentity {
  id: number;
  username: string;
  name: string;
  bot: boolean;
}

export interface GitLabNote {
  id: number;
  body: string;
  /** The username of the author. */
  author: string;
  created_at: string;
  updated_at: string;
  /** Set by tests to stand for notes GitLab writes itself ("added 1 commit"). */
  system?: boolean;
}

export interface GitLabMergeRequest {
  id: number;
  iid: number;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  source_branch: string;
  target_branch: string;
  labels: string[];
  /** The author's username. */
  author: string;
  /** Head commit; read from the served repository when a gitRoot is given and this is unset. */
  sha?: string;
  merge_commit_sha?: string | null;
  squash_commit_sha?: string | null;
  remove_source_branch?: boolean;
  /** User ids (merge_requests/create and update `assignee_ids`, `reviewer_ids`). */
  assignee_ids?: number[];
  reviewer_ids?: number[];
  merged_at?: string | null;
  closed_at?: string | null;
  created_at: string;
  updated_at: string;
}

export interface GitLabIssue {
  id: number;
  iid: number;
  title: string;
  description: string;
  state: 'opened' | 'closed';
  labels: string[];
  author: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface GitLabLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface GitLabEnvironment {
  id: number;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface GitLabDeployment {
  id: number;
  iid: number;
  environment: string;
  sha: string;
  ref: string;
  tag: boolean;
  status: string;
  /** Every status the deployment had, in order (the first is the one it was created with). */
  statuses: string[];
  /** The username of who created it. */
  user: string;
  created_at: string;
  updated_at: string;
}

export interface GitLabRequest {
  method: string;
  path: string;
  operation: string;
  status: number;
}

/** An answer to give instead of the real one, for requests that match (all given fields), `times` times (once by default). */
export interface GitLabFault {
  operation?: string;
  method?: string;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  times?: number;
}

export interface GitLab {
  /** API base, e.g. http://127.0.0.1:PORT/api/v4 (what CI_API_V4_URL holds). */
  url: string;
  /** Server base, e.g. http://127.0.0.1:PORT (what CI_SERVER_URL holds). */
  serverUrl: string;
  project: { id: number; path: string; defaultBranch: string; webUrl: string };
  /** Where the bare repository lives: `<gitRoot>/<group>/<project>.git`, served at `<serverUrl>/<group>/<project>.git`. */
  gitRoot: string | undefined;
  mergeRequests: Map<number, GitLabMergeRequest>;
  issues: Map<number, GitLabIssue>;
  /** Notes per merge request iid, oldest first. */
  mergeRequestNotes: Map<number, GitLabNote[]>;
  /** Notes per issue iid, oldest first. */
  issueNotes: Map<number, GitLabNote[]>;
  labels: Map<string, GitLabLabel>;
  environments: Map<string, GitLabEnvironment>;
  deployments: GitLabDeployment[];
  requests: GitLabRequest[];
  violations: string[];
  /** Tokens with the `read_api` scope only: every write is 403 insufficient_scope, and they cannot push. */
  readOnlyTokens: Set<string>;
  /** Who a token acts as; any other token is the project access token's bot user. */
  identities: Map<string, GitLabIdentity>;
  /** Other users of the instance, by username: what `GET /users?username=` finds (with the identities). */
  users: Map<string, GitLabIdentity>;
  /**
   * When not empty, the only tokens GitLab knows (with the identities' and read-only ones): any other gets 401, as a
   * revoked or mistyped token does.
   */
  knownTokens: Set<string>;
  faults: GitLabFault[];
  /**
   * Diff versions per merge request iid, oldest first: one per head the merge request had (GitLab adds one on every
   * push to its source branch). merge_requests/versions answers from here.
   */
  mergeRequestVersions: Map<number, { id: number; head_commit_sha: string; created_at: string }[]>;
  /** Who approves each merge request now (merge_requests/approvals `approved_by`). */
  approvals: Map<number, Set<string>>;
  /** Adds a version (a push to the merge request's branch) with this head. */
  addVersion(iid: number, sha: string): void;
  /** `username` approves (or, with `false`, unapproves) the merge request: GitLab's system note and approved_by. */
  approve(iid: number, username: string, approved?: boolean): void;
  /** Requests that change something (git fetches and reads sent as POST are not counted). */
  writes(): GitLabRequest[];
  stop(): Promise<void>;
}

interface Route {
  method: string;
  pattern: RegExp;
  operation: string;
  /** Query parameters the endpoint declares (page and per_page are added for lists). */
  query?: string[];
  list?: boolean;
  /** JSON schema of the body kubeplan may send. */
  body?: object;
  /** CI job tokens may call it (reads GitLab allows with a job token). */
  jobToken?: boolean;
  handle: (ctx: Context) => void;
}

interface Context {
  operation: string;
  url: URL;
  match: RegExpExecArray;
  body: Record<string, unknown>;
  user: GitLabIdentity;
  token: string;
  send: (status: number, body?: unknown, headers?: Record<string, string>) => void;
  list: (items: unknown[]) => void;
}

const labelsSchema = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const stateEvent = { type: 'string', enum: ['close', 'reopen'] };
const noteCreate = {
  type: 'object',
  additionalProperties: false,
  required: ['body'],
  properties: {
    body: { type: 'string' },
    internal: { type: 'boolean' },
    confidential: { type: 'boolean' },
    created_at: { type: 'string' },
    merge_request_diff_head_sha: { type: 'string' },
  },
};
const noteUpdate = {
  type: 'object',
  additionalProperties: false,
  required: ['body'],
  properties: { body: { type: 'string', minLength: 1 }, confidential: { type: 'boolean' } },
};

export async function startGitLab(
  options: { path?: string; projectId?: number; gitRoot?: string; defaultBranch?: string } = {},
): Promise<GitLab> {
  const projectPath = options.path ?? 'acme/config';
  const projectId = options.projectId ?? 42;
  const gitRoot = options.gitRoot;
  const defaultBranch = options.defaultBranch ?? 'main';
  const mergeRequests = new Map<number, GitLabMergeRequest>();
  const issues = new Map<number, GitLabIssue>();
  const mergeRequestNotes = new Map<number, GitLabNote[]>();
  const issueNotes = new Map<number, GitLabNote[]>();
  const labels = new Map<string, GitLabLabel>();
  const environments = new Map<string, GitLabEnvironment>();
  const deployments: GitLabDeployment[] = [];
  const requests: GitLabRequest[] = [];
  const violations: string[] = [];
  const readOnlyTokens = new Set<string>();
  const identities = new Map<string, GitLabIdentity>();
  const users = new Map<string, GitLabIdentity>();
  const knownTokens = new Set<string>();
  const unknownToken = (token: string) =>
    knownTokens.size > 0 && !knownTokens.has(token) && !identities.has(token) && !readOnlyTokens.has(token);
  const faults: GitLabFault[] = [];
  const project = { id: projectId, path: projectPath, defaultBranch, webUrl: '' };
  // A project access token's user: project_<id>_bot_<hash>, a bot.
  const projectBot: GitLabIdentity = {
    id: 9_000 + projectId,
    username: `project_${projectId}_bot_${createHash('sha256').update(projectPath).digest('hex').slice(0, 32)}`,
    name: 'kubeplan',
    bot: true,
  };
  const identityOf = (token: string) => identities.get(token) ?? projectBot;
  const knownUsers = () => [projectBot, ...identities.values(), ...users.values()];
  const userById = (id: number) => knownUsers().find((u) => u.id === id);
  let nextId = 1000;
  let serverUrl = '';
  let apiUrl = '';

  const ajv = new Ajv({ strict: false, allErrors: true });
  const validators = new Map<string, ValidateFunction>();
  /** Records what does not fit the body schema; answers Grape's 400 for a missing required field or a wrong value. */
  const checkBody = (operation: string, schema: object, body: unknown): string | undefined => {
    let v = validators.get(operation);
    if (!v) validators.set(operation, (v = ajv.compile(schema)));
    if (v(body)) return undefined;
    violations.push(`${operation} request: ${ajv.errorsText(v.errors)}`);
    const missing = v.errors?.filter((e) => e.keyword === 'required').map((e) => e.params.missingProperty as string);
    if (missing?.length) return missing.map((m) => `${m} is missing`).join(', ');
    const invalid = v.errors?.find((e) => e.keyword === 'enum' || e.keyword === 'minLength');
    if (invalid) {
      const field = invalid.instancePath.replace(/^\//, '');
      return invalid.keyword === 'enum' ? `${field} does not have a valid value` : `${field} is empty`;
    }
    return undefined;
  };

  const now = () => new Date().toISOString();
  const userEntity = (username: string) => {
    const u = knownUsers().find((x) => x.username === username) ?? {
      id: 5_000 + [...username].reduce((n, ch) => n + ch.charCodeAt(0), 0),
      username,
      name: username,
      bot: false,
    };
    return {
      id: u.id,
      username: u.username,
      name: u.name,
      state: 'active',
      locked: false,
      avatar_url: `https://secure.gravatar.com/avatar/${createHash('sha256').update(u.username).digest('hex')}?s=80&d=identicon`,
      web_url: `${serverUrl}/${u.username}`,
    };
  };
  const renderNote = (n: GitLabNote, type: 'MergeRequest' | 'Issue', noteable: { id: number; iid: number }) => ({
    id: n.id,
    type: null,
    body: n.body,
    attachment: null,
    author: userEntity(n.author),
    created_at: n.created_at,
    updated_at: n.updated_at,
    system: n.system ?? false,
    noteable_id: noteable.id,
    noteable_type: type,
    project_id: projectId,
    resolvable: false,
    confidential: false,
    internal: false,
    imported: false,
    imported_from: 'none',
    noteable_iid: noteable.iid,
    commands_changes: {},
  });
  const shaOf = (mr: GitLabMergeRequest) => mr.sha ?? headSha(mr.source_branch) ?? null;
  const renderMergeRequest = (mr: GitLabMergeRequest) => ({
    id: mr.id,
    iid: mr.iid,
    project_id: projectId,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: mr.created_at,
    updated_at: mr.updated_at,
    merged_by: null,
    merge_user: null,
    merged_at: mr.merged_at ?? null,
    closed_by: null,
    closed_at: mr.closed_at ?? null,
    target_branch: mr.target_branch,
    source_branch: mr.source_branch,
    user_notes_count: (mergeRequestNotes.get(mr.iid) ?? []).length,
    upvotes: 0,
    downvotes: 0,
    author: userEntity(mr.author),
    assignees: (mr.assignee_ids ?? []).map((id) => userEntity(userById(id)!.username)),
    assignee: mr.assignee_ids?.length ? userEntity(userById(mr.assignee_ids[0]!)!.username) : null,
    reviewers: (mr.reviewer_ids ?? []).map((id) => userEntity(userById(id)!.username)),
    source_project_id: projectId,
    target_project_id: projectId,
    labels: mr.labels,
    draft: false,
    work_in_progress: false,
    milestone: null,
    merge_when_pipeline_succeeds: false,
    merge_status: 'can_be_merged',
    detailed_merge_status: 'mergeable',
    sha: shaOf(mr),
    merge_commit_sha: mr.merge_commit_sha ?? null,
    squash_commit_sha: mr.squash_commit_sha ?? null,
    discussion_locked: null,
    should_remove_source_branch: null,
    force_remove_source_branch: mr.remove_source_branch ?? false,
    prepared_at: mr.created_at,
    reference: `!${mr.iid}`,
    references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${projectPath}!${mr.iid}` },
    web_url: `${project.webUrl}/-/merge_requests/${mr.iid}`,
    time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
    squash: false,
    squash_on_merge: false,
    task_completion_status: { count: 0, completed_count: 0 },
    has_conflicts: false,
    blocking_discussions_resolved: true,
  });
  const renderIssue = (i: GitLabIssue) => ({
    id: i.id,
    iid: i.iid,
    project_id: projectId,
    title: i.title,
    description: i.description,
    state: i.state,
    created_at: i.created_at,
    updated_at: i.updated_at,
    closed_at: i.closed_at,
    closed_by: i.closed_at ? userEntity(i.author) : null,
    labels: i.labels,
    milestone: null,
    assignees: [],
    author: userEntity(i.author),
    type: 'ISSUE',
    assignee: null,
    user_notes_count: (issueNotes.get(i.iid) ?? []).length,
    merge_requests_count: 0,
    upvotes: 0,
    downvotes: 0,
    due_date: null,
    confidential: false,
    discussion_locked: null,
    issue_type: 'issue',
    web_url: `${project.webUrl}/-/issues/${i.iid}`,
    time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
    task_completion_status: { count: 0, completed_count: 0 },
    references: { short: `#${i.iid}`, relative: `#${i.iid}`, full: `${projectPath}#${i.iid}` },
    severity: 'UNKNOWN',
  });
  const renderLabel = (l: GitLabLabel) => ({
    id: l.id,
    name: l.name,
    description: l.description,
    description_html: l.description ?? '',
    text_color: '#FFFFFF',
    color: l.color,
    subscribed: false,
    priority: null,
    is_project_label: true,
  });
  /** GitLab guesses an environment's tier from its name. */
  const tierOf = (name: string) =>
    /(prod|live)/i.test(name)
      ? 'production'
      : /(stag|model|demo)/i.test(name)
        ? 'staging'
        : /(test|tst|int|ac(ce|)pt|qa|qc|control|quality)/i.test(name)
          ? 'testing'
          : /(dev|review|trunk)/i.test(name)
            ? 'development'
            : 'other';
  const renderEnvironment = (e: GitLabEnvironment) => ({
    id: e.id,
    name: e.name,
    slug: e.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 24),
    external_url: null,
    created_at: e.created_at,
    updated_at: e.updated_at,
    tier: tierOf(e.name),
    state: 'available',
    auto_stop_at: null,
    description: null,
    auto_stop_setting: 'always',
  });
  const renderDeployment = (d: GitLabDeployment) => ({
    id: d.id,
    iid: d.iid,
    ref: d.ref,
    sha: d.sha,
    created_at: d.created_at,
    updated_at: d.updated_at,
    finished_at: ['success', 'failed', 'canceled'].includes(d.status) ? d.updated_at : null,
    status: d.status,
    user: userEntity(d.user),
    environment: renderEnvironment(environments.get(d.environment)!),
    deployable: null,
    pending_approval_count: 0,
    approvals: [],
  });
  const renderProject = () => ({
    id: projectId,
    description: null,
    name: projectPath.split('/').at(-1),
    name_with_namespace: projectPath.split('/').join(' / '),
    path: projectPath.split('/').at(-1),
    path_with_namespace: projectPath,
    created_at: '2026-01-01T00:00:00.000Z',
    default_branch: defaultBranch,
    tag_list: [],
    topics: [],
    ssh_url_to_repo: `git@127.0.0.1:${projectPath}.git`,
    http_url_to_repo: `${serverUrl}/${projectPath}.git`,
    web_url: project.webUrl,
    readme_url: null,
    forks_count: 0,
    avatar_url: null,
    star_count: 0,
    last_activity_at: '2026-01-01T00:00:00.000Z',
    visibility: 'private',
    namespace: {
      id: 100,
      name: projectPath.split('/')[0],
      path: projectPath.split('/')[0],
      kind: 'group',
      full_path: projectPath.split('/').slice(0, -1).join('/'),
      parent_id: null,
      avatar_url: null,
      web_url: `${serverUrl}/groups/${projectPath.split('/').slice(0, -1).join('/')}`,
    },
    merge_requests_enabled: true,
    issues_enabled: true,
    jobs_enabled: true,
    empty_repo: false,
    archived: false,
  });

  /** The ids of users that exist (GitLab leaves out the others). */
  const knownIds = (value: unknown): number[] =>
    Array.isArray(value) ? [...new Set(value.filter((id): id is number => userById(Number(id)) !== undefined))] : [];
  const labelsOf = (value: unknown): string[] =>
    (Array.isArray(value) ? value.map(String) : String(value ?? '').split(',')).map((l) => l.trim()).filter(Boolean);
  /** Labels named on an issue or merge request that the project lacks are created, as GitLab does. */
  const ensureLabels = (names: string[]) => {
    for (const name of names)
      if (![...labels.keys()].some((k) => k.toLowerCase() === name.toLowerCase()))
        labels.set(name, { id: nextId++, name, color: '#6699cc', description: null });
  };
  const labelFilter = (param: string | null) => (itemLabels: string[]) => {
    if (param === null || param === '') return true;
    if (param === 'None') return itemLabels.length === 0;
    if (param === 'Any') return itemLabels.length > 0;
    return labelsOf(param).every((l) => itemLabels.some((x) => x.toLowerCase() === l.toLowerCase()));
  };
  const byCreated = (sortParam: string | null, orderBy: string | null) => (a: Stamped, b: Stamped) => {
    const key = orderBy === 'updated_at' ? 'updated_at' : 'created_at';
    const c = a[key].localeCompare(b[key]) || a.id - b.id;
    return sortParam === 'asc' ? c : -c;
  };
  type Stamped = { id: number; created_at: string; updated_at: string };
  const applyLabelEdits = (target: { labels: string[] }, b: Record<string, unknown>) => {
    if (b.labels !== undefined) target.labels = labelsOf(b.labels);
    if (b.add_labels !== undefined) target.labels = [...new Set([...target.labels, ...labelsOf(b.add_labels)])];
    if (b.remove_labels !== undefined) {
      const gone = labelsOf(b.remove_labels).map((l) => l.toLowerCase());
      target.labels = target.labels.filter((l) => !gone.includes(l.toLowerCase()));
    }
    ensureLabels(target.labels);
  };
  const tooLong = (field: string, limit: number) => ({
    message: { [field]: [`is too long (maximum is ${limit} characters)`] },
  });
  const noteTooLong = {
    message: `400 Bad request - Note {:note=>["is too long (maximum is ${NOTE_LIMIT} characters)"]}`,
  };
  const notFound = { message: '404 Not found' };

  const noteRoutes = (kind: 'merge_requests' | 'issues'): Route[] => {
    const type = kind === 'merge_requests' ? 'MergeRequest' : 'Issue';
    const store = kind === 'merge_requests' ? mergeRequestNotes : issueNotes;
    const parent = (iid: number) => (kind === 'merge_requests' ? mergeRequests.get(iid) : issues.get(iid));
    const notFoundParent = { message: `404 ${kind === 'merge_requests' ? 'Merge Request' : 'Issue'} Not Found` };
    const op = kind === 'merge_requests' ? 'merge_request_notes' : 'issue_notes';
    return [
      {
        method: 'GET',
        pattern: new RegExp(`^/${kind}/(\\d+)/notes$`),
        operation: `${op}/list`,
        query: ['sort', 'order_by', 'activity_filter'],
        list: true,
        // Job tokens may read merge request notes (lib/api/notes.rb job_token_policy_for), not issue notes.
        jobToken: kind === 'merge_requests',
        handle: (ctx) => {
          const { match, url, send, list } = ctx;
          const p = parent(Number(match[1]));
          if (!p) return send(404, notFoundParent);
          if (!queryEnums(ctx, sortEnums)) return;
          const sorted = [...(store.get(p.iid) ?? [])].sort(
            byCreated(url.searchParams.get('sort'), url.searchParams.get('order_by')),
          );
          list(sorted.map((n) => renderNote(n, type, p)));
        },
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/${kind}/(\\d+)/notes/(\\d+)$`),
        operation: `${op}/get`,
        jobToken: kind === 'merge_requests',
        handle: ({ match, send }) => {
          const p = parent(Number(match[1]));
          if (!p) return send(404, notFoundParent);
          const n = (store.get(p.iid) ?? []).find((x) => x.id === Number(match[2]));
          if (!n) return send(404, notFound);
          send(200, renderNote(n, type, p));
        },
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/${kind}/(\\d+)/notes$`),
        operation: `${op}/create`,
        body: noteCreate,
        handle: ({ match, body, user, send }) => {
          const p = parent(Number(match[1]));
          if (!p) return send(404, notFoundParent);
          const text = String(body.body);
          if (text.length > NOTE_LIMIT) return send(400, noteTooLong);
          const at = now();
          const note: GitLabNote = { id: nextId++, body: text, author: user.username, created_at: at, updated_at: at };
          store.set(p.iid, [...(store.get(p.iid) ?? []), note]);
          send(201, renderNote(note, type, p));
        },
      },
      {
        method: 'PUT',
        pattern: new RegExp(`^/${kind}/(\\d+)/notes/(\\d+)$`),
        operation: `${op}/update`,
        body: noteUpdate,
        handle: ({ match, body, user, send }) => {
          const p = parent(Number(match[1]));
          if (!p) return send(404, notFoundParent);
          const n = (store.get(p.iid) ?? []).find((x) => x.id === Number(match[2]));
          if (!n) return send(404, notFound);
          // Only the author may edit a note (admin_note); maintainers may delete others' notes but not edit them.
          if (n.author !== user.username || n.system) return send(403, { message: '403 Forbidden' });
          const text = String(body.body);
          if (text.length > NOTE_LIMIT) return send(400, noteTooLong);
          n.body = text;
          n.updated_at = now();
          send(200, renderNote(n, type, p));
        },
      },
      {
        method: 'DELETE',
        pattern: new RegExp(`^/${kind}/(\\d+)/notes/(\\d+)$`),
        operation: `${op}/delete`,
        handle: ({ match, send }) => {
          const p = parent(Number(match[1]));
          if (!p) return send(404, notFoundParent);
          const list = store.get(p.iid) ?? [];
          const n = list.find((x) => x.id === Number(match[2]));
          if (!n) return send(404, notFound);
          if (n.system) return send(403, { message: '403 Forbidden' });
          store.set(
            p.iid,
            list.filter((x) => x !== n),
          );
          send(204);
        },
      },
    ];
  };

  /**
   * Checks query parameters with fixed values; a wrong one is recorded and answered with Grape's 400. Returns false
   * when it answered.
   */
  const queryEnums = (ctx: Context, allowed: Record<string, string[]>) => {
    for (const [name, values] of Object.entries(allowed)) {
      const v = ctx.url.searchParams.get(name);
      if (v === null || values.includes(v)) continue;
      violations.push(`${ctx.operation} query: ${name}=${v} is not one of ${values.join(', ')}`);
      ctx.send(400, { error: `${name} does not have a valid value` });
      return false;
    }
    return true;
  };
  const sortEnums = { sort: ['asc', 'desc'], order_by: ['created_at', 'updated_at'] };

  const mergeRequestVersions = new Map<number, { id: number; head_commit_sha: string; created_at: string }[]>();
  const approvals = new Map<number, Set<string>>();
  // Versions and approval notes get increasing times a millisecond apart, so their order is never a tie.
  let clock = Date.now();
  const tick = () => new Date(++clock).toISOString();
  const addVersion = (iid: number, sha: string) =>
    mergeRequestVersions.set(iid, [
      ...(mergeRequestVersions.get(iid) ?? []),
      { id: nextId++, head_commit_sha: sha, created_at: tick() },
    ]);
  const approve = (iid: number, username: string, approved = true) => {
    const set = approvals.get(iid) ?? new Set<string>();
    if (approved) set.add(username);
    else set.delete(username);
    approvals.set(iid, set);
    const at = tick();
    const note: GitLabNote = {
      id: nextId++,
      body: approved ? 'approved this merge request' : 'unapproved this merge request',
      author: username,
      created_at: at,
      updated_at: at,
      system: true,
    };
    mergeRequestNotes.set(iid, [...(mergeRequestNotes.get(iid) ?? []), note]);
  };

  const routes: Route[] = [
    ...noteRoutes('merge_requests'),
    {
      // https://docs.gitlab.com/ee/api/merge_request_approvals.html (approvals of a merge request: approved_by)
      method: 'GET',
      pattern: /^\/merge_requests\/(\d+)\/approvals$/,
      operation: 'merge_requests/approvals',
      handle: ({ match, send }) => {
        const mr = mergeRequests.get(Number(match[1]));
        if (!mr) return send(404, notFound);
        const by = [...(approvals.get(mr.iid) ?? [])];
        send(200, {
          id: mr.id,
          iid: mr.iid,
          project_id: projectId,
          title: mr.title,
          description: mr.description,
          state: mr.state,
          created_at: mr.created_at,
          updated_at: mr.updated_at,
          merge_status: 'can_be_merged',
          approved: by.length > 0,
          approvals_required: 0,
          approvals_left: 0,
          approved_by: by.map((u) => ({ user: userEntity(u) })),
        });
      },
    },
    {
      // https://docs.gitlab.com/ee/api/merge_requests.html#get-merge-request-diff-versions (newest first)
      method: 'GET',
      pattern: /^\/merge_requests\/(\d+)\/versions$/,
      operation: 'merge_requests/versions',
      list: true,
      jobToken: true,
      handle: ({ match, send, list }) => {
        const mr = mergeRequests.get(Number(match[1]));
        if (!mr) return send(404, notFound);
        list(
          [...(mergeRequestVersions.get(mr.iid) ?? [])].reverse().map((v) => ({
            id: v.id,
            head_commit_sha: v.head_commit_sha,
            base_commit_sha: '0'.repeat(40),
            start_commit_sha: '0'.repeat(40),
            created_at: v.created_at,
            merge_request_id: mr.id,
            state: 'collected',
            real_size: '1',
            patch_id_sha: null,
          })),
        );
      },
    },
    ...noteRoutes('issues'),
    {
      method: 'GET',
      pattern: /^$/,
      operation: 'projects/get',
      jobToken: true,
      handle: ({ send }) => send(200, renderProject()),
    },
    {
      method: 'GET',
      pattern: /^\/merge_requests$/,
      operation: 'merge_requests/list',
      query: [
        'state',
        'source_branch',
        'target_branch',
        'labels',
        'order_by',
        'sort',
        'scope',
        'view',
        'with_labels_details',
        'iids[]',
      ],
      list: true,
      jobToken: true,
      handle: (ctx) => {
        const { url, list } = ctx;
        if (!queryEnums(ctx, { state: ['opened', 'closed', 'merged', 'locked', 'all'], ...sortEnums })) return;
        const q = url.searchParams;
        const state = q.get('state') ?? 'all';
        const labelsOk = labelFilter(q.get('labels'));
        const items = [...mergeRequests.values()]
          .filter(
            (mr) =>
              (state === 'all' || mr.state === state) &&
              (!q.get('source_branch') || mr.source_branch === q.get('source_branch')) &&
              (!q.get('target_branch') || mr.target_branch === q.get('target_branch')) &&
              labelsOk(mr.labels),
          )
          .sort(byCreated(q.get('sort'), q.get('order_by')));
        list(items.map(renderMergeRequest));
      },
    },
    {
      method: 'GET',
      pattern: /^\/merge_requests\/(\d+)$/,
      operation: 'merge_requests/get',
      jobToken: true,
      handle: ({ match, send }) => {
        const mr = mergeRequests.get(Number(match[1]));
        return mr ? send(200, renderMergeRequest(mr)) : send(404, notFound);
      },
    },
    {
      method: 'POST',
      pattern: /^\/merge_requests$/,
      operation: 'merge_requests/create',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['source_branch', 'target_branch', 'title'],
        properties: {
          source_branch: { type: 'string', minLength: 1 },
          target_branch: { type: 'string', minLength: 1 },
          title: { type: 'string', minLength: 1 },
          description: { type: 'string' },
          labels: labelsSchema,
          remove_source_branch: { type: 'boolean' },
          squash: { type: 'boolean' },
          allow_collaboration: { type: 'boolean' },
          assignee_id: { type: 'integer' },
          assignee_ids: { type: 'array', items: { type: 'integer' } },
          reviewer_ids: { type: 'array', items: { type: 'integer' } },
          milestone_id: { type: 'integer' },
          target_project_id: { type: 'integer' },
        },
      },
      handle: ({ body, user, send }) => {
        const b = body as { source_branch: string; target_branch: string; title: string; description?: string };
        if ((b.description ?? '').length > DESCRIPTION_LIMIT)
          return send(400, tooLong('description', DESCRIPTION_LIMIT));
        if (b.source_branch === b.target_branch)
          return send(422, { message: ["You can't use same project/branch for source and target"] });
        const open = [...mergeRequests.values()].find(
          (mr) => mr.state === 'opened' && mr.source_branch === b.source_branch && mr.target_branch === b.target_branch,
        );
        if (open)
          return send(409, {
            message: [`Another open merge request already exists for this source branch: !${open.iid}`],
          });
        if (gitRoot && !headSha(b.source_branch))
          return send(400, { message: { source_branch: [`"${b.source_branch}" does not exist`] } });
        const at = now();
        const mr: GitLabMergeRequest = {
          id: nextId++,
          iid: Math.max(0, ...mergeRequests.keys()) + 1,
          title: b.title,
          description: b.description ?? '',
          state: 'opened',
          source_branch: b.source_branch,
          target_branch: b.target_branch,
          labels: [],
          author: user.username,
          remove_source_branch: body.remove_source_branch === true,
          assignee_ids: knownIds(body.assignee_ids),
          reviewer_ids: knownIds(body.reviewer_ids),
          created_at: at,
          updated_at: at,
        };
        applyLabelEdits(mr, { labels: body.labels });
        mergeRequests.set(mr.iid, mr);
        send(201, renderMergeRequest(mr));
      },
    },
    {
      method: 'PUT',
      pattern: /^\/merge_requests\/(\d+)$/,
      operation: 'merge_requests/update',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          title: { type: 'string', minLength: 1 },
          description: { type: 'string' },
          labels: labelsSchema,
          add_labels: labelsSchema,
          remove_labels: labelsSchema,
          state_event: stateEvent,
          target_branch: { type: 'string', minLength: 1 },
          remove_source_branch: { type: 'boolean' },
          squash: { type: 'boolean' },
          discussion_locked: { type: 'boolean' },
          allow_collaboration: { type: 'boolean' },
          assignee_ids: { type: 'array', items: { type: 'integer' } },
          reviewer_ids: { type: 'array', items: { type: 'integer' } },
          milestone_id: { type: 'integer' },
        },
      },
      handle: ({ match, body, send }) => {
        const mr = mergeRequests.get(Number(match[1]));
        if (!mr) return send(404, notFound);
        if (Object.keys(body).length === 0)
          return send(400, {
            error:
              'title, description, labels, add_labels, remove_labels, state_event, target_branch, ... are missing, at least one parameter must be provided',
          });
        if (typeof body.description === 'string' && body.description.length > DESCRIPTION_LIMIT)
          return send(400, tooLong('description', DESCRIPTION_LIMIT));
        if (typeof body.title === 'string') mr.title = body.title;
        if (typeof body.description === 'string') mr.description = body.description;
        if (typeof body.target_branch === 'string') mr.target_branch = body.target_branch;
        if (typeof body.remove_source_branch === 'boolean') mr.remove_source_branch = body.remove_source_branch;
        // The lists are replaced, not added to, as GitLab does.
        if (body.assignee_ids !== undefined) mr.assignee_ids = knownIds(body.assignee_ids);
        if (body.reviewer_ids !== undefined) mr.reviewer_ids = knownIds(body.reviewer_ids);
        applyLabelEdits(mr, body);
        if (mr.state !== 'merged') {
          if (body.state_event === 'close' && mr.state === 'opened') {
            mr.state = 'closed';
            mr.closed_at = now();
          }
          if (body.state_event === 'reopen' && mr.state === 'closed') {
            mr.state = 'opened';
            mr.closed_at = null;
          }
        }
        mr.updated_at = now();
        send(200, renderMergeRequest(mr));
      },
    },
    {
      method: 'GET',
      pattern: /^\/repository\/commits\/([^/]+)\/merge_requests$/,
      operation: 'commits/merge_requests',
      query: ['state'],
      list: true,
      jobToken: true,
      handle: ({ match, url, send, list }) => {
        const sha = decodeURIComponent(match[1]!);
        if (gitRoot && !commitExists(sha)) return send(404, { message: '404 Commit Not Found' });
        const state = url.searchParams.get('state');
        const items = [...mergeRequests.values()]
          .filter(
            (mr) =>
              [mr.merge_commit_sha, mr.squash_commit_sha, shaOf(mr)].includes(sha) && (!state || mr.state === state),
          )
          .sort((a, b) => b.id - a.id);
        list(items.map(renderMergeRequest));
      },
    },
    {
      method: 'GET',
      pattern: /^\/issues$/,
      operation: 'issues/list',
      query: ['state', 'labels', 'order_by', 'sort', 'scope', 'search', 'in', 'iids[]', 'with_labels_details'],
      list: true,
      handle: (ctx) => {
        const { url, list } = ctx;
        if (!queryEnums(ctx, { state: ['opened', 'closed', 'all'], ...sortEnums })) return;
        const q = url.searchParams;
        const state = q.get('state') ?? 'all';
        const labelsOk = labelFilter(q.get('labels'));
        const items = [...issues.values()]
          .filter((i) => (state === 'all' || i.state === state) && labelsOk(i.labels))
          .sort(byCreated(q.get('sort'), q.get('order_by')));
        list(items.map(renderIssue));
      },
    },
    {
      method: 'GET',
      pattern: /^\/issues\/(\d+)$/,
      operation: 'issues/get',
      handle: ({ match, send }) => {
        const i = issues.get(Number(match[1]));
        return i ? send(200, renderIssue(i)) : send(404, { message: '404 Issue Not Found' });
      },
    },
    {
      method: 'POST',
      pattern: /^\/issues$/,
      operation: 'issues/create',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['title'],
        properties: {
          title: { type: 'string', minLength: 1 },
          description: { type: 'string' },
          labels: labelsSchema,
          confidential: { type: 'boolean' },
          assignee_ids: { type: 'array', items: { type: 'integer' } },
          milestone_id: { type: 'integer' },
          due_date: { type: 'string' },
          issue_type: { type: 'string', enum: ['issue', 'incident', 'test_case', 'task'] },
        },
      },
      handle: ({ body, user, send }) => {
        const b = body as { title: string; description?: string };
        if ((b.description ?? '').length > DESCRIPTION_LIMIT)
          return send(400, tooLong('description', DESCRIPTION_LIMIT));
        const at = now();
        const issue: GitLabIssue = {
          id: nextId++,
          iid: Math.max(0, ...issues.keys()) + 1,
          title: b.title,
          description: b.description ?? '',
          state: 'opened',
          labels: [],
          author: user.username,
          created_at: at,
          updated_at: at,
          closed_at: null,
        };
        applyLabelEdits(issue, { labels: body.labels });
        issues.set(issue.iid, issue);
        send(201, renderIssue(issue));
      },
    },
    {
      method: 'PUT',
      pattern: /^\/issues\/(\d+)$/,
      operation: 'issues/update',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          title: { type: 'string', minLength: 1 },
          description: { type: 'string' },
          labels: labelsSchema,
          add_labels: labelsSchema,
          remove_labels: labelsSchema,
          state_event: stateEvent,
          confidential: { type: 'boolean' },
          discussion_locked: { type: 'boolean' },
          assignee_ids: { type: 'array', items: { type: 'integer' } },
          milestone_id: { type: 'integer' },
          due_date: { type: 'string' },
        },
      },
      handle: ({ match, body, send }) => {
        const issue = issues.get(Number(match[1]));
        if (!issue) return send(404, { message: '404 Issue Not Found' });
        if (typeof body.description === 'string' && body.description.length > DESCRIPTION_LIMIT)
          return send(400, tooLong('description', DESCRIPTION_LIMIT));
        if (typeof body.title === 'string') issue.title = body.title;
        if (typeof body.description === 'string') issue.description = body.description;
        applyLabelEdits(issue, body);
        if (body.state_event === 'close' && issue.state === 'opened') {
          issue.state = 'closed';
          issue.closed_at = now();
        }
        if (body.state_event === 'reopen' && issue.state === 'closed') {
          issue.state = 'opened';
          issue.closed_at = null;
        }
        issue.updated_at = now();
        send(200, renderIssue(issue));
      },
    },
    {
      method: 'GET',
      pattern: /^\/labels$/,
      operation: 'labels/list',
      query: ['with_counts', 'include_ancestor_groups', 'search'],
      list: true,
      handle: ({ list }) => list([...labels.values()].sort((a, b) => a.name.localeCompare(b.name)).map(renderLabel)),
    },
    {
      method: 'POST',
      pattern: /^\/labels$/,
      operation: 'labels/create',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'color'],
        properties: {
          name: { type: 'string', minLength: 1 },
          color: { type: 'string', minLength: 1 },
          description: { type: 'string' },
          priority: { type: 'integer' },
        },
      },
      handle: ({ body, send }) => {
        const name = String(body.name);
        if ([...labels.keys()].some((k) => k.toLowerCase() === name.toLowerCase()))
          return send(409, { message: 'Label already exists' });
        if (!/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(String(body.color)) && !/^[a-z]+$/i.test(String(body.color)))
          return send(400, { message: { color: ['must be a valid color code'] } });
        const label: GitLabLabel = {
          id: nextId++,
          name,
          color: String(body.color),
          description: typeof body.description === 'string' ? body.description : null,
        };
        labels.set(name, label);
        send(201, renderLabel(label));
      },
    },
    {
      method: 'GET',
      pattern: /^\/deployments$/,
      operation: 'deployments/list',
      query: ['order_by', 'sort', 'environment', 'status', 'updated_after', 'updated_before'],
      list: true,
      handle: ({ url, list }) => {
        const q = url.searchParams;
        const items = deployments
          .filter(
            (d) =>
              (!q.get('environment') || d.environment === q.get('environment')) &&
              (!q.get('status') || d.status === q.get('status')),
          )
          .sort((a, b) => (q.get('sort') === 'desc' ? b.id - a.id : a.id - b.id));
        list(items.map(renderDeployment));
      },
    },
    {
      method: 'POST',
      pattern: /^\/deployments$/,
      operation: 'deployments/create',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['environment', 'sha', 'ref', 'tag', 'status'],
        properties: {
          environment: { type: 'string', minLength: 1 },
          sha: { type: 'string', minLength: 1 },
          ref: { type: 'string', minLength: 1 },
          tag: { type: 'boolean' },
          status: { type: 'string', enum: ['running', 'success', 'failed', 'canceled'] },
        },
      },
      handle: ({ body, user, send }) => {
        const b = body as { environment: string; sha: string; ref: string; tag: boolean; status: string };
        const at = now();
        if (!environments.has(b.environment))
          environments.set(b.environment, { id: nextId++, name: b.environment, created_at: at, updated_at: at });
        const d: GitLabDeployment = {
          id: nextId++,
          iid: deployments.length + 1,
          environment: b.environment,
          sha: b.sha,
          ref: b.ref,
          tag: b.tag,
          status: b.status,
          statuses: [b.status],
          user: user.username,
          created_at: at,
          updated_at: at,
        };
        deployments.push(d);
        send(201, renderDeployment(d));
      },
    },
    {
      method: 'GET',
      pattern: /^\/deployments\/(\d+)$/,
      operation: 'deployments/get',
      handle: ({ match, send }) => {
        const d = deployments.find((x) => x.id === Number(match[1]));
        return d ? send(200, renderDeployment(d)) : send(404, notFound);
      },
    },
    {
      method: 'PUT',
      pattern: /^\/deployments\/(\d+)$/,
      operation: 'deployments/update',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['status'],
        properties: { status: { type: 'string', enum: ['running', 'success', 'failed', 'canceled'] } },
      },
      handle: ({ match, body, send }) => {
        const d = deployments.find((x) => x.id === Number(match[1]));
        if (!d) return send(404, notFound);
        d.status = String(body.status);
        d.statuses.push(d.status);
        d.updated_at = now();
        send(200, renderDeployment(d));
      },
    },
    {
      method: 'GET',
      pattern: /^\/environments$/,
      operation: 'environments/list',
      query: ['name', 'search', 'states'],
      list: true,
      handle: ({ url, list }) => {
        const name = url.searchParams.get('name');
        const search = url.searchParams.get('search');
        const items = [...environments.values()]
          .filter((e) => (!name || e.name === name) && (!search || e.name.includes(search)))
          .sort((a, b) => a.id - b.id);
        list(items.map(renderEnvironment));
      },
    },
  ];

  const findProject = (id: string) => {
    const decoded = decodeURIComponent(id);
    return decoded === String(projectId) || decoded.toLowerCase() === projectPath.toLowerCase();
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', serverUrl);
    if (!url.pathname.startsWith('/api/v4/')) {
      if (gitRoot && /^\/.+\.git\//.test(url.pathname)) return serveGit(req, res, url);
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('Not Found');
    }
    let raw = '';
    req.setEncoding('utf8').on('data', (d: string) => (raw += d));
    req.on('end', () => {
      let operation = 'unknown';
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        requests.push({ method: req.method ?? '', path: url.pathname, operation, status });
        res.writeHead(status, body === undefined ? headers : { 'content-type': 'application/json', ...headers });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      const apiPath = url.pathname.slice('/api/v4'.length);
      const projectMatch = /^\/projects\/([^/]+)(\/.*)?$/.exec(apiPath);
      const rest = projectMatch ? (projectMatch[2] ?? '') : undefined;
      const global = (apiPath === '/user' || apiPath === '/users') && req.method === 'GET';
      const route = global
        ? undefined
        : routes.find((r) => r.method === req.method && rest !== undefined && r.pattern.test(rest));
      if (global) operation = apiPath === '/user' ? 'user/get' : 'users/list';
      else if (route) operation = route.operation;
      else return send(404, { error: '404 Not Found' });

      const fault = faults.find(
        (f) => (f.operation ?? operation) === operation && (f.method ?? req.method) === req.method,
      );
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
        return send(fault.status, fault.body, fault.headers);
      }

      // Authentication: PRIVATE-TOKEN or a Bearer token (personal, project or group access tokens), or JOB-TOKEN.
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const bearer = /^Bearer\s+(.+)$/i.exec(header('authorization') ?? '')?.[1];
      const jobToken = header('job-token');
      const token = header('private-token') ?? bearer ?? jobToken ?? '';
      if (!token || (token !== jobToken && unknownToken(token))) return send(401, { message: '401 Unauthorized' });
      // A job token is only looked at on routes that allow one (route_setting :authentication, job_token_allowed);
      // anywhere else the request counts as unauthenticated.
      if (jobToken && token === jobToken && !route?.jobToken) return send(401, { message: '401 Unauthorized' });
      const writing = req.method !== 'GET' && req.method !== 'HEAD';
      if (writing && readOnlyTokens.has(token))
        return send(403, {
          error: 'insufficient_scope',
          error_description: 'The request requires higher privileges than provided by the access token.',
          scope: 'api',
        });
      const user = identityOf(token);
      if (operation === 'user/get') {
        return send(200, {
          ...userEntity(user.username),
          created_at: '2026-01-01T00:00:00.000Z',
          bio: '',
          location: '',
          public_email: null,
          website_url: '',
          organization: '',
          job_title: '',
          pronouns: null,
          bot: user.bot,
          work_information: null,
          local_time: null,
          last_sign_in_at: null,
          confirmed_at: '2026-01-01T00:00:00.000Z',
          last_activity_on: '2026-01-01',
          email: `${user.username}@noreply.127.0.0.1`,
          theme_id: 1,
          color_scheme_id: 1,
          projects_limit: 100000,
          current_sign_in_at: null,
          identities: [],
          can_create_group: false,
          can_create_project: false,
          two_factor_enabled: false,
          external: false,
          private_profile: false,
          commit_email: `${user.username}@noreply.127.0.0.1`,
        });
      }
      // https://docs.gitlab.com/ee/api/users.html#list-users: `username` finds one user, case-insensitively.
      if (operation === 'users/list') {
        for (const name of url.searchParams.keys())
          if (!['username', 'page', 'per_page'].includes(name))
            violations.push(`${operation} query: unknown parameter ${name}`);
        const wanted = (url.searchParams.get('username') ?? '').toLowerCase();
        if (!wanted) violations.push('users/list query: kubeplan lists users only by username');
        const found = knownUsers().filter((u) => u.username.toLowerCase() === wanted);
        return send(
          200,
          found.slice(0, 1).map((u) => userEntity(u.username)),
        );
      }
      if (!route || !projectMatch || !findProject(projectMatch[1]!))
        return send(404, { message: '404 Project Not Found' });

      const known = new Set([...(route.query ?? []), ...(route.list ? ['page', 'per_page'] : [])]);
      for (const name of url.searchParams.keys())
        if (!known.has(name)) violations.push(`${operation} query: unknown parameter ${name}`);

      let body: Record<string, unknown> = {};
      if (raw) {
        const type = header('content-type') ?? '';
        if (type.includes('application/x-www-form-urlencoded')) {
          violations.push(`${operation} request: sent as a form, not JSON`);
          body = Object.fromEntries(new URLSearchParams(raw));
        } else {
          try {
            body = JSON.parse(raw) as Record<string, unknown>;
          } catch {
            return send(400, { error: 'body is invalid' });
          }
          if (!type.includes('application/json'))
            violations.push(`${operation} request: content-type ${type || 'missing'}, not application/json`);
        }
      }
      if (route.body) {
        const error = checkBody(operation, route.body, body);
        if (error) return send(400, { error });
      } else if (raw) violations.push(`${operation} request: a body where none is expected`);

      const list = (items: unknown[]) => {
        const { page, headers } = paginate(url, items);
        send(200, page, headers);
      };
      route.handle({ operation, url, match: route.pattern.exec(rest!)!, body, user, token, send, list });
    });
  });

  /** GitLab's offset pagination: page (from 1), per_page (default 20, at most 100), x-* headers and Link. */
  function paginate(url: URL, items: unknown[]) {
    const int = (name: string, fallback: number) => {
      const v = Number(url.searchParams.get(name) ?? fallback);
      return Number.isInteger(v) && v > 0 ? v : fallback;
    };
    const perPage = Math.min(int('per_page', 20), 100);
    const page = int('page', 1);
    const totalPages = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number, rel: string) => {
      const u = new URL(`${serverUrl}${url.pathname}${url.search}`);
      u.searchParams.set('page', String(p));
      u.searchParams.set('per_page', String(perPage));
      return `<${u.href}>; rel="${rel}"`;
    };
    const links = [
      ...(page > 1 ? [link(page - 1, 'prev')] : []),
      ...(page < totalPages ? [link(page + 1, 'next')] : []),
      link(1, 'first'),
      link(totalPages, 'last'),
    ];
    return {
      page: items.slice((page - 1) * perPage, page * perPage),
      headers: {
        'x-page': String(page),
        'x-per-page': String(perPage),
        'x-total': String(items.length),
        'x-total-pages': String(totalPages),
        'x-next-page': page < totalPages ? String(page + 1) : '',
        'x-prev-page': page > 1 ? String(page - 1) : '',
        link: links.join(', '),
      },
    };
  }

  const bareRepo = () => path.join(gitRoot!, `${projectPath}.git`);
  /** The commit a branch of the served repository points at, or undefined. */
  function headSha(branch: string): string | undefined {
    if (!gitRoot) return undefined;
    const r = spawnSync('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
      cwd: bareRepo(),
      encoding: 'utf8',
    });
    return r.status === 0 ? r.stdout.trim() : undefined;
  }
  function commitExists(sha: string): boolean {
    const r = spawnSync('git', ['cat-file', '-e', `${sha}^{commit}`], { cwd: bareRepo() });
    return r.status === 0;
  }

  /**
   * Smart HTTP behind GitLab's Basic auth: any username with a token as the password (`oauth2:<token>`, or
   * `gitlab-ci-token:<CI_JOB_TOKEN>`); read_api tokens and job tokens may fetch but not push.
   */
  function serveGit(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const auth = req.headers.authorization ?? '';
    const decoded = /^basic\s+/i.test(auth)
      ? Buffer.from(auth.replace(/^basic\s+/i, ''), 'base64').toString('utf8')
      : '';
    const username = decoded.slice(0, Math.max(0, decoded.indexOf(':')));
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
    const repoPath = /^\/(.+?\.git)\//.exec(url.pathname)?.[1] ?? '';
    if (repoPath.toLowerCase() !== `${projectPath}.git`.toLowerCase()) {
      record(404);
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('The project you were looking for could not be found.');
    }
    if (!token || (username !== 'gitlab-ci-token' && unknownToken(token))) {
      record(401);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitLab"', 'content-type': 'text/plain' });
      return void res.end('HTTP Basic: Access denied');
    }
    if (pushing && (readOnlyTokens.has(token) || username === 'gitlab-ci-token')) {
      record(403);
      res.writeHead(403, { 'content-type': 'text/plain' });
      return void res.end('You are not allowed to push code to this project.');
    }
    serveGitHttpBackend(req, res, {
      projectRoot: gitRoot!,
      url,
      remoteUser: identityOf(token).username,
      onStatus: record,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  apiUrl = `${serverUrl}/api/v4`;
  project.webUrl = `${serverUrl}/${projectPath}`;
  return {
    url: apiUrl,
    serverUrl,
    project,
    gitRoot,
    mergeRequests,
    issues,
    mergeRequestNotes,
    issueNotes,
    labels,
    environments,
    deployments,
    requests,
    violations,
    readOnlyTokens,
    identities,
    users,
    knownTokens,
    faults,
    mergeRequestVersions,
    approvals,
    addVersion,
    approve,
    writes: () => requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && r.operation !== 'git fetch'),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
