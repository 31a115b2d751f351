import { missingAccess } from '../apply/preflight.js';
import type { ClusterClient } from '../cluster/client.js';
import type { ResourceMap } from '../cluster/discovery.js';
import {
  configOnCluster,
  instanceName,
  type NamedClusterContext,
  namedClusterOptions,
  selectInstances,
} from '../cluster/named-clusters.js';
import type { ClusterConfig, Config } from '../config/types.js';
import { planTargets } from '../diff/plan.js';
import { planDigests, targetChanges } from '../diff/plan-digest.js';
import { removedTargetNotices } from '../diff/removed-targets.js';
import { type ClusterSummary, countChanges, type DiffMode, type Plan, type TargetPlan } from '../diff/types.js';
import { KubeplanError, type Where } from '../errors.js';
import type { ManifestSet } from '../manifests/types.js';
import { inlineCode } from '../report/escape.js';
import { type ClusterOptions, openCluster } from './cluster-run.js';

/** What a run over named clusters takes besides the one-cluster options (which give concurrency, env, cwd). */
export interface NamedClustersRequest extends NamedClusterContext {
  /** --cluster (the clusters input): only instances on these clusters; empty: all. */
  clusters: string[];
  /** Where --cluster was given, for an unknown name. */
  clustersWhere?: Where | undefined;
}

/** A named cluster connected: its client and what the planner needs, or why it could not be reached. */
export type OpenedCluster =
  | { cluster: ClusterConfig; opened: Awaited<ReturnType<typeof openCluster>>; options: ClusterOptions }
  | { cluster: ClusterConfig; error: unknown };

/** Connects to a named cluster (pin first, then the credential); an error is returned, not thrown: it is that cluster's. */
export async function openNamedCluster(
  config: Config,
  cluster: ClusterConfig,
  base: ClusterOptions,
  request: NamedClusterContext,
): Promise<OpenedCluster> {
  try {
    const options = await namedClusterOptions(cluster, base, request);
    const opened = await openCluster(configOnCluster(config, cluster.name), options);
    return { cluster, opened, options };
  } catch (error) {
    return { cluster, error };
  }
}

/**
 * The plan of every instance (target × named cluster): clusters are planned at once, each with the targets on it;
 * the sections are the instances (`shop@prod-eu`), and a cluster that cannot be planned is reported with its error
 * while the others are planned. Targets removed from a cluster (or from the config) are named, never pruned.
 */
export async function planNamedClusters(
  config: Config,
  sets: ManifestSet[],
  base: ClusterOptions,
  request: NamedClustersRequest & {
    targets: string[];
    mode: DiffMode | 'auto';
    forceConflicts?: boolean | undefined;
    chooseMode: (
      requested: DiffMode | 'auto',
      client: ClusterClient,
      resources: ResourceMap,
      sets: ManifestSet[],
    ) => Promise<{ mode: DiffMode; reason: string }>;
  },
): Promise<Plan> {
  const instances = selectInstances(config, request.targets, request.clusters, request.clustersWhere);
  const names = [...new Set(instances.map((i) => i.cluster))];
  const clusters = (config.clusters ?? []).filter((c) => names.includes(c.name));
  const planned = await Promise.all(
    clusters.map(async (cluster) => {
      const here = new Set(instances.filter((i) => i.cluster === cluster.name).map((i) => i.target));
      const opened = await openNamedCluster(config, cluster, base, request);
      if ('error' in opened) return { cluster, error: opened.error };
      try {
        return { cluster, ...(await planOneCluster(config, cluster, opened.opened, sets, here, request)) };
      } catch (error) {
        return { cluster, error };
      }
    }),
  );
  const order = new Map(instances.map((i, n) => [i.name, n]));
  const targets: TargetPlan[] = [];
  const notices: string[] = [];
  const summaries: ClusterSummary[] = [];
  const stats = { objects: 0, fastPath: 0, dryRuns: 0, lists: 0, requests: 0 };
  const reasons: string[] = [];
  const clusterDigests: NonNullable<Plan['clusterDigests']> = [];
  let mode: DiffMode | undefined;
  for (const p of planned) {
    if ('error' in p) {
      summaries.push({
        name: p.cluster.name,
        server: p.cluster.server,
        summary: countChanges([]),
        error: describe(p.error),
      });
      continue;
    }
    targets.push(...p.plan.targets);
    notices.push(...p.notices);
    clusterDigests.push(p.digests);
    for (const k of Object.keys(stats) as (keyof typeof stats)[]) stats[k] += p.plan.stats[k];
    mode ??= p.plan.mode as DiffMode;
    reasons.push(`${p.cluster.name}: ${p.plan.modeReason}`);
    summaries.push({ name: p.cluster.name, server: p.cluster.server, summary: p.plan.summary });
  }
  targets.sort((a, b) => (order.get(a.target) ?? 0) - (order.get(b.target) ?? 0));
  return {
    mode: mode ?? (request.mode === 'auto' ? 'server' : request.mode),
    modeReason: reasons.join('; ') || 'no cluster could be planned',
    targets,
    summary: countChanges(targets.flatMap((t) => t.changes)),
    stats,
    clusters: summaries,
    ...(clusterDigests.length ? { clusterDigests } : {}),
    ...(notices.length ? { notices } : {}),
  };
}

async function planOneCluster(
  config: Config,
  cluster: ClusterConfig,
  opened: Awaited<ReturnType<typeof openCluster>>,
  sets: ManifestSet[],
  here: Set<string>,
  request: Parameters<typeof planNamedClusters>[3],
): Promise<{ plan: Plan; notices: string[]; digests: NonNullable<Plan['clusterDigests']>[number] }> {
  const { client, resources, ignore, policy, repository, configFile } = opened;
  const onCluster = configOnCluster(config, cluster.name);
  // A target that left this cluster (or the config) prunes nothing here: say what stays, and how to delete it.
  const notices = await removedTargetNotices(
    client,
    resources,
    onCluster,
    { repository, configFile },
    config,
    ` on cluster ${inlineCode(cluster.name)}`,
  );
  const mine = sets.filter((s) => here.has(s.target));
  const { mode, reason } = await request.chooseMode(request.mode, client, resources, mine);
  const forceConflicts = (target: string) =>
    (request.forceConflicts ?? false) || (config.targets.find((t) => t.name === target)?.apply.forceConflicts ?? false);
  const plan = await planTargets(mine, client, resources, {
    mode,
    modeReason: reason,
    ignore,
    policy,
    repository,
    configFile,
    forceConflicts,
  });
  if (mode === 'server') {
    for (const t of plan.targets) {
      if (!t.changes.some((c) => c.action !== 'unchanged')) continue;
      const rollback = config.targets.find((x) => x.name === t.target)?.apply.rollback ?? false;
      const access = await missingAccess(client, t, true, rollback);
      if (access) t.missingAccess = access;
    }
  }
  // Digests before the targets become instances: the record an apply on merge binds each instance of this cluster to.
  const digests = {
    cluster: cluster.name,
    digests: planDigests(plan, mine, { server: client.server, caSha256: client.caSha256 }),
    changes: targetChanges(plan),
  };
  for (const t of plan.targets) t.target = instanceName(t.target, cluster.name);
  return { plan, notices, digests };
}

/** A cluster's error for the report: what and what to do (the message names the cluster when it is kubeplan's). */
export function describe(error: unknown): { message: string; hint: string | undefined } {
  if (error instanceof KubeplanError) return { message: error.format().split('\n')[0]!, hint: error.hint };
  return { message: error instanceof Error ? error.message : String(error), hint: undefined };
}
