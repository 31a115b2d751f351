import { type ErrorDetails, KubeplanError } from '../../core/errors.js';
import {
  delayFor,
  GITLAB_POLICY,
  mayRetry,
  type RetryPolicy,
  retriesStatus,
  sleep,
} from '../../core/http/retry-policy.js';
import type { SecretMask } from '../../core/report/secret-mask.js';

/** GitLab refused or failed a request: the status, GitLab's message, and what to do. */
export class GitLabError extends KubeplanError {
  readonly status: number;
  constructor(message: string, status: number, details: ErrorDetails = {}) {
    super(message, details);
    this.status = status;
  }
}

/** GitLab's limit for one note or description (https://docs.gitlab.com/api/notes/). */
export const NOTE_LIMIT = 1_000_000;

export interface GitLabNote {
  id: number;
  body: string;
  author: { username: string };
  system?: boolean;
  created_at?: string;
}

export interface GitLabMergeRequest {
  iid: number;
  title: string;
  description: string | null;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  source_branch: string;
  target_branch: string;
  source_project_id?: number;
  web_url: string;
  labels?: string[];
  /** The head commit. */
  sha?: string | null;
  reviewers?: GitLabUser[] | null;
  assignees?: GitLabUser[] | null;
}

export interface GitLabUser {
  id: number;
  username: string;
}

export interface GitLabIssue {
  iid: number;
  title: string;
  description: string | null;
  state: 'opened' | 'closed';
  author?: { username: string } | null;
}

const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE', 'HEAD']);

/**
 * The one place that talks to GitLab's REST API v4 (GitLab.com and self-managed alike, at CI_API_V4_URL): the token
 * in PRIVATE-TOKEN, every body masked, pages followed with x-next-page, idempotent requests retried on 429 and 5xx
 * (honouring Retry-After), and a request that creates something never sent twice blindly: the caller looks it up.
 */
export class GitLabApi {
  constructor(
    private readonly options: {
      apiUrl: string;
      token: string;
      /** The project: its numeric id or its path (group/project). */
      project: string;
      secrets?: SecretMask | undefined;
      fetch?: typeof fetch | undefined;
      /** How requests are retried (GITLAB_POLICY). */
      policy?: RetryPolicy | undefined;
      /** Where retries are said (the job log). */
      log?: ((line: string) => void) | undefined;
    },
  ) {}

  private identityOf: Promise<string> | undefined;

  /** The username this token writes as (a project or group access token is a bot user). */
  identity(): Promise<string> {
    this.identityOf ??= this.request<{ username: string }>('GET', '/user', undefined, 'read the token user').then(
      (r) => r.data.username,
    );
    return this.identityOf;
  }

  projectPath(suffix = ''): string {
    return `/projects/${encodeURIComponent(this.options.project)}${suffix}`;
  }

  async request<T>(method: string, path: string, body: unknown, what: string): Promise<{ data: T; headers: Headers }> {
    const url = path.startsWith('http') ? path : `${this.options.apiUrl.replace(/\/+$/, '')}${path}`;
    const doFetch = this.options.fetch ?? fetch;
    const policy = this.options.policy ?? GITLAB_POLICY;
    let waited = 0;
    const wait = async (ms: number, why: string, attempt: number) => {
      this.options.log?.(
        `GitLab: ${method} ${new URL(url).pathname}: ${why}; retrying in ${Math.ceil(ms / 1000)} s (attempt ${attempt + 1} of ${policy.attempts})`,
      );
      waited += ms;
      await sleep(ms);
    };
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await doFetch(url, {
          method,
          headers: {
            'private-token': this.options.token,
            accept: 'application/json',
            'user-agent': 'kubeplan',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          // Whatever kubeplan writes to GitLab (notes, issues, merge requests) never carries a credential.
          body:
            body === undefined
              ? undefined
              : JSON.stringify(body, (_key, value: unknown) =>
                  typeof value === 'string' && this.options.secrets ? this.options.secrets.mask(value) : value,
                ),
        });
      } catch (error) {
        const delay = policy.networkBackoff ? delayFor(policy, attempt) : 0;
        if (IDEMPOTENT.has(method) && mayRetry(policy, attempt, 'network', waited, delay)) {
          await wait(delay, `no answer (${cause(error)})`, attempt);
          continue;
        }
        throw new GitLabError(`cannot ${what}: GitLab at ${new URL(url).origin} did not answer (${cause(error)})`, 0, {
          where: { forge: 'GitLab', operation: `${method} ${new URL(url).pathname}` },
          hint: 'check CI_API_V4_URL and the network (HTTPS_PROXY / NO_PROXY); retry the job',
          cause: error,
        });
      }
      const text = await res.text();
      // A 429 is a rate limit: safe to repeat for any method, since GitLab did nothing.
      const retriable = IDEMPOTENT.has(method) || res.status === 429;
      if (retriable && retriesStatus(policy, res.status)) {
        const delay = delayFor(policy, attempt, res.headers.get('retry-after'));
        if (mayRetry(policy, attempt, 'status', waited, delay)) {
          await wait(delay, `GitLab answered ${res.status}`, attempt);
          continue;
        }
      }
      if (!res.ok) throw statusError(res.status, text, method, new URL(url).pathname, what);
      return { data: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
    }
  }

  /** Every page of a list (per_page 100, then x-next-page until it is empty). */
  async paginate<T>(path: string, what: string): Promise<T[]> {
    const out: T[] = [];
    let page = '1';
    for (let pages = 0; page && pages < 1000; pages++) {
      const sep = path.includes('?') ? '&' : '?';
      const { data, headers } = await this.request<T[]>(
        'GET',
        `${path}${sep}per_page=100&page=${page}`,
        undefined,
        what,
      );
      out.push(...data);
      page = headers.get('x-next-page') ?? '';
    }
    return out;
  }
}

function statusError(status: number, text: string, method: string, pathname: string, what: string): GitLabError {
  let message = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: string; error_description?: string };
    const m = parsed.message ?? parsed.error_description ?? parsed.error;
    message = typeof m === 'string' ? m : JSON.stringify(m);
  } catch {
    // not JSON: keep the text
  }
  const hint =
    status === 401
      ? 'the token is invalid or expired: set KUBEPLAN_GITLAB_TOKEN to a project or group access token with the api scope'
      : status === 403
        ? 'give the token the api scope and at least the Developer role on the project (CI_JOB_TOKEN cannot write notes, issues or merge requests)'
        : status === 404
          ? 'check that the token can see the project (CI_PROJECT_ID) and that the merge request or issue exists'
          : status === 400 || status === 422
            ? 'GitLab refused the content; see its message'
            : 'GitLab failed; retry the job';
  return new GitLabError(`cannot ${what}: ${status} ${message}`, status, {
    where: { forge: 'GitLab', operation: `${method} ${pathname}` },
    hint,
  });
}

function cause(error: unknown): string {
  const c = (error as { cause?: { code?: string; message?: string } }).cause;
  return c?.code ?? c?.message ?? (error as Error).message;
}
