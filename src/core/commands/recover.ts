import path from 'node:path';
import { execa } from 'execa';
import type { DeploymentRecord } from '../../platform/types.js';
import { APPLYING_ANNOTATION, COMMIT_ANNOTATION, writeCommitGuard, type TargetApplyResult } from '../apply/apply.js';
import { type RecoveryGaps, recoveryGaps, type GapObject } from '../apply/recovery-gaps.js';
import { APPLYSET_ID, applySetParent, CONFIG_FILE, foreignRepository, TOOLING } from '../cluster/applyset.js';
import type { ClusterClient } from '../cluster/client.js';
import type { ResourceMap } from '../cluster/discovery.js';
import { instanceName } from '../cluster/named-clusters.js';
import { listLiveObjects, serverSideApply } from '../cluster/objects.js';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/types.js';
import type { TargetPlan } from '../diff/types.js';
import { ClusterError, KubeplanError, UsageError, type Where } from '../errors.js';
import { headCommit, isAncestor } from '../git/ancestry.js';
import { withWorktree } from '../git/worktree.js';
import type { KubeObject } from '../manifests/types.js';
import { objectName } from '../report/common.js';
import { type ApplyCommandOptions, type ApplyCommandResult, type ApplyingCluster, applyCommand } from './apply.js';
import { deploymentsSource } from './promote.js';
import { configPathInRepo } from '../config/config-path.js';

/** The cluster already holds inventories of this repository: recover refuses it (exit 3) and writes nothing. */
export class RecoverRefused extends KubeplanError {
  override readonly exitCode: number = 3;
}

export interface RecoverOptions
  extends Omit<ApplyCommandOptions, 'recover' | 'around' | 'expect' | 'bind' | 'allowEmpty' | 'noHooks'> {
  /** `head` (the checked-out commit), `last-successful` (the forge's deployment history) or a commit. */
  to: string;
  /** Recover onto a cluster that has inventories of this repository already. */
  force: boolean;
  /** The forge's deployment history (GitHub Deployments) for --to last-successful; undefined: no forge here. */
  deployments?: ((environment: string) => Promise<DeploymentRecord[]>) | undefined;
  /** Why there is no forge, for --to last-successful's error (`GITHUB_TOKEN and GITHUB_REPOSITORY are not set`). */
  noForge?: string | undefined;
}

/** One instance (a target, or target@cluster) of the recovery. */
export interface RecoveredInstance {
  name: string;
  status: 'applied' | 'failed' | 'skipped' | 'not started';
  /** From the start of its apply to its end (healthy), in milliseconds. */
  ms: number | undefined;
  stages: TargetApplyResult['stages'];
  created: number;
  updated: number;
  reason: string | undefined;
}

export interface RecoverReport {
  dryRun: boolean;
  finished: boolean;
  cluster: string | undefined;
  server: string | undefined;
  commit: string;
  to: string;
  /** The inventories of this repository the cluster had (recovering over them needs --force). */
  inventoriesFound: string[];
  /** The commit guard: how many inventories it was written to before the first object, and how long it took. */
  guard: { inventories: number; ms: number };
  instances: RecoveredInstance[];
  /** From the start of the command until the last instance was applied and healthy. */
  recoveryMs: number;
  cannotRestore: RecoveryGaps;
}

export interface RecoverResult {
  report: RecoverReport;
  output: string;
  failure?: unknown;
}

const where = (input?: string): Where => ({ via: 'cli', command: 'recover', ...(input ? { input } : {}) });

/**
 * `kubeplan recover`: rebuilds a lost cluster from git through the same plan and staged apply as `kubeplan apply`.
 * Refuses a cluster that already has inventories of this repository (unless --force), records the commit guard on
 * every inventory before the first object, applies every instance in dependency order with health waits, and reports
 * what git cannot restore and how long each part took.
 */
export async function recoverCommand(options: RecoverOptions): Promise<RecoverResult> {
  const started = Date.now();
  const config = loadConfig(options.config, options.cwd);
  const cluster = chooseCluster(config, options.clusters ?? []);
  const head = await headCommit(config.repoRoot, options.env);
  if (!head)
    throw new UsageError(`recover restores a commit, and ${config.repoRoot} is not a git repository with a commit`, {
      where: where(),
      hint: 'run kubeplan recover in a clone of the config repository',
    });
  const sha = await resolveCommit(config, options, head, cluster);

  const state = {
    server: undefined as string | undefined,
    inventories: [] as string[],
    gaps: { persistentVolumeClaims: [], secrets: [], loadBalancers: [] } as RecoveryGaps,
    guarded: new Set<string>(),
    guardMs: 0,
    order: [] as string[],
    timing: new Map<string, { started: number; ms?: number }>(),
  };
  const beforeWrite = async (c: { name: string | undefined; applying: ApplyingCluster; targets: TargetPlan[] }) => {
    const { client, resources, repository, configFile } = c.applying;
    state.server = client.server;
    state.order = c.targets.map((t) => (c.name ? instanceName(t.target, c.name) : t.target));
    const namespaces = [...new Set(c.targets.map((t) => applySetParent(t.target, t.namespace).namespace))];
    state.inventories = await inventoriesOf(client, resources, repository, configFile, namespaces);
    if (state.inventories.length > 0 && !options.force)
      throw new RecoverRefused(
        `${c.name ? `cluster ${c.name}` : 'this cluster'} already has ${state.inventories.length} kubeplan ${state.inventories.length === 1 ? 'inventory' : 'inventories'} of this repository; nothing was written\n${state.inventories.map((i) => `  ${i}`).join('\n')}`,
        {
          where: c.name ? where('cluster') : { server: client.server },
          hint: 'recover rebuilds an empty (new) cluster: bring a running one back to git with kubeplan apply; to recover over these inventories anyway (to finish a recovery that stopped part-way), pass --force',
        },
      );
    const objects = c.targets.flatMap((t) =>
      t.changes
        .filter((ch) => ch.object && !ch.hook && ch.action !== 'delete')
        .map((ch) => ({ object: ch.object!, created: ch.action === 'create' })),
    );
    state.gaps = await recoveryGaps(objects, (ns, name) => secretExists(client, ns, name));
    if (options.dryRun) return;
    const guardStarted = Date.now();
    for (const t of c.targets) {
      if (await writeGuard(client, resources, t, c.targets, options.tooling, sha)) state.guarded.add(t.target);
    }
    state.guardMs = Date.now() - guardStarted;
  };

  const relConfig = configPathInRepo(config);
  const relCwd = path.relative(config.repoRoot, path.resolve(options.cwd));
  const apply = (configFile: string, cwd: string) =>
    applyCommand({
      ...options,
      config: configFile,
      cwd,
      // The worktree of --to SHA is elsewhere: a kubeconfig named relative to where kubeplan was started stays that file.
      kubeconfig: options.kubeconfig ? path.resolve(options.cwd, options.kubeconfig) : undefined,
      clusters: cluster ? [cluster] : [],
      allowEmpty: false,
      noHooks: false,
      recover: { beforeWrite, install: (target) => state.guarded.has(target) },
      around: {
        before: async (name) => void state.timing.set(name, { started: Date.now() }),
        after: async (name) => {
          const t = state.timing.get(name);
          if (t) t.ms = Date.now() - t.started;
        },
      },
    });
  const result =
    sha === head
      ? await apply(options.config, options.cwd)
      : await withWorktree(config.repoRoot, sha, options.env, (dir) =>
          apply(path.join(dir, relConfig), path.join(dir, relCwd)),
        );

  const instances = instanceRows(result, state.order, state.timing);
  const report: RecoverReport = {
    dryRun: options.dryRun,
    finished: result.failure === undefined,
    cluster,
    server: state.server,
    commit: sha,
    to: options.to,
    inventoriesFound: state.inventories,
    guard: { inventories: state.guarded.size, ms: state.guardMs },
    instances,
    recoveryMs: Date.now() - started,
    cannotRestore: state.gaps,
  };
  const output = options.output === 'json' ? recoverJson(report, result) : `${result.report}\n${recoverText(report)}`;
  return { report, output, ...(result.failure !== undefined ? { failure: result.failure } : {}) };
}

/** The named cluster to recover: exactly one --cluster with clusters:, none without. */
function chooseCluster(config: Config, clusters: string[]): string | undefined {
  if (!config.clusters) return undefined; // the one cluster the kubeconfig or --server names; apply refuses --cluster
  const known = config.clusters.map((c) => c.name);
  const hint = `pass --cluster NAME, one of ${known.join(', ')}`;
  if (clusters.length !== 1)
    throw new UsageError(
      clusters.length === 0
        ? `recover rebuilds one cluster at a time, and no --cluster was given (${path.basename(config.file)} names its clusters)`
        : `recover rebuilds one cluster at a time, not ${clusters.length} (${clusters.join(', ')})`,
      { where: where('cluster'), hint },
    );
  if (!known.includes(clusters[0]!))
    throw new UsageError(`unknown cluster "${clusters[0]}"`, { where: where('cluster'), hint });
  return clusters[0];
}

/** --to: head, last-successful, or a commit (any name git resolves to one). */
async function resolveCommit(
  config: Config,
  options: RecoverOptions,
  head: string,
  cluster: string | undefined,
): Promise<string> {
  const to = options.to.trim();
  if (to === '' || to === 'head' || to === 'HEAD') return head;
  if (to === 'last-successful') return lastSuccessful(config, options, cluster);
  const r = await execa('git', ['rev-parse', '--verify', '--quiet', `${to}^{commit}`], {
    cwd: config.repoRoot,
    env: options.env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  if (r.exitCode !== 0)
    throw new UsageError(`no commit "${to}" in ${config.repoRoot}`, {
      where: where('to'),
      hint: 'pass head, last-successful or a commit of the config repository (fetch it first: git fetch origin, or actions/checkout with fetch-depth: 0)',
    });
  return String(r.stdout).trim();
}

/**
 * The newest commit the instances on the cluster last applied successfully, from the forge's deployments (one
 * environment per instance: the target's deployment environment, `@cluster` with named clusters).
 */
async function lastSuccessful(config: Config, options: RecoverOptions, cluster: string | undefined): Promise<string> {
  if (!options.deployments)
    throw new UsageError(
      `--to last-successful reads the forge's deployment history, and ${options.noForge ?? 'no forge is configured here'}`,
      {
        where: where('to'),
        hint: 'set those variables, or pass --to SHA: the commit to restore (the one your last successful apply job ran)',
      },
    );
  const targets = config.targets.filter((t) => !cluster || (t.clusters ?? []).includes(cluster));
  const source = deploymentsSource(options.deployments, () => undefined);
  const states = (await Promise.all(targets.map((t) => source.lastApplied(t)))).flat().filter((s) => {
    if (!cluster) return true;
    return s.name.endsWith(`@${cluster}`);
  });
  const found = states.filter((s): s is Extract<typeof s, { sha: string }> => 'sha' in s);
  if (found.length === 0)
    throw new UsageError(
      `no deployment of the targets${cluster ? ` on cluster ${cluster}` : ''} ever succeeded (environments ${states.map((s) => s.name).join(', ')})`,
      { where: where('to'), hint: 'pass --to SHA (or --to head) to choose the commit to restore' },
    );
  const shas = [...new Set(found.map((s) => s.sha))];
  for (const candidate of shas) {
    const checks = await Promise.all(
      shas.map((o) => (o === candidate ? true : isAncestor(config.repoRoot, o, candidate, options.env))),
    );
    if (checks.every((c) => c === true)) return candidate;
  }
  throw new UsageError(
    `the instances last succeeded with commits that are not in one line of history (${found.map((s) => `${s.name}: ${s.sha.slice(0, 12)}`).join(', ')})`,
    {
      where: where('to'),
      hint: 'fetch the full history (git fetch --unshallow) if a commit is missing here, or pass --to SHA to choose one',
    },
  );
}

/**
 * The inventories of this repository and config file on the cluster: `kubeplan-<target>` ConfigMaps kubeplan wrote
 * (ApplySet parents), listed in every namespace at once, or else in the namespaces of the config's targets.
 */
async function inventoriesOf(
  client: ClusterClient,
  resources: ResourceMap,
  repository: string | undefined,
  configFile: string,
  namespaces: string[],
): Promise<string[]> {
  const configMaps = resources.lookup({ apiVersion: 'v1', kind: 'ConfigMap' });
  if (!configMaps) return [];
  let parents: KubeObject[];
  try {
    parents = await listLiveObjects(client, configMaps, undefined, APPLYSET_ID);
  } catch (error) {
    if (!(error instanceof ClusterError && error.status === 403)) throw error;
    // No right to list ConfigMaps in every namespace: the namespaces this config's inventories live in.
    parents = [];
    for (const namespace of namespaces)
      parents.push(...(await listLiveObjects(client, configMaps, namespace, APPLYSET_ID)));
  }
  const out: string[] = [];
  for (const p of parents) {
    const annotations = p.metadata.annotations ?? {};
    const target = p.metadata.name.replace(/^kubeplan-/, '');
    if (target === p.metadata.name || !(annotations[TOOLING] ?? '').startsWith('kubeplan/')) continue;
    if (foreignRepository(p, repository, target)) continue;
    if ((annotations[CONFIG_FILE] ?? configFile) !== configFile) continue;
    const commit = annotations[COMMIT_ANNOTATION];
    const applying = annotations[APPLYING_ANNOTATION];
    out.push(
      `${p.metadata.namespace}/${p.metadata.name} (target ${target}${commit ? `, commit ${commit.slice(0, 12)}` : ''}${applying ? `, an apply of ${applying.slice(0, 12)} not finished` : ''})`,
    );
  }
  return out.sort();
}

async function secretExists(client: ClusterClient, namespace: string, name: string): Promise<boolean> {
  try {
    // Only the status matters: the answer (with the Secret's data) is dropped here.
    await client.request(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
    );
    return true;
  } catch (error) {
    if (error instanceof ClusterError && (error.status === 404 || error.status === 403)) return false;
    throw error;
  }
}

/**
 * The commit guard of one target, before anything is applied: its inventory parent, written when it does not exist
 * yet (an existing one keeps its own record, which the apply's guard checks). Its namespace is applied first when a
 * target on the cluster renders it (the same object that target applies); when none does, the target's own apply
 * reports the missing namespace. Returns whether the guard was written.
 */
async function writeGuard(
  client: ClusterClient,
  resources: ResourceMap,
  target: TargetPlan,
  all: TargetPlan[],
  tooling: string,
  sha: string,
): Promise<boolean> {
  const parent = applySetParent(target.target, target.namespace);
  if (
    await exists(
      client,
      `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}/configmaps/${encodeURIComponent(parent.name)}`,
    )
  )
    return false;
  if (!(await exists(client, `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}`))) {
    const namespace = all
      .flatMap((t) => t.changes)
      .find((c) => c.kind === 'Namespace' && c.name === parent.namespace && c.action === 'create' && c.object);
    const info = namespace && resources.lookup(namespace.object as KubeObject);
    if (!namespace || !info) return false;
    await serverSideApply(client, info, namespace.object!, { dryRun: false, force: false });
  }
  await writeCommitGuard(client, target, tooling, sha);
  return true;
}

async function exists(client: ClusterClient, at: string): Promise<boolean> {
  try {
    await client.request('GET', at);
    return true;
  } catch (error) {
    if (error instanceof ClusterError && error.status === 404) return false;
    throw error;
  }
}

function instanceRows(
  result: ApplyCommandResult,
  order: string[],
  timing: Map<string, { started: number; ms?: number }>,
): RecoveredInstance[] {
  const row = (name: string, status: RecoveredInstance['status'], r?: TargetApplyResult, reason?: string) => ({
    name,
    status,
    ms: timing.get(name)?.ms,
    stages: r?.stages ?? [],
    created: r?.created ?? 0,
    updated: r?.updated ?? 0,
    reason,
  });
  // In apply order (dependencies first), not config order.
  const at = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  if (result.instances)
    return [...result.instances]
      .sort((a, b) => at(a.name) - at(b.name))
      .map((o) =>
        row(
          o.name,
          o.status,
          o.result,
          o.reason ?? (o.error instanceof KubeplanError ? o.error.message.split('\n')[0] : undefined),
        ),
      );
  const names = order.length ? order : result.plan.targets.map((t) => t.target);
  return names.map((name) => {
    const applied = result.results.find((r) => r.target === name);
    if (applied) return row(name, 'applied', applied);
    if (result.stopped?.target?.target === name) {
      const reason = result.failure instanceof KubeplanError ? result.failure.message.split('\n')[0] : undefined;
      return row(name, 'failed', result.stopped.target, reason);
    }
    return row(name, 'not started');
  });
}

const seconds = (ms: number | undefined) =>
  ms === undefined ? '–' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;

function gapLines(title: string, items: GapObject[], none: string): string[] {
  if (items.length === 0) return [`  ${title}: none${none ? ` (${none})` : ''}`];
  return [`  ${title}:`, ...items.map((g) => `    ${objectName(g)}  (${g.because.join('; ')})`)];
}

function recoverText(r: RecoverReport): string {
  const on = r.cluster
    ? `cluster ${r.cluster}${r.server ? ` (${r.server})` : ''}`
    : `the cluster at ${r.server ?? '?'}`;
  const out = [
    `Recovery of ${on} to commit ${r.commit.slice(0, 12)} (--to ${r.to})${r.dryRun ? ': dry run, nothing written' : ''}`,
  ];
  if (r.inventoriesFound.length)
    out.push(
      `  --force: recovered over ${r.inventoriesFound.length} existing inventor${r.inventoriesFound.length === 1 ? 'y' : 'ies'}:${r.inventoriesFound.map((i) => `\n    ${i}`).join('')}`,
    );
  if (r.dryRun) {
    out.push(`  would apply, in this order: ${r.instances.map((i) => i.name).join(', ') || 'nothing'}`);
  } else {
    out.push(
      `  commit guard recorded on ${r.guard.inventories} inventor${r.guard.inventories === 1 ? 'y' : 'ies'} before the first object (${seconds(r.guard.ms)})${r.inventoriesFound.length ? `; the ${r.inventoriesFound.length} existing ones keep their record (a commit older than theirs is refused)` : ''}`,
    );
    for (const i of r.instances) {
      const stages = i.stages.filter((s) => s.objects > 0 || s.ms >= 1000).map((s) => `${s.name} ${seconds(s.ms)}`);
      out.push(
        `  ${i.name}: ${i.status}${i.ms !== undefined ? ` in ${seconds(i.ms)}` : ''}${i.status === 'applied' ? ` (${i.created || i.updated ? `${i.created} created${i.updated ? `, ${i.updated} updated` : ''}` : 'no changes'}${stages.length ? `; ${stages.join(', ')}` : ''})` : i.reason ? ` (${i.reason})` : ''}`,
      );
    }
    out.push(`  recovery time: ${seconds(r.recoveryMs)}${r.finished ? '' : ' (not finished)'}`);
  }
  const g = r.cannotRestore;
  out.push(
    '',
    'What git cannot restore:',
    ...gapLines(
      'PersistentVolumeClaims created empty (restore their data from a backup)',
      g.persistentVolumeClaims,
      '',
    ),
    ...gapLines(
      'Secrets used but rendered by no target on this cluster (create them: the workloads using them cannot start)',
      g.secrets,
      '',
    ),
    ...gapLines('LoadBalancer Services with new external addresses (point DNS at them)', g.loadBalancers, ''),
  );
  return `${out.join('\n')}\n`;
}

function recoverJson(r: RecoverReport, result: ApplyCommandResult): string {
  const failure = result.failure;
  const error =
    failure === undefined
      ? null
      : failure instanceof KubeplanError
        ? { message: failure.message, where: failure.where ?? null, hint: failure.hint ?? null }
        : { message: String(failure), where: null, hint: null };
  const instances = r.instances.map((i) => ({ ...i, ms: i.ms ?? null, reason: i.reason ?? null }));
  return `${JSON.stringify(
    {
      version: 1,
      command: 'recover',
      ...r,
      cluster: r.cluster ?? null,
      server: r.server ?? null,
      instances,
      apply: JSON.parse(result.report),
      error,
    },
    null,
    2,
  )}\n`;
}
