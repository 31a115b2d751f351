import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import type { DeploymentTarget } from '../../core/config/types.js';
import { ForgeError, type ForgeWhere } from '../../core/errors.js';
import { proxyFetch } from '../../core/http/proxy.js';
import {
  delayFor,
  GITHUB_POLICY,
  mayRetry,
  type RetryPolicy,
  retriesStatus,
  retryAfterMs,
  sleep,
} from '../../core/http/retry-policy.js';
import type { SecretMask } from '../../core/report/secret-mask.js';
import { PLAN_CHECK_NAME } from '../../core/diff/plan-record.js';
import type {
  DeploymentPayload,
  DeploymentRecord,
  LabelSpec,
  PlanCheck,
  PlanChecks,
  PlatformComment,
  PullRequestReview,
  ReviewPlatform,
} from '../types.js';
import { guardLogLines } from '../../core/report/escape.js';

/** What callers written before ForgeError catch; the same class. */
export { ForgeError as GitHubError } from '../../core/errors.js';

export interface RestPull {
  number: number;
  html_url: string;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  merged_at: string | null;
  head: { ref: string; repo: { full_name: string } | null };
  /** Logins asked for a review now, and teams as `org/slug`. */
  requestedReviewers: string[];
  assignees: string[];
}

interface RestComment {
  /** int64 in GitHub's description; JSON gives a number. */
  id: number | bigint;
  node_id: string;
  body?: string | undefined;
  html_url: string;
  user?: { login: string } | null | undefined;
}

/** Who a GITHUB_TOKEN writes as: the installation token of the GitHub Actions app (github.com and GHES alike). */
export const ACTIONS_BOT = 'github-actions[bot]';

/** One thing kubeplan asks of GitHub: how errors name it, and the workflow permission it needs. */
interface Operation {
  what: string;
  /** As written under a workflow's `permissions:`. */
  permission: string;
}

const COMMENTS = 'pull-requests: write';
const ISSUES = 'issues: write';
const DEPLOYMENTS = 'deployments: write';
const PULLS = 'contents: write, pull-requests: write';
const CHECKS = 'checks: write';

export interface GitHubApiOptions {
  apiUrl: string;
  graphqlUrl: string;
  token: string;
  owner: string;
  repo: string;
  secrets?: SecretMask | undefined;
  /** The fetch every request goes through (a proxy-aware one, say); the global fetch by default. */
  fetch?: typeof fetch | undefined;
  /** How retries and rate limits are handled; GITHUB_POLICY by default. */
  policy?: RetryPolicy | undefined;
  /** Where the lines about waits and retries go; the action log by default. */
  log?: ((line: string) => void) | undefined;
}

const KubeplanOctokit = Octokit.plugin(paginateRest);
type Client = InstanceType<typeof KubeplanOctokit>;

/** What Octokit throws for an HTTP failure (RequestError), read without depending on its class. */
interface FailedRequest {
  status: number;
  message: string;
  response?: { headers: Record<string, string | number | undefined>; data: unknown };
  cause?: unknown;
}

/**
 * The one place that talks to GitHub: Octokit's REST routes and GraphQL, paginated by its plugin, with kubeplan's
 * own retry wrapper driven by GITHUB_POLICY. Requests that are safe to repeat (reads, edits, deletes, GraphQL) are
 * retried on 500/502/503/504 and lost connections; a request that creates something (a comment, issue, pull request
 * or deployment) is never sent twice blindly: after a lost answer it is looked up first and only posted again when
 * it is not there. Secondary rate limits wait their Retry-After; a used-up rate limit waits for its reset when that
 * is near. Every failure becomes a ForgeError naming the operation and what to do. Every body sent goes through the
 * secret mask.
 */
export class GitHubApi implements ReviewPlatform, GitHubApiDeployments, PlanChecks {
  private readonly octokit: Client;
  private readonly policy: RetryPolicy;
  private readonly log: (line: string) => void;

  constructor(private readonly options: GitHubApiOptions) {
    this.policy = options.policy ?? GITHUB_POLICY;
    // Retries and rate-limit waits are worth a line in the log; the adapter passes its reporter (stderr otherwise).
    this.log = options.log ?? ((line) => process.stderr.write(`${guardLogLines(line)}\n`));
    const warn = (message: string) => this.log(`GitHub: ${message}`);
    this.octokit = new KubeplanOctokit({
      auth: options.token,
      baseUrl: options.apiUrl.replace(/\/+$/, ''),
      userAgent: 'kubeplan',
      request: { fetch: options.fetch ?? globalThis.fetch },
      log: { debug: () => {}, info: () => {}, warn, error: warn },
    });
    this.octokit.hook.wrap('request', (request, params) =>
      this.send(request as (options: Record<string, unknown>) => ReturnType<typeof request>, params),
    );
  }

  private identityOf: Promise<string> | undefined;

  /**
   * The login this token writes as. GraphQL `viewer` answers for personal tokens and app installation tokens alike
   * (REST GET /user refuses installation tokens); when it cannot answer, the token is taken for the workflow's
   * GITHUB_TOKEN, whose comments are github-actions[bot]'s.
   */
  identity(): Promise<string> {
    this.identityOf ??= this.octokit
      .graphql<{ viewer?: { login?: string } }>({ query: 'query { viewer { login } }', url: this.options.graphqlUrl })
      .then(
        (data) => data?.viewer?.login || ACTIONS_BOT,
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
    options: { fetch?: typeof fetch; log?: (line: string) => void } = {},
  ): GitHubApi {
    return new GitHubApi({
      secrets,
      apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
      graphqlUrl: env.GITHUB_GRAPHQL_URL ?? 'https://api.github.com/graphql',
      token,
      owner: repository.owner,
      repo: repository.name,
      // The runner's HTTPS_PROXY / NO_PROXY (Node's fetch alone ignores them).
      fetch: proxyFetch(env),
      ...options,
    });
  }

  get repository(): { owner: string; repo: string } {
    return { owner: this.options.owner, repo: this.options.repo };
  }

  private get repo(): { owner: string; repo: string } {
    return { owner: this.options.owner, repo: this.options.repo };
  }

  async listComments(pr: number): Promise<PlatformComment[]> {
    return this.guard({ what: `listing the comments of pull request #${pr}`, permission: COMMENTS }, async () =>
      (
        await this.octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          ...this.repo,
          issue_number: pr,
          per_page: 100,
        })
      ).map(toComment),
    );
  }

  async createComment(pr: number, body: string): Promise<PlatformComment> {
    const op = { what: `commenting on pull request #${pr}`, permission: COMMENTS };
    const sent = this.mask(body);
    return this.create(
      op,
      async () =>
        toComment(
          (
            await this.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
              ...this.repo,
              issue_number: pr,
              body,
            })
          ).data,
        ),
      async () => {
        const mine = await this.ownComments(pr);
        return sameText(mine, sent, (c) => c.body);
      },
    );
  }

  async updateComment(id: number, body: string): Promise<PlatformComment> {
    return this.guard({ what: `editing comment ${id}`, permission: COMMENTS }, async () =>
      toComment(
        (
          await this.octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
            ...this.repo,
            comment_id: id,
            body,
          })
        ).data,
      ),
    );
  }

  async deleteComment(id: number): Promise<void> {
    await this.guard({ what: `deleting comment ${id}`, permission: COMMENTS }, () =>
      this.octokit.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', {
        ...this.repo,
        comment_id: id,
      }),
    );
  }

  async minimizeComment(comment: PlatformComment): Promise<void> {
    await this.guard({ what: `minimizing comment ${comment.id}`, permission: COMMENTS }, () =>
      this.octokit.graphql({
        query:
          'mutation($id: ID!, $classifier: ReportedContentClassifiers!) { minimizeComment(input: {subjectId: $id, classifier: $classifier}) { minimizedComment { isMinimized } } }',
        url: this.options.graphqlUrl,
        id: comment.nodeId,
        classifier: 'OUTDATED',
      }),
    );
  }

  /** A GitHub Deployment of `sha` to the target's environment (production or not); returns its id. */
  async createDeployment(
    target: DeploymentTarget,
    sha: string,
    description: string,
    payload?: DeploymentPayload,
  ): Promise<number> {
    const { environment, production } = target;
    const op = { what: `creating a deployment of ${sha.slice(0, 12)} to ${environment}`, permission: DEPLOYMENTS };
    const started = Date.now();
    return this.create(
      op,
      async () => {
        const { data } = await this.octokit.request('POST /repos/{owner}/{repo}/deployments', {
          ...this.repo,
          ref: sha,
          environment,
          description,
          auto_merge: false,
          required_contexts: [],
          transient_environment: false,
          production_environment: production,
          // Audit: the plan applied, the pull request it came from and who approved it (plan binding).
          ...(payload ? { payload: { kubeplan: payload } } : {}),
        });
        // 202 is GitHub's answer for a merge it made instead of a deployment (auto_merge, which is off).
        if (!('id' in data))
          throw new ForgeError(`${op.what}: GitHub did not create it (${data.message ?? 'no deployment'})`, {
            status: 202,
            where: this.where,
            hint: 'check the ref and the environment protection rules',
          });
        return Number(data.id);
      },
      async () => {
        const found = await this.octokit.request('GET /repos/{owner}/{repo}/deployments', {
          ...this.repo,
          sha,
          environment,
          per_page: 100,
        });
        // The one this run made: same description, created since it first asked (a minute of clock skew allowed).
        return found.data
          .filter((d) => d.description === this.mask(description) && Date.parse(d.created_at) >= started - 60_000)
          .map((d) => Number(d.id))
          .sort((a, b) => b - a)[0];
      },
    );
  }

  async setDeploymentStatus(
    id: number,
    state: 'in_progress' | 'success' | 'failure',
    description: string,
    logUrl: string | undefined,
  ): Promise<void> {
    // A status repeated after a lost answer only says the same thing again, so this POST is retried like a read.
    await this.guard({ what: `setting deployment ${id} to ${state}`, permission: DEPLOYMENTS }, () =>
      this.octokit.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
        ...this.repo,
        deployment_id: id,
        state,
        description: description.slice(0, 140),
        ...(logUrl ? { log_url: logUrl } : {}),
        auto_inactive: true,
      }),
    );
  }

  /**
   * The newest deployments to an environment (up to 30) with every status each got, newest first: what promote reads
   * to find the commit an environment last applied successfully and whether anything failed since.
   */
  async deploymentHistory(environment: string): Promise<DeploymentRecord[]> {
    const op = { what: `reading the deployments of ${environment}`, permission: 'deployments: read' };
    return this.guard(op, async () => {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/deployments', {
        ...this.repo,
        environment,
        per_page: 30,
      });
      return Promise.all(
        data.map(async (d) => {
          const statuses = await this.octokit.request(
            'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
            { ...this.repo, deployment_id: Number(d.id), per_page: 100 },
          );
          return {
            id: Number(d.id),
            sha: d.sha,
            environment: d.environment,
            createdAt: d.created_at,
            statuses: statuses.data.map((x) => ({
              state: x.state,
              createdAt: x.created_at,
              description: x.description ?? '',
              logUrl: x.log_url || x.target_url || undefined,
            })),
          };
        }),
      );
    });
  }

  /** The merged pull request a commit came from, if any. */
  async mergedPullRequest(sha: string): Promise<number | undefined> {
    return this.guard(
      { what: `finding the pull request of ${sha.slice(0, 12)}`, permission: 'pull-requests: read' },
      async () =>
        (
          await this.octokit.request('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', {
            ...this.repo,
            commit_sha: sha,
          })
        ).data.find((p) => p.merged_at !== null)?.number,
    );
  }

  /** Open issues with a label (the drift tracking issues), all pages. */
  async listOpenIssues(label: string): Promise<{ number: number; title: string; body: string; author: string }[]> {
    return this.guard({ what: `listing the open issues labelled ${label}`, permission: ISSUES }, async () =>
      (
        await this.octokit.paginate('GET /repos/{owner}/{repo}/issues', {
          ...this.repo,
          state: 'open',
          labels: label,
          per_page: 100,
        })
      )
        .filter((i) => !i.pull_request)
        .map((i) => ({ number: i.number, title: i.title, body: i.body ?? '', author: i.user?.login ?? '' })),
    );
  }

  async createIssue(title: string, body: string, labels: string[]): Promise<number> {
    const op = { what: `opening the issue "${title}"`, permission: ISSUES };
    return this.create(
      op,
      async () =>
        (await this.octokit.request('POST /repos/{owner}/{repo}/issues', { ...this.repo, title, body, labels })).data
          .number,
      async () => {
        const [open, me] = await Promise.all([this.listOpenIssues(labels.join(',')), this.identity()]);
        const mine = open.filter((i) => i.author === me && i.title === this.mask(title));
        return sameText(mine, this.mask(body), (i) => i.body)?.number;
      },
    );
  }

  async updateIssue(
    number: number,
    fields: { title?: string; body?: string; state?: 'open' | 'closed'; state_reason?: 'completed' },
  ): Promise<void> {
    await this.guard({ what: `updating issue #${number}`, permission: ISSUES }, () =>
      this.octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
        ...this.repo,
        issue_number: number,
        ...fields,
      }),
    );
  }

  /** Pull requests matching a query (`state=open`, `head=owner:branch`), all pages. */
  async listPulls(query: string): Promise<RestPull[]> {
    const params = Object.fromEntries(new URLSearchParams(query)) as {
      state?: 'open' | 'closed' | 'all';
      head?: string;
    };
    return this.guard({ what: 'listing pull requests', permission: PULLS }, async () =>
      (await this.octokit.paginate('GET /repos/{owner}/{repo}/pulls', { ...this.repo, ...params, per_page: 100 })).map(
        toPull,
      ),
    );
  }

  async createPull(fields: { title: string; head: string; base: string; body: string }): Promise<RestPull> {
    const op = { what: `opening a pull request from ${fields.head}`, permission: PULLS };
    return this.create(
      op,
      async () =>
        toPull(
          (
            await this.octokit.request('POST /repos/{owner}/{repo}/pulls', {
              ...this.repo,
              ...fields,
              maintainer_can_modify: false,
            })
          ).data,
        ),
      async () =>
        (await this.listPulls(`state=open&head=${encodeURIComponent(`${this.options.owner}:${fields.head}`)}`))[0],
    );
  }

  async updatePull(
    number: number,
    fields: { title?: string; body?: string; state?: 'open' | 'closed' },
  ): Promise<void> {
    await this.guard({ what: `updating pull request #${number}`, permission: PULLS }, () =>
      this.octokit.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', {
        ...this.repo,
        pull_number: number,
        ...fields,
      }),
    );
  }

  /** Asks users (logins) and teams (slugs) to review a pull request; those asked already stay asked. */
  async requestReviewers(number: number, reviewers: string[], teams: string[]): Promise<void> {
    await this.guard({ what: `requesting reviews on pull request #${number}`, permission: PULLS }, () =>
      this.octokit.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', {
        ...this.repo,
        pull_number: number,
        ...(reviewers.length > 0 ? { reviewers } : {}),
        ...(teams.length > 0 ? { team_reviewers: teams } : {}),
      }),
    );
  }

  /** Assigns people to an issue or pull request; returns who it is assigned to now (GitHub ignores who may not be). */
  async addAssignees(number: number, assignees: string[]): Promise<string[]> {
    return this.guard(
      { what: `assigning #${number}`, permission: PULLS },
      async () =>
        (
          await this.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/assignees', {
            ...this.repo,
            issue_number: number,
            assignees,
          })
        ).data.assignees?.map((a) => a.login) ?? [],
    );
  }

  async addLabels(number: number, labels: string[]): Promise<void> {
    // Adding labels that are there already changes nothing, so this POST is retried like a read.
    await this.guard({ what: `labelling #${number}`, permission: PULLS }, () =>
      this.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {
        ...this.repo,
        issue_number: number,
        labels,
      }),
    );
  }

  /**
   * Puts `add` on the pull request and takes `remove` off, touching only what differs: the labels it has are read
   * first. A label new to the repository is created with its colour and description first (once: GitHub answers 422
   * when it exists, and its colour is then left as the maintainers set it).
   */
  async setLabels(pr: number, add: readonly LabelSpec[], remove: readonly string[]): Promise<void> {
    const op = { what: `labelling pull request #${pr}`, permission: COMMENTS };
    const current = await this.guard(op, async () =>
      (
        await this.octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/labels', {
          ...this.repo,
          issue_number: pr,
          per_page: 100,
        })
      ).map((l) => l.name),
    );
    const missing = add.filter((l) => !current.includes(l.name));
    for (const label of missing) await this.createLabel(label);
    if (missing.length)
      await this.guard(op, () =>
        this.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {
          ...this.repo,
          issue_number: pr,
          labels: missing.map((l) => l.name),
        }),
      );
    for (const name of remove.filter((n) => current.includes(n)))
      await this.guard({ ...op, what: `removing the label ${name} from pull request #${pr}` }, async () => {
        try {
          await this.octokit.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', {
            ...this.repo,
            issue_number: pr,
            name,
          });
        } catch (error) {
          // Taken off meanwhile (by a person, or a retried request): what was asked is done.
          if ((error as Partial<FailedRequest>).status !== 404) throw error;
        }
      });
  }

  /** The head commit of a pull request, open or merged: what its reviewers approved. */
  async pullRequestHeadSha(pr: number): Promise<string> {
    return this.guard({ what: `reading pull request #${pr}`, permission: 'pull-requests: read' }, async () => {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        ...this.repo,
        pull_number: pr,
      });
      return data.head.sha;
    });
  }

  /** Every review of a pull request, all pages, oldest first. */
  async pullRequestReviews(pr: number): Promise<PullRequestReview[]> {
    return this.guard(
      { what: `listing the reviews of pull request #${pr}`, permission: 'pull-requests: read' },
      async () =>
        (
          await this.octokit.paginate('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
            ...this.repo,
            pull_number: pr,
            per_page: 100,
          })
        ).map((r) => ({
          id: Number(r.id),
          user: r.user?.login ?? '',
          state: r.state,
          commitId: r.commit_id,
          submittedAt: r.submitted_at,
        })),
    );
  }

  /** The `kubeplan plan` check runs on a commit (all pages), newest first: their key (external_id) and output text. */
  async planChecks(sha: string): Promise<{ key: string; text: string; completedAt: string | undefined }[]> {
    return (await this.planCheckRuns(sha)).map((c) => ({
      key: c.external_id ?? '',
      text: c.output.text ?? '',
      completedAt: c.completed_at ?? undefined,
    }));
  }

  private async planCheckRuns(sha: string) {
    return this.guard(
      { what: `listing the ${PLAN_CHECK_NAME} check runs of ${sha.slice(0, 12)}`, permission: 'checks: read' },
      async () =>
        (
          await this.octokit.paginate('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
            ...this.repo,
            ref: sha,
            check_name: PLAN_CHECK_NAME,
            // Every run, not only the latest: each plan of the commit is one, and binding reads the one approved.
            filter: 'all',
            per_page: 100,
          })
        )
          .filter((c) => c.name === PLAN_CHECK_NAME)
          .sort((a, b) => Number(b.id) - Number(a.id)),
    );
  }

  /**
   * Records a plan in a `kubeplan plan` check run of `key` on a commit: no write when the newest one says exactly
   * this already (a re-run of the same plan), else a new check run, never an edit, so the plan that was current when
   * a reviewer approved stays readable with the time it was made.
   */
  async recordPlanCheck(sha: string, key: string, check: PlanCheck): Promise<'created' | 'unchanged'> {
    const runs = await this.planCheckRuns(sha);
    const existing = runs.find((c) => c.external_id === key);
    const output = { title: check.title, summary: this.mask(check.summary), text: this.mask(check.text) };
    const op = {
      what: `recording the plan in the ${PLAN_CHECK_NAME} check run of ${sha.slice(0, 12)}`,
      permission: CHECKS,
    };
    if (
      existing &&
      existing.status === 'completed' &&
      existing.conclusion === check.conclusion &&
      existing.output.title === output.title &&
      existing.output.summary === output.summary &&
      existing.output.text === output.text
    )
      return 'unchanged';
    await this.create(
      op,
      async () => {
        await this.octokit.request('POST /repos/{owner}/{repo}/check-runs', {
          ...this.repo,
          name: PLAN_CHECK_NAME,
          head_sha: sha,
          external_id: key,
          status: 'completed',
          conclusion: check.conclusion,
          completed_at: new Date().toISOString(),
          output,
        });
        return true as const;
      },
      async () =>
        (await this.planCheckRuns(sha)).some(
          (c) => c.external_id === key && c.output.text === output.text && c.conclusion === check.conclusion,
        )
          ? (true as const)
          : undefined,
    );
    return 'created';
  }

  async pullRequestHead(pr: number): Promise<string | undefined> {
    return this.guard({ what: `reading pull request #${pr}`, permission: 'pull-requests: read' }, async () => {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        ...this.repo,
        pull_number: pr,
      });
      return data.state === 'open' ? data.head.sha : undefined;
    });
  }

  /** Creates a repository label; one that exists already (422 already_exists) is left as it is. */
  private async createLabel(label: LabelSpec): Promise<void> {
    await this.guard({ what: `creating the label ${label.name}`, permission: COMMENTS }, async () => {
      try {
        await this.octokit.request('POST /repos/{owner}/{repo}/labels', {
          ...this.repo,
          name: label.name,
          color: label.color,
          description: label.description,
        });
      } catch (error) {
        if ((error as Partial<FailedRequest>).status !== 422) throw error;
      }
    });
  }

  private async ownComments(pr: number): Promise<PlatformComment[]> {
    const [all, me] = await Promise.all([this.listComments(pr), this.identity()]);
    return all.filter((c) => c.author === me);
  }

  private get where(): ForgeWhere {
    // The repository, as owner/name: what the token must be able to reach.
    return { forge: 'GitHub', operation: `${this.options.owner}/${this.options.repo}` };
  }

  private mask(text: string): string {
    return this.options.secrets ? this.options.secrets.mask(text) : text;
  }

  /** Runs one operation; whatever fails becomes a ForgeError that names it. */
  private async guard<T>(op: Operation, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.forgeError(op, error);
    }
  }

  /**
   * Runs an operation that creates something. When its answer is lost (no answer, or a server error), whether it was
   * made anyway is looked up first (`find`): the one found is returned, and it is posted again only when it is not
   * there, within the policy's attempts.
   */
  private async create<T>(op: Operation, post: () => Promise<T>, find: () => Promise<T | undefined>): Promise<T> {
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await post();
      } catch (error) {
        const lost = lostAnswer(error, this.policy);
        if (!lost) throw this.forgeError(op, error);
        const wait = delayFor(this.policy, attempt, lost.retryAfter);
        if (!mayRetry(this.policy, attempt, lost.kind, waited, wait)) throw this.forgeError(op, error);
        this.log(`${op.what}: ${lost.reason}; checking in ${seconds(wait)} whether GitHub made it anyway`);
        await sleep(wait);
        waited += wait;
        const found = await this.guard({ ...op, what: `${op.what} (looking whether it was made)` }, find);
        if (found !== undefined) {
          this.log(`${op.what}: GitHub had made it; not sending it again`);
          return found;
        }
        this.log(`${op.what}: GitHub had not made it; sending it again (attempt ${attempt + 1})`);
      }
    }
  }

  /**
   * Every request passes here: the body through the secret mask, then retries per policy. Requests that create
   * something are not repeated after a lost answer here (`create` looks first); rate limits are waited out for all.
   */
  private async send<R>(
    request: (options: Record<string, unknown>) => R | Promise<R>,
    params: Record<string, unknown>,
  ): Promise<R> {
    // In place: before-after-hook hands the next hook the options object it was given, not the one passed on.
    const options = maskParams(params, (s) => this.mask(s));
    // The REST API version kubeplan was written against (GitHub answers the oldest supported one without it).
    options.headers = { ...(options.headers as Record<string, string>), 'x-github-api-version': '2022-11-28' };
    const method = String(options.method ?? 'GET').toUpperCase();
    const route = String(options.url ?? '');
    const label = `${method} ${route
      .replace(/^https?:\/\/[^/]+/, '')
      .replace(/\{(\w+)\}/g, (m, name: string) => (options[name] === undefined ? m : String(options[name])))}`;
    const repeatable = repeatableRequest(method, route);
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await request(options);
      } catch (error) {
        const failed = error as FailedRequest;
        if (typeof failed?.status !== 'number') throw error;
        const headers = failed.response?.headers ?? {};
        const header = (name: string) => {
          const value = headers[name];
          return value === undefined ? undefined : String(value);
        };
        let wait: number;
        let why: string;
        let kind: 'status' | 'network' = 'status';
        const limit = rateLimit(failed);
        if (limit === 'primary') {
          const reset = Number(header('x-ratelimit-reset')) * 1000;
          wait = Math.max(0, reset - Date.now()) + 1000;
          if (!Number.isFinite(wait) || wait > this.policy.maxRateLimitWaitMs) throw error;
          why = `GitHub's API rate limit for this token is used up until ${clock(reset)}; waiting ${seconds(wait)} for it to reset`;
        } else if (limit === 'secondary') {
          // GitHub: without a Retry-After, wait at least a minute.
          wait = Math.min(retryAfterMs(header('retry-after')) ?? 60_000, this.policy.maxDelayMs);
          why = `GitHub's secondary rate limit (too many requests at once); waiting ${seconds(wait)} as it asks`;
        } else {
          const lost = lostAnswer(failed, this.policy);
          if (!lost || !repeatable) throw error;
          wait = delayFor(this.policy, attempt, lost.retryAfter);
          why = `${lost.reason}; retrying in ${seconds(wait)}`;
          kind = lost.kind;
        }
        if (!mayRetry(this.policy, attempt, kind, waited, wait)) throw error;
        this.log(`${label}: ${why} (attempt ${attempt + 1} of ${this.policy.attempts})`);
        await sleep(wait);
        waited += wait;
      }
    }
  }

  /** The ForgeError for a failed operation: GitHub's message and errors[], and what to do about it. */
  private forgeError(op: Operation, error: unknown): ForgeError {
    if (error instanceof ForgeError) return error;
    const where = this.where;
    const e = error as Partial<FailedRequest> & { name?: string; errors?: { type?: string; message?: string }[] };
    if (e?.name === 'GraphqlResponseError') {
      const errors = e.errors ?? [];
      const forbidden = errors.some((x) => x.type === 'FORBIDDEN');
      return new ForgeError(`${op.what}: GitHub refused it: ${this.mask(errors.map((x) => x.message).join('; '))}`, {
        status: forbidden ? 403 : 200,
        where,
        hint: forbidden ? permissionHint(op) : 'see GitHub’s message; re-run the job if it says GitHub failed',
        cause: error,
      });
    }
    if (typeof e?.status !== 'number') {
      return new ForgeError(`${op.what}: ${error instanceof Error ? error.message : String(error)}`, {
        status: 0,
        where,
        hint: 're-run the job; if it fails again, check the GitHub API address (GITHUB_API_URL)',
        cause: error,
      });
    }
    if (!e.response) {
      return new ForgeError(`${op.what}: cannot reach GitHub at ${this.options.apiUrl} (${networkReason(e)})`, {
        status: 0,
        where,
        hint: 'check that this runner reaches the GitHub API (GITHUB_API_URL, HTTPS_PROXY/NO_PROXY); re-run the job if GitHub was down',
        cause: error,
      });
    }
    const status = e.status;
    const headers = e.response.headers;
    const header = (name: string) => (headers[name] === undefined ? undefined : String(headers[name]));
    const said = this.mask(githubMessage(e.response.data));
    const head = `${op.what}: GitHub answered ${status}${said ? ` ${said}` : ''}`;
    const limit = rateLimit(e as FailedRequest);
    if (limit === 'primary') {
      const reset = clock(Number(header('x-ratelimit-reset')) * 1000);
      return new ForgeError(`${op.what}: GitHub's API rate limit for this token is used up until ${reset}`, {
        status,
        where,
        hint: `re-run the job after ${reset}, or run kubeplan less often with this token (a GitHub App installation token has a higher limit)`,
      });
    }
    const hint =
      limit === 'secondary'
        ? 'GitHub’s secondary rate limit stopped it (too many requests at once); re-run the job in a few minutes'
        : status === 401
          ? 'GitHub refused the token (expired or revoked): pass a valid github-token (the default github.token works)'
          : status === 403
            ? permissionHint(op, header('x-accepted-github-permissions'))
            : status === 404
              ? `check that ${where.operation} exists and that the token can access it (a fine-grained token or GitHub App installation must include this repository, with ${op.permission})`
              : status === 422
                ? 'GitHub refused what kubeplan sent as invalid, for the reason it gives above (for example a text over its size limit, or a pull request that exists already); check what it names, then re-run the job'
                : status >= 500
                  ? 'GitHub failed; re-run the job (https://www.githubstatus.com shows outages)'
                  : 'see GitHub’s message above';
    return new ForgeError(head, { status, where, hint });
  }
}

export interface GitHubApiDeployments {
  createDeployment(
    target: DeploymentTarget,
    sha: string,
    description: string,
    payload?: DeploymentPayload,
  ): Promise<number>;
  setDeploymentStatus(
    id: number,
    state: 'in_progress' | 'success' | 'failure',
    description: string,
    logUrl: string | undefined,
  ): Promise<void>;
  mergedPullRequest(sha: string): Promise<number | undefined>;
}

/**
 * Whether a request may be sent again after a lost answer: reads, edits, deletes and GraphQL (kubeplan's queries,
 * and minimizeComment, which hides a hidden comment again to no effect), adding labels, and deployment statuses.
 * Any other POST creates something and is left to `create`.
 */
function repeatableRequest(method: string, route: string): boolean {
  if (method !== 'POST') return true;
  if (/\/graphql$/.test(route)) return true;
  // Creating a label twice only gets a 422 (already_exists), which setLabels takes as done.
  // Requesting a reviewer or adding an assignee twice changes nothing.
  return /\/issues\/\{issue_number\}\/(labels|assignees)$|\/deployments\/\{deployment_id\}\/statuses$|\/\{repo\}\/labels$|\/pulls\/\{pull_number\}\/requested_reviewers$/.test(
    route,
  );
}

/** A failure after which the request may or may not have been carried out: no answer, or a server error. */
function lostAnswer(
  error: unknown,
  policy: RetryPolicy,
): { kind: 'status' | 'network'; reason: string; retryAfter?: string | undefined } | undefined {
  const e = error as Partial<FailedRequest>;
  if (error instanceof ForgeError || typeof e?.status !== 'number') return undefined;
  if (!e.response) return { kind: 'network', reason: `no answer from GitHub (${networkReason(e)})` };
  if (!retriesStatus(policy, e.status)) return undefined;
  const retryAfter = e.response.headers['retry-after'];
  return {
    kind: 'status',
    reason: `GitHub answered ${e.status}`,
    retryAfter: retryAfter === undefined ? undefined : String(retryAfter),
  };
}

/**
 * GitHub's two rate limits. Primary: the token's hourly budget is used up (`x-ratelimit-remaining: 0`, wait for
 * `x-ratelimit-reset`). Secondary: too many requests at once (a 403 or 429 with Retry-After, or a 403 that says so).
 */
function rateLimit(e: FailedRequest): 'primary' | 'secondary' | undefined {
  if (e.status !== 403 && e.status !== 429) return undefined;
  const headers = e.response?.headers ?? {};
  if (headers['retry-after'] !== undefined) return 'secondary';
  if (String(headers['x-ratelimit-remaining']) === '0' && headers['x-ratelimit-reset'] !== undefined) return 'primary';
  if (e.status === 429 || /secondary rate limit/i.test(githubMessage(e.response?.data))) return 'secondary';
  return undefined;
}

function permissionHint(op: Operation, accepted?: string): string {
  const wanted = accepted ? acceptedPermissions(accepted) : undefined;
  const sets = wanted?.length ? wanted : [op.permission];
  return `the token may not do this: give the job ${sets.map((s) => `\`permissions: ${s}\``).join(' or ')} (or give the github-token input that access); a pull request from a fork never gets write access`;
}

/**
 * GitHub's `x-accepted-github-permissions` (`issues=write; pull_requests=write`: any one of the `;`-separated sets,
 * each a `,`-separated list) in a workflow's `permissions:` spelling (`pull-requests: write`).
 */
export function acceptedPermissions(header: string): string[] {
  return header
    .split(';')
    .map((set) =>
      set
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
        .map((p) => {
          const [name, level] = p.split('=');
          return `${(name ?? '').trim().replace(/_/g, '-')}: ${(level ?? 'write').trim()}`;
        })
        .join(', '),
    )
    .filter(Boolean);
}

/** GitHub's error text: `message`, then each of `errors[]` (a string, or an object with message or field and code). */
function githubMessage(data: unknown): string {
  if (typeof data === 'string') return data.trim().slice(0, 500);
  if (!data || typeof data !== 'object') return '';
  const d = data as {
    message?: unknown;
    errors?: (string | { message?: string; resource?: string; field?: string; code?: string })[];
  };
  const details = (Array.isArray(d.errors) ? d.errors : []).map((x) =>
    typeof x === 'string' ? x : (x?.message ?? [x?.resource, x?.field, x?.code].filter(Boolean).join(' ')),
  );
  return [typeof d.message === 'string' ? d.message : '', ...details].filter(Boolean).join(': ');
}

function networkReason(e: Partial<FailedRequest>): string {
  const cause = (e.cause as { cause?: { code?: string; message?: string }; message?: string } | undefined) ?? {};
  return cause.cause?.code ?? cause.cause?.message ?? e.message ?? 'no answer';
}

/** Masks every string in Octokit request parameters (the body's fields, GraphQL variables), in place. */
function maskParams(params: Record<string, unknown>, mask: (s: string) => string): Record<string, unknown> {
  const keep = new Set(['method', 'url', 'baseUrl', 'headers', 'request', 'mediaType']);
  const deep = (value: unknown): unknown =>
    typeof value === 'string'
      ? mask(value)
      : Array.isArray(value)
        ? value.map(deep)
        : value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deep(v)]))
          : value;
  for (const [k, v] of Object.entries(params)) if (!keep.has(k)) params[k] = deep(v);
  return params;
}

/** The newest item whose text is `text`, else the newest whose first line is the same kubeplan marker. */
function sameText<T extends { number?: number; id?: number }>(
  items: T[],
  text: string,
  textOf: (item: T) => string,
): T | undefined {
  const newestFirst = [...items].sort((a, b) => (b.id ?? b.number ?? 0) - (a.id ?? a.number ?? 0));
  const exact = newestFirst.find((i) => textOf(i) === text);
  if (exact) return exact;
  const marker = /^<!-- kubeplan:[^\n]*-->/.exec(text)?.[0];
  return marker ? newestFirst.find((i) => textOf(i).startsWith(marker)) : undefined;
}

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

function clock(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z') : 'an unknown time';
}

function toComment(c: RestComment): PlatformComment {
  return {
    id: Number(c.id),
    nodeId: c.node_id,
    body: c.body ?? '',
    url: c.html_url,
    minimized: false,
    author: c.user?.login ?? '',
  };
}

function toPull(p: {
  number: number;
  html_url: string;
  state: string;
  title: string;
  body: string | null;
  merged_at: string | null;
  head: { ref: string; repo: { full_name: string } | null };
  requested_reviewers?: { login: string }[] | null;
  requested_teams?: { slug: string; html_url?: string }[] | null;
  assignees?: { login: string }[] | null;
}): RestPull {
  // A team's page is …/orgs/<org>/teams/<slug>: the org kubeplan.yaml names it with.
  const teamName = (t: { slug: string; html_url?: string }) =>
    `${/\/orgs\/([^/]+)\/teams\//.exec(t.html_url ?? '')?.[1] ?? ''}/${t.slug}`;
  return {
    number: p.number,
    html_url: p.html_url,
    state: p.state === 'closed' ? 'closed' : 'open',
    title: p.title,
    body: p.body,
    merged_at: p.merged_at,
    head: { ref: p.head.ref, repo: p.head.repo ? { full_name: p.head.repo.full_name } : null },
    requestedReviewers: [
      ...(p.requested_reviewers ?? []).map((u) => u.login),
      ...(p.requested_teams ?? []).map(teamName),
    ],
    assignees: (p.assignees ?? []).map((u) => u.login),
  };
}
