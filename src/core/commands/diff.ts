import type { ClusterClient } from '../cluster/client.js';
import type { ResourceMap } from '../cluster/discovery.js';
import { openCluster, type ClusterOptions } from './cluster-run.js';
import { planDigests } from '../diff/plan-digest.js';
import { removedTargetNotices } from '../diff/removed-targets.js';
import { canI } from '../cluster/objects.js';
import { missingAccess } from '../apply/preflight.js';
import { loadConfig } from '../config/load-config.js';
import { withOptInsFrom } from '../config/opt-ins.js';
import { planTargets } from '../diff/plan.js';
import { planIntent } from '../diff/intent.js';
import { SecretScrubber } from '../diff/secrets.js';
import { canaryPlanInfo } from '../canary/plan-info.js';
import { readCanaryPlaces } from './canary-plan.js';
import { countChanges, type DiffMode, type Plan, planChanges, policyErrors } from '../diff/types.js';
import { ConfigError, EXIT_ERROR, UsageError } from '../errors.js';
import type { Config } from '../config/types.js';
import { withWorktree } from '../git/worktree.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ManifestSet } from '../manifests/types.js';
import { renderTargets } from '../render/render-targets.js';
import { toolVersionsFor } from '../render/tool-versions.js';
import type { ToolOverrides } from '../render/tools.js';
import { inlineCode } from '../report/escape.js';
import { formatPlanJson } from '../report/json.js';
import { formatPlanMarkdown } from '../report/markdown.js';
import { formatPlanText } from '../report/text.js';
import { targetsOnClusters } from '../cluster/named-clusters.js';
import { type NamedClustersRequest, planNamedClusters } from './named-plan.js';
import { inventorySource } from './promote.js';
import { checkPromotionSoak, promoteAt, type SoakCheck } from './soak-policy.js';
import { configPathInRepo } from '../config/config-path.js';

export type ReportFormat = 'text' | 'markdown' | 'json';

export interface DiffCommandOptions extends ClusterOptions, Partial<NamedClustersRequest> {
  config: string;
  targets: string[];
  tools: ToolOverrides;
  mode: DiffMode | 'auto';
  /** Also render this git ref and report the intent diff base → head (and, with a cluster, the drift from base). */
  base: string | undefined;
  /** No cluster: with --base, the intent diff only. */
  offline: boolean;
  /**
   * Take the opt-ins (kustomize.allow*, helm.allowRepositories) from the config as committed at this git ref (a pull
   * request's base), so the change being planned cannot turn them on for itself.
   */
  optInsFrom?: string | undefined;
  /** With optInsFrom: fetch the commit from origin when the clone lacks it; if that fails, opt-ins are off. */
  fetchOptIns?: boolean;
  /** Called with each notice as soon as it is known, before rendering (which may fail). */
  onNotice?: (notice: string) => void;
  output: ReportFormat;
  /** The apply this plan predicts runs with --force-conflicts (the action's force-conflicts input). */
  forceConflicts?: boolean;
  /**
   * `promote.soak` as a policy of this plan: where the upstreams' state is read (a forge's deployments; by default the
   * upstream's inventory in the one cluster this plan reads) and the ref the change starts from (by default --base,
   * else the commit each destination last applied to that cluster). Undefined: not checked.
   */
  soak?: { source?: SoakCheck['source'] | undefined; base?: string | undefined; now?: Date | undefined } | undefined;
  /** 0 no changes, 1 changes, 2 error (kubectl's convention); without it 0 unless an error. */
  exitCode: boolean;
  color: boolean;
}

export interface DiffCommandResult {
  plan: Plan;
  report: string;
  exitCode: number;
}

/** `kubeplan diff`: render, read the cluster, plan, and format the report. */
export async function diffCommand(options: DiffCommandOptions): Promise<DiffCommandResult> {
  if (options.offline && !options.base) {
    throw new UsageError('--offline needs --base: without a cluster there is only the intent diff against a git ref', {
      hint: 'pass --base REF (for example --base origin/main), or drop --offline',
    });
  }
  const loaded = loadConfig(options.config, options.cwd);
  const { config, notices } = options.optInsFrom
    ? await withOptInsFrom(loaded, options.optInsFrom, options.env, { fetch: options.fetchOptIns ?? false })
    : { config: loaded, notices: [] };
  for (const notice of notices) options.onNotice?.(notice);
  // --cluster: only the targets on those clusters (none there: nothing to render); the intent diff (--offline) compares
  // every target asked for, as at the base.
  const selected = options.offline ? undefined : targetsOnClusters(config, options.targets, options.clusters ?? []);
  const render = { targets: selected ?? options.targets, tools: options.tools, env: options.env, cwd: options.cwd };
  // Asked while the targets render; a render that fails reports its own error, and missing versions are left out.
  const toolVersions = toolVersionsFor(config, render).catch(() => undefined);
  const sets = selected?.length === 0 ? [] : await renderTargets(config, render);
  const baseSets = options.base ? await renderAtRef(config, options.base, options) : undefined;
  let plan: Plan;
  let cluster: Plan['cluster'];
  let oneCluster: ClusterClient | undefined;
  if (options.offline && baseSets) {
    plan = intentPlan(baseSets, sets, options.base!);
  } else if (config.clusters) {
    refuseOneClusterOptions(options, 'diff');
    if (options.base)
      throw new UsageError('--base with named clusters (kubeplan.yaml clusters:) plans only without a cluster', {
        hint: 'add --offline for the intent diff against the base, or drop --base to plan every instance against its cluster',
      });
    plan = await planNamedClusters(config, sets, options, {
      targets: options.targets,
      clusters: options.clusters ?? [],
      clustersWhere: options.clustersWhere,
      onSecret: options.onSecret,
      mode: options.mode,
      forceConflicts: options.forceConflicts,
      chooseMode,
    });
    for (const notice of plan.notices ?? []) {
      notices.push(notice);
      options.onNotice?.(notice);
    }
  } else {
    refuseClusterFilter(options);
    const { client, resources, ignore, policy, repository, configFile } = await openCluster(config, options);
    cluster = { server: client.server, context: options.direct ? undefined : client.contextName };
    oneCluster = client;
    // A target removed from the config prunes nothing: say that its objects stay, and how to delete them.
    for (const notice of await removedTargetNotices(client, resources, config, { repository, configFile })) {
      notices.push(notice);
      options.onNotice?.(notice);
    }
    const forceConflicts = (target: string) =>
      (options.forceConflicts ?? false) ||
      (config.targets.find((t) => t.name === target)?.apply.forceConflicts ?? false);
    if (baseSets) {
      const { mode, reason } = await chooseMode(options.mode, client, resources, baseSets);
      const drift = await planTargets(baseSets, client, resources, {
        mode,
        modeReason: reason,
        ignore,
        policy,
        repository,
      });
      plan = {
        ...intentPlan(baseSets, sets, options.base!),
        drift: { mode, targets: drift.targets, summary: drift.summary },
        stats: drift.stats,
      };
    } else {
      // A canary target is planned at its canary's place, as apply plans it (read from the cluster, nothing written),
      // so the plan digests bind and the canary's own objects are no change.
      const canaries = await readCanaryPlaces(config, sets, client, (warning) => {
        notices.push(warning);
        options.onNotice?.(warning);
      });
      const planned = canaries.sets;
      const scrubber = new SecretScrubber();
      const { mode, reason } = await chooseMode(options.mode, client, resources, planned);
      plan = await planTargets(planned, client, resources, {
        mode,
        modeReason: reason,
        ignore,
        policy,
        repository,
        configFile,
        scrubber,
        forceConflicts,
      });
      plan.digests = planDigests(plan, planned, { server: client.server, caSha256: client.caSha256 });
      for (const t of plan.targets) {
        const prep = canaries.preps.get(t.target);
        if (prep) t.canary = canaryPlanInfo(prep, (text) => scrubber.scrub(text));
      }
      // The same RBAC preflight apply runs, for the apply this plan predicts: with server-mode credentials (they may
      // patch) a missing right (delete for a prune, create in a new namespace) shows in the plan, not at merge time.
      if (mode === 'server') {
        for (const t of plan.targets) {
          if (!t.changes.some((c) => c.action !== 'unchanged')) continue;
          const access = await missingAccess(
            client,
            t,
            true,
            config.targets.find((x) => x.name === t.target)?.apply.rollback ?? false,
          );
          if (access) t.missingAccess = access;
        }
      }
    }
  }
  if (plan.mode === 'intent') {
    const canaryTargets = sets.filter((s) => config.targets.find((t) => t.name === s.target)?.canary);
    if (canaryTargets.length) {
      const notice = intentCanaryNotice(canaryTargets.map((s) => s.target));
      notices.push(notice);
      options.onNotice?.(notice);
    }
  }
  const soakBase = options.soak?.base ?? options.base;
  const basePromote = options.soak && soakBase ? await promoteAt(config, soakBase, options.env) : undefined;
  if (options.soak && (config.targets.some((t) => t.promote) || basePromote?.size)) {
    const policy = await checkPromotionSoak(
      config,
      // An instance on a named cluster is `target@cluster`.
      new Set(plan.targets.map((t) => (config.clusters ? t.target.replace(/@[^@]*$/, '') : t.target))),
      { ...soakCheck(options.soak, options.base, oneCluster, config), basePromote },
      options.env,
    );
    if (policy.length > 0) plan.policy = policy;
  }
  if (notices.length > 0) plan.notices = notices;
  if (cluster) plan.cluster = cluster;
  const tools = await toolVersions;
  if (tools && Object.keys(tools).length > 0) plan.tools = tools;
  const report =
    options.output === 'json'
      ? formatPlanJson(plan)
      : options.output === 'markdown'
        ? formatPlanMarkdown(plan)
        : formatPlanText(plan, { color: options.color });
  const errors =
    plan.summary.error +
    (plan.drift?.summary.error ?? 0) +
    (plan.clusters?.filter((c) => c.error).length ?? 0) +
    policyErrors(plan).length;
  const exitCode = errors > 0 ? EXIT_ERROR : options.exitCode && planChanges(plan) ? 1 : 0;
  return { plan, report, exitCode };
}

/**
 * Where the soak policy reads the upstreams' state and the change's start: as given (a pull request: the forge's
 * deployments and its base), else from the one cluster this plan read (the upstream's inventory; the commit the
 * destination last applied, or --base). Without either, the policy is not checked and a warning says why.
 */
function soakCheck(
  given: NonNullable<DiffCommandOptions['soak']>,
  base: string | undefined,
  client: ClusterClient | undefined,
  config: Config,
): SoakCheck {
  const inventory = client ? inventorySource(client) : undefined;
  const ref = given.base ?? base;
  return {
    source: given.source ??
      inventory ?? {
        unavailable: config.clusters
          ? "with named clusters kubeplan diff reads no upstream's state (a pull request's plan reads its deployments)"
          : "no cluster to read the upstream's inventory from",
      },
    base: async (dest) => {
      if (ref) return { ref };
      if (!inventory) return { unknown: 'no --base, and no cluster to read the commit it last applied from' };
      const [state] = await inventory.lastApplied(dest);
      if (!state || 'none' in state)
        return { unknown: `what the change sets cannot be told (${state?.none ?? 'no inventory'}); pass --base` };
      return { ref: state.sha };
    },
    now: given.now,
  };
}

/** An intent diff reads no canary state: its canary targets are shown as git renders them. */
function intentCanaryNotice(targets: string[]): string {
  const names = targets.map((t) => inlineCode(t)).join(', ');
  return `${targets.length === 1 ? `target ${names} has` : `targets ${names} have`} a canary: this intent diff reads no canary state, so it shows ${targets.length === 1 ? 'it' : 'them'} as git renders ${targets.length === 1 ? 'it' : 'them'}, not at the canary's place (the stable track label, the derived Services, the route weights, a canary Deployment under way); a plan against the cluster shows what apply does`;
}

function intentPlan(baseSets: ManifestSet[], sets: ManifestSet[], base: string): Plan {
  const targets = planIntent(baseSets, sets);
  const changes = targets.flatMap((t) => t.changes);
  return {
    mode: 'intent',
    modeReason: `git: ${base} → working tree`,
    base,
    targets,
    summary: countChanges(changes),
    stats: { objects: changes.length, fastPath: 0, dryRuns: 0, lists: 0, requests: 0 },
  };
}

/** Renders the same config file and targets as they were at a git ref, in a temporary worktree. */
async function renderAtRef(config: Config, ref: string, options: DiffCommandOptions): Promise<ManifestSet[]> {
  return withWorktree(config.repoRoot, ref, options.env, async (dir) => {
    const relConfig = configPathInRepo(config);
    const cwd = path.join(dir, path.relative(config.repoRoot, path.resolve(options.cwd)));
    let baseConfig: Config;
    try {
      baseConfig = loadConfig(path.join(dir, relConfig), cwd);
    } catch (error) {
      // No config at the base (the repository adopts kubeplan in this change): everything is new.
      if (error instanceof ConfigError && !existsSync(path.join(dir, relConfig))) return [];
      throw error;
    }
    const known = new Set(baseConfig.targets.map((t) => t.name));
    const targets = options.targets.filter((t) => known.has(t));
    if (options.targets.length > 0 && targets.length === 0) return [];
    return renderTargets(baseConfig, { targets, tools: options.tools, env: options.env, cwd });
  });
}

/**
 * With named clusters each cluster's connection comes from kubeplan.yaml: a kubeconfig, context or server given for
 * the run would be silently ignored, so it is refused.
 */
export function refuseOneClusterOptions(options: ClusterOptions, command: string): void {
  const given = options.direct
    ? '--server'
    : options.kubeconfig
      ? '--kubeconfig'
      : options.context
        ? '--context'
        : options.pin?.server
          ? '--expect-server'
          : options.pin?.caSha256
            ? '--expect-ca-sha256'
            : undefined;
  if (given)
    throw new UsageError(`${given} names one cluster, and kubeplan.yaml names its clusters (clusters:)`, {
      where: { via: 'cli', command, input: given.slice(2) },
      hint: "drop it: each cluster's server, CA, pin (caSha256) and credentials come from kubeplan.yaml (select clusters with --cluster)",
    });
}

/** --cluster selects among named clusters: without kubeplan.yaml clusters: there is none to select. */
export function refuseClusterFilter(options: Partial<NamedClustersRequest>): void {
  if (options.clusters?.length)
    throw new UsageError(`--cluster ${options.clusters[0]}: kubeplan.yaml has no clusters:`, {
      where: options.clustersWhere,
      hint: 'name the clusters under a top-level clusters: map and list them in the targets, or drop --cluster',
    });
}

/** `auto`: server mode when the credentials may patch every kind and namespace the plan touches, else client mode. */
async function chooseMode(
  requested: DiffMode | 'auto',
  client: ClusterClient,
  resources: ResourceMap,
  sets: ManifestSet[],
): Promise<{ mode: DiffMode; reason: string }> {
  if (requested !== 'auto') return { mode: requested, reason: `--mode ${requested}` };
  const checks = new Map<string, Promise<boolean>>();
  for (const m of sets.flatMap((s) => s.manifests)) {
    const info = resources.lookup(m.object);
    if (!info) continue;
    const ns = info.namespaced ? (m.object.metadata.namespace ?? client.namespace) : undefined;
    const key = `${info.group}/${info.resource}/${ns ?? ''}`;
    if (!checks.has(key))
      checks.set(
        key,
        canI(client, 'patch', info, ns).catch(() => false),
      );
  }
  const denied = (
    await Promise.all([...checks].map(async ([key, allowed]) => ((await allowed) ? undefined : key)))
  ).filter((k) => k !== undefined);
  if (denied.length === 0) return { mode: 'server', reason: 'auto: the credentials may patch every object' };
  return {
    mode: 'client',
    reason: `auto: no patch permission for ${denied.slice(0, 3).join(', ')}${denied.length > 3 ? ', …' : ''}, so read-only comparison`,
  };
}
