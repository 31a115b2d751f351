import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { hasChanges, type Plan } from '../diff/types.js';
import { systemError, UsageError } from '../errors.js';
import { packCommentParts } from '../report/comment-parts.js';
import { parsePlanJson } from '../report/json.js';
import { digestsMarker } from '../diff/plan-record.js';
import {
  COMMENT_LIMIT,
  commentKeyFor,
  type PlanLimits,
  planRecords,
  publishPlan,
  stamp,
  SUMMARY_LIMIT,
} from './plan.js';
import type { CommentRequest } from './request.js';
import { emptyOutcome, type Outcome, type WorkflowRun } from './types.js';

/** A report larger than this is refused unread: it comes from another run, maybe an untrusted one. */
export const REPORT_LIMIT = 20 * 1024 * 1024;

/**
 * `command: comment`: the sticky plan comment (and labels) from the JSON report another run wrote. The fork pattern: a
 * fork's pull request is planned without secrets and its report uploaded as an artifact; a workflow_run job with the
 * base repository's token downloads it and comments. The report is untrusted: its size is capped, its shape checked,
 * every string escaped like the plan's own, and in a workflow_run job the report, the triggering run and the pull
 * request must all name the same head commit.
 */
export async function commentFromReport(
  request: CommentRequest,
  run: WorkflowRun,
  limits: PlanLimits = { commentLimit: COMMENT_LIMIT, summaryLimit: SUMMARY_LIMIT },
): Promise<Outcome> {
  const { ctx, ports, secrets } = run;
  const log = ports.reporter;
  const cr = ctx.changeRequestName ?? 'pull request';
  const file = path.resolve(run.workingDirectory, request.reportPath);
  const { plan, head } = parsePlanJson(readReport(file, request.reportPath), request.reportPath);
  const pr = request.pullRequest ?? ctx.pullRequest?.number;
  if (pr === undefined)
    throw new UsageError(`no ${cr} to comment on: this run is a "${ctx.event || 'unknown'}" event`, {
      where: run.where('pull-request'),
      hint: 'pass the number of the pull request the report was planned for (pull-request input)',
    });
  const platform = ctx.pullRequest?.fromFork ? undefined : ports.comments;
  if (ctx.pullRequest?.fromFork)
    log.info(`${cr} from a fork: nothing is written back to it; run command: comment in a workflow_run job instead`);
  if (ctx.triggeringRun && platform) await checkSameCommit(run, pr, head, ctx.triggeringRun);

  const outcome = emptyOutcome();
  const planned = head ?? ctx.triggeringRun?.headSha ?? ctx.pullRequest?.headSha;
  // The digests marker is what the apply on merge binds to, so it is written only from a report of this same trusted
  // run: a workflow_run job's report comes from another run (a fork's), whose digests need not match the plan its
  // comment shows. A report holds no planned objects, so no canonical changes: the digests only.
  const trusted = !ctx.triggeringRun && ctx.pullRequest !== undefined && !ctx.pullRequest.fromFork;
  const records = planned && trusted ? planRecords(plan, planned, { changes: false }) : [];
  const footer = `${stamp(ctx, plan.cluster, new Date(), {
    head: planned,
    digest: plan.digests?.plan,
    clusters: plan.clusters?.map((c) => c.name),
  })}${records.map((r) => `\n${digestsMarker(r.record)}`).join('')}`;
  outcome.summary = secrets.mask(
    packCommentParts(plan, {
      limit: limits.summaryLimit,
      marker: () => '',
      fullReportHint: `the full report is ${path.basename(file)}`,
      maxParts: 1,
      full: true,
      stamp: footer,
    })[0]!,
  );
  const key = reportKey(request, plan);
  const commentUrl = await publishPlan(run, plan, outcome, {
    platform,
    key: key.key,
    legacyKeys: key.legacy,
    comment: request.comment,
    labels: request.labels,
    limit: limits.commentLimit,
    footer,
    pullRequest: pr,
  });
  outcome.outputs = {
    'has-changes': String(hasChanges(plan.summary)),
    summary: JSON.stringify(plan.summary),
    'comment-url': commentUrl,
  };
  return outcome;
}

/**
 * The comment key the plan job used: from the config and targets, and the cluster the report names (context and
 * server, as the plan job's kubeconfig gave them), so the workflow_run job edits the same comment.
 */
function reportKey(request: CommentRequest, plan: Plan): { key: string; legacy: string[] } {
  const c = plan.cluster;
  return commentKeyFor(request, c ? (c.context ? `${c.context}@${c.server}` : c.server) : undefined);
}

/**
 * A workflow_run job comments where the triggering run planned: the report's head commit must be the one the event
 * names, and the pull request's head must be it too, so a report cannot steer the comment onto another pull request.
 */
async function checkSameCommit(
  run: WorkflowRun,
  pr: number,
  head: string | undefined,
  triggering: { headSha: string; pullRequests: number[] },
): Promise<void> {
  const hint =
    'comment from the report of the workflow run that triggered this one, on the pull request it planned (pull-request input)';
  if (head !== triggering.headSha)
    throw new UsageError(
      `the report was planned at ${head ? head.slice(0, 12) : 'an unknown commit'}, but the workflow run that triggered this one ran at ${triggering.headSha.slice(0, 12)}`,
      { where: run.where('report-path'), hint },
    );
  if (triggering.pullRequests.includes(pr)) return;
  const prHead = await run.ports.comments?.pullRequestHead?.(pr);
  if (prHead !== triggering.headSha)
    throw new UsageError(
      `pull request #${pr} ${prHead ? `is at ${prHead.slice(0, 12)}` : 'is not open'}, not at ${triggering.headSha.slice(0, 12)} where the report was planned`,
      { where: run.where('pull-request'), hint },
    );
}

/** Reads the report, refusing one larger than REPORT_LIMIT before reading it. */
function readReport(file: string, shown: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    if (size > REPORT_LIMIT)
      throw new UsageError(
        `${shown} is ${(size / 1024 / 1024).toFixed(1)} MiB; a JSON report kubeplan reads is at most ${REPORT_LIMIT / 1024 / 1024} MiB`,
        { where: { file: shown }, hint: 'pass the kubeplan-report.json a plan wrote, unchanged' },
      );
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw systemError(error as NodeJS.ErrnoException, `read the JSON report ${shown}`, {
      where: { file: shown },
      hint: 'download the artifact holding kubeplan-report.json first, and pass its path as report-path',
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
