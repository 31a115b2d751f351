/**
 * Canaries in CI, the same on GitHub and GitLab: what a canary a run moved means for the job (a rolled-back canary
 * fails it; one not finished does not, and says what moves it on), its deployment status, its row in the summary and
 * the `canaries` output; and `command: canary`, which a schedule runs to move every unfinished canary on.
 */
import type { CanaryRunResult } from '../canary/drive.js';
import type { CanaryState } from '../canary/state.js';
import { canaryStatusCommand } from '../commands/canary-apply.js';
import { UsageError } from '../errors.js';
import { markdownText } from '../report/escape.js';
import type { Annotation, DeploymentRecord, Deployments, DeploymentState } from '../../platform/types.js';
import { applyPush } from './apply.js';
import type { CanaryCommandRequest } from './request.js';
import { emptyOutcome, type Outcome, type WorkflowRun } from './types.js';

/** What moves a canary that is not finished on, in words both platforms' users can act on. */
const MOVES_ON =
  'a scheduled run with schedule-command: canary moves it on (or a run with command: canary; kubeplan canary continue)';
const APPROVE = 'approve it with command: canary and canary-action: continue (kubeplan canary continue)';

/** `canary 10 % (step 1/3)`: where a canary is. */
export function canaryPlace(c: Pick<CanaryRunResult, 'weight' | 'step' | 'steps'>): string {
  return `canary ${c.weight} % (step ${c.step}/${c.steps})`;
}

/** The status of the target's deployment after the run moved its canary. */
export function canaryDeploymentStatus(c: CanaryRunResult): { state: DeploymentState; description: string } {
  if (c.exitCode === 0) return { state: 'success', description: `canary of ${c.commit.slice(0, 7)} promoted` };
  if (c.exitCode === 1) return { state: 'failure', description: `canary rolled back: ${c.message}` };
  return { state: 'in_progress', description: canaryPlace(c) };
}

/** The `canaries` output: per canary where it is and how it ended (0 promoted, 1 rolled back, 3 not finished). */
export function canariesOutput(canaries: readonly CanaryRunResult[]): string {
  return JSON.stringify(
    canaries.map(({ target, phase, step, steps, weight, exitCode }) => ({
      target,
      phase,
      step,
      steps,
      weight,
      exitCode,
    })),
  );
}

/**
 * The job's verdict on its canaries: a rolled-back one fails it (one line naming the target and the reason, and an
 * error annotation per canary); one not finished is a notice (through the reporter, so GitLab's log has it too) that
 * says what moves it on.
 */
export function canaryVerdict(canaries: readonly CanaryRunResult[]): {
  failed: string | undefined;
  annotations: Annotation[];
  notices: string[];
} {
  const annotations: Annotation[] = [];
  const rolledBack = canaries.filter((c) => c.exitCode === 1);
  for (const c of rolledBack)
    annotations.push({
      level: 'error',
      title: 'kubeplan canary',
      message: `target ${c.target}: the canary of ${c.commit.slice(0, 7)} was rolled back: ${c.message}`,
    });
  const notices = canaries
    .filter((x) => x.exitCode === 3)
    .map(
      (c) =>
        `target ${c.target}: the canary of ${c.commit.slice(0, 7)} is not finished, at ${canaryPlace(c)}: ${c.message}; ${c.phase === 'Paused' ? APPROVE : MOVES_ON}`,
    );
  const failed = rolledBack.length
    ? `the canary of ${rolledBack.map((c) => `target ${c.target} was rolled back: ${c.message}`).join('; the canary of ')}`
    : undefined;
  return { failed, annotations, notices };
}

/** The summary's canary table: target, phase, step, weight, the last measurements, and what happened. */
export function canarySummary(canaries: readonly CanaryRunResult[]): string {
  if (!canaries.length) return '';
  const out = [
    '**Canaries**',
    '',
    '| target | phase | step | weight | last measurements | message |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const c of canaries) {
    const head = c.exitCode === 0 ? '✅ ' : c.exitCode === 1 ? '❌ ' : '⏸️ ';
    out.push(
      `| ${markdownText(c.target)} | ${head}${c.phase} | ${c.step}/${c.steps} | ${c.weight} % | ${lastMeasurements(c.measurements)} | ${markdownText(c.message)} |`,
    );
  }
  const open = canaries.filter((c) => c.exitCode === 3);
  if (open.length)
    out.push(
      '',
      `Not finished: ${open.map((c) => markdownText(c.target)).join(', ')}; ${open.some((c) => c.phase === 'Paused') ? `${APPROVE}; otherwise ` : ''}${MOVES_ON}.`,
    );
  return `${out.join('\n')}\n`;
}

/** The newest measurement of each metric, as one table cell. */
function lastMeasurements(measurements: CanaryState['measurements']): string {
  const newest = new Map<string, CanaryState['measurements'][number]>();
  for (const m of measurements) newest.set(m.metric, m);
  if (!newest.size) return '–';
  return [...newest.values()]
    .map((m) => markdownText(`${m.metric}: ${m.value !== undefined ? `${m.value} ` : ''}(${m.result})`))
    .join('<br>');
}

/**
 * The deployment a canary of `commit` keeps in progress in `environment` (the apply that started it made it): the
 * newest one of that commit whose newest status is still in progress. Undefined when there is none (or no history).
 */
export async function openCanaryDeployment(
  deployments: Deployments,
  environment: string,
  commit: string,
): Promise<number | undefined> {
  if (!deployments.history) return undefined;
  const newest = (d: DeploymentRecord) =>
    d.statuses.reduce<DeploymentRecord['statuses'][number] | undefined>(
      (a, s) => (a === undefined || Date.parse(s.createdAt) > Date.parse(a.createdAt) ? s : a),
      undefined,
    );
  const found = (await deployments.history(environment))
    .filter((d) => d.sha === commit)
    .filter((d) => ['in_progress', 'running', 'queued', 'pending'].includes(newest(d)?.state ?? ''))
    .sort((a, b) => b.id - a.id)[0];
  return found?.id;
}

/**
 * `command: canary`: every unfinished canary (of `targets`, default all) moved on within the budget, or approved,
 * promoted, aborted or retried (`canary-action`); `status` only reports them. A schedule runs `continue`.
 */
export async function canaryCommand(request: CanaryCommandRequest, run: WorkflowRun): Promise<Outcome> {
  if (request.action !== 'status')
    return applyPush(
      {
        command: 'apply',
        config: request.config,
        targets: request.targets,
        onlyAffected: false,
        forceConflicts: request.forceConflicts,
        waitTimeoutMs: request.waitTimeoutMs,
        timeoutMs: request.timeoutMs,
        deployments: request.deployments,
        expectPlan: undefined,
        canary: { disabled: false, budgetMs: request.budgetMs },
      },
      run,
      request.action,
    );
  const cluster = run.cluster.options;
  if (!cluster)
    throw new UsageError('canary status needs a cluster (read-only rights are enough)', {
      where: run.where('kubeconfig'),
      hint: `pass ${run.cluster.inputs}`,
    });
  const status = await canaryStatusCommand({
    ...cluster,
    config: request.config,
    targets: request.targets,
    output: 'json',
  });
  const { canaries } = JSON.parse(status.report) as {
    canaries: { target: string; steps: number; state: CanaryState | null }[];
  };
  const results: CanaryRunResult[] = canaries
    .filter((c) => c.state)
    .map(({ target, steps, state }) => {
      const s = state!;
      const ended = s.phase === 'Succeeded' || s.phase === 'Failed';
      return {
        target,
        phase: s.phase,
        step: Math.min(s.step + 1, steps),
        steps,
        weight: s.weight,
        commit: s.commit,
        exitCode: s.phase === 'Succeeded' ? 0 : s.phase === 'Failed' ? 1 : 3,
        message: s.message ?? (ended ? s.phase.toLowerCase() : 'under way'),
        measurements: s.measurements,
      };
    });
  const outcome = emptyOutcome();
  outcome.outputs = { canaries: canariesOutput(results) };
  const none = canaries.filter((c) => !c.state).map((c) => c.target);
  outcome.summary = run.secrets.mask(
    [
      '### kubeplan canary status',
      '',
      canarySummary(results).replace(/\n\nNot finished:[^\n]*\n$/, '\n'),
      none.length ? `No canary has run for ${none.map((t) => markdownText(t)).join(', ')}.\n` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  return outcome;
}
