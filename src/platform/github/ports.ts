import type { SecretMask } from '../../core/report/secret-mask.js';
import type { CiContext, Deployments, IssueTracker, Ports, Reporter } from '../types.js';
import { GitHubApi } from './api.js';
import { githubBumpPublisher } from './bump.js';

/** Issues (drift tracking, the bump dashboard) through the REST API. */
export function githubIssues(api: GitHubApi): IssueTracker {
  return {
    identity: () => api.identity(),
    listOpenIssues: (label) => api.listOpenIssues(label),
    createIssue: (title, body, labels) => api.createIssue(title, body, labels),
    updateIssue: (number, fields) => api.updateIssue(number, fields),
    closeIssue: async (number, comment) => {
      await api.createComment(number, comment);
      await api.updateIssue(number, { state: 'closed', state_reason: 'completed' });
    },
  };
}

/**
 * The ports of a GitHub run, over one API client: pull-request comments, issues, Deployments, and (for bump) pull
 * requests with branches pushed over git. Without a token the run has only the reporter: the plan goes to the job
 * summary.
 */
export async function githubPorts(options: {
  token: string | undefined;
  ctx: CiContext;
  env: NodeJS.ProcessEnv;
  reporter: Reporter;
  secrets: SecretMask;
  /** The config repository's folder, for bump branches. */
  cwd: string;
  /** Build the change-request port (bump only: it needs a git clone). */
  changeRequests: boolean;
}): Promise<Ports> {
  const { token, ctx, env, reporter, secrets } = options;
  if (!token) return { reporter };
  const api = GitHubApi.forRun(token, ctx.repository, env, secrets, { log: (line) => reporter.info(line) });
  const issues = githubIssues(api);
  const deployments: Deployments = {
    create: (target, sha, description, payload) => api.createDeployment(target, sha, description, payload),
    setStatus: (id, state, description, logUrl) => api.setDeploymentStatus(id, state, description, logUrl),
    history: (environment) => api.deploymentHistory(environment),
  };
  return {
    reporter,
    comments: api,
    issues,
    deployments,
    checks: api,
    changeRequests: options.changeRequests
      ? await githubBumpPublisher({
          token,
          repository: `${ctx.repository.owner}/${ctx.repository.name}`,
          env,
          cwd: options.cwd,
          secrets,
        })
      : undefined,
  };
}
