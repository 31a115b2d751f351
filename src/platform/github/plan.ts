import * as core from '@actions/core';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { diffCommand } from '../../core/commands/diff.js';
import { affectedTargets } from '../../core/config/affected.js';
import { loadConfig } from '../../core/config/load-config.js';
import { changedFilesSince } from '../../core/git/changed-files.js';
import { emptyCounts, type Plan } from '../../core/diff/types.js';
import { formatError, UsageError } from '../../core/errors.js';
import { packCommentParts } from '../../core/report/comment-parts.js';
import { objectName, summaryLine, targetCounts } from '../../core/report/common.js';
import { fencedBlock, oneLine } from '../../core/report/escape.js';
import { info } from './log.js';
import { formatPlanJson } from '../../core/report/json.js';
import { marker, syncPlanComments, upsertErrorComment } from '../sticky-comments.js';
import type { CiContext } from '../types.js';
import { setOutput, writeSummary } from './outputs.js';
import { GitHubApi, GitHubError } from './api.js';
import { CLUSTER_INPUTS, clusterOptions } from './cluster.js';
import { runnerTempOf, type ActionInputs } from './inputs.js';

export const COMMENT_LIMIT = 65_536;
export const SUMMARY_LIMIT = 1024 * 1024;
/** A plan of thousands of objects is read in the job summary and the JSON report, not in hundreds of comments. */
export const MAX_COMMENT_PARTS = 5;

/**
 * The plan on a pull request: render and diff, write the JSON report and the job summary, and keep one sticky comment
 * (in parts when it must) on the pull request. Fork pull requests get the summary only.
 */
export async function runPlan(inputs: ActionInputs, ctx: CiContext, env: NodeJS.ProcessEnv): Promise<void> {
  const runnerTemp = runnerTempOf(inputs, env);
  const key = createHash('sha256')
    .update(`${inputs.config}|${[...inputs.targets].sort().join(',')}`)
    .digest('hex')
    .slice(0, 12);
  const pr = ctx.pullRequest;
  const canComment = inputs.comment && pr !== undefined && !pr.fromFork && inputs.githubToken !== undefined;
  const api = inputs.githubToken
    ? GitHubApi.forRun(inputs.githubToken, ctx.repository, env, inputs.secrets)
    : undefined;
  if (pr?.fromFork) info('pull request from a fork: its token is read-only, so the plan goes to the job summary only');

  const cluster = await clusterOptions(inputs, env);
  const offline = cluster === undefined;
  if (offline && !pr) {
    throw new UsageError('no cluster for the plan', {
      where: 'action input kubeconfig',
      hint: `pass ${CLUSTER_INPUTS} (outside pull requests a plan needs a cluster)`,
    });
  }
  let plan: Plan;
  let unaffected = false;
  const notices: string[] = [];
  try {
    let targets = inputs.targets;
    if (inputs.onlyAffected && pr && targets.length === 0) {
      const config = loadConfig(inputs.config, inputs.workingDirectory);
      const changed = await changedFilesSince(config.repoRoot, pr.baseSha, env);
      if (changed === undefined) {
        info(
          `cannot tell which files changed since ${pr.baseSha.slice(0, 12)} (fetch it with actions/checkout fetch-depth: 0): planning every target`,
        );
      } else {
        targets = affectedTargets(config, changed);
        const skipped = config.targets.length - targets.length;
        info(
          `${targets.length} of ${config.targets.length} targets affected by this pull request${skipped ? ` (${skipped} skipped: none of their files changed)` : ''}`,
        );
        if (targets.length === 0) {
          unaffected = true;
        }
      }
    }
    if (unaffected) {
      await finish(inputs, ctx, runnerTemp, key, canComment ? api : undefined, unaffectedPlan());
      return;
    }
    const result = await diffCommand({
      config: inputs.config,
      targets,
      tools: inputs.tools,
      // Offline (a pull request without cluster credentials): the intent diff against the base commit, no cluster.
      ...(cluster ?? {
        kubeconfig: undefined,
        context: undefined,
        concurrency: inputs.concurrency,
        cwd: inputs.workingDirectory,
        env,
      }),
      mode: inputs.diffMode,
      base: offline ? pr!.baseSha : undefined,
      offline,
      // The pull request's own kubeplan.yaml must not turn on what runs or fetches code while its content renders.
      optInsFrom: pr?.baseSha,
      fetchOptIns: true,
      onNotice: (notice) => {
        notices.push(notice);
        core.notice(notice.replace(/`/g, ''));
      },
      output: 'json',
      forceConflicts: inputs.forceConflicts,
      exitCode: false,
      color: false,
    });
    plan = result.plan;
  } catch (error) {
    const message = formatError(error);
    if (canComment && api) {
      const body = `${marker('error', key)}\n### kubeplan: the plan failed\n\n${notices.map((n) => `> [!NOTE]\n> ${n}\n\n`).join('')}${fencedBlock(message)}\n${ctx.runUrl ? `\n[Run log](${ctx.runUrl})\n` : ''}`;
      await postOrWarn(() => upsertErrorComment(api, pr!.number, key, inputs.secrets.mask(body)));
    }
    throw error;
  }
  if (offline)
    info(
      `no kubeconfig: intent diff against the pull request's base ${pr!.baseSha.slice(0, 12)} (render only, no cluster)`,
    );
  await finish(inputs, ctx, runnerTemp, key, canComment ? api : undefined, plan);
}

function unaffectedPlan(): Plan {
  return {
    mode: 'intent',
    modeReason: "no target's files changed in this pull request",
    targets: [],
    summary: emptyCounts(),
    stats: { objects: 0, fastPath: 0, dryRuns: 0, lists: 0, requests: 0 },
  };
}

/** Report, comment, outputs and the fail-on verdict for a finished plan. */
async function finish(
  inputs: ActionInputs,
  ctx: CiContext,
  runnerTemp: string,
  key: string,
  api: GitHubApi | undefined,
  plan: Plan,
): Promise<void> {
  const pr = ctx.pullRequest;
  const reportPath = path.join(runnerTemp, 'kubeplan-report.json');
  writeFileSync(reportPath, inputs.secrets.mask(formatPlanJson(plan)));
  for (const target of plan.targets) {
    const changed = target.changes.filter((c) => c.action !== 'unchanged');
    core.startGroup(`${target.target}: ${targetCounts(target)}`);
    for (const c of changed)
      info(
        `${c.action.padEnd(7)} ${oneLine(c.apiVersion)} ${objectName(c)}${c.digest.length ? `  ${oneLine(c.digest.join('; '))}` : ''}${c.error ? `  error: ${oneLine(c.error.message)}` : ''}`,
      );
    core.endGroup();
  }
  info(summaryLine(plan.summary));

  const hint = ctx.runUrl
    ? `the full plan is in the [job summary](${ctx.runUrl})`
    : 'the full plan is in the job summary';
  const summaryParts = packCommentParts(plan, {
    limit: SUMMARY_LIMIT,
    marker: () => '',
    fullReportHint: `the full report is ${path.basename(reportPath)} (report-path output)`,
    maxParts: 1,
    full: true,
  });
  await writeSummary(summaryParts[0]!, inputs.secrets);

  let commentUrl = '';
  if (api && pr) {
    const parts = packCommentParts(plan, {
      limit: COMMENT_LIMIT,
      marker: (i, n) => marker('plan', key, { index: i, total: n }),
      fullReportHint: hint,
      maxParts: MAX_COMMENT_PARTS,
    }).map((part) => inputs.secrets.mask(part));
    const synced = await postOrWarn(() => syncPlanComments(api, pr!.number, key, parts));
    if (synced) {
      commentUrl = synced.urls[0] ?? '';
      info(
        `plan comment: ${synced.created} created, ${synced.updated} updated, ${synced.deleted} deleted${synced.minimized ? `, ${synced.minimized} outdated error comment minimized` : ''} (${parts.length} part${parts.length === 1 ? '' : 's'})`,
      );
    }
  }

  const changed = (p: Plan) =>
    p.summary.create + p.summary.update + p.summary.replace + p.summary.delete + p.summary.adopt > 0;
  setOutput('has-changes', String(changed(plan)), inputs.secrets);
  setOutput('summary', JSON.stringify(plan.summary), inputs.secrets);
  setOutput('report-path', reportPath, inputs.secrets);
  setOutput('comment-url', commentUrl, inputs.secrets);
  setOutput(
    'matrix',
    JSON.stringify(plan.targets.filter((t) => t.changes.some((c) => c.action !== 'unchanged')).map((t) => t.target)),
    inputs.secrets,
  );

  if (plan.summary.error > 0) {
    core.setFailed(
      `${plan.summary.error} object${plan.summary.error === 1 ? '' : 's'} could not be planned; see the job summary`,
    );
    return;
  }
  const fail =
    (inputs.failOn === 'changes' && changed(plan)) ||
    (inputs.failOn === 'destroy' && plan.summary.delete + plan.summary.replace > 0) ||
    (inputs.failOn === 'replace' && plan.summary.replace > 0);
  if (fail) core.setFailed(`fail-on: ${inputs.failOn}: ${summaryLine(plan.summary)}`);
}

/** Writes back to the pull request; a read-only token is a warning, not a failure. */
async function postOrWarn<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof GitHubError && (error.status === 403 || error.status === 404)) {
      core.warning(
        `cannot write the plan comment (${error.message}); the plan is in the job summary. ${error.hint ?? 'Give the workflow `permissions: pull-requests: write`.'}`,
      );
      return undefined;
    }
    throw error;
  }
}
