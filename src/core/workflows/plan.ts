import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import {
  marker,
  ownComments,
  parseMarker,
  syncPlanComments,
  upsertErrorComment,
} from '../../platform/sticky-comments.js';
import type { CiContext, LabelSpec, PlanChecks } from '../../platform/types.js';
import { targetChanges } from '../diff/plan-digest.js';
import { checkRunText, digestsMarker, type PlanRecord } from '../diff/plan-record.js';
import type { ClusterOptions } from '../commands/cluster-run.js';
import { diffCommand } from '../commands/diff.js';
import { emptyCounts, type Plan, planChanges, policyErrors, startsCanary } from '../diff/types.js';
import { deploymentsSource } from '../commands/promote.js';
import { formatError, systemError, UsageError } from '../errors.js';
import { packCommentParts } from '../report/comment-parts.js';
import { objectName, summaryLine, targetCounts } from '../report/common.js';
import { fencedBlock, htmlText, inlineCode, oneLine } from '../report/escape.js';
import { formatPlanJson } from '../report/json.js';
import { affectedSince } from './affected.js';
import type { CommentMode, FailOn, PlanRequest } from './request.js';
import { namedClusterRun, namesClusters, refuseClustersInput } from './named-clusters.js';
import { emptyOutcome, type Outcome, reportOrWarn, type WorkflowRun } from './types.js';

/** GitHub's limit for one comment body; GitLab's is 1,000,000 (its adapter passes its own). */
export const COMMENT_LIMIT = 65_536;
export const SUMMARY_LIMIT = 1024 * 1024;
/** A plan of thousands of objects is read in the job summary and the JSON report, not in hundreds of comments. */
export const MAX_COMMENT_PARTS = 5;

export interface PlanLimits {
  commentLimit: number;
  summaryLimit: number;
}

/**
 * Plan a pull request: which targets it affects, render and diff (against the cluster, or the intent diff against the
 * base commit without one), the JSON report, the job summary, one sticky comment (in parts when it must) and the
 * fail-on verdict. A fork's pull request gets the summary only.
 */
export async function planPullRequest(
  request: PlanRequest,
  run: WorkflowRun,
  limits: PlanLimits = { commentLimit: COMMENT_LIMIT, summaryLimit: SUMMARY_LIMIT },
): Promise<Outcome> {
  const { ctx, ports } = run;
  const log = ports.reporter;
  const pr = ctx.pullRequest;
  const cluster = run.cluster.options;
  // Named clusters (kubeplan.yaml clusters:): credentials per cluster from the config; a fork gets the intent diff.
  const named = namesClusters(run, request.config);
  if (!named) refuseClustersInput(run, request);
  const key = named
    ? commentKeyFor(request, `clusters:${[...(request.clusters ?? [])].sort().join(',') || '*'}`)
    : commentKey(request, cluster);
  const comments = request.comment !== 'never' && pr && !pr.fromFork ? ports.comments : undefined;
  const cr = ctx.changeRequestName ?? 'pull request';
  if (pr?.fromFork) log.info(`${cr} from a fork: nothing is written back to it; the plan goes to the job summary only`);
  const offline = named ? pr?.fromFork === true : cluster === undefined;
  if (offline && !pr) {
    throw new UsageError('no cluster for the plan', {
      where: run.where('kubeconfig'),
      hint: `pass ${run.cluster.inputs} (outside ${ctx.changeRequestName ?? 'pull request'}s a plan needs a cluster)`,
    });
  }
  const notices: string[] = [];
  let plan: Plan;
  try {
    let targets = request.targets;
    let unaffected = false;
    if (request.onlyAffected && pr && targets.length === 0) {
      const affected = await affectedSince(run, request.config, pr.baseSha, `this ${cr}`);
      if (affected) {
        targets = affected.targets;
        unaffected = targets.length === 0;
      }
    }
    if (unaffected) return finish(request, run, key.key, unaffectedPlan(cr), limits, key.legacy);
    const result = await diffCommand({
      config: request.config,
      targets,
      tools: run.tools,
      // Offline (a pull request without cluster credentials): the intent diff against the base commit, no cluster.
      ...(named && !offline
        ? namedClusterRun(run, request)
        : (cluster ?? {
            kubeconfig: undefined,
            context: undefined,
            concurrency: 16,
            cwd: run.workingDirectory,
            env: run.env,
          })),
      mode: request.diffMode,
      base: offline ? pr!.baseSha : undefined,
      offline,
      // The pull request's own kubeplan.yaml must not turn on what runs or fetches code while its content renders.
      optInsFrom: pr?.baseSha,
      fetchOptIns: true,
      onNotice: (notice) => {
        notices.push(notice);
        log.notice(notice.replace(/`/g, ''));
      },
      output: 'json',
      forceConflicts: request.forceConflicts,
      // promote.soak: what the upstreams run, from the forge's deployments; the change starts at the base.
      soak: pr
        ? {
            source: ports.deployments?.history
              ? deploymentsSource(ports.deployments.history.bind(ports.deployments), (d) => ctx.commitUrl?.(d.sha))
              : { unavailable: "this run has no token that may read the upstream's deployments" },
            base: pr.baseSha,
          }
        : undefined,
      exitCode: false,
      color: false,
    });
    plan = result.plan;
  } catch (error) {
    if (comments && pr) {
      const body = `${marker('error', key.key)}\n### kubeplan: the plan failed\n\n${notices.map((n) => `> [!NOTE]\n> ${n}\n\n`).join('')}${fencedBlock(formatError(error))}\n\n${stamp(ctx, undefined, new Date())}\n`;
      await reportOrWarn(run, 'write the error comment', () =>
        upsertErrorComment(comments, pr.number, key.key, run.secrets.mask(body)),
      );
    }
    throw error;
  }
  if (offline)
    log.info(
      `no cluster credentials: intent diff against the ${cr}'s base ${pr!.baseSha.slice(0, 12)} (render only, no cluster)`,
    );
  return finish(request, run, key.key, plan, limits, key.legacy);
}

function unaffectedPlan(changeRequest: string): Plan {
  return {
    mode: 'intent',
    modeReason: `no target's files changed in this ${changeRequest}`,
    targets: [],
    summary: emptyCounts(),
    stats: { objects: 0, fastPath: 0, dryRuns: 0, lists: 0, requests: 0 },
  };
}

/** Report, comment, outputs and the fail-on verdict of a finished plan. */
async function finish(
  request: PlanRequest,
  run: WorkflowRun,
  key: string,
  plan: Plan,
  limits: PlanLimits,
  legacyKeys: string[],
): Promise<Outcome> {
  const { ctx, ports, secrets } = run;
  const log = ports.reporter;
  const outcome = emptyOutcome();
  const reportPath = path.join(ctx.tempDir, 'kubeplan-report.json');
  writeReport(reportPath, secrets.mask(formatPlanJson(plan, { head: ctx.pullRequest?.headSha ?? ctx.sha })));
  for (const target of plan.targets) {
    const changed = target.changes.filter((c) => c.action !== 'unchanged');
    log.group(`${target.target}: ${targetCounts(target)}`);
    for (const c of changed)
      log.info(
        `${c.action.padEnd(7)} ${oneLine(c.apiVersion)} ${objectName(c)}${c.digest.length ? `  ${oneLine(c.digest.join('; '))}` : ''}${c.error ? `  error: ${oneLine(c.error.message)}` : ''}`,
      );
    log.endGroup();
  }
  log.info(summaryLine(plan.summary));

  const now = new Date();
  // The short plan digest a reviewer approves: `kubeplan apply --expect-plan` takes the full one (JSON report). The
  // hidden marker repeats every digest for the apply on merge (the fallback of the `kubeplan plan` check run).
  const head = ctx.pullRequest?.headSha ?? ctx.sha;
  const records = planRecords(plan, head, { changes: true });
  const footer = `${stamp(ctx, plan.cluster, now, {
    digest: plan.digests?.plan,
    clusters: plan.clusters?.map((c) => c.name),
  })}${records.map((r) => `\n${digestsMarker(r.record)}`).join('')}`;
  outcome.summary = secrets.mask(
    packCommentParts(plan, {
      limit: limits.summaryLimit,
      marker: () => '',
      fullReportHint: `the full report is ${path.basename(reportPath)} (report-path output)`,
      maxParts: 1,
      full: true,
      stamp: footer,
    })[0]!,
  );

  const commentUrl = await publishPlan(run, plan, outcome, {
    platform: ctx.pullRequest && !ctx.pullRequest.fromFork ? ports.comments : undefined,
    key,
    legacyKeys,
    comment: request.comment,
    labels: request.labels,
    limit: limits.commentLimit,
    footer,
  });

  outcome.failed = planVerdict(plan, request.failOn);
  outcome.annotations.push(...objectErrorAnnotations(plan, run));
  for (const p of plan.policy ?? [])
    outcome.annotations.push({
      level: p.level,
      title: `kubeplan policy ${p.policy} (${p.target})`,
      message: `${p.message} (${p.hint})`,
      file: p.file,
      line: p.line,
    });
  const checks = ctx.pullRequest && !ctx.pullRequest.fromFork ? ports.checks : undefined;
  // One check run per cluster planned (named clusters: the key names the cluster), each with that cluster's digests.
  if (checks)
    for (const { record, cluster } of records)
      await recordPlanInCheckRun(run, checks, cluster ? `${key}@${cluster}` : key, record, plan, outcome);

  const changed = planChanges(plan);
  outcome.outputs = {
    'has-changes': String(changed),
    summary: JSON.stringify(plan.summary),
    'report-path': reportPath,
    'comment-url': commentUrl,
    matrix: JSON.stringify(planMatrix(plan)),
  };
  return outcome;
}

/**
 * What the apply on merge compares with: the plan's digests at this commit, and its canonical changes. With named
 * clusters, one record per cluster planned (its server and CA in the digests, its instances keyed by target name).
 */
export function planRecords(
  plan: Plan,
  head: string,
  options: { changes: boolean },
): { record: PlanRecord; cluster?: string }[] {
  if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(head)) return [];
  if (plan.clusterDigests)
    return plan.clusterDigests.map((c) => ({
      cluster: c.cluster,
      record: { head, digests: c.digests, ...(options.changes ? { changes: c.changes } : {}) },
    }));
  if (!plan.digests) return [];
  return [
    {
      record: {
        head,
        digests: plan.digests,
        ...(options.changes ? { changes: targetChanges(plan) } : {}),
      },
    },
  ];
}

/**
 * The `kubeplan plan` check run on the head commit, with the digests in its output. A token without `checks: write`
 * only warns: the sticky comment's marker holds the digests too.
 */
async function recordPlanInCheckRun(
  run: WorkflowRun,
  checks: PlanChecks,
  key: string,
  record: PlanRecord,
  plan: Plan,
  outcome: Outcome,
): Promise<void> {
  const log = run.ports.reporter;
  await reportOrWarn(run, 'record the plan digests in the `kubeplan plan` check run (checks: write)', async () => {
    const done = await checks.recordPlanCheck(record.head, key, {
      conclusion: outcome.failed ? 'failure' : 'success',
      title: `plan ${record.digests.plan.slice(0, 19)}…: ${summaryLine(plan.summary)}`.slice(0, 200),
      summary: run.secrets.mask(
        `kubeplan planned ${Object.keys(record.digests.targets).length} target(s): ${summaryLine(plan.summary)}. Plan digest \`${record.digests.plan}\`.`,
      ),
      text: run.secrets.mask(checkRunText(record)),
    });
    log.info(`plan check run: ${done}`);
  }).catch((error: unknown) => {
    outcome.error ??= error;
  });
}

/** GitHub shows at most 10 error annotations per step; a few more leave room for the policy ones. */
const OBJECT_ANNOTATIONS = 20;

/**
 * An object the plan could not plan (an RBAC denial, a webhook's rejection, an unknown kind) as an error annotation on
 * the line it was rendered from: a manifest's document, a Helm template's or a Kustomize base's (repository-relative,
 * like the policy annotations). Objects without a known line are in the comment only.
 */
function objectErrorAnnotations(plan: Plan, run: WorkflowRun): Outcome['annotations'] {
  const out: Outcome['annotations'] = [];
  for (const t of plan.targets)
    for (const c of t.changes) {
      if (!c.error || c.source?.line === undefined || /^[a-z]+:\/\//i.test(c.source.file)) continue;
      if (out.length >= OBJECT_ANNOTATIONS) return out;
      out.push({
        level: 'error',
        title: `kubeplan plan of ${t.target}`,
        // Names as they are (not one-lined): the runner's command escaping keeps a newline in a name inside the message.
        message: run.secrets.mask(
          `${c.apiVersion} ${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}: ${c.error.message}${c.error.hint ? ` (${c.error.hint})` : ''}`,
        ),
        file: c.source.file,
        line: c.source.line,
      });
    }
  return out;
}

/**
 * The `matrix` output: the targets with changes (a target whose canary merging starts counts: its objects come after
 * the apply), for a job matrix; with named clusters `{target, cluster}` per instance with changes, so a workflow runs
 * one job per cluster (`strategy.matrix.include: fromJSON(...)`).
 */
export function planMatrix(plan: Plan): (string | { target: string; cluster: string })[] {
  const changed = plan.targets
    .filter((t) => t.changes.some((c) => c.action !== 'unchanged') || startsCanary(t))
    .map((t) => t.target);
  if (!plan.clusters) return changed;
  return changed.map((name) => {
    const at = name.lastIndexOf('@');
    return { target: name.slice(0, at), cluster: name.slice(at + 1) };
  });
}

/** The labels a plan puts on its pull request (`labels: true`); only these are ever taken off. */
export const PLAN_LABELS = {
  changes: {
    name: 'kubeplan:changes',
    color: 'fbca04',
    description: 'kubeplan: the plan creates, updates or deletes objects',
  },
  destroy: { name: 'kubeplan:destroy', color: 'd73a4a', description: 'kubeplan: the plan deletes or replaces objects' },
  none: { name: 'kubeplan:no-changes', color: '0e8a16', description: 'kubeplan: the plan changes nothing' },
} as const satisfies Record<string, LabelSpec>;

/**
 * What a finished plan writes to its pull request: the sticky comment (in parts when it must; an error there is kept
 * in `outcome.error` so the summary and outputs are still written) and, with `labels`, kubeplan's labels. Shared by
 * the plan and the comment-from-report workflows. Returns the URL of the comment's first part, or ''.
 */
export async function publishPlan(
  run: WorkflowRun,
  plan: Plan,
  outcome: Outcome,
  options: {
    /** Where to write; undefined: nothing is written (a fork's pull request, no token). */
    platform: WorkflowRun['ports']['comments'];
    key: string;
    legacyKeys: readonly string[];
    comment: CommentMode;
    labels: boolean;
    limit: number;
    footer: string;
    /** The pull request to write on; the run's own by default. */
    pullRequest?: number | undefined;
  },
): Promise<string> {
  const { ctx, ports, secrets } = run;
  const log = ports.reporter;
  const pr = options.pullRequest ?? ctx.pullRequest?.number;
  const { key, legacyKeys } = options;
  const comments = options.comment === 'never' ? undefined : options.platform;
  let commentUrl = '';
  if (comments && pr !== undefined) {
    // A canary that merging starts (or restarts) is news even when no object changes now: the canary's own objects
    // come after the apply.
    const quiet =
      options.comment === 'on-changes' &&
      !planChanges(plan) &&
      plan.summary.error === 0 &&
      policyErrors(plan).length === 0;
    const parts = packCommentParts(plan, {
      limit: options.limit,
      marker: (i, n) => marker('plan', key, { index: i, total: n }),
      fullReportHint: ctx.runUrl
        ? `the full plan is in the [job summary](${ctx.runUrl})`
        : 'the full plan is in the job summary',
      maxParts: MAX_COMMENT_PARTS,
      stamp: options.footer,
    }).map((part) => secrets.mask(part));
    // A comment GitHub refuses (422) fails the step, after the summary and outputs are written.
    const synced = await reportOrWarn(run, 'write the plan comment', async () => {
      // on-changes: a plan without changes posts nothing, unless an earlier comment must now say "No changes".
      if (quiet) {
        const keys = new Set([key, ...legacyKeys]);
        const earlier = (await ownComments(comments, pr)).some((c) => keys.has(parseMarker(c.body)?.key ?? ''));
        if (!earlier) {
          log.info('plan comment: none posted (comment: on-changes, and this plan has no changes)');
          return undefined;
        }
      }
      return syncPlanComments(comments, pr, key, parts, legacyKeys);
    }).catch((error: unknown) => {
      outcome.error = error;
      return undefined;
    });
    if (synced) {
      commentUrl = synced.urls[0] ?? '';
      log.info(
        `plan comment: ${synced.created} created, ${synced.updated} updated, ${synced.deleted} deleted${synced.minimized ? `, ${synced.minimized} outdated error comment minimized` : ''} (${parts.length} part${parts.length === 1 ? '' : 's'})`,
      );
    }
  }
  if (options.labels && pr !== undefined) await labelPullRequest(run, plan, outcome, options.platform, pr);
  return commentUrl;
}

/** Puts kubeplan's labels for this plan on the pull request and takes its other ones off; no other label is touched. */
async function labelPullRequest(
  run: WorkflowRun,
  plan: Plan,
  outcome: Outcome,
  platform: WorkflowRun['ports']['comments'],
  pr: number,
): Promise<void> {
  const log = run.ports.reporter;
  const cr = run.ctx.changeRequestName ?? 'pull request';
  if (!platform?.setLabels) {
    log.info(`labels: none set (no token that may write to this ${cr})`);
    return;
  }
  const s = plan.summary;
  const wanted: LabelSpec[] = [];
  if (planChanges(plan)) wanted.push(PLAN_LABELS.changes);
  if (s.delete + s.replace > 0) wanted.push(PLAN_LABELS.destroy);
  // A plan with errors and nothing else is not "no changes": it gets none of the three.
  if (!planChanges(plan) && s.error === 0) wanted.push(PLAN_LABELS.none);
  const names = new Set(wanted.map((l) => l.name));
  const remove = Object.values(PLAN_LABELS)
    .map((l) => l.name)
    .filter((n) => !names.has(n));
  await reportOrWarn(run, `label the ${cr}`, async () => {
    await platform.setLabels!(pr, wanted, remove);
    log.info(`labels: ${wanted.map((l) => l.name).join(', ') || "none of kubeplan's"}`);
  }).catch((error: unknown) => {
    outcome.error ??= error;
  });
}

/** Why the step fails, if it does: objects that could not be planned always; else what fail-on names. */
export function planVerdict(plan: Plan, failOn: FailOn): string | undefined {
  const s = plan.summary;
  const clusters = (plan.clusters ?? []).filter((c) => c.error).map((c) => c.name);
  if (clusters.length)
    return `cluster${clusters.length === 1 ? '' : 's'} ${clusters.join(', ')} could not be planned; see the job summary`;
  if (s.error > 0) return `${s.error} object${s.error === 1 ? '' : 's'} could not be planned; see the job summary`;
  const policy = policyErrors(plan);
  if (policy.length > 0)
    return `${policy.length} policy error${policy.length === 1 ? '' : 's'} (${[...new Set(policy.map((p) => `${p.policy} in ${p.target}`))].join(', ')}); see the plan`;
  const fail =
    (failOn === 'changes' && planChanges(plan)) ||
    (failOn === 'destroy' && s.delete + s.replace > 0) ||
    (failOn === 'replace' && s.replace > 0);
  return fail ? `fail-on: ${failOn}: ${summaryLine(s)}` : undefined;
}

/**
 * The sticky comment's key: the comment-key request value, else a hash of the config path, the targets and the
 * cluster (server and context), so matrix jobs over several clusters keep one comment each. `legacy` is the key
 * kubeplan used before the cluster was part of it, so an upgrade edits the old comment instead of adding one.
 */
export function commentKey(
  request: Pick<PlanRequest, 'config' | 'targets' | 'commentKey'>,
  cluster: ClusterOptions | undefined,
): { key: string; legacy: string[] } {
  return commentKeyFor(request, cluster ? clusterIdentity(cluster) : undefined);
}

/** commentKey for a cluster named by its identity (`context@server`, or the server of direct credentials). */
export function commentKeyFor(
  request: Pick<PlanRequest, 'config' | 'targets' | 'commentKey'>,
  identity: string | undefined,
): { key: string; legacy: string[] } {
  const base = `${request.config}|${[...request.targets].sort().join(',')}`;
  const legacy = createHash('sha256').update(base).digest('hex').slice(0, 12);
  if (request.commentKey) return { key: request.commentKey, legacy: [] };
  if (!identity) return { key: legacy, legacy: [] };
  return {
    key: createHash('sha256').update(`${base}|${identity}`).digest('hex').slice(0, 12),
    legacy: [legacy],
  };
}

/** Which cluster a run's credentials reach, without connecting: the direct server, or the kubeconfig context's. */
function clusterIdentity(options: ClusterOptions): string | undefined {
  if (options.direct) return options.direct.server;
  const files = options.kubeconfig
    ? [path.resolve(options.cwd, options.kubeconfig)]
    : (options.env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  type Kubeconfig = {
    'current-context'?: string;
    contexts?: { name?: string; context?: { cluster?: string } }[];
    clusters?: { name?: string; cluster?: { server?: string } }[];
  };
  const docs: Kubeconfig[] = [];
  for (const file of files) {
    try {
      const doc = load(readFileSync(file, 'utf8'));
      if (doc && typeof doc === 'object') docs.push(doc as Kubeconfig);
    } catch {
      // unreadable: the cluster client says so when it connects
    }
  }
  const contextName = options.context ?? docs.find((d) => d['current-context'])?.['current-context'];
  const context = docs.flatMap((d) => d.contexts ?? []).find((c) => c.name === contextName);
  const server = docs.flatMap((d) => d.clusters ?? []).find((c) => c.name === context?.context?.cluster)
    ?.cluster?.server;
  return contextName || server ? `${contextName ?? ''}@${server ?? ''}` : undefined;
}

/**
 * The line that says what was planned: the head commit (linked), the cluster (context and server host, never a
 * credential), the short plan digest, the run and the time. The run and time sit between volatile markers: a re-run
 * whose plan is the same does not edit the comment just to move them.
 */
export function stamp(
  ctx: CiContext,
  cluster: Plan['cluster'],
  at: Date,
  options: { head?: string | undefined; digest?: string | undefined; clusters?: string[] | undefined } = {},
): string {
  const head = options.head ?? ctx.pullRequest?.headSha ?? ctx.sha;
  const digest = options.digest;
  const short = head.slice(0, 7);
  const commit = head ? (ctx.commitUrl ? `[${inlineCode(short)}](${ctx.commitUrl(head)})` : inlineCode(short)) : '';
  let host = '';
  if (cluster) {
    try {
      host = new URL(cluster.server).host;
    } catch {
      host = cluster.server;
    }
  }
  const where = cluster
    ? `cluster ${cluster.context ? `${htmlText(cluster.context)} (${htmlText(host)})` : htmlText(host)}`
    : options.clusters?.length
      ? `cluster${options.clusters.length === 1 ? '' : 's'} ${options.clusters.map(htmlText).join(', ')}`
      : 'no cluster (intent diff)';
  const when = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const runLink = ctx.runUrl ? `[run](${ctx.runUrl}) · ` : '';
  return `<sub>Planned ${commit ? `${commit} ` : ''}against ${where}${digest ? ` · plan ${inlineCode(digest.slice(0, 19))}` : ''}${VOLATILE_START} · ${runLink}${when}${VOLATILE_END}</sub>`;
}

export const VOLATILE_START = '<!-- kubeplan:volatile -->';
export const VOLATILE_END = '<!-- /kubeplan:volatile -->';

/** Writes the JSON report where the runner keeps its files, creating the folder (a runner without RUNNER_TEMP). */
function writeReport(file: string, text: string): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  } catch (error) {
    throw systemError(error as NodeJS.ErrnoException, `write the JSON report ${file}`, {
      where: { directory: path.dirname(file) },
      hint: 'kubeplan keeps its files in RUNNER_TEMP (CI_PROJECT_DIR/.kubeplan on GitLab): make that folder writable',
    });
  }
}
