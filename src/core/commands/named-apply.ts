import type { ReviewAudit, TargetApplyResult } from '../apply/apply.js';
import { ApplyError } from '../apply/apply-error.js';
import { CancelledError, cancelReason } from '../cancel.js';
import { orderTargets } from '../apply/order.js';
import { instanceName, type Instance, selectInstances } from '../cluster/named-clusters.js';
import { headCommit, isAncestor } from '../git/ancestry.js';
import type { ClusterConfig, Config } from '../config/types.js';
import { planTargets } from '../diff/plan.js';
import { planDigests, targetChanges } from '../diff/plan-digest.js';
import { SecretScrubber } from '../diff/secrets.js';
import { type ClusterSummary, countChanges, type Plan, type TargetPlan } from '../diff/types.js';
import { KubeplanError, UsageError } from '../errors.js';
import type { ManifestSet } from '../manifests/types.js';
import { objectName, summaryLine } from '../report/common.js';
import { instanceTablesText, instanceWhy } from '../report/instances.js';
import {
  type ApplyCommandOptions,
  type ApplyCommandResult,
  type ApplyingCluster,
  applyDryRunText,
  applyPlannedTarget,
  refuseUnexpectedPlan,
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
  /**
   * Not applied, what stopped it: its cluster could not be reached or planned, an instance of an earlier rollout wave
   * or of a dependsOn target did not apply, an instance before it on its cluster failed, or the run was cancelled.
   */
  cause?: 'unreachable' | 'wave' | 'dependsOn' | 'stopped' | 'cancelled' | 'binding' | undefined;
  /** The deployment (environment) it is recorded as: `<environment>@<cluster>`. */
  environment?: string | undefined;
  /** Applied or failed: milliseconds from its start to its end. */
  ms?: number | undefined;
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
  const instances = selectInstances(config, options.targets, options.clusters ?? [], options.clustersWhere);
  if (options.expect && new Set(instances.map((i) => i.cluster)).size !== 1)
    throw new UsageError(
      '--plan and --expect-plan bind one cluster’s plan, and this apply runs on several named clusters',
      {
        where: options.expect.where,
        hint: 'add --cluster NAME (the clusters input, KUBEPLAN_CLUSTER) for the cluster whose plan the digest is',
      },
    );
  const selected = new Set(instances.map((i) => i.name));
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
            cause: 'unreachable',
            environment: environmentOf(config, n.instance),
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

  // Plan binding per instance: each cluster's plan against what the merged pull request recorded for that cluster
  // (its server and CA are in the digests). A held instance writes nothing; what waits for it is skipped.
  const held = new Map<string, string>();
  const audit = new Map<string, ReviewAudit>();
  const digestsOf = (p: { plan: Plan; applying: ApplyingCluster }) => {
    const here = sets.filter((s) => p.plan.targets.some((t) => t.target === s.target));
    return {
      digests: planDigests(p.plan, here, { server: p.applying.client.server, caSha256: p.applying.client.caSha256 }),
      changes: targetChanges(p.plan),
    };
  };
  if (options.expect)
    for (const p of prepared) {
      if ('error' in p) continue;
      // Bound to a reviewed plan of this one cluster: anything else is refused before the first write.
      const { digests, changes } = digestsOf(p);
      refuseUnexpectedPlan(options.expect, digests, changes, p.cluster.name);
    }
  if (options.bind && !options.dryRun && !options.expect)
    for (const p of prepared) {
      if ('error' in p) continue;
      const { digests, changes } = digestsOf(p);
      const modes = Object.fromEntries(config.targets.map((t) => [t.name, t.apply.binding]));
      const bound = await options.bind({ ...p.plan, digests }, changes, modes, p.cluster.name);
      for (const target of bound.hold)
        held.set(
          instanceName(target, p.cluster.name),
          'not the reviewed plan (apply.binding: strict): see the plan binding above',
        );
      for (const [target, review] of Object.entries(bound.audit))
        audit.set(instanceName(target, p.cluster.name), review);
    }

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
    return { environment: environmentOf(config, { target, cluster }), production: d.production };
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
            // The same target on another cluster is an earlier rollout wave; another target is a dependsOn.
            cause: blocked.instance.target === node.instance.target ? 'wave' : 'dependsOn',
            environment: environmentOf(config, node.instance),
          });
          continue;
        }
        const refusal = held.get(node.instance.name);
        if (refusal) {
          settle(node, {
            ...node.instance,
            status: 'skipped',
            reason: refusal,
            cause: 'binding',
            environment: environmentOf(config, node.instance),
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
            cause: stoppedBy ? 'stopped' : 'cancelled',
            environment: environmentOf(config, node.instance),
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
    const deployment = deploymentOf(target.target, cluster.name);
    await options.around?.before(name, deployment);
    const started = performance.now();
    const outcome = await applyPlannedTarget(
      target,
      applying,
      { ...options, onProgress: (m) => options.onProgress?.(`${cluster.name}: ${m}`) },
      [],
      audit.get(name),
    );
    const timing = { environment: deployment.environment, ms: Math.round(performance.now() - started) };
    if ('failure' in outcome) {
      const partial = { ...outcome.partial, target: name };
      settle(node, { ...node.instance, status: 'failed', result: partial, error: outcome.failure, ...timing });
      await options.around?.after(name, undefined, outcome.failure);
      return;
    }
    const result = { ...outcome.result, target: name };
    settle(node, { ...node.instance, status: 'applied', result, ...timing });
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
  const report =
    options.output === 'json' ? namedApplyJson(plan, all, false, failure) : namedApplyText(all, results, summaries);
  return { plan, results, report, instances: all.map((n) => n.outcome!), ...(failure ? { failure } : {}) };
}

/** The environment an instance's deployment is recorded as: its target's `deployment.environment`, `@cluster`. */
function environmentOf(config: Config, instance: Pick<Instance, 'target' | 'cluster'>): string {
  const environment = config.targets.find((t) => t.name === instance.target)?.deployment?.environment;
  return instanceName(environment ?? instance.target, instance.cluster);
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

/** Per instance what was written, a table per cluster, then the instances applied, failed and skipped. */
function namedApplyText(nodes: Node[], results: TargetApplyResult[], clusters: ClusterSummary[]): string {
  const out: string[] = [];
  for (const r of results) {
    const changed = r.objects.filter((o) => o.action !== 'unchanged');
    out.push(
      `── instance ${r.target}: ${changed.length ? `${r.created} created, ${r.updated} updated, ${r.recreated ? `${r.recreated} recreated, ` : ''}${r.pruned} pruned` : 'no changes'}, ${r.unchanged} unchanged`,
    );
    for (const o of changed) out.push(`  ${o.action.padEnd(9)} ${o.apiVersion} ${objectName(o)}`);
    for (const n of r.notes) out.push(`  note: ${n}`);
  }
  const tables = instanceTablesText(
    nodes.filter((n) => n.outcome).map((n) => n.outcome!),
    clusters,
  );
  if (tables.length) out.push(...tables);
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
      // Not applied: what stopped it, in a word (unreachable, wave, dependsOn, stopped, cancelled) and in a sentence.
      cause: o?.cause ?? null,
      why: o && o.status !== 'applied' ? instanceWhy(o) : null,
      environment: o?.environment ?? null,
      durationMs: o?.ms ?? null,
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
