import { execa } from 'execa';
import { UsageError } from '../../core/errors.js';
import { BranchWriter } from '../../core/git/branch.js';
import type { BumpChange, BumpPublisher, ExistingPull } from '../../core/images/publish.js';
import type { SecretMask } from '../../core/report/secret-mask.js';
import type {
  CiContext,
  DeploymentRecord,
  Deployments,
  IssueTracker,
  PlatformComment,
  Ports,
  PullRequestReview,
  Reporter,
  ReviewPlatform,
} from '../types.js';
import {
  type GitLabApi,
  GitLabError,
  type GitLabIssue,
  type GitLabMergeRequest,
  type GitLabNote,
  type GitLabUser,
} from './api.js';

/**
 * The ports of a GitLab job over one API client: merge-request notes, issues, deployments (environments named after
 * the target), and merge requests for bumps. Without a token the job has only the reporter: the plan goes to the log
 * and the artifacts.
 */
export function gitlabPorts(options: {
  api: GitLabApi | undefined;
  ctx: CiContext;
  env: NodeJS.ProcessEnv;
  reporter: Reporter;
  secrets: SecretMask;
  token: string | undefined;
  cwd: string;
}): Ports {
  const { api, reporter } = options;
  if (!api) return { reporter };
  return {
    reporter,
    comments: mergeRequestNotes(api, options.env),
    issues: gitlabIssues(api),
    deployments: gitlabDeployments(api, options.ctx),
    changeRequests: mergeRequests(api, options),
  };
}

/** The sticky plan as merge-request notes. GitLab cannot collapse a note, so an outdated one is folded into <details>. */
function mergeRequestNotes(api: GitLabApi, env: NodeJS.ProcessEnv): ReviewPlatform {
  // Notes are addressed under their merge request: remember which one each note belongs to.
  const iidOf = new Map<number, number>();
  const projectUrl = (env.CI_PROJECT_URL ?? '').replace(/\/+$/, '');
  const toComment = (iid: number, n: GitLabNote): PlatformComment => {
    iidOf.set(n.id, iid);
    return {
      id: n.id,
      nodeId: String(n.id),
      body: n.body,
      url: `${projectUrl}/-/merge_requests/${iid}#note_${n.id}`,
      minimized: false,
      author: n.author.username,
    };
  };
  const notesPath = (iid: number) => api.projectPath(`/merge_requests/${iid}/notes`);
  const list = async (iid: number) =>
    (await api.paginate<GitLabNote>(`${notesPath(iid)}?sort=asc&order_by=created_at`, 'list the merge request notes'))
      .filter((n) => !n.system)
      .map((n) => toComment(iid, n));
  const iidFor = (id: number) => {
    const iid = iidOf.get(id);
    if (iid === undefined)
      throw new UsageError(`note ${id} was not listed first`, {
        where: { forge: 'GitLab', operation: `PUT note ${id}` },
      });
    return iid;
  };
  return {
    identity: () => api.identity(),
    listComments: list,
    createComment: async (iid, body) => {
      try {
        return toComment(
          iid,
          (await api.request<GitLabNote>('POST', notesPath(iid), { body }, 'create the plan note')).data,
        );
      } catch (error) {
        // The response was lost (or GitLab failed after writing): a note with this body may exist. Never post twice.
        if (!(error instanceof GitLabError) || (error.status !== 0 && error.status < 500)) throw error;
        const me = await api.identity();
        const found = (await list(iid)).find((c) => c.author === me && c.body === body);
        if (found) return found;
        return toComment(
          iid,
          (await api.request<GitLabNote>('POST', notesPath(iid), { body }, 'create the plan note')).data,
        );
      }
    },
    updateComment: async (id, body) => {
      const iid = iidFor(id);
      return toComment(
        iid,
        (await api.request<GitLabNote>('PUT', `${notesPath(iid)}/${id}`, { body }, 'update the plan note')).data,
      );
    },
    deleteComment: async (id) => {
      await api.request('DELETE', `${notesPath(iidFor(id))}/${id}`, undefined, 'delete a superseded plan note');
    },
    minimizeComment: async (comment) => {
      const [first, ...rest] = comment.body.split('\n');
      const body = `${first}\n<details><summary>An earlier kubeplan error (outdated)</summary>\n\n${rest.join('\n')}\n\n</details>\n`;
      const iid = iidFor(comment.id);
      await api.request('PUT', `${notesPath(iid)}/${comment.id}`, { body }, 'fold the outdated error note');
    },
    // Single-colon names (kubeplan:changes): GitLab's scoped labels (kubeplan::x) exclude each other, and a merge
    // request may carry both kubeplan:changes and kubeplan:destroy.
    setLabels: async (iid, add, remove) => {
      const mr = (
        await api.request<GitLabMergeRequest>(
          'GET',
          api.projectPath(`/merge_requests/${iid}`),
          undefined,
          'read the merge request labels',
        )
      ).data;
      const current = mr.labels ?? [];
      const missing = add.filter((l) => !current.includes(l.name));
      const gone = remove.filter((n) => current.includes(n));
      for (const label of missing) {
        try {
          await api.request(
            'POST',
            api.projectPath('/labels'),
            { name: label.name, color: `#${label.color}`, description: label.description },
            `create the label ${label.name}`,
          );
        } catch (error) {
          // It exists already: its colour stays as the maintainers set it.
          if (!(error instanceof GitLabError) || error.status !== 409) throw error;
        }
      }
      if (missing.length === 0 && gone.length === 0) return;
      await api.request(
        'PUT',
        api.projectPath(`/merge_requests/${iid}`),
        {
          ...(missing.length ? { add_labels: missing.map((l) => l.name).join(',') } : {}),
          ...(gone.length ? { remove_labels: gone.join(',') } : {}),
        },
        `label merge request !${iid}`,
      );
    },
    pullRequestHeadSha: async (iid) => {
      const mr = await api.request<GitLabMergeRequest>(
        'GET',
        api.projectPath(`/merge_requests/${iid}`),
        undefined,
        `read merge request !${iid}`,
      );
      return mr.data.sha ?? '';
    },
    pullRequestReviews: (iid) => mergeRequestApprovals(api, iid),
    mergedPullRequest: async (sha) => {
      const mrs = await api.request<GitLabMergeRequest[]>(
        'GET',
        api.projectPath(`/repository/commits/${sha}/merge_requests`),
        undefined,
        'find the merge request of the commit',
      );
      return mrs.data.find((m) => m.state === 'merged')?.iid;
    },
  };
}

/**
 * A merge request's approvals as reviews (plan binding). GitLab records who approves now (approvals `approved_by`) but
 * not of which commit: each approval's system note ("approved this merge request") is matched to the diff version
 * that was the head when it was written. An approval with no note is of an unknown commit (stale); one withdrawn
 * since (unapproved, or reset by a push) is a dismissal.
 */
async function mergeRequestApprovals(api: GitLabApi, iid: number): Promise<PullRequestReview[]> {
  const [approvals, versions, notes] = await Promise.all([
    api.request<{ approved_by?: { user?: { username?: string } }[] }>(
      'GET',
      api.projectPath(`/merge_requests/${iid}/approvals`),
      undefined,
      `read the approvals of merge request !${iid}`,
    ),
    api.paginate<{ head_commit_sha: string; created_at: string }>(
      api.projectPath(`/merge_requests/${iid}/versions`),
      `list the versions of merge request !${iid}`,
    ),
    api.paginate<GitLabNote>(
      api.projectPath(`/merge_requests/${iid}/notes?sort=asc&order_by=created_at`),
      'list the merge request notes',
    ),
  ]);
  const byTime = [...versions].sort((a, b) => a.created_at.localeCompare(b.created_at));
  const headAt = (at: string) => byTime.filter((v) => v.created_at <= at).at(-1)?.head_commit_sha ?? null;
  const reviews: PullRequestReview[] = [];
  for (const n of notes) {
    if (!n.system || !n.created_at) continue;
    const state = /^approved this merge request/.test(n.body)
      ? 'APPROVED'
      : /^unapproved this merge request/.test(n.body)
        ? 'DISMISSED'
        : undefined;
    if (state)
      reviews.push({
        id: n.id,
        user: n.author.username,
        state,
        commitId: headAt(n.created_at),
        submittedAt: n.created_at,
      });
  }
  const now = new Set((approvals.data.approved_by ?? []).map((a) => a.user?.username ?? '').filter(Boolean));
  const last = reviews.at(-1)?.submittedAt ?? '';
  const latest = new Map(reviews.map((r) => [r.user, r]));
  for (const user of now)
    if (latest.get(user)?.state !== 'APPROVED')
      reviews.push({ id: 0, user, state: 'APPROVED', commitId: null, submittedAt: `${last}~` });
  for (const [user, r] of latest)
    if (r.state === 'APPROVED' && !now.has(user))
      reviews.push({ id: 0, user, state: 'DISMISSED', commitId: null, submittedAt: `${last}~` });
  return reviews;
}

/** Issues (drift, the bump dashboard). GitLab's scoped label kubeplan::drift stands for kubeplan:drift. */
function gitlabIssues(api: GitLabApi): IssueTracker {
  const label = (l: string) => l.replace(/^kubeplan:(?!:)/, 'kubeplan::');
  return {
    identity: () => api.identity(),
    listOpenIssues: async (l) =>
      (
        await api.paginate<GitLabIssue>(
          api.projectPath(`/issues?state=opened&labels=${encodeURIComponent(label(l))}`),
          `list the open issues labelled ${label(l)}`,
        )
      ).map((i) => ({
        number: i.iid,
        title: i.title,
        body: i.description ?? '',
        author: i.author?.username ?? '',
      })),
    createIssue: async (title, body, labels) =>
      (
        await api.request<GitLabIssue>(
          'POST',
          api.projectPath('/issues'),
          { title, description: body, labels: labels.map(label).join(',') },
          `open the issue "${title}"`,
        )
      ).data.iid,
    updateIssue: async (iid, fields) => {
      await api.request(
        'PUT',
        api.projectPath(`/issues/${iid}`),
        { ...(fields.title ? { title: fields.title } : {}), ...(fields.body ? { description: fields.body } : {}) },
        `update issue #${iid}`,
      );
    },
    closeIssue: async (iid, comment) => {
      await api.request('POST', api.projectPath(`/issues/${iid}/notes`), { body: comment }, 'note on the drift issue');
      await api.request('PUT', api.projectPath(`/issues/${iid}`), { state_event: 'close' }, 'close the drift issue');
    },
  };
}

/** An environment's deployments, newest first, as promote and recover --to last-successful read them. */
export function gitlabDeploymentHistory(api: GitLabApi): (environment: string) => Promise<DeploymentRecord[]> {
  return async (environment) => {
    const { data } = await api.request<GitLabDeploymentItem[]>(
      'GET',
      api.projectPath(`/deployments?environment=${encodeURIComponent(environment)}&order_by=id&sort=desc&per_page=30`),
      undefined,
      `read the deployments of ${environment}`,
    );
    return data.map((d) => ({
      id: d.id,
      sha: d.sha,
      environment,
      createdAt: d.created_at,
      statuses: [
        {
          state: d.status === 'failed' ? 'failure' : d.status,
          createdAt: d.finished_at ?? d.updated_at,
          description: `GitLab deployment #${d.iid} ${d.status}`,
          logUrl: undefined,
        },
      ],
    }));
  };
}

/**
 * A GitLab deployment per target: created, then running, then success or failed, to the target's environment. GitLab's
 * deployments API has no tier (an environment's tier is guessed from its name or set on the environment), so
 * `production` is not sent.
 */
function gitlabDeployments(api: GitLabApi, ctx: CiContext): Deployments {
  return {
    create: async ({ environment }, sha) =>
      (
        await api.request<{ id: number }>(
          'POST',
          api.projectPath('/deployments'),
          // GitLab creates a deployment only as running, success, failed or canceled: it starts as running.
          { environment, sha, ref: ctx.ref || 'main', tag: false, status: 'running' },
          `record the deployment to ${environment}`,
        )
      ).data.id,
    setStatus: async (id, state) => {
      if (state === 'in_progress') return; // created running
      const status = state === 'success' ? 'success' : 'failed';
      await api.request('PUT', api.projectPath(`/deployments/${id}`), { status }, 'update the deployment status');
    },
    // GitLab keeps one status per deployment, the last one, as of updated_at (promote: success, and failures since).
    history: gitlabDeploymentHistory(api),
  };
}

interface GitLabDeploymentItem {
  id: number;
  iid: number;
  sha: string;
  status: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** The commit identity of bump merge requests. */
const BOT = { name: 'kubeplan', email: 'kubeplan@noreply.invalid' };

/**
 * Bump merge requests: branches pushed with git over HTTPS (the token in an extra header, never in argv or
 * .git/config), merge requests, labels and notes through the API.
 */
function mergeRequests(
  api: GitLabApi,
  options: { env: NodeJS.ProcessEnv; token: string | undefined; cwd: string },
): BumpPublisher {
  const { env } = options;
  const server = (env.CI_SERVER_URL ?? '').replace(/\/+$/, '');
  const remote = {
    url: `${server}/${env.CI_PROJECT_PATH}.git`,
    authHeader: `AUTHORIZATION: basic ${Buffer.from(`oauth2:${options.token}`).toString('base64')}`,
  };
  let git: Promise<{ writer: BranchWriter; head: string }> | undefined;
  const clone = () => {
    git ??= (async () => {
      const top = await execa('git', ['rev-parse', '--show-toplevel'], {
        cwd: options.cwd,
        reject: false,
        stdin: 'ignore',
      });
      if (top.exitCode !== 0)
        throw new UsageError(`${options.cwd} is not a git clone; bump merge requests are made from one`, {
          where: { directory: options.cwd },
          hint: 'run the job with the default GIT_STRATEGY (fetch or clone)',
        });
      const writer = new BranchWriter(String(top.stdout).trim(), remote, BOT, env);
      return { writer, head: await writer.head() };
    })();
    return git;
  };
  const target = env.CI_COMMIT_BRANCH ?? env.CI_DEFAULT_BRANCH ?? 'main';
  // Who each merge request has now, as listed: GitLab replaces the lists on update, so additions are sent with them.
  const people = new Map<number, { reviewers: GitLabUser[]; assignees: GitLabUser[] }>();
  const toPull = (m: GitLabMergeRequest): ExistingPull => {
    people.set(m.iid, { reviewers: m.reviewers ?? [], assignees: m.assignees ?? [] });
    return {
      number: m.iid,
      url: m.web_url,
      state: m.state === 'opened' ? 'open' : 'closed',
      merged: m.state === 'merged',
      branch: m.source_branch,
      title: m.title,
      body: m.description ?? '',
      reviewers: (m.reviewers ?? []).map((u) => u.username),
      assignees: (m.assignees ?? []).map((u) => u.username),
    };
  };
  const projectId = env.CI_PROJECT_ID;
  return {
    findPulls: async (prefix, branches) => {
      const open = (
        await api.paginate<GitLabMergeRequest>(api.projectPath('/merge_requests?state=opened'), 'list merge requests')
      ).filter(
        (m) =>
          m.source_branch.startsWith(prefix) &&
          (projectId === undefined || m.source_project_id === undefined || String(m.source_project_id) === projectId),
      );
      const byBranch = await Promise.all(
        branches.map((b) =>
          api.paginate<GitLabMergeRequest>(
            api.projectPath(`/merge_requests?state=all&source_branch=${encodeURIComponent(b)}`),
            'list merge requests',
          ),
        ),
      );
      const all = new Map<number, GitLabMergeRequest>();
      for (const m of [...open, ...byBranch.flat()]) all.set(m.iid, m);
      return [...all.values()].sort((a, b) => b.iid - a.iid).map(toPull);
    },
    pushBranch: async (branch, files, message) => {
      const { writer, head } = await clone();
      return writer.pushFiles(head, branch, files, message);
    },
    createPull: async (change: BumpChange) => {
      const mr = (
        await api.request<GitLabMergeRequest>(
          'POST',
          api.projectPath('/merge_requests'),
          {
            source_branch: change.branch,
            target_branch: target,
            title: change.title,
            description: change.body,
            labels: change.labels.join(','),
            remove_source_branch: true,
          },
          `open a merge request for ${change.branch}`,
        )
      ).data;
      toPull(mr);
      return { number: mr.iid, url: mr.web_url };
    },
    updatePull: async (iid, change) => {
      await api.request(
        'PUT',
        api.projectPath(`/merge_requests/${iid}`),
        { title: change.title, description: change.body },
        `update merge request !${iid}`,
      );
    },
    closePull: async (iid, comment) => {
      await api.request(
        'POST',
        api.projectPath(`/merge_requests/${iid}/notes`),
        { body: comment },
        `note on merge request !${iid}`,
      );
      await api.request(
        'PUT',
        api.projectPath(`/merge_requests/${iid}`),
        { state_event: 'close' },
        `close merge request !${iid}`,
      );
    },
    addPeople: (iid, wanted) => addMergeRequestPeople(api, iid, wanted, people),
  };
}

/**
 * Adds reviewers and assignees (usernames, each looked up once: GitLab takes user ids) to a merge request, keeping
 * those it has. A name GitLab does not know, or a team, is a warning naming it; the merge request stands.
 */
async function addMergeRequestPeople(
  api: GitLabApi,
  iid: number,
  wanted: { reviewers: string[]; assignees: string[] },
  people: Map<number, { reviewers: GitLabUser[]; assignees: GitLabUser[] }>,
): Promise<string[]> {
  const warnings: string[] = [];
  const resolve = async (names: string[], role: 'reviewer' | 'assignee') => {
    const found: GitLabUser[] = [];
    for (const name of names) {
      if (name.includes('/')) {
        warnings.push(
          `${role} ${name} was not added to !${iid}: GitLab asks users, not groups, for reviews (name the users in bump.reviewers in kubeplan.yaml)`,
        );
        continue;
      }
      try {
        const { data } = await api.request<GitLabUser[]>(
          'GET',
          `/users?username=${encodeURIComponent(name)}`,
          undefined,
          `look up the GitLab user ${name}`,
        );
        if (data[0]) found.push(data[0]);
        else
          warnings.push(
            `${role} ${name} was not added to !${iid}: GitLab has no user of that name (check bump.${role}s in kubeplan.yaml)`,
          );
      } catch (error) {
        if (!(error instanceof GitLabError)) throw error;
        warnings.push(`${role} ${name} was not added to !${iid}: ${error.message}`);
      }
    }
    return found;
  };
  const reviewers = await resolve(wanted.reviewers, 'reviewer');
  const assignees = await resolve(wanted.assignees, 'assignee');
  let now = people.get(iid);
  if (!now) {
    const { data } = await api.request<GitLabMergeRequest>(
      'GET',
      api.projectPath(`/merge_requests/${iid}`),
      undefined,
      `read merge request !${iid}`,
    );
    now = { reviewers: data.reviewers ?? [], assignees: data.assignees ?? [] };
  }
  const union = (have: GitLabUser[], add: GitLabUser[]) =>
    add.some((u) => !have.some((h) => h.id === u.id))
      ? [...new Set([...have.map((u) => u.id), ...add.map((u) => u.id)])]
      : undefined;
  const reviewerIds = union(now.reviewers, reviewers);
  const assigneeIds = union(now.assignees, assignees);
  if (!reviewerIds && !assigneeIds) return warnings;
  try {
    await api.request(
      'PUT',
      api.projectPath(`/merge_requests/${iid}`),
      { ...(reviewerIds ? { reviewer_ids: reviewerIds } : {}), ...(assigneeIds ? { assignee_ids: assigneeIds } : {}) },
      `add reviewers and assignees to merge request !${iid}`,
    );
  } catch (error) {
    if (!(error instanceof GitLabError)) throw error;
    warnings.push(
      `${[...reviewers, ...assignees].map((u) => u.username).join(', ')} not added to !${iid}: ${error.message}`,
    );
  }
  return warnings;
}
