import type { TargetApplyResult } from '../apply/apply.js';
import { RevisionStore, type Revision } from '../apply/revisions.js';
import { rollbackTarget } from '../apply/rollback.js';
import { loadConfig } from '../config/load-config.js';
import { runIdentity, takeCanaryForRollback } from '../canary/drive.js';
import { CanaryStateStore } from '../canary/state.js';
import { SecretScrubber } from '../diff/secrets.js';
import { UsageError } from '../errors.js';
import { objectName } from '../report/common.js';
import { namedClusterOptions } from '../cluster/named-clusters.js';
import { openCluster, type ClusterOptions } from './cluster-run.js';
import { refuseClusterFilter, refuseOneClusterOptions } from './diff.js';
import type { NamedClustersRequest } from './named-plan.js';

export interface RollbackCommandOptions extends ClusterOptions, Partial<NamedClustersRequest> {
  config: string;
  target: string;
  /** A revision number; undefined: the one before the newest. */
  toRevision: number | undefined;
  list: boolean;
  waitTimeoutMs: number | undefined;
  forceConflicts: boolean;
  output: 'text' | 'json';
  tooling: string;
  onProgress?: (message: string) => void;
}

/**
 * `kubeplan rollback`: lists a target's stored revisions, or re-applies one (by default the one before the newest)
 * through the same plan and staged apply as `kubeplan apply`, and records it as a new revision.
 */
export async function rollbackCommand(
  options: RollbackCommandOptions,
): Promise<{ report: string; revisions: Revision[]; result?: TargetApplyResult }> {
  const config = loadConfig(options.config, options.cwd);
  const target = config.targets.find((t) => t.name === options.target);
  if (!target) {
    throw new UsageError(`no target "${options.target}" in ${config.file}`, {
      where: { via: 'cli', command: 'rollback', input: 'target' },
      hint: `targets: ${config.targets.map((t) => t.name).join(', ')}`,
    });
  }
  const { client, resources, ignore, policy, repository, configFile } = await openCluster(
    config,
    await rollbackCluster(config, target, options),
  );
  const store = new RevisionStore(client, target.name, target.namespace);
  if (options.list) {
    const revisions = await store.list({ sizes: true });
    return {
      revisions,
      report:
        options.output === 'json'
          ? `${JSON.stringify({ version: 1, target: target.name, revisions }, null, 2)}\n`
          : listText(target.name, revisions, target.apply.rollback),
    };
  }
  // A canary under way: this run takes it first; by default the rollback restores its stable version (the newest
  // revision: a canary stores none), and the canary ends with it.
  const canary =
    target.canary && target.namespace
      ? await takeCanaryForRollback(
          new CanaryStateStore(client, target.name, target.namespace),
          runIdentity(options.env),
          new Date(),
        )
      : undefined;
  const scrubber = new SecretScrubber();
  const outcome = await rollbackTarget(target.name, target.namespace, client, resources, {
    scrubber,
    to: options.toRevision ?? (canary ? 'newest' : 'previous'),
    record: true,
    ignore,
    policy,
    repository,
    configFile,
    forceConflicts: options.forceConflicts || target.apply.forceConflicts,
    allowEmpty: true,
    recreate: target.apply.recreate,
    tooling: options.tooling,
    crdTimeoutSeconds: 60,
    waitTimeoutMs: options.waitTimeoutMs,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  }).catch(async (error: unknown) => {
    await canary?.release();
    throw scrubber.scrubError(error);
  });
  // 'newest' with no revision left (deleted by hand) has nothing to return to.
  if (!(outcome as typeof outcome | undefined)) {
    await canary?.release();
    throw new UsageError(`target ${target.name} has no stored revision to roll back to`, {
      where: { target: target.name },
      hint: 'a canary keeps its stable version as the newest revision: were the revision Secrets deleted? kubeplan canary abort ends the canary instead',
    });
  }
  const canaryNote = canary ? await canary.end(outcome.to.number) : undefined;
  const r = outcome.result;
  if (canaryNote) r.notes.push(canaryNote);
  const revisions = await store.list();
  if (options.output === 'json')
    return {
      revisions,
      result: r,
      report: `${JSON.stringify({ version: 1, target: target.name, to: outcome.to, stored: outcome.stored ?? null, result: r }, null, 2)}\n`,
    };
  const lines = [
    `── target ${target.name}: rolled back to revision ${outcome.to.number}${outcome.to.commit ? ` (commit ${outcome.to.commit.slice(0, 12)})` : ''}: ${r.created} created, ${r.updated} updated, ${r.pruned} pruned, ${r.unchanged} unchanged`,
    ...r.objects
      .filter((o) => o.action !== 'unchanged')
      .map((o) => `  ${o.action.padEnd(9)} ${o.apiVersion} ${objectName(o)}`),
    ...r.notes.map((n) => `  note: ${n}`),
    ...(outcome.stored !== undefined ? [`  recorded as revision ${outcome.stored}`] : []),
  ];
  return { revisions, result: r, report: `${lines.join('\n')}\n` };
}

function listText(target: string, revisions: Revision[], enabled: boolean): string {
  if (revisions.length === 0)
    return `target ${target}: no stored revisions${enabled ? ' yet' : ' (set apply: {rollback: true} on the target in kubeplan.yaml to keep them)'}\n`;
  const rows = revisions.map((r, i) => [
    String(r.number),
    r.commit ? r.commit.slice(0, 12) : '-',
    r.appliedAt,
    String(r.objects),
    r.bytes === undefined ? '-' : `${Math.max(1, Math.round(r.bytes / 1024))} KiB`,
    `${r.rollbackOf !== undefined ? `rollback to ${r.rollbackOf}` : ''}${i === revisions.length - 1 ? `${r.rollbackOf !== undefined ? ', ' : ''}current` : ''}`,
  ]);
  const head = ['REVISION', 'COMMIT', 'APPLIED', 'OBJECTS', 'SIZE', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return `${[head, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/**
 * Where a rollback runs: the run's cluster, or with named clusters the one instance of the target that --cluster (the
 * clusters input) names; a target on one cluster needs none.
 */
async function rollbackCluster(
  config: import('../config/types.js').Config,
  target: import('../config/types.js').Target,
  options: RollbackCommandOptions,
): Promise<ClusterOptions> {
  if (!config.clusters) {
    refuseClusterFilter(options);
    return options;
  }
  refuseOneClusterOptions(options, 'rollback');
  const on = target.clusters ?? [];
  const chosen = options.clusters ?? [];
  const name = chosen.length === 0 && on.length === 1 ? on[0] : chosen.length === 1 ? chosen[0] : undefined;
  if (!name || !on.includes(name))
    throw new UsageError(
      name
        ? `target "${target.name}" does not run on cluster "${name}"`
        : `rollback re-applies one instance: name its cluster (target "${target.name}" runs on ${on.join(', ')})`,
      {
        where: options.clustersWhere,
        hint: `pass exactly one of ${on.map((c) => `--cluster ${c}`).join(', ')} (the clusters input in the action)`,
      },
    );
  return namedClusterOptions(config.clusters.find((c) => c.name === name)!, options, options);
}
