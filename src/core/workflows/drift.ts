import { driftCommand, formatDriftMarkdown, type TargetDrift } from '../commands/drift.js';
import { UsageError } from '../errors.js';
import type { IssueTracker, TrackedIssue } from '../../platform/types.js';
import type { DriftRequest } from './request.js';
import { namedClusterRun, namesClusters, refuseClustersInput } from './named-clusters.js';
import { emptyOutcome, type Outcome, type WorkflowRun } from './types.js';

export const DRIFT_LABEL = 'kubeplan:drift';
// A target, or an instance of one on a named cluster (shop@prod-eu).
const MARKER = /^<!-- kubeplan:drift:([\w.@-]+) first-seen:(\S+) -->/;

/**
 * Drift on a schedule: one tracking issue per drifting target (label kubeplan:drift), opened on first drift, edited
 * in place while it lasts (no write when nothing changed), closed with a comment once the cluster matches git again.
 * A target that could not be checked completely leaves its issue as it is and fails the step.
 */
export async function trackDrift(request: DriftRequest, run: WorkflowRun, now: Date = new Date()): Promise<Outcome> {
  const log = run.ports.reporter;
  const named = namesClusters(run, request.config);
  if (!named) refuseClustersInput(run, request);
  const cluster = named ? namedClusterRun(run, request) : run.cluster.options;
  if (!cluster)
    throw new UsageError('drift needs a cluster (read-only rights are enough)', {
      where: run.where('kubeconfig'),
      hint: `pass ${run.cluster.inputs}`,
    });
  const result = await driftCommand({
    config: request.config,
    targets: request.targets,
    tools: run.tools,
    ...cluster,
    output: 'json',
    exitCode: false,
    color: false,
  });
  const outcome = emptyOutcome();
  const drifted = result.targets.filter((t) => t.drifted.length > 0);
  outcome.outputs = { 'drifted-targets': JSON.stringify(drifted.map((t) => t.target)) };
  outcome.summary = run.secrets.mask(result.targets.map((t) => formatDriftMarkdown(t)).join('\n'));
  for (const t of result.targets)
    log.info(
      `${t.target}: ${t.errors.length ? `${t.errors.length} objects could not be checked` : t.drifted.length ? `${t.drifted.length} objects drifted` : 'matches git'}`,
    );
  const { issues } = run.ports;
  if (issues && request.trackIssues) {
    try {
      // Only issues this token opened: anyone who can label an issue could otherwise have kubeplan edit or close theirs.
      const me = await issues.identity();
      const open = (await issues.listOpenIssues(DRIFT_LABEL)).filter((i) => i.author === me);
      for (const t of result.targets) await trackTarget(issues, open, t, run, now);
    } catch (error) {
      // The report still reaches the summary and the outputs; the step fails with the forge's error.
      outcome.error = error;
    }
  }
  const failed = [
    ...result.targets.filter((t) => t.errors.length > 0).map((t) => t.target),
    ...(result.plan.clusters ?? []).filter((c) => c.error).map((c) => `cluster ${c.name}`),
  ];
  if (failed.length)
    outcome.failed = `drift could not be checked completely for ${failed.join(', ')}; see the job summary`;
  return outcome;
}

async function trackTarget(
  issues: IssueTracker,
  open: TrackedIssue[],
  t: TargetDrift,
  run: WorkflowRun,
  now: Date,
): Promise<void> {
  const { ctx } = run;
  const log = run.ports.reporter;
  const issue = open.find((i) => MARKER.exec(i.body)?.[1] === t.target);
  if (t.errors.length > 0) return; // unsure: leave the issue as it is
  if (t.drifted.length === 0) {
    if (!issue) return;
    await issues.closeIssue(
      issue.number,
      `The cluster matches git again for target ${t.target} (checked at ${ctx.sha.slice(0, 7)}${ctx.runUrl ? `, [run](${ctx.runUrl})` : ''}). Closing.`,
    );
    log.info(`${t.target}: closed drift issue #${issue.number}`);
    return;
  }
  const recorded = issue ? MARKER.exec(issue.body)?.[2] : undefined;
  const firstSeen = recorded ?? (t.firstSeen ?? now).toISOString();
  const days = Math.max(0, Math.floor((now.getTime() - new Date(firstSeen).getTime()) / 86_400_000));
  const title = `kubeplan drift: ${t.target} differs from git since ${firstSeen.slice(0, 10)}`;
  // Masked before the comparison with the issue, which holds the masked text.
  const body = run.secrets.mask(
    [
      `<!-- kubeplan:drift:${t.target} first-seen:${firstSeen} -->`,
      `Drifting for ${days === 0 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`} (first seen ${firstSeen}). Fix the cluster, or change git to match it; this issue closes itself when they agree.`,
      '',
      formatDriftMarkdown(t),
    ].join('\n'),
  );
  if (!issue) {
    const number = await issues.createIssue(title, body, [DRIFT_LABEL]);
    log.info(`${t.target}: opened drift issue #${number}`);
  } else if (issue.body !== body || issue.title !== title) {
    await issues.updateIssue(issue.number, { title, body });
    log.info(`${t.target}: updated drift issue #${issue.number}`);
  }
}
