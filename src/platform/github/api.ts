import { proxyFetch } from '../../core/http/proxy.js';
import type { SecretMask } from '../../core/report/secret-mask.js';
import type { PlatformComment, ReviewPlatform } from '../types.js';

export class GitHubError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface RestPull {
  number: number;
  html_url: string;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  merged_at: string | null;
  head: { ref: string; repo: { full_name: string } | null };
}

interface RestComment {
  id: number;
  node_id: string;
  body?: string;
  html_url: string;
  user?: { login: string } | null;
}

/** Who a GITHUB_TOKEN writes as: the installation token of the GitHub Actions app (github.com and GHES alike). */
export const ACTIONS_BOT = 'github-actions[bot]';

/**
 * The one place that talks to GitHub: REST and GraphQL over fetch, with retries on 5xx, 429 and secondary rate
 * limits (honouring Retry-After), and Link-header pagination.
 */
export class GitHubApi implements ReviewPlatform, GitHubApiDeployments {
  constructor(
    private readonly options: {
      apiUrl: string;
      graphqlUrl: string;
      token: string;
      owner: string;
      repo: string;
      secrets?: SecretMask | undefined;
      /** Used instead of the global fetch (proxyFetch(env): HTTPS_PROXY/NO_PROXY). */
      fetch?: typeof fetch | undefined;
    },
  ) {}

  private identityOf: Promise<string> | undefined;

  /**
   * The login this token writes as. GraphQL `viewer` answers for personal tokens and app installation tokens alike
   * (REST GET /user refuses installation tokens); when it cannot answer, the token is taken for the workflow's
   * GITHUB_TOKEN, whose comments are github-actions[bot]'s.
   */
  identity(): Promise<string> {
    this.identityOf ??= this.request<{ data?: { viewer?: { login?: string } } }>('POST', this.options.graphqlUrl, {
      query: 'query { viewer { login } }',
    }).then(
      ({ data }) => data?.data?.viewer?.login || ACTIONS_BOT,
      () => ACTIONS_BOT,
    );
    return this.identityOf;
  }

  /** The API of this run's repository, at the URLs the runner gives (GitHub Enterprise Server included). */
  static forRun(
    token: string,
    repository: { owner: string; name: string },
    env: NodeJS.ProcessEnv,
    secrets?: SecretMask,
  ): GitHubApi {
    return new GitHubApi({
      secrets,
      apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
      graphqlUrl: env.GITHUB_GRAPHQL_URL ?? 'https://api.github.com/graphql',
      token,
      owner: repository.owner,
      repo: repository.name,
      fetch: proxyFetch(env),
    });
  }

  async request<T>(method: string, url: string, body?: unknown): Promise<{ data: T; headers: Headers }> {
    const full = url.startsWith('http') ? url : `${this.options.apiUrl}${url}`;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await (this.options.fetch ?? fetch)(full, {
          method,
          headers: {
            authorization: `Bearer ${this.options.token}`,
            accept: 'application/vnd.github+json',
            'x-github-api-version': '2022-11-28',
            'user-agent': 'kubeplan',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          // Whatever kubeplan writes to GitHub (comments, issues, pull requests, statuses) never carries a credential.
          body:
            body === undefined
              ? undefined
              : JSON.stringify(body, (_key, value: unknown) =>
                  typeof value === 'string' && this.options.secrets ? this.options.secrets.mask(value) : value,
                ),
        });
      } catch (error) {
        if (attempt < 3) {
          await sleep(500 * attempt);
          continue;
        }
        throw new GitHubError(`cannot reach ${full}: ${(error as Error).message}`, 0);
      }
      const text = await res.text();
      const limited =
        res.status === 429 ||
        (res.status === 403 &&
          (res.headers.get('retry-after') !== null || res.headers.get('x-ratelimit-remaining') === '0'));
      if ((res.status >= 500 || limited) && attempt < 4) {
        const after = Number(res.headers.get('retry-after'));
        await sleep(Number.isFinite(after) && after > 0 ? Math.min(after, 60) * 1000 : 1000 * 2 ** (attempt - 1));
        continue;
      }
      if (!res.ok) {
        let message = text;
        try {
          const parsed = JSON.parse(text) as { message?: string; errors?: { message?: string }[] };
          message = [parsed.message, ...(parsed.errors ?? []).map((e) => e.message)].filter(Boolean).join(': ');
        } catch {
          // keep the raw text
        }
        throw new GitHubError(`${method} ${new URL(full).pathname}: ${res.status} ${message}`, res.status);
      }
      return { data: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
    }
  }

  private repoPath(): string {
    return `/repos/${encodeURIComponent(this.options.owner)}/${encodeURIComponent(this.options.repo)}`;
  }

  async listComments(pr: number): Promise<PlatformComment[]> {
    const out: PlatformComment[] = [];
    let url: string | undefined = `${this.repoPath()}/issues/${pr}/comments?per_page=100`;
    while (url) {
      const { data, headers }: { data: RestComment[]; headers: Headers } = await this.request<RestComment[]>(
        'GET',
        url,
      );
      out.push(...data.map(toComment));
      url = /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '')?.[1];
    }
    return out;
  }

  async createComment(pr: number, body: string): Promise<PlatformComment> {
    return toComment(
      (await this.request<RestComment>('POST', `${this.repoPath()}/issues/${pr}/comments`, { body })).data,
    );
  }

  async updateComment(id: number, body: string): Promise<PlatformComment> {
    return toComment(
      (await this.request<RestComment>('PATCH', `${this.repoPath()}/issues/comments/${id}`, { body })).data,
    );
  }

  async deleteComment(id: number): Promise<void> {
    await this.request('DELETE', `${this.repoPath()}/issues/comments/${id}`);
  }

  /** A GitHub Deployment of `sha` to the environment named after the target; returns its id. */
  async createDeployment(environment: string, sha: string, description: string): Promise<number> {
    const { data } = await this.request<{ id: number }>('POST', `${this.repoPath()}/deployments`, {
      ref: sha,
      environment,
      description,
      auto_merge: false,
      required_contexts: [],
      transient_environment: false,
      production_environment: true,
    });
    return data.id;
  }

  async setDeploymentStatus(
    id: number,
    state: 'in_progress' | 'success' | 'failure',
    description: string,
    logUrl: string | undefined,
  ): Promise<void> {
    await this.request('POST', `${this.repoPath()}/deployments/${id}/statuses`, {
      state,
      description: description.slice(0, 140),
      ...(logUrl ? { log_url: logUrl } : {}),
      auto_inactive: true,
    });
  }

  /** The merged pull request a commit came from, if any. */
  async mergedPullRequest(sha: string): Promise<number | undefined> {
    const { data } = await this.request<{ number: number; merged_at: string | null }[]>(
      'GET',
      `${this.repoPath()}/commits/${sha}/pulls`,
    );
    return data.find((p) => p.merged_at !== null)?.number;
  }

  /** Open issues with a label (the drift tracking issues), all pages. */
  async listOpenIssues(label: string): Promise<{ number: number; title: string; body: string; author: string }[]> {
    const out: { number: number; title: string; body: string; author: string }[] = [];
    let url: string | undefined =
      `${this.repoPath()}/issues?state=open&per_page=100&labels=${encodeURIComponent(label)}`;
    while (url) {
      const {
        data,
        headers,
      }: {
        data: {
          number: number;
          title: string;
          body?: string | null;
          pull_request?: unknown;
          user?: { login: string } | null;
        }[];
        headers: Headers;
      } = await this.request('GET', url);
      out.push(
        ...data
          .filter((i) => !i.pull_request)
          .map((i) => ({ number: i.number, title: i.title, body: i.body ?? '', author: i.user?.login ?? '' })),
      );
      url = /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '')?.[1];
    }
    return out;
  }

  async createIssue(title: string, body: string, labels: string[]): Promise<number> {
    return (await this.request<{ number: number }>('POST', `${this.repoPath()}/issues`, { title, body, labels })).data
      .number;
  }

  async updateIssue(
    number: number,
    fields: { title?: string; body?: string; state?: 'open' | 'closed'; state_reason?: 'completed' },
  ): Promise<void> {
    await this.request('PATCH', `${this.repoPath()}/issues/${number}`, fields);
  }

  /** Pull requests matching a query (`state=open`, `head=owner:branch`), all pages. */
  async listPulls(query: string): Promise<RestPull[]> {
    const out: RestPull[] = [];
    let url: string | undefined = `${this.repoPath()}/pulls?per_page=100&${query}`;
    while (url) {
      const { data, headers }: { data: RestPull[]; headers: Headers } = await this.request<RestPull[]>('GET', url);
      out.push(...data);
      url = /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '')?.[1];
    }
    return out;
  }

  async createPull(fields: { title: string; head: string; base: string; body: string }): Promise<RestPull> {
    return (
      await this.request<RestPull>('POST', `${this.repoPath()}/pulls`, { ...fields, maintainer_can_modify: false })
    ).data;
  }

  async updatePull(
    number: number,
    fields: { title?: string; body?: string; state?: 'open' | 'closed' },
  ): Promise<void> {
    await this.request('PATCH', `${this.repoPath()}/pulls/${number}`, fields);
  }

  async addLabels(number: number, labels: string[]): Promise<void> {
    await this.request('POST', `${this.repoPath()}/issues/${number}/labels`, { labels });
  }

  get repository(): { owner: string; repo: string } {
    return { owner: this.options.owner, repo: this.options.repo };
  }

  async minimizeComment(comment: PlatformComment): Promise<void> {
    const { data } = await this.request<{ errors?: { message: string }[] }>('POST', this.options.graphqlUrl, {
      query:
        'mutation($id: ID!, $classifier: ReportedContentClassifiers!) { minimizeComment(input: {subjectId: $id, classifier: $classifier}) { minimizedComment { isMinimized } } }',
      variables: { id: comment.nodeId, classifier: 'OUTDATED' },
    });
    if (data.errors?.length)
      throw new GitHubError(`minimizeComment: ${data.errors.map((e) => e.message).join('; ')}`, 200);
  }
}

export interface GitHubApiDeployments {
  createDeployment(environment: string, sha: string, description: string): Promise<number>;
  setDeploymentStatus(
    id: number,
    state: 'in_progress' | 'success' | 'failure',
    description: string,
    logUrl: string | undefined,
  ): Promise<void>;
  mergedPullRequest(sha: string): Promise<number | undefined>;
}

function toComment(c: RestComment): PlatformComment {
  return {
    id: c.id,
    nodeId: c.node_id,
    body: c.body ?? '',
    url: c.html_url,
    minimized: false,
    author: c.user?.login ?? '',
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
