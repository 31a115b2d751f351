import { applyTarget, bundleDigest, emptyResult, stageOf, type TargetApplyResult } from '../apply/apply.js';
import {
  bindingDrift,
  type CanonicalChange,
  type PlanDigests,
  planDigests,
  targetChanges,
} from '../diff/plan-digest.js';
import { notDone, type NotDone } from '../apply/not-done.js';
import { orderTargets } from '../apply/order.js';
import { ApplyError } from '../apply/apply-error.js';
import { RevisionStore } from '../apply/revisions.js';
import { rollbackTarget, rolledBackError } from '../apply/rollback.js';
import { cancelReason, CancelledError, throwIfCancelled, waitForAbort } from '../cancel.js';
import { BindingError, KubeplanError, ToolError, type Where } from '../errors.js';
import { openCluster, type ClusterOptions } from './cluster-run.js';
import {
  applyCanaryTarget,
  type CanaryRequest,
  canaryBudgetEnd,
  canaryJudges,
  canarySummary,
  canaryTakesOver,
  canaryTargetNames,
  canaryText,
  DEFAULT_CANARY_BUDGET_MS,
  preflightCanaries,
  prepareCanaries,
} from './canary-apply.js';
import type { CanaryRunResult } from '../canary/drive.js';
import { refuseClusterFilter } from './diff.js';
import { applyNamedClusters, byDependencies, type InstanceOutcome } from './named-apply.js';
import type { NamedClustersRequest } from './named-plan.js';
import { loadConfig } from '../config/load-config.js';
import type { ApplyPolicy, BindingMode, DeploymentTarget, IgnoreRule, TargetPolicy } from '../config/types.js';
import type { ReviewAudit } from '../apply/apply.js';
import type { ClusterClient } from '../cluster/client.js';
import type { ResourceMap } from '../cluster/discovery.js';
import { headCommit, isAncestor } from '../git/ancestry.js';
import { planTargets } from '../diff/plan.js';
import { SecretScrubber } from '../diff/secrets.js';
import type { Plan, TargetPlan } from '../diff/types.js';
import type { KubeObject, ManifestSet } from '../manifests/types.js';
import { targetsOnClusters } from '../cluster/named-clusters.js';
import { renderTargets } from '../render/render-targets.js';
import type { ToolOverrides } from '../render/tools.js';
import { hookRows, objectName, summaryLine } from '../report/common.js';

export interface ApplyCommandOptions extends ClusterOptions, Partial<NamedClustersRequest> {
  config: string;
  targets: string[];
  tools: ToolOverrides;
  /** Plan only: report what would be applied, write nothing. */
  dryRun: boolean;
  forceConflicts: boolean;
  allowEmpty: boolean;
  noHooks: boolean;
  /** Wait until written objects are healthy, at most this long (undefined: --no-wait). */
  waitTimeoutMs: number | undefined;
  /** How long each Helm hook may run: --timeout, which holds for hooks under --no-wait too (default 5 minutes). */
  hookTimeoutMs?: number | undefined;
  onProgress?: (message: string) => void;
  /** A warning for the run's summary and annotations (the CLI prints it on stderr). */
  onWarning?: (message: string) => void;
  output: 'text' | 'json';
  tooling: string;
  /**
   * Apply only this plan: the reviewed digests (and changes) of a plan file (`--plan`), or one plan digest
   * (`--expect-plan`). Anything else is a BindingError before anything is written.
   */
  expect?: {
    digests: Pick<PlanDigests, 'plan'> & Partial<PlanDigests>;
    changes?: Record<string, CanonicalChange[]>;
    where?: Where | undefined;
  };
  /**
   * Plan binding on merge: called with the plan and its canonical changes before anything is written; returns the
   * targets to hold (nothing of them is written, the others are applied) and, per target, what the inventory records
   * about the review (the pull request and its approvers).
   */
  bind?: (
    plan: Plan & { digests: PlanDigests },
    changes: Record<string, CanonicalChange[]>,
    modes: Record<string, BindingMode>,
    /** Named clusters: the cluster this plan is of (called once per cluster); its targets are that cluster's. */
    cluster?: string,
  ) => Promise<{ hold: ReadonlySet<string>; audit: Record<string, ReviewAudit> }>;
  /**
   * kubeplan recover: `beforeWrite` is called once per cluster after it is planned and before anything is written
   * there (with --dry-run too); when it throws, the run stops with nothing written. `install(target)`: the recovery
   * wrote that target's inventory first (its commit guard), so its Helm hooks run as install hooks.
   */
  recover?: {
    beforeWrite(cluster: { name: string | undefined; applying: ApplyingCluster; targets: TargetPlan[] }): Promise<void>;
    install(target: string): boolean;
  };
  /** Canaries: `--no-canary`, `--canary-budget`, and the instruction of a `kubeplan canary` command. */
  canary?: CanaryRequest | undefined;
  /** Registers a secret (the Prometheus token) with the run's mask the moment it is read. */
  onSecret?: ((value: string) => void) | undefined;
  /** Called around each target, e.g. to report GitHub Deployments; an error in the target is passed and rethrown. */
  around?: {
    before(target: string, deployment: DeploymentTarget): Promise<void>;
    after(
      target: string,
      result: TargetApplyResult | undefined,
      error: unknown,
      /** The target's canary, where this run left it (a canary target that moved one). */
      canary?: CanaryRunResult,
    ): Promise<void>;
  };
}

export interface ApplyCommandResult {
  plan: Plan;
  /** The targets that finished, in the order they were applied. */
  results: TargetApplyResult[];
  /**
   * The apply stopped (a target failed, or it was cancelled): the target that stopped with what it wrote before, and
   * per target what was not done. The report (text and JSON) lists both; the caller reports `failure` after it.
   */
  stopped?: StoppedApply;
  failure?: unknown;
  report: string;
  /** Named clusters: every instance, applied, failed or skipped (with why). */
  instances?: InstanceOutcome[];
  /** The canaries this run moved: where each one ended or stopped. */
  canaries?: CanaryRunResult[];
}

export interface StoppedApply {
  /** The target that failed or was cancelled; undefined when cancelled between targets. */
  target: TargetApplyResult | undefined;
  /** Every step not done, per target (the stopped one and those never started), in apply order. */
  notDone: { target: string; steps: NotDone[] }[];
}

/**
 * `kubeplan apply`: render, plan (server mode), then apply target by target; a failing target stops the run. A
 * failure after the plan is returned (`failure`, with `stopped`) rather than thrown, so the report can say what was
 * written before it and what was not done.
 */
export async function applyCommand(options: ApplyCommandOptions): Promise<ApplyCommandResult> {
  const config = loadConfig(options.config, options.cwd);
  // kubeplan canary continue|promote|abort|retry: the canary targets only.
  if (options.canary?.control) options = { ...options, targets: canaryTargetNames(config, options.targets) };
  let sets: ManifestSet[];
  try {
    // --cluster: only the targets on those clusters (none there: nothing to render).
    const selected = targetsOnClusters(config, options.targets, options.clusters ?? []);
    sets =
      selected?.length === 0
        ? []
        : await renderTargets(config, {
            targets: selected ?? options.targets,
            tools: options.tools,
            env: options.env,
            cwd: options.cwd,
          });
  } catch (error) {
    // Ctrl-C reaches helm and kustomize too: their failure is the cancellation, not a render error. The tool may die
    // before kubeplan's own handler has run: give the signal a moment to arrive.
    if (error instanceof ToolError && error.signal) await waitForAbort(options.signal, 1000);
    throwIfCancelled(options.signal, 'the render finished; nothing was written');
    throw error;
  }
  throwIfCancelled(options.signal, 'connecting to the cluster; nothing was written');
  if (config.clusters) return applyNamedClusters(config, sets, options);
  refuseClusterFilter(options);
  const started = Date.now();
  // The head commit (a git subprocess) is read while the client connects and discovers.
  const [{ client, resources, ignore, policy: policyMap, repository, configFile }, sha] = await Promise.all([
    openCluster(config, options),
    headCommit(config.repoRoot, options.env),
  ]);
  // Canary targets apply the objects of their canary's place (read from the cluster; nothing written yet).
  const canaries = await prepareCanaries(config, sets, client, {
    commit: sha,
    request: options.canary,
    onWarning: options.onWarning,
  });
  sets = canaries.sets;
  const policies = new Map(config.targets.map((t) => [t.name, t.apply]));
  // A canary's route is written by kubeplan alone (its backend list is atomic): a hand edit is taken back.
  const forceConflicts = (target: string, object?: KubeObject) =>
    options.forceConflicts ||
    (policies.get(target)?.forceConflicts ?? false) ||
    (object !== undefined && canaryTakesOver(canaries.preps.get(target), object));
  const prometheus = options.dryRun
    ? new Map()
    : await preflightCanaries(canaries.preps, options.env, options.onSecret);
  // Learns every Secret value the plan sees: apply and hook errors (server messages may echo objects) are scrubbed too.
  const scrubber = new SecretScrubber();
  const deploymentOf = (name: string) =>
    config.targets.find((t) => t.name === name)?.deployment ?? { environment: name, production: true };
  const planOptions = {
    mode: 'server' as const,
    modeReason: 'apply plans with server-side dry-runs',
    ignore,
    policy: policyMap,
    repository,
    configFile,
    scrubber,
    forceConflicts,
  };
  const planned = await planTargets(sets, client, resources, planOptions);
  // The plan accepts a namespace or a CRD that any target creates: the targets that create them run first; a target's
  // dependsOn targets run before it.
  const plan: Plan = { ...planned, targets: byDependencies(config, orderTargets(planned.targets)) };
  plan.digests = planDigests(plan, sets, { server: client.server, caSha256: client.caSha256 });
  const binds = options.bind && !options.dryRun ? options.bind : undefined;
  // The canonical changes only when a binding compares them (one pass for both).
  const changes = options.expect || binds ? targetChanges(plan) : {};
  if (options.expect) refuseUnexpectedPlan(options.expect, plan.digests, changes);
  let held: ReadonlySet<string> = new Set();
  let audit: Record<string, ReviewAudit> = {};
  if (binds) {
    const modes = Object.fromEntries(config.targets.map((t) => [t.name, t.apply.binding]));
    ({ hold: held, audit } = await binds(plan as Plan & { digests: PlanDigests }, changes, modes));
  }
  const results: TargetApplyResult[] = [];
  const canaryResults: CanaryRunResult[] = [];
  const budgetEnd = canaryBudgetEnd(started, options.canary?.budgetMs ?? DEFAULT_CANARY_BUDGET_MS, client, (m) =>
    canaries.preps.size ? options.onWarning?.(m) : undefined,
  );
  const commit = sha
    ? { sha, isAncestor: (older: string, newer: string) => isAncestor(config.repoRoot, older, newer, options.env) }
    : undefined;
  let stopped: StoppedApply | undefined;
  let stoppedBy: unknown;
  const steps = (t: TargetPlan, done: TargetApplyResult) => ({
    target: t.target,
    steps: notDone(t, done, { wait: options.waitTimeoutMs !== undefined, hooks: !options.noHooks }),
  });
  const applying: ApplyingCluster = {
    client,
    resources,
    ignore,
    policy: policyMap,
    repository,
    configFile,
    scrubber,
    sha,
    commit,
    policies,
    forceConflicts,
    canaryJudges: (target: string, object: KubeObject) => canaryJudges(canaries.preps.get(target), object),
  };
  await options.recover?.beforeWrite({ name: undefined, applying, targets: plan.targets });
  if (!options.dryRun) {
    for (const [index, target] of plan.targets.entries()) {
      const rest = plan.targets.slice(index + 1).map((t) => steps(t, emptyResult(t.target)));
      if (options.signal?.aborted) {
        stoppedBy = cancelledBefore(options.signal, plan, index, results);
        stopped = { target: undefined, notDone: [steps(target, emptyResult(target.target)), ...rest] };
        break;
      }
      if (held.has(target.target)) continue;
      await options.around?.before(target.target, deploymentOf(target.target));
      const review = { planDigest: plan.digests.targets[target.target]?.plan, ...audit[target.target] };
      const prep = canaries.preps.get(target.target);
      const outcome = prep
        ? await applyCanaryTarget(prep, target, {
            applying,
            options,
            planOptions,
            apply: (t, revision, waitTimeoutMs) =>
              applyPlannedTarget(t, applying, { ...options, waitTimeoutMs }, [], review, { storeRevision: revision }),
            prometheus: prometheus.get(target.target),
            budgetEnd,
          })
        : await applyPlannedTarget(target, applying, options, plan.targets.slice(index + 1), review);
      const canary = 'canary' in outcome ? (outcome.canary as CanaryRunResult | undefined) : undefined;
      if (canary) canaryResults.push(canary);
      if ('failure' in outcome) {
        await options.around?.after(target.target, undefined, outcome.failure);
        stopped = { target: outcome.partial, notDone: [steps(target, outcome.partial), ...rest] };
        stoppedBy = outcome.failure;
        break;
      }
      await options.around?.after(target.target, outcome.result, undefined, canary);
      results.push(outcome.result);
    }
  }
  const moved = plan.targets.some((t, i) => planned.targets[i]!.target !== t.target);
  const order = moved
    ? `targets run in the order ${plan.targets.map((t) => t.target).join(', ')}: a target that creates a Namespace or CRD another one needs runs before it`
    : undefined;
  const dryRunNotes = options.dryRun ? [...canaries.preps.values()].map((p) => `target ${p.target}: ${p.note}`) : [];
  const report =
    options.output === 'json'
      ? applyJson(plan, results, options.dryRun, stopped, stoppedBy, canaryResults)
      : applyText(plan, results, options.dryRun, stopped, order, canaryResults, dryRunNotes);
  return {
    plan,
    results,
    report,
    ...(canaryResults.length ? { canaries: canaryResults } : {}),
    ...(stopped ? { stopped, failure: stoppedBy } : {}),
  };
}

/**
 * Bound to a reviewed plan (`--plan`, `--expect-plan`): anything else is refused before the first write, with the
 * difference and the digest of the plan computed now. `cluster`: the named cluster the plan is of.
 */
export function refuseUnexpectedPlan(
  expect: NonNullable<ApplyCommandOptions['expect']>,
  digests: PlanDigests,
  changes: Record<string, CanonicalChange[]>,
  cluster?: string,
): void {
  const drift = bindingDrift(expect, digests, changes);
  if (!drift) return;
  throw new BindingError(
    `this is not the reviewed plan${cluster ? ` of cluster ${cluster}` : ''}; nothing was written\n${drift.map((l) => `  ${l}`).join('\n')}`,
    {
      where: expect.where,
      hint: `review the new plan (${digests.plan}); to apply it anyway, pass --expect-plan ${digests.plan}`,
    },
  );
}

/** One cluster's connection and what every target's apply there shares. */
export interface ApplyingCluster {
  client: ClusterClient;
  resources: ResourceMap;
  ignore: ReadonlyMap<string, readonly IgnoreRule[]>;
  policy: ReadonlyMap<string, TargetPolicy>;
  repository: string | undefined;
  configFile: string;
  scrubber: SecretScrubber;
  sha: string | undefined;
  commit: { sha: string; isAncestor: (older: string, newer: string) => Promise<boolean | undefined> } | undefined;
  policies: ReadonlyMap<string, ApplyPolicy>;
  forceConflicts: (target: string, object?: KubeObject) => boolean;
  /** A canary's Deployment: its health is judged by the canary's steps, not by the apply's wait. */
  canaryJudges?: (target: string, object: KubeObject) => boolean;
}

/**
 * Applies one planned target (storing a revision with rollback: true); a failure is returned with what it wrote before
 * it (after rolling back when the target asks for it), scrubbed of Secret values. `notStarted`: for a cancellation's
 * message.
 */
export async function applyPlannedTarget(
  target: TargetPlan,
  cluster: ApplyingCluster,
  options: ApplyCommandOptions,
  notStarted: TargetPlan[],
  review?: ReviewAudit,
  /** `storeRevision: false`: a canary's in-between place is not a stable version (a failure still rolls back). */
  extra: { storeRevision?: boolean } = {},
): Promise<{ result: TargetApplyResult } | { failure: unknown; partial: TargetApplyResult }> {
  const { client, resources, ignore, repository, configFile, scrubber, sha, commit } = cluster;
  const policy = cluster.policies.get(target.target);
  const rollback = policy?.rollback ?? false;
  const applyOptions = {
    forceConflicts: cluster.forceConflicts(target.target),
    takesOver: (object: KubeObject) => cluster.forceConflicts(target.target, object),
    judgedElsewhere: (object: KubeObject) => cluster.canaryJudges?.(target.target, object) ?? false,
    allowEmpty: options.allowEmpty || (policy?.allowEmpty ?? false),
    recreate: policy?.recreate ?? [],
    tooling: options.tooling,
    crdTimeoutSeconds: 60,
    waitTimeoutMs: options.waitTimeoutMs,
    hookTimeoutMs: options.hookTimeoutMs,
    noHooks: options.noHooks,
    revisions: rollback,
    ...(commit ? { commit } : {}),
    ...(review ? { review } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    signal: options.signal,
    ...(options.recover?.install(target.target) ? { install: true } : {}),
  };
  const partial = emptyResult(target.target);
  try {
    const result = await applyTarget(target, client, resources, applyOptions, partial);
    if (rollback && extra.storeRevision !== false) {
      // The revision a later failure rolls back to: what this apply made the cluster hold.
      const objects = target.changes.filter((c) => c.action !== 'delete' && !c.hook && c.object).map((c) => c.object!);
      const saved = await new RevisionStore(client, target.target, target.namespace).save(objects, {
        commit: sha,
        digest: bundleDigest(objects),
      });
      if (saved.number !== undefined) result.notes.push(`stored as revision ${saved.number}`);
      if (saved.note) result.notes.push(saved.note);
    }
    return { result };
  } catch (error) {
    let failure = error;
    // Cancelled: no rollback (it would write), but a report of what was and was not written.
    if (error instanceof CancelledError) failure = cancelledDuring(error, target, partial, notStarted);
    const wrote =
      partial.created + partial.updated + partial.recreated + partial.pruned > 0 || partial.stages.length > 0;
    if (rollback && wrote && error instanceof KubeplanError && !(error instanceof CancelledError)) {
      try {
        const outcome = await rollbackTarget(target.target, target.namespace, client, resources, {
          ...applyOptions,
          to: 'newest',
          ignore,
          policy: cluster.policy,
          repository,
          configFile,
          record: false,
          scrubber,
        });
        failure = outcome
          ? rolledBackError(error, outcome, partial)
          : new ApplyError(
              `${error.message}\n  no earlier revision to roll back to (the first apply with rollback: true stores the first one): nothing was undone`,
              { where: error.location, hint: error.hint, cause: error },
            );
      } catch (rollbackError) {
        failure = new ApplyError(
          `${error.message}\n  the rollback failed too: ${rollbackError instanceof KubeplanError ? rollbackError.message : String(rollbackError)}`,
          {
            where: error.location,
            cause: rollbackError,
            hint: `the cluster is between revisions; fix the cause and apply again, or run kubeplan rollback --target ${target.target}`,
          },
        );
      }
    }
    scrubber.scrubError(failure);
    return { failure, partial };
  }
}

/** A CancelledError that says what the interrupted target wrote, what it did not, and which targets never started. */
function cancelledDuring(
  error: CancelledError,
  target: TargetPlan,
  partial: TargetApplyResult,
  notStarted: TargetPlan[],
): CancelledError {
  const writes = target.changes.filter(
    (c) =>
      !c.hook && (c.action === 'create' || c.action === 'update' || c.action === 'adopt' || c.action === 'replace'),
  ).length;
  const prunes = target.changes.filter((c) => c.action === 'delete').length;
  const written = partial.created + partial.updated + partial.recreated;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const missing = [
    writes - written > 0 ? count(writes - written, 'object') : '',
    prunes - partial.pruned > 0 ? count(prunes - partial.pruned, 'prune') : '',
  ].filter(Boolean);
  const lines = [
    `cancelled (${error.signalName}): stopped ${error.message.replace(/^cancelled \([^)]*\) /, '')}`,
    `  written: ${written} of ${count(writes, 'object')}${partial.pruned ? `, ${partial.pruned} of ${count(prunes, 'prune')}` : ''}${partial.objects
      .filter((o) => o.action !== 'unchanged')
      .map((o) => `\n    ${o.action} ${o.apiVersion} ${objectName(o)}`)
      .join('')}`,
    `  not written: ${missing.length ? missing.join(', ') : 'nothing (the apply was finishing)'}`,
    ...(notStarted.length ? [`  targets not started: ${notStarted.map((t) => t.target).join(', ')}`] : []),
    '  the inventory records a commit only once its apply has finished: it still names the last finished one until this apply is run again',
  ];
  return new CancelledError(error.signalName, lines.join('\n'), {
    where: { target: target.target },
    hint: 'run the apply again (re-run the workflow) to finish it',
    progress: `${written} of ${count(writes, 'object')} written${prunes ? `, ${partial.pruned} of ${count(prunes, 'prune')}` : ''}`,
  });
}

function cancelledBefore(signal: AbortSignal, plan: Plan, index: number, results: TargetApplyResult[]): CancelledError {
  const reason = cancelReason(signal);
  const done = results.map((r) => r.target);
  return new CancelledError(
    reason,
    `cancelled (${reason}) before target ${plan.targets[index]!.target}${done.length ? ` (finished: ${done.join(', ')})` : ''}; targets not started: ${plan.targets
      .slice(index)
      .map((t) => t.target)
      .join(', ')}`,
    {
      hint: 'run the apply again (re-run the workflow) to apply the rest',
    },
  );
}

function applyText(
  plan: Plan,
  results: TargetApplyResult[],
  dryRun: boolean,
  stopped?: StoppedApply,
  order?: string,
  canaries: CanaryRunResult[] = [],
  dryRunNotes: string[] = [],
): string {
  if (dryRun) return applyDryRunText(plan, order, dryRunNotes);
  const out: string[] = order ? [`note: ${order}`] : [];
  for (const r of results) {
    const changed = r.objects.filter((o) => o.action !== 'unchanged');
    out.push(
      `── target ${r.target}: ${changed.length ? `${r.created} created, ${r.updated} updated, ${r.recreated ? `${r.recreated} recreated, ` : ''}${r.pruned} pruned` : 'no changes'}, ${r.unchanged} unchanged`,
    );
    for (const o of changed) out.push(`  ${o.action.padEnd(9)} ${o.apiVersion} ${objectName(o)}`);
    for (const s of r.stages.filter((x) => x.objects > 0))
      out.push(`  stage ${s.name}: ${s.objects} object${s.objects === 1 ? '' : 's'} in ${s.ms} ms`);
    for (const n of r.notes) out.push(`  note: ${n}`);
    const canary = canaries.find((c) => c.target === r.target);
    if (canary) out.push(...canaryText(canary));
  }
  if (stopped) {
    out.push(...stoppedText(stopped));
    const written = [...results, ...(stopped.target ? [stopped.target] : [])];
    const count = (key: 'created' | 'updated' | 'recreated' | 'pruned') => written.reduce((t, r) => t + r[key], 0);
    const left = stopped.notDone.reduce((t, n) => t + n.steps.length, 0);
    out.push(
      '',
      `Stopped before the apply finished: ${count('created')} created, ${count('updated')} updated, ${count('recreated') ? `${count('recreated')} recreated, ` : ''}${count('pruned')} pruned before it stopped; ${left} step${left === 1 ? '' : 's'} not done (listed above). The error follows.`,
    );
    return `${out.join('\n')}\n`;
  }
  const total = results.reduce((t, r) => t + r.created + r.updated + r.recreated + r.pruned, 0);
  out.push(
    '',
    total === 0
      ? canaries.length
        ? `No other changes. ${canarySummary(canaries)}`
        : 'No changes: the cluster already matches git.'
      : `Applied: ${results.reduce((t, r) => t + r.created, 0)} created, ${results.reduce((t, r) => t + r.updated, 0)} updated, ${results.reduce((t, r) => t + r.pruned, 0)} pruned.${canaries.length ? ` ${canarySummary(canaries)}` : ''}`,
  );
  return `${out.join('\n')}\n`;
}

/** What apply would write, stage by stage (every change was validated by a server-side dry-run). */
export function applyDryRunText(plan: Plan, order?: string, notes: string[] = []): string {
  const out: string[] = [...(order ? [`note: ${order}`] : []), ...notes.map((n) => `note: ${n}`)];
  const stages = ['crds, namespaces, cluster rbac', 'everything else', 'webhooks and api services'];
  for (const t of plan.targets) {
    out.push(`── target ${t.target}`);
    for (const [n, name] of stages.entries()) {
      const changes = t.changes.filter(
        (c) =>
          (c.action === 'create' || c.action === 'update' || c.action === 'adopt' || c.action === 'replace') &&
          stageOf(c.kind) === n,
      );
      if (changes.length)
        out.push(
          `  stage ${name}:`,
          ...changes.map((c) => `    ${c.action.padEnd(7)} ${c.apiVersion} ${objectName(c)}`),
        );
    }
    const prunes = t.changes.filter((c) => c.action === 'delete');
    if (prunes.length) out.push('  prune:', ...prunes.map((c) => `    delete  ${c.apiVersion} ${objectName(c)}`));
    const hooks = hookRows(t);
    if (hooks.length)
      out.push(
        '  helm hooks (run around the stages when something changes):',
        ...hooks.map((h) => `    ${h.events.join(',')} weight ${h.weight}: ${h.apiVersion} ${objectName(h)}`),
      );
    for (const e of t.changes.filter((c) => c.action === 'error')) out.push(`  error: ${describeError(e)}`);
  }
  out.push('', `Dry run, nothing written. ${summaryLine(plan.summary)}`);
  return `${out.join('\n')}\n`;
}

function describeError(c: {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  error?: { message: string };
}): string {
  return `${c.apiVersion} ${objectName(c)}: ${c.error?.message ?? ''}`;
}

/** The stopped target (what it wrote before it stopped, then what it did not do) and the targets that never started. */
function stoppedText(stopped: StoppedApply): string[] {
  const out: string[] = [];
  const step = (n: NotDone) =>
    `    ${n.step.padEnd(9)}${n.kind ? ` ${n.apiVersion} ${objectName({ kind: n.kind, namespace: n.namespace, name: n.name! })}` : ''}`;
  for (const [i, { target, steps }] of stopped.notDone.entries()) {
    const r = i === 0 ? stopped.target : undefined;
    if (r) {
      const changed = r.objects.filter((o) => o.action !== 'unchanged');
      out.push(
        `── target ${target}: STOPPED after ${changed.length ? `${r.created} created, ${r.updated} updated, ${r.recreated ? `${r.recreated} recreated, ` : ''}${r.pruned} pruned` : 'writing nothing'}`,
      );
      for (const o of changed) out.push(`  ${o.action.padEnd(9)} ${o.apiVersion} ${objectName(o)}`);
      for (const s of r.stages.filter((x) => x.objects > 0))
        out.push(`  stage ${s.name}: ${s.objects} object${s.objects === 1 ? '' : 's'} in ${s.ms} ms`);
      for (const n of r.notes) out.push(`  note: ${n}`);
    } else {
      out.push(`── target ${target}: not started`);
    }
    if (steps.length) out.push('  not done:', ...steps.map(step));
  }
  return out;
}

/**
 * `targets`: one entry per target in apply order, with `status` `applied`, `stopped` (failed or cancelled part-way:
 * `objects` lists what it wrote before) or `not started`, and `notDone`: the steps of its plan not done.
 */
function applyJson(
  plan: Plan,
  results: TargetApplyResult[],
  dryRun: boolean,
  stopped?: StoppedApply,
  failure?: unknown,
  canaries: CanaryRunResult[] = [],
): string {
  const targets = [
    ...results.map((r) => ({ ...r, status: 'applied', notDone: [] as NotDone[] })),
    ...(stopped?.notDone ?? []).map(({ target, steps }, i) => ({
      ...((i === 0 && stopped?.target) || emptyResult(target)),
      status: i === 0 && stopped?.target ? 'stopped' : 'not started',
      notDone: steps,
    })),
  ];
  const error =
    failure === undefined
      ? null
      : failure instanceof KubeplanError
        ? { message: failure.message, where: failure.where ?? null, hint: failure.hint ?? null }
        : { message: String(failure), where: null, hint: null };
  return `${JSON.stringify({ version: 1, dryRun, finished: !stopped, plan: plan.summary, targets, ...(canaries.length ? { canaries } : {}), error }, null, 2)}\n`;
}
