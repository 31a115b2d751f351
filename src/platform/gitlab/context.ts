import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import type { CiContext } from '../types.js';

/**
 * The run as a GitLab job describes it, from its predefined variables
 * (https://docs.gitlab.com/ci/variables/predefined_variables/). A merge-request pipeline plans the merge request's
 * changes since CI_MERGE_REQUEST_DIFF_BASE_SHA; a push compares with CI_COMMIT_BEFORE_SHA.
 */
export function readGitLabContext(env: NodeJS.ProcessEnv): CiContext {
  if (!env.GITLAB_CI) {
    throw new UsageError('kubeplan ci runs in a GitLab CI job, and GITLAB_CI is not set', {
      where: { via: 'cli', command: 'ci' },
      hint: 'run it from .gitlab-ci.yml (see the README: GitLab CI); elsewhere use kubeplan diff, apply, drift or bump',
    });
  }
  const projectDir = env.CI_PROJECT_DIR ?? process.cwd();
  const source = env.CI_PIPELINE_SOURCE ?? '';
  const sha = env.CI_COMMIT_SHA ?? '';
  const iid = Number(env.CI_MERGE_REQUEST_IID);
  const mergeRequest = source === 'merge_request_event' && Number.isInteger(iid) && iid > 0;
  const [name, ...group] = (env.CI_PROJECT_PATH ?? '').split('/').reverse();
  const projectUrl = env.CI_PROJECT_URL?.replace(/\/+$/, '');
  return {
    event: source,
    repository: { owner: group.reverse().join('/'), name: name ?? '' },
    sha,
    ref: env.CI_COMMIT_REF_NAME ?? '',
    pullRequest: mergeRequest
      ? {
          number: iid,
          // The merge base of the merge request: what its changes are measured against (affected targets, intent diff).
          baseSha: env.CI_MERGE_REQUEST_DIFF_BASE_SHA || env.CI_MERGE_REQUEST_TARGET_BRANCH_SHA || '',
          // A merged-results pipeline runs on a temporary merge commit; the head the author pushed is the source SHA.
          headSha: env.CI_MERGE_REQUEST_SOURCE_BRANCH_SHA || sha,
          baseRef: env.CI_MERGE_REQUEST_TARGET_BRANCH_NAME ?? '',
          // A merge request from a fork: its pipeline runs in the fork's project (or, when run in the parent, must not
          // write with the parent's token on the fork's code).
          fromFork:
            env.CI_MERGE_REQUEST_SOURCE_PROJECT_ID !== undefined &&
            env.CI_MERGE_REQUEST_SOURCE_PROJECT_ID !== (env.CI_MERGE_REQUEST_PROJECT_ID ?? env.CI_PROJECT_ID),
        }
      : undefined,
    push:
      source === 'push' && env.CI_COMMIT_BRANCH
        ? {
            before: env.CI_COMMIT_BEFORE_SHA ?? '',
            after: sha,
            toDefaultBranch: env.CI_DEFAULT_BRANCH !== undefined && env.CI_COMMIT_BRANCH === env.CI_DEFAULT_BRANCH,
          }
        : undefined,
    runUrl: env.CI_JOB_URL,
    commitUrl: projectUrl ? (commit) => `${projectUrl}/-/commit/${commit}` : undefined,
    // Inside the project folder, so a job can keep the report as an artifact (artifacts: paths: [.kubeplan/]).
    tempDir: path.join(projectDir, '.kubeplan'),
    changeRequestName: 'merge request',
  };
}
