import * as core from '@actions/core';
import { headCommit } from '../../core/git/ancestry.js';
import type { CiContext } from '../types.js';

/**
 * pull_request_target runs with the base repository's secrets and a write token. Checking out the pull request's
 * head there means kubeplan renders code anyone who opens a pull request controls (Helm templates, Kustomize
 * plugins and generators, values files) next to those secrets and the cluster credentials. The step still runs (a
 * workflow may do it on purpose, for trusted authors only), but the log says so.
 */
export async function warnIfPullRequestHeadCheckedOut(
  ctx: CiContext,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const pr = ctx.pullRequest;
  if (ctx.event !== 'pull_request_target' || !pr || pr.headSha === pr.baseSha) return;
  const head = await headCommit(cwd, env);
  if (head !== pr.headSha) return;
  core.warning(
    `pull_request_target run with the pull request's head (${head.slice(0, 12)}) checked out: kubeplan renders code from the pull request ` +
      `(Helm templates, Kustomize plugins, values files) in a job that holds this repository's secrets, a write token and the cluster credentials${pr.fromFork ? ', and this pull request comes from a fork' : ''}. ` +
      'To plan untrusted pull requests, check out the base branch (actions/checkout without `ref:` on pull_request_target) or plan on the pull_request event, which gives forks no secrets.',
    { title: 'kubeplan' },
  );
}
