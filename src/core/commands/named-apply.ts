import path from 'node:path';
import type { TargetApplyResult } from '../apply/apply.js';
import { ApplyError } from '../apply/apply-error.js';
import { CancelledError, cancelReason } from '../cancel.js';
import { orderTargets } from '../apply/order.js';
import { instanceName, type Instance, selectInstances } from '../cluster/named-clusters.js';
import { headCommit, isAncestor } from '../git/ancestry.js';
import type { ClusterConfig, Config } from '../config/types.js';
import { planTargets } from '../diff/plan.js';
import { SecretScrubber } from '../diff/secrets.js';
import { type ClusterSummary, countChanges, type Plan, type TargetPlan } from '../diff/types.js';
import { KubeplanError, UsageError } from '../errors.js';
import type { ManifestSet } from '../manifests/types.js';
import { objectName, summaryLine } from '../report/common.js';
import {
  type ApplyCommandOptions,
  type ApplyCommandResult,
  type ApplyingCluster,
  applyDryRunText,
  applyPlannedTarget,
} from './apply.js';
import { refuseOneClusterOptions } from './diff.js';
import { describe, openNamedCluster } from './named-plan.js';

/** What happened to one instance of a run over named clusters. */
export interface InstanceOutcome {
  /** `target@cluster`. */
  name: string;
  target: string;
  cluster: string;
  status: 'applied' | 'failed' | 'skipped';
  /** Applied: what it wrote; failed: what it wrote before it stopped. */
  result?: TargetApplyResult | undefined;
  /** Failed: the error (scrubbed of Secret values). */
  error?: unknown;
  /** Skipped: why (`waits for shop@prod-eu, which failed`). */
  reason?: string | undefined;
}

/** A node of the run: an instance, its plan once its cluster is planned, the instances it waits for. */
interface Node {
  instance: Instance;
  waitsFor: string[];
  outcome?: InstanceOutcome;
}

/**
 * `kubeplan apply` with named clusters: every cluster is connected and planned at once (server-side dry-runs, each
 * with the targets on it), then each cluster applies its instances one at a time while the clusters run side by side.
 * An instance waits for the instances of its dependsOn targets on the same cluster and for its own target on the
 * clusters of earlier rollout waves (applied and, unless --no-wait, healthy); when one of those failed or was skipped,
 * it is skipped. A failed instance also stops the rest of its cluster (as a failed target stops a one-cluster apply);
 * a cluster that cannot be reached fails its own instances only.
 */
export async function applyNamedClusters(
  config: Config,
  sets: ManifestSet[],
  options: ApplyCommandOptions,
): Promise<ApplyCommandResult> {
  refuseOneClusterOptions(options, 'apply');
  if (options.expect)
    throw new UsageError('--plan and --expect-plan bind to a one-cluster plan; kubeplan.yaml names its clusters', {
      where: options.expect.where,
      hint: 'apply without a plan binding (each instance is planned again against its cluster before it is written)',
    });
  const instances = selectInstances(config, options.targets, options.clusters ?? [], options.clustersWhere);
  const selected = new Set(instances.map((i) => i.name));
  if (options.bind) refuseBindingModes(config, instances, options);
  const clusters = (config.clusters ?? []).filter((c) => instances.some((i) => i.cluster === c.name));
  const sha = await headCommit(config.repoRoot, options.env);
  const commit = sha
    ? { sha, isAncestor: (older: string, newer: string) => isAncestor(config.repoRoot, older, newer, options.env) }
    : undefined;
  const scrubber = new SecretScrubber();
  const policies = new Map(config.targets.map((t) => [t.name, t.apply]));
  const forceConflicts = (target: string) => options.forceConflicts || (policies.get(target)?.forceConflicts ?? false);

  // Connect and plan every cluster at once: nothing is written before every reachable cluster is planned.
  const prepared = await Promise.all(
    clusters.map(async (cluster) => {
      const here = sets.filter((s) => selected.has(instanceName(s.target, cluster.name)));
      const opened = await openNamedCluster(config, cluster, options, options);
      if ('error' in opened) return { cluster, error: opened.error };
      const { client, resources, ignore, policy, repository, configFile } = opened.opened;
      try {
        const planned = await planTargets(here, client, resources, {
          mode: 'server',
          modeReason: 'apply plans with server-side dry-runs',
          ignore,
          policy,
          repository,
          configFile,
          scrubber,
          forceConflicts,
        });
        const applying: ApplyingCluster = {
          client,
          resources,
          ignore,
          policy,
          repository,
          configFile,
          scrubber,
          sha,
          commit,
          policies,
          forceConflicts,
        };
        return {
          cluster,
          plan: { ...planned, targets: byDependencies(config, orderTargets(planned.targets)) },
          applying,
        };
      } catch (error) {
        return { cluster, error };
      }
    }),
  );

  const nodes = new Map<string, Node>(
    instances.map((i) => [i.name, { instance: i, waitsFor: waitsFor(config, i).filter((w) => selected.has(w)) }]),
  );
  const summaries: ClusterSummary[] = [];
  const plans: TargetPlan[] = [];
  for (const p of prepared) {
    if ('error' in p) {
      scrubber.scrubError(p.error);
      summaries.push({
        name: p.cluster.name,
        server: p.cluster.server,
        summary: countChanges([]),
        error: describe(p.error),
      });
      for (const n of nodes.values())
        if (n.instance.cluster === p.cluster.name)
          n.outcome = {
            ...n.instance,
            status: 'failed',
            error: p.error,
            reason: `cluster ${p.cluster.name} could not be planned`,
          };
      continue;
    }
    summaries.push({ name: p.cluster.name, server: p.cluster.server, summary: p.plan.summary });
    plans.push(...p.plan.targets.map((t) => ({ ...t, target: instanceName(t.target, p.cluster.name) })));
  }
  const order = new Map(instances.map((i, n) => [i.name, n]));
  plans.sort((a, b) => (order.get(a.target) ?? 0) - (order.get(b.target) ?? 0));
  const plan: Plan = {
    mode: 'server',
    modeReason: 'apply plans with server-side dry-runs',
    targets: plans,
    summary: countChanges(plans.flatMap((t) => t.changes)),
    stats: { objects: 0, fastPath: 0, dryRuns: 0, lists: 0, requests: 0 },
    clusters: summaries,
  };
  if (options.recover)
    for (const p of prepared)
      if (!('error' in p))
        await options.recover.beforeWrite({ name: p.cluster.name, applying: p.applying, targets: p.plan.targets });

  if (options.dryRun) {
    const outcomes = [...nodes.values()].filter((n) => n.outcome).map((n) => n.outcome!);
    const failure = outcomes.length ? instancesFailed(outcomes) : undefined;
    const report =
      options.output === 'json'
        ? namedApplyJson(plan, [...nodes.values()], true, failure)
        : `${applyDryRunText(plan)}${outcomes.length ? instanceLines([...nodes.values()]) : ''}`;
    return { plan, results: [], report, ...(failure ? { failure } : {}) };
  }

  // Each cluster applies its instances one at a time, in its plan's order, each once what it waits for is settled.
  let wake: () => void = () => {};
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const settle = (node: Node, outcome: InstanceOutcome) => {
    node.outcome = outcome;
    wake();
    changed = new Promise<void>((resolve) => (wake = resolve));
  };
  const deploymentOf = (target: string, cluster: string) => {
    const d = config.targets.find((t) => t.name === target)?.deployment ?? { environment: target, production: true };
    return { environment: instanceName(d.environment, cluster), production: d.production };
  };
  await Promise.all(
    prepared.map(async (p) => {
      if ('error' in p) return;
      const queue = p.plan.targets.map((t) => ({ plan: t, node: nodes.get(instanceName(t.target, p.cluster.name))! }));
      let stoppedBy: string | undefined;
      while (queue.length > 0) {
        const i = queue.findIndex((q) => q.node.waitsFor.every((w) => nodes.get(w)?.outcome));
        if (i < 0) {
          await changed;
          continue;
        }
        const { plan: target, node } = queue.splice(i, 1)[0]!;
        const blocked = node.waitsFor.map((w) => nodes.get(w)!).find((w) => w.outcome!.status !== 'applied');
        if (blocked) {
          settle(node, {
            ...node.instance,
            status: 'skipped',
            reason: `waits for ${blocked.instance.name}, which ${blocked.outcome!.status === 'failed' ? 'failed' : 'was skipped'}`,
          });
          continue;
        }
        if (stoppedBy || options.signal?.aborted) {
          settle(node, {
            ...node.instance,
            status: 'skipped',
            reason: stoppedBy
              ? `${stoppedBy} failed before it on cluster ${p.cluster.name}`
              : 'the apply was cancelled',
          });
          continue;
        }
        await applyInstance(p.cluster, target, node, p.applying);
        if (node.outcome?.status === 'failed') stoppedBy = node.instance.name;
      }
    }),
  );

  async function applyInstance(cluster: ClusterConfig, target: TargetPlan, node: Node, applying: ApplyingCluster) {
    const name = node.instance.name;
    await options.around?.before(name, deploymentOf(target.target, cluster.name));
    const outcome = await applyPlannedTarget(
      target,
      applying,
      { ...options, onProgress: (m) => options.onProgress?.(`${cluster.name}: ${m}`) },
      [],
    );
    if ('failure' in outcome) {
      const partial = { ...outcome.partial, target: name };
      settle(node, { ...node.instance, status: 'failed', result: partial, error: outcome.failure });
      await options.around?.after(name, undefined, outcome.failure);
      return;
    }
    const result = { ...outcome.result, target: name };
    settle(node, { ...node.instance, status: 'applied', result });
    await options.around?.after(name, result, undefined);
  }

  const all = [...nodes.values()];
  const results = all.filter((n) => n.outcome?.status === 'applied').map((n) => n.outcome!.result!);
  const notApplied = all.filter((n) => n.outcome?.status !== 'applied').map((n) => n.outcome!);
  const stopped = notApplied.length ? instancesFailed(notApplied) : undefined;
  // Cancelled (SIGINT/SIGTERM): the same report, exiting as a process its signal stopped.
  const failure =
    stopped && options.signal?.aborted
      ? new CancelledError(cancelReason(options.signal), stopped.message, {
          hint: 'run the apply again (re-run the workflow) to apply the rest',
        })
      : stopped;
  const report = options.output === 'json' ? namedApplyJson(plan, all, false, failure) : namedApplyText(all, results);
  return { plan, results, report, instances: all.map((n) => n.outcome!), ...(failure ? { failure } : {}) };
}

/**
 * The apply on merge binds one-cluster plans only: a target that asks for `apply.binding: strict` is refused before
 * anything is written (its plan would go unchecked), and `warn` says that the binding was not checked.
 */
function refuseBindingModes(config: Config, instances: Instance[], options: ApplyCommandOptions): void {
  const mode = (name: string) => config.targets.find((t) => t.name === name)?.apply.binding ?? 'warn';
  const targets = [...new Set(instances.map((i) => i.target))];
  const strict = targets.filter((t) => mode(t) === 'strict');
  if (strict.length)
    throw new UsageError(
      `apply.binding: strict cannot be checked with named clusters (target${strict.length === 1 ? '' : 's'} ${strict.join(', ')}): nothing was written`,
      {
        where: { file: path.relative(config.repoRoot, config.file) || config.file, path: config.file },
        hint: 'set apply.binding to warn or off for these targets; plan binding holds for configs without clusters: so far',
      },
    );
  const warned = targets.filter((t) => mode(t) === 'warn');
  if (warned.length)
    options.onWarning?.(
      `plan binding not checked for ${warned.join(', ')}: kubeplan binds the apply to the reviewed plan only without named clusters so far (apply.binding: off silences this)`,
    );
}

/** What an instance waits for: its dependsOn targets on its cluster, and its own target on earlier waves' clusters. */
function waitsFor(config: Config, instance: Instance): string[] {
  const target = config.targets.find((t) => t.name === instance.target)!;
  const out: string[] = [];
  for (const d of target.dependsOn ?? []) {
    const dep = config.targets.find((t) => t.name === d);
    if (dep?.clusters?.includes(instance.cluster)) out.push(instanceName(d, instance.cluster));
  }
  const waves = target.rollout?.waves ?? [];
  const wave = waves.findIndex((w) => w.includes(instance.cluster));
  for (const earlier of waves.slice(0, Math.max(0, wave)))
    for (const c of earlier) out.push(instanceName(target.name, c));
  return out;
}

/** A cluster's targets in apply order: dependsOn first, else the planner's order (creators of namespaces and CRDs first). */
export function byDependencies(config: Config, targets: TargetPlan[]): TargetPlan[] {
  const names = new Set(targets.map((t) => t.target));
  const placed = new Set<string>();
  const out: TargetPlan[] = [];
  while (out.length < targets.length) {
    const next =
      targets.find(
        (t) =>
          !placed.has(t.target) &&
          (config.targets.find((c) => c.name === t.target)?.dependsOn ?? []).every(
            (d) => placed.has(d) || !names.has(d),
          ),
      ) ?? targets.find((t) => !placed.has(t.target))!;
    placed.add(next.target);
    out.push(next);
  }
  return out;
}

/** The error of a run over named clusters that did not apply everything: which instances failed, which were skipped. */
function instancesFailed(outcomes: InstanceOutcome[]): ApplyError {
  const failed = outcomes.filter((o) => o.status === 'failed');
  const skipped = outcomes.filter((o) => o.status === 'skipped');
  const lines = [
    `${failed.length} instance${failed.length === 1 ? '' : 's'} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`,
    ...failed.map((o) => `  ${o.name}: ${errorLine(o.error)}`),
    ...skipped.map((o) => `  ${o.name}: skipped (${o.reason})`),
  ];
  const first = failed[0]?.error;
  return new ApplyError(lines.join('\n'), {
    where: failed[0] ? { target: failed[0].name } : undefined,
    hint:
      first instanceof KubeplanError && first.hint
        ? `${first.hint}; then apply again (instances already applied are unchanged)`
        : 'fix the cause and apply again (instances already applied are unchanged)',
  });
}

function errorLine(error: unknown): string {
  if (error instanceof KubeplanError) return error.format().split('\n')[0]!;
  return error instanceof Error ? error.message : String(error);
}

/** Per instance what was written, then the instances applied, failed and skipped. */
function namedApplyText(nodes: Node[], results: TargetApplyResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const changed = r.objects.filter((o) => o.action !== 'unchanged');
    out.push(
      `── instance ${r.target}: ${changed.length ? `${r.created} created, ${r.updated} updated, ${r.recreated ? `${r.recreated} recreated, ` : ''}${r.pruned} pruned` : 'no changes'}, ${r.unchanged} unchanged`,
    );
    for (const o of changed) out.push(`  ${o.action.padEnd(9)} ${o.apiVersion} ${objectName(o)}`);
    for (const n of r.notes) out.push(`  note: ${n}`);
  }
  return `${out.join('\n')}${out.length ? '\n' : ''}${instanceLines(nodes)}`;
}

function instanceLines(nodes: Node[]): string {
  const by = (s: InstanceOutcome['status']) => nodes.filter((n) => n.outcome?.status === s);
  const lines = ['', 'Instances:'];
  const applied = by('applied');
  lines.push(`  applied: ${applied.length ? applied.map((n) => n.instance.name).join(', ') : 'none'}`);
  for (const n of by('failed')) lines.push(`  failed:  ${n.instance.name} (${errorLine(n.outcome!.error)})`);
  for (const n of by('skipped')) lines.push(`  skipped: ${n.instance.name} (${n.outcome!.reason})`);
  const total = applied.reduce(
    (t, n) => {
      const r = n.outcome!.result!;
      return { created: t.created + r.created, updated: t.updated + r.updated, pruned: t.pruned + r.pruned };
    },
    { created: 0, updated: 0, pruned: 0 },
  );
  lines.push(
    '',
    `Applied ${applied.length} of ${nodes.length} instance${nodes.length === 1 ? '' : 's'}: ${total.created} created, ${total.updated} updated, ${total.pruned} pruned.`,
  );
  return `${lines.join('\n')}\n`;
}

/** `instances`: one entry per instance with `status` applied, failed or skipped (and `reason`, `error`). */
function namedApplyJson(plan: Plan, nodes: Node[], dryRun: boolean, failure: unknown): string {
  const instances = nodes.map((n) => {
    const o = n.outcome;
    const r = o?.result;
    return {
      name: n.instance.name,
      target: n.instance.target,
      cluster: n.instance.cluster,
      status: o?.status ?? (dryRun ? 'planned' : 'skipped'),
      created: r?.created ?? 0,
      updated: r?.updated ?? 0,
      recreated: r?.recreated ?? 0,
      pruned: r?.pruned ?? 0,
      unchanged: r?.unchanged ?? 0,
      objects: r?.objects ?? [],
      reason: o?.reason ?? null,
      error: o?.error === undefined ? null : errorLine(o.error),
    };
  });
  const error =
    failure === undefined
      ? null
      : failure instanceof KubeplanError
        ? { message: failure.message, where: failure.where ?? null, hint: failure.hint ?? null }
        : { message: String(failure), where: null, hint: null };
  return `${JSON.stringify(
    {
      version: 1,
      dryRun,
      finished: failure === undefined,
      plan: plan.summary,
      summaryLine: summaryLine(plan.summary),
      clusters: (plan.clusters ?? []).map((c) => ({
        name: c.name,
        server: c.server,
        summary: c.summary,
        error: c.error ? { message: c.error.message, hint: c.error.hint ?? null } : null,
      })),
      instances,
      error,
    },
    null,
    2,
  )}\n`;
}
