import type { ClusterClient } from '../cluster/client.js';
import type { ResourceMap } from '../cluster/discovery.js';
import type { IgnoreRule, TargetPolicy } from '../config/types.js';
import { planTargets } from '../diff/plan.js';
import type { SecretScrubber } from '../diff/secrets.js';
import type { KubeplanError } from '../errors.js';
import { objectName } from '../report/common.js';
import { applyTarget, bundleDigest, type ApplyOptions, type TargetApplyResult } from './apply.js';
import { ApplyError } from './apply-error.js';
import { RevisionStore, type Revision } from './revisions.js';

export interface RollbackOutcome {
  to: Revision;
  result: TargetApplyResult;
  /** The revision this rollback was stored as (by-hand rollbacks), if stored. */
  stored: number | undefined;
}

export interface RollbackOptions extends ApplyOptions {
  /** `newest`: the last successful apply (after a failed one); `previous`: the one before it (by hand); or a number. */
  to: 'newest' | 'previous' | number;
  ignore: ReadonlyMap<string, readonly IgnoreRule[]>;
  policy: ReadonlyMap<string, TargetPolicy>;
  /** This repository's identity (recorded on the inventory; another repository's inventory is refused). */
  repository: string | undefined;
  /** The config file (repository-relative), recorded on the inventory. */
  configFile?: string | undefined;
  /** Record the rollback as a new revision (by hand; an automatic rollback restores the newest one as it is). */
  record: boolean;
  /** Learns the revision's Secret values, so errors of the run can be scrubbed of them (see planTargets). */
  scrubber?: SecretScrubber;
}

/**
 * Re-applies a stored revision of a target, through the same plan and staged apply as a normal apply (so objects
 * the failed apply added are pruned and changed ones are set back). Hooks do not run. With `to: 'newest'` (after a
 * failed apply) and no revision stored yet, there is nothing to return to: undefined.
 */
export async function rollbackTarget(
  target: string,
  namespace: string | undefined,
  client: ClusterClient,
  resources: ResourceMap,
  options: RollbackOptions & { to: 'newest' },
): Promise<RollbackOutcome | undefined>;
export async function rollbackTarget(
  target: string,
  namespace: string | undefined,
  client: ClusterClient,
  resources: ResourceMap,
  options: RollbackOptions,
): Promise<RollbackOutcome>;
export async function rollbackTarget(
  target: string,
  namespace: string | undefined,
  client: ClusterClient,
  resources: ResourceMap,
  options: RollbackOptions,
): Promise<RollbackOutcome | undefined> {
  const store = new RevisionStore(client, target, namespace);
  const revisions = await store.list();
  const to =
    typeof options.to === 'number'
      ? revisions.find((r) => r.number === options.to)
      : options.to === 'newest'
        ? revisions.at(-1)
        : revisions.at(-2);
  if (!to && options.to === 'newest' && revisions.length === 0) return undefined;
  if (!to) {
    const known = revisions.map((r) => r.number).join(', ') || 'none';
    throw new ApplyError(
      typeof options.to === 'number'
        ? `target ${target} has no revision ${options.to}`
        : options.to === 'newest'
          ? `target ${target} has no stored revision to roll back to`
          : `target ${target} has no revision before the current one`,
      {
        where: { target },
        hint: `stored revisions: ${known} (kubeplan rollback --target ${target} --list); revisions are kept only with apply: {rollback: true}`,
      },
    );
  }
  options.onProgress?.(`target ${target}: rolling back to revision ${to.number}`);
  const objects = await store.load(to);
  const set = {
    target,
    namespace,
    manifests: objects.map((object) => ({ object, source: { file: `revision ${to.number}` } })),
  };
  const plan = await planTargets([set], client, resources, {
    mode: 'server',
    modeReason: `rollback to revision ${to.number}`,
    ignore: options.ignore,
    policy: options.policy,
    repository: options.repository,
    configFile: options.configFile,
    ...(options.scrubber ? { scrubber: options.scrubber } : {}),
  });
  const targetPlan = plan.targets[0]!;
  // The revision's commit is older than the one that failed: the out-of-order guard must let it through.
  const commit = to.commit ? { sha: to.commit, isAncestor: async () => false } : undefined;
  const result = await applyTarget(targetPlan, client, resources, {
    ...options,
    noHooks: true,
    allowEmpty: true,
    revisions: true,
    ...(commit ? { commit } : { commit: undefined }),
  });
  let stored: number | undefined;
  if (options.record) {
    const saved = await store.save(objects, {
      commit: to.commit,
      digest: bundleDigest(objects),
      rollbackOf: to.number,
    });
    stored = saved.number;
    if (saved.note) result.notes.push(saved.note);
  }
  return { to, result, stored };
}

/** What a failed apply did that re-applying a revision cannot take back. */
export function notUndone(failed: TargetApplyResult): string[] {
  const out: string[] = [];
  for (const o of failed.objects) {
    const name = `${o.apiVersion} ${objectName(o)}`;
    if (o.action === 'recreated') out.push(`${name} was deleted and created again: what it held before is gone`);
    if (o.action === 'pruned')
      out.push(
        `${name} was deleted: the revision creates it again, but not its data (volumes, status, generated values)`,
      );
    if ((o.action === 'created' || o.action === 'updated' || o.action === 'recreated') && o.kind === 'Job')
      out.push(`${name} ran: what it did stays`);
  }
  for (const n of failed.notes.filter((x) => x.startsWith('ran '))) out.push(`hook ${n.slice(4)}: what it did stays`);
  return out;
}

/** The error of a failed apply, followed by what the automatic rollback did. */
export function rolledBackError(error: KubeplanError, outcome: RollbackOutcome, failed: TargetApplyResult): ApplyError {
  const undone = notUndone(failed);
  const r = outcome.result;
  const lines = [
    `${error.message}`,
    `  rolled back to revision ${outcome.to.number}${outcome.to.commit ? ` (commit ${outcome.to.commit.slice(0, 12)})` : ''}: ${r.created} created, ${r.updated} updated, ${r.pruned} pruned`,
    ...(undone.length ? ['  could not be undone:', ...undone.map((u) => `    - ${u}`)] : []),
  ];
  return new ApplyError(lines.join('\n'), {
    where: error.location,
    cause: error,
    hint: `fix the cause and apply again; the cluster is back at revision ${outcome.to.number}${error.hint ? ` (${error.hint})` : ''}`,
  });
}
