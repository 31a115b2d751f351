import * as core from '@actions/core';
import { info } from './log.js';
import { driftCommand, formatDriftMarkdown, type TargetDrift } from '../../core/commands/drift.js';
import { UsageError } from '../../core/errors.js';
import type { SecretMask } from '../../core/report/secret-mask.js';
import type { CiContext } from '../types.js';
import { setOutput, writeSummary } from './outputs.js';
import { GitHubApi } from './api.js';
import { CLUSTER_INPUTS, clusterOptions } from './cluster.js';
import type { ActionInputs } from './inputs.js';

export const DRIFT_LABEL = 'kubeplan:drift';
const MARKER = /^<!-- kubeplan:drift:([\w-]+) first-seen:(\S+) -->/;

/**
 * Drift on a schedule: one tracking issue per drifting target (label kubeplan:drift), opened on first drift, edited
 * in place while it lasts (no write when nothing changed), closed with a comment once the cluster matches git again.
 */
export async function runDrift(
  inputs: ActionInputs,
  ctx: CiContext,
  env: NodeJS.ProcessEnv,
  now: Date = new Date(),
): Promise<void> {
  const cluster = await clusterOptions(inputs, env);
  if (!cluster)
    throw new UsageError('drift needs a cluster (read-only rights are enough)', {
      where: 'action input kubeconfig',
      hint: `pass ${CLUSTER_INPUTS}`,
    });
  const result = await driftCommand({
    config: inputs.config,
    targets: inputs.targets,
    tools: inputs.tools,
    ...cluster,
    output: 'json',
    exitCode: false,
    color: false,
  });
  const drifted = result.targets.filter((t) => t.drifted.length > 0);
  setOutput('drifted-targets', JSON.stringify(drifted.map((t) => t.target)), inputs.secrets);
  await writeSummary(result.targets.map((t) => formatDriftMarkdown(t)).join('\n'), inputs.secrets);
  for (const t of result.targets)
    info(
      `${t.target}: ${t.errors.length ? `${t.errors.length} objects could not be checked` : t.drifted.length ? `${t.drifted.length} objects drifted` : 'matches git'}`,
    );

  if (inputs.githubToken && inputs.comment) {
    const api = GitHubApi.forRun(inputs.githubToken, ctx.repository, env, inputs.secrets);
    // Only issues this token opened: anyone who can label an issue could otherwise have kubeplan edit or close theirs.
    const me = await api.identity();
    const open = (await api.listOpenIssues(DRIFT_LABEL)).filter((i) => i.author === me);
    for (const t of result.targets) await trackTarget(api, open, t, ctx, now, inputs.secrets);
  }
  const failed = result.targets.filter((t) => t.errors.length > 0);
  if (failed.length)
    core.setFailed(
      `drift could not be checked completely for ${failed.map((t) => t.target).join(', ')}; see the job summary`,
    );
}

async function trackTarget(
  api: GitHubApi,
  open: { number: number; title: string; body: string }[],
  t: TargetDrift,
  ctx: CiContext,
  now: Date,
  secrets: SecretMask,
): Promise<void> {
  const issue = open.find((i) => MARKER.exec(i.body)?.[1] === t.target);
  if (t.errors.length > 0) return; // unsure: leave the issue as it is
  if (t.drifted.length === 0) {
    if (!issue) return;
    await api.createComment(
      issue.number,
      `The cluster matches git again for target ${t.target} (checked at ${ctx.sha.slice(0, 7)}${ctx.runUrl ? `, [run](${ctx.runUrl})` : ''}). Closing.`,
    );
    await api.updateIssue(issue.number, { state: 'closed', state_reason: 'completed' });
    info(`${t.target}: closed drift issue #${issue.number}`);
    return;
  }
  const recorded = issue ? MARKER.exec(issue.body)?.[2] : undefined;
  const firstSeen = recorded ?? (t.firstSeen ?? now).toISOString();
  const days = Math.max(0, Math.floor((now.getTime() - new Date(firstSeen).getTime()) / 86_400_000));
  const title = `kubeplan drift: ${t.target} differs from git since ${firstSeen.slice(0, 10)}`;
  // Masked before the comparison with the issue, which holds the masked text.
  const body = secrets.mask(
    [
      `<!-- kubeplan:drift:${t.target} first-seen:${firstSeen} -->`,
      `Drifting for ${days === 0 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`} (first seen ${firstSeen}). Fix the cluster, or change git to match it; this issue closes itself when they agree.`,
      '',
      formatDriftMarkdown(t),
    ].join('\n'),
  );
  if (!issue) {
    const number = await api.createIssue(title, body, [DRIFT_LABEL]);
    info(`${t.target}: opened drift issue #${number}`);
  } else if (issue.body !== body || issue.title !== title) {
    await api.updateIssue(issue.number, { title, body });
    info(`${t.target}: updated drift issue #${issue.number}`);
  }
}
