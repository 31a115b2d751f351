import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import type { CiContext } from '../types.js';

interface PullRequestPayload {
  number: number;
  base: { sha: string; ref: string; repo: { full_name: string } };
  head: { sha: string; ref: string; repo: { full_name: string; fork?: boolean } | null };
}

/** The run as the GitHub runner describes it: GITHUB_* variables and the event payload file. */
export function readGitHubContext(env: NodeJS.ProcessEnv, tempDir: string): CiContext {
  const [owner, name] = (env.GITHUB_REPOSITORY ?? '/').split('/');
  let payload: {
    pull_request?: PullRequestPayload;
    before?: string;
    after?: string;
    repository?: { default_branch?: string };
    workflow_run?: { head_sha?: string; pull_requests?: { number?: number }[] };
  } = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as typeof payload;
    } catch (error) {
      throw new UsageError(`cannot read the event payload ${env.GITHUB_EVENT_PATH}: ${(error as Error).message}`, {
        hint: 'run kubeplan as a step of a GitHub Actions workflow',
      });
    }
  }
  const pr = payload.pull_request;
  return {
    event: env.GITHUB_EVENT_NAME ?? '',
    repository: { owner: owner ?? '', name: name ?? '' },
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    pullRequest: pr
      ? {
          number: pr.number,
          baseSha: pr.base.sha,
          headSha: pr.head.sha,
          baseRef: pr.base.ref,
          // A head repository other than the base one (or a deleted one) means a fork: its token cannot write here.
          fromFork: pr.head.repo === null || pr.head.repo.full_name !== pr.base.repo.full_name,
        }
      : undefined,
    push:
      env.GITHUB_EVENT_NAME === 'push' && payload.after
        ? {
            before: payload.before ?? '',
            after: payload.after,
            toDefaultBranch:
              payload.repository?.default_branch !== undefined &&
              env.GITHUB_REF === `refs/heads/${payload.repository.default_branch}`,
          }
        : undefined,
    runUrl:
      env.GITHUB_SERVER_URL && env.GITHUB_RUN_ID
        ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : undefined,
    commitUrl:
      env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY
        ? (sha) => `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/commit/${sha}`
        : undefined,
    triggeringRun:
      env.GITHUB_EVENT_NAME === 'workflow_run' && typeof payload.workflow_run?.head_sha === 'string'
        ? {
            headSha: payload.workflow_run.head_sha,
            pullRequests: (payload.workflow_run.pull_requests ?? [])
              .map((p) => p.number)
              .filter((n): n is number => typeof n === 'number'),
          }
        : undefined,
    tempDir,
  };
}
