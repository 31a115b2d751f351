/**
 * Canaries inside `kubeplan apply` (and the `kubeplan canary` commands, which are applies with an instruction): each
 * canary target's render is replaced by the objects of its place before the plan, the Prometheus it is measured with
 * is checked before anything is written, and after the target's apply the canary is moved within the run's budget.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { assessHealth } from '../apply/health.js';
import { sleepUnlessCancelled, throwIfCancelled } from '../cancel.js';
import type { StoredState } from '../canary/state.js';
import { claimCanary, type CanaryDriver, type CanaryRunResult, driveCanary, runIdentity } from '../canary/drive.js';
import { effectiveManifests } from '../canary/effective.js';
import {
  canaryActive,
  type CanaryControl,
  type CanaryPrep,
  type CanaryTarget,
  describeCanary,
  prepareCanary,
} from '../canary/prepare.js';
import { CanaryStateStore } from '../canary/state.js';
import type { ClusterClient } from '../cluster/client.js';
import { loadConfig } from '../config/load-config.js';
import { type ClusterOptions, connectClient } from './cluster-run.js';
import { measure, PrometheusClient, QueryShapeError } from '../canary/prometheus.js';
import { ClusterError, UsageError } from '../errors.js';
import type { Config } from '../config/types.js';
import { planTargets } from '../diff/plan.js';
import type { KubeObject, ManifestSet } from '../manifests/types.js';
import type { ApplyCommandOptions, ApplyingCluster } from './apply.js';
import type { TargetPlan } from '../diff/types.js';
import { emptyResult, type TargetApplyResult } from '../apply/apply.js';

/** What `kubeplan apply` / `kubeplan canary …` asks of canaries. */
export interface CanaryRequest {
  /** `--no-canary`: git's template goes out as the stable version at once. */
  disabled?: boolean;
  /** `kubeplan canary continue|promote|abort|retry`. */
  control?: CanaryControl | undefined;
  /** `--canary-budget`: how long this run may move canaries (ms). */
  budgetMs: number;
}

/** The default of `--canary-budget`: a CI job moves its canary this long, then a schedule (or canary continue) goes on. */
export const DEFAULT_CANARY_BUDGET_MS = 15 * 60_000;

/**
 * The sets with each canary target's objects at its place, and what each canary target found. Nothing is written;
 * bad canary input throws (exit 2) before anything else is read from the cluster.
 */
export async function prepareCanaries(
  config: Config,
  sets: ManifestSet[],
  client: ClusterClient,
  options: {
    commit: string | undefined;
    request?: CanaryRequest | undefined;
    onWarning?: ((m: string) => void) | undefined;
  },
): Promise<{ sets: ManifestSet[]; preps: Map<string, CanaryPrep> }> {
  const preps = new Map<string, CanaryPrep>();
  const now = new Date();
  const out: ManifestSet[] = [];
  for (const set of sets) {
    const target = config.targets.find((t) => t.name === set.target);
    if (!target?.canary || target.namespace === undefined) {
      out.push(set);
      continue;
    }
    const prep = await prepareCanary(set, target as CanaryTarget, client, {
      commit: options.commit,
      noCanary: options.request?.disabled ?? false,
      control: options.request?.control,
      now,
    });
    for (const w of prep.warnings) options.onWarning?.(`target ${set.target}: ${w}`);
    preps.set(set.target, prep);
    out.push({ ...set, manifests: prep.manifests });
  }
  return { sets: out, preps };
}

function noCanaryTarget(config: Config) {
  return new UsageError('none of the selected targets has a canary', {
    where: { file: config.file },
    hint: 'give a target a canary: block in kubeplan.yaml, or pass --target with one that has it',
  });
}

/**
 * Before anything is written: every Prometheus a canary that moves in this run is measured with answers `vector(1)`,
 * and each metric's query gives one number (or nothing yet). A refusal is exit 2 with nothing written.
 */
export async function preflightCanaries(
  preps: Map<string, CanaryPrep>,
  env: NodeJS.ProcessEnv,
  onSecret: ((value: string) => void) | undefined,
): Promise<Map<string, PrometheusClient>> {
  const clients = new Map<string, PrometheusClient>();
  for (const prep of preps.values()) {
    if (!moves(prep)) continue;
    const client = new PrometheusClient(prep.config.analysis.prometheus, { env, mask: onSecret });
    await client.preflight();
    for (const metric of prep.config.analysis.metrics) {
      const m = await measure(client, metric, queryVariables(prep));
      if (m.result === 'error' && (m.status === 400 || m.status === 422))
        throw new QueryShapeError(`the metric ${metric.name} of target ${prep.target}: ${m.reason}`, {
          where: { target: prep.target },
          hint: 'fix the query in canary.analysis.metrics (try it in the Prometheus UI with the {{ }} values filled in); nothing was written',
        });
    }
    clients.set(prep.target, client);
  }
  return clients;
}

const moves = (prep: CanaryPrep) => prep.start === 'start' || prep.start === 'restart' || prep.start === 'resume';

function queryVariables(prep: CanaryPrep) {
  const name = prep.spec.workload.name;
  return { canary: `${name}-canary`, stable: name, namespace: prep.namespace, interval: prep.config.analysis.interval };
}

/** What the canary part of an apply needs from the apply around it. */
export interface CanaryApplyContext {
  applying: ApplyingCluster;
  options: ApplyCommandOptions;
  /** The apply's plan options, to plan a place of the target as the apply planned it. */
  planOptions: Parameters<typeof planTargets>[3];
  apply: (
    target: TargetPlan,
    revision: boolean,
    waitTimeoutMs: number | undefined,
  ) => Promise<{ result: TargetApplyResult } | { failure: unknown; partial: TargetApplyResult }>;
  prometheus: PrometheusClient;
  budgetEnd: number;
}

/**
 * Claims the canary before the target is written (another live run holding it stops this one, exit 3); the command's
 * instruction (`canary continue`, `promote`, `abort`) is applied to the state then.
 */
function claimForApply(prep: CanaryPrep, options: ApplyCommandOptions) {
  return claimCanary(prep, runIdentity(options.env), options.canary?.control, new Date());
}

/** After the target's apply: moves the claimed canary within the run's budget. */
function runCanary(prep: CanaryPrep, claimed: StoredState, ctx: CanaryApplyContext): Promise<CanaryRunResult> {
  return driveCanary(prep, claimed, runIdentity(ctx.options.env), ctx.budgetEnd, canaryDriver(prep, ctx));
}

function canaryDriver(prep: CanaryPrep, ctx: CanaryApplyContext): CanaryDriver {
  const { client, resources } = ctx.applying;
  const waitMs = ctx.options.waitTimeoutMs ?? 5 * 60_000;
  const progress = (m: string) => ctx.options.onProgress?.(m);
  return {
    async applyAt(place, { revision, wait }) {
      const { manifests } = effectiveManifests(prep.git, prep.spec, place);
      const plan = await planTargets(
        [{ target: prep.target, namespace: prep.namespace, manifests }],
        client,
        resources,
        ctx.planOptions,
      );
      const outcome = await ctx.apply(plan.targets[0]!, revision, wait ? waitMs : undefined);
      if ('failure' in outcome) throw outcome.failure;
    },
    async healthy(which, budgetEnd) {
      const deadline = Math.min(budgetEnd, Date.now() + waitMs);
      const name = which === 'canary' ? `${prep.spec.workload.name}-canary` : prep.spec.workload.name;
      const path = `/apis/apps/v1/namespaces/${encodeURIComponent(prep.namespace)}/deployments/${encodeURIComponent(name)}`;
      let reason = 'not read yet';
      for (;;) {
        throwIfCancelled(ctx.options.signal, 'while waiting for the canary to become healthy');
        try {
          const live = (await client.request<KubeObject>('GET', path)).body;
          const health = assessHealth(live);
          if (health.state === 'ready') return { healthy: true };
          if (health.state === 'failed') return { healthy: false, reason: health.reason, timedOut: false };
          reason = health.reason;
        } catch (error) {
          if (!(error instanceof ClusterError && error.status === 404)) throw error;
          reason = `Deployment ${prep.namespace}/${name} does not exist`;
        }
        if (Date.now() >= deadline)
          return {
            healthy: false,
            reason: `not healthy after ${Math.round(waitMs / 1000)} s: ${reason}`,
            timedOut: true,
          };
        await sleep(1000);
      }
    },
    async measure() {
      const vars = queryVariables(prep);
      return Promise.all(prep.config.analysis.metrics.map((m) => measure(ctx.prometheus, m, vars)));
    },
    progress,
    now: () => new Date(),
    sleep: (ms) => sleepUnlessCancelled(ms, ctx.options.signal, 'the canary’s wait ended'),
  };
}

/**
 * A canary target's apply: claim its canary (before anything is written), apply its place, then move the canary.
 * A failure (another run holds it, a write or a move failed) is returned like any target's, with what was written.
 */
export async function applyCanaryTarget(
  prep: CanaryPrep,
  target: TargetPlan,
  ctx: Omit<CanaryApplyContext, 'prometheus'> & { prometheus: PrometheusClient | undefined },
): Promise<
  ({ result: TargetApplyResult } | { failure: unknown; partial: TargetApplyResult }) & {
    canary?: CanaryRunResult | undefined;
  }
> {
  let claimed: StoredState | undefined;
  try {
    claimed = await claimForApply(prep, ctx.options);
  } catch (error) {
    return { failure: error, partial: emptyResult(target.target) };
  }
  const outcome = await ctx.apply(target, prep.storesRevision, ctx.options.waitTimeoutMs);
  if ('failure' in outcome) return outcome;
  outcome.result.notes.push(`canary: ${prep.note}`);
  if (!claimed || !moves(prep) || !ctx.prometheus) return outcome;
  try {
    return { ...outcome, canary: await runCanary(prep, claimed, { ...ctx, prometheus: ctx.prometheus }) };
  } catch (error) {
    return { failure: error, partial: outcome.result };
  }
}

/** The canary's lines under its target in apply's text report. */
export function canaryText(c: CanaryRunResult): string[] {
  const at = `step ${c.step}/${c.steps}, ${c.weight} %`;
  const head =
    c.exitCode === 0
      ? `canary of ${c.commit.slice(0, 7)}: promoted after ${c.steps} step${c.steps === 1 ? '' : 's'}${c.message === 'promoted' ? '' : ` (${c.message})`}`
      : c.exitCode === 1
        ? `canary of ${c.commit.slice(0, 7)}: ROLLED BACK: ${c.message}`
        : `canary of ${c.commit.slice(0, 7)}: not finished at ${at} (${c.phase}): ${c.message}`;
  const last = c.measurements
    .slice(-3)
    .map((m) => `    ${m.at} ${m.metric}: ${m.result}${m.value !== undefined ? ` ${m.value}` : ''}`);
  return [`  ${head}`, ...(last.length ? ['  last measurements:', ...last] : [])];
}

/** `kubeplan canary status`: each selected canary target's stored state, read-only. */
export async function canaryStatusCommand(
  options: ClusterOptions & { config: string; targets: string[]; output: 'text' | 'json' },
): Promise<{ report: string; underWay: boolean }> {
  const config = loadConfig(options.config, options.cwd);
  const targets = canaryTargetNames(config, options.targets);
  const client = await connectClient(options);
  const now = Date.now();
  const rows = await Promise.all(
    targets.map(async (name) => {
      const target = config.targets.find((t) => t.name === name)! as CanaryTarget;
      const stored = await new CanaryStateStore(client, name, target.namespace).read();
      return { target, state: stored?.state };
    }),
  );
  const underWay = rows.some((r) => canaryActive(r.state));
  if (options.output === 'json')
    return {
      underWay,
      report: `${JSON.stringify({ version: 1, canaries: rows.map((r) => ({ target: r.target.name, steps: r.target.canary.steps.length, state: r.state ?? null })) }, null, 2)}\n`,
    };
  const out: string[] = [];
  const ago = (iso: string | undefined) =>
    iso ? `${Math.max(0, Math.round((now - Date.parse(iso)) / 1000))} s ago` : '–';
  for (const { target, state } of rows) {
    const steps = target.canary.steps.length;
    if (!state) {
      out.push(`── target ${target.name}: no canary has run (one starts when kubeplan apply changes the pod template)`);
      continue;
    }
    out.push(
      `── target ${target.name}: ${canaryActive(state) ? describeCanary(state, steps) : `canary of ${state.commit.slice(0, 7)}`}: ${state.phase}`,
      `  started ${state.startedAt} (${ago(state.startedAt)}); step started ${ago(state.stepStartedAt)}; looked after ${ago(state.attendedAt)}`,
      `  ${state.holder ? `moved by ${state.holder.run} (heartbeat ${ago(state.holder.heartbeat)})` : 'no run moves it now'}`,
    );
    if (state.message) out.push(`  ${state.message}`);
    out.push(
      `  analysis: ${state.counters.failures} out of range (limit ${target.canary.analysis.limits.failureLimit}), ${state.counters.noData} without data (limit ${target.canary.analysis.limits.noDataLimit}), ${state.counters.consecutiveErrors} errors in a row (limit ${target.canary.analysis.limits.errorLimit})`,
    );
    for (const m of state.measurements.slice(-5))
      out.push(`    ${m.at} ${m.metric}: ${m.result}${m.value !== undefined ? ` ${m.value}` : ''}`);
    if (state.failedTemplates.length && !canaryActive(state))
      out.push(
        `  ${state.failedTemplates.length} pod template${state.failedTemplates.length === 1 ? '' : 's'} held back after a failed canary: kubeplan canary retry --target ${target.name} tries git's again`,
      );
  }
  return { underWay, report: `${out.join('\n')}\n` };
}

/** The targets a `kubeplan canary` command acts on: those named (each must have a canary), else every canary target. */
export function canaryTargetNames(config: Config, named: readonly string[]): string[] {
  const withCanary = config.targets.filter((t) => t.canary).map((t) => t.name);
  if (withCanary.length === 0) throw noCanaryTarget(config);
  for (const name of named)
    if (!withCanary.includes(name))
      throw new UsageError(
        config.targets.some((t) => t.name === name) ? `target ${name} has no canary` : `unknown target "${name}"`,
        {
          where: { via: 'cli', command: 'canary', input: 'target' },
          hint: `the targets with a canary are ${withCanary.join(', ')}`,
        },
      );
  return named.length ? [...named] : withCanary;
}

/**
 * When this run stops moving canaries: its budget, or shortly before a credential that cannot be renewed expires (a
 * fixed token; GitHub OIDC tokens are renewed), so the run stops with the state stored instead of failing half-way.
 */
export function canaryBudgetEnd(
  started: number,
  budgetMs: number,
  client: Pick<ClusterClient, 'credentialExpiresAt'>,
  warn: (message: string) => void,
): number {
  const end = started + budgetMs;
  const expires = client.credentialExpiresAt();
  if (!expires) return end;
  const capped = expires.getTime() - 30_000;
  if (capped >= end) return end;
  warn(
    `the cluster token expires at ${expires.toISOString()}: canaries are moved until 30 s before it, not for the whole --canary-budget; use GitHub OIDC (renewed) or a longer-lived token`,
  );
  return Math.max(started, capped);
}

/** The canary's route: kubeplan writes its weights, so it takes the route's fields back from a hand edit. */
export function canaryTakesOver(prep: CanaryPrep | undefined, object: KubeObject): boolean {
  if (!prep) return false;
  const traffic = prep.spec.traffic;
  const [kind, name] =
    traffic.mode === 'gatewayAPI'
      ? ['HTTPRoute', traffic.route]
      : traffic.mode === 'istio'
        ? ['VirtualService', traffic.virtualService]
        : [undefined, undefined];
  return (
    object.kind === kind &&
    object.metadata.name === name &&
    (object.metadata.namespace ?? prep.namespace) === prep.namespace
  );
}

/** The canary Deployment: a failing canary is the canary's to roll back, not a failed apply. */
export function canaryJudges(prep: CanaryPrep | undefined, object: KubeObject): boolean {
  return (
    prep !== undefined &&
    object.kind === 'Deployment' &&
    object.metadata.name === `${prep.spec.workload.name}-canary` &&
    (object.metadata.namespace ?? prep.namespace) === prep.namespace
  );
}

/** The last line of apply's text report about canaries: what each one came to. */
export function canarySummary(canaries: readonly CanaryRunResult[]): string {
  const what = (c: CanaryRunResult) =>
    c.exitCode === 0
      ? `${c.target} promoted`
      : c.exitCode === 1
        ? `${c.target} ROLLED BACK`
        : `${c.target} not finished (step ${c.step}/${c.steps}, ${c.weight} %)`;
  return `Canary: ${canaries.map(what).join(', ')}.`;
}
