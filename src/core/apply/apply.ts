import { createHash } from 'node:crypto';
import {
  ADDITIONAL_NAMESPACES,
  APPLYSET_ID,
  applySetId,
  applySetParent,
  CONTAINS_GROUP_KINDS,
  foreignRepository,
  CONFIG_FILE,
  REPOSITORY,
  TOOLING,
} from '../cluster/applyset.js';
import type { ClusterClient } from '../cluster/client.js';
import { resourcePath, ResourceMap } from '../cluster/discovery.js';
import { serverSideApply } from '../cluster/objects.js';
import type { Change, TargetPlan } from '../diff/types.js';
import { sleepUnlessCancelled, throwIfCancelled } from '../cancel.js';
import { ClusterError, objectWhere } from '../errors.js';
import { ApplyError } from './apply-error.js';
import { canBeUnhealthy, type ControlledObject, waitHealthy } from './health.js';
import { deleteAndWait, runHooks } from './hooks.js';
import { preflightAccess } from './preflight.js';
import type { KubeObject } from '../manifests/types.js';
import { objectName } from '../report/common.js';

export { ApplyError };

export interface ApplyOptions {
  /** Take fields owned by other field managers instead of failing. */
  forceConflicts: boolean;
  /** Objects whose fields apply takes whatever forceConflicts says (a canary's route: its weights are kubeplan's). */
  takesOver?: ((object: KubeObject) => boolean) | undefined;
  /** Objects whose health apply does not wait for (a canary's Deployment: the canary's steps judge it). */
  judgedElsewhere?: ((object: KubeObject) => boolean) | undefined;
  /** Allow a target that renders nothing to prune everything it applied before. */
  allowEmpty: boolean;
  /** `kubeplan/<version>`, recorded on the inventory parent. */
  tooling: string;
  /** Seconds to wait for CRDs to be Established. */
  crdTimeoutSeconds: number;
  /** What the inventory parent records about the review of this apply (plan binding, audit). */
  review?: ReviewAudit | undefined;
  /** The commit being applied (recorded on the inventory parent), and how to check it is not older than the last. */
  commit?: { sha: string; isAncestor: (older: string, newer: string) => Promise<boolean | undefined> };
  /** Kinds that may be deleted and created again when an immutable field changes. */
  recreate?: string[];
  /** Skip Helm hooks (helm --no-hooks). */
  noHooks?: boolean;
  /** Wait until what was written is healthy (before pruning), at most this long; undefined: do not wait. */
  waitTimeoutMs: number | undefined;
  /** How long each Helm hook may run (--timeout, also under --no-wait); default 5 minutes. */
  hookTimeoutMs?: number | undefined;
  onProgress?: (message: string) => void;
  /** The target keeps revisions (apply.rollback): the preflight also checks the rights on their Secrets. */
  revisions?: boolean;
  /** Aborted on SIGINT/SIGTERM: no further write starts, waits stop, and the apply throws a CancelledError. */
  signal?: AbortSignal | undefined;
  /**
   * kubeplan recover: the inventory parent was written by the recovery's commit guard just before, so it is no earlier
   * release: Helm hooks run as install hooks.
   */
  install?: boolean | undefined;
}

export interface AppliedObject {
  action: 'created' | 'updated' | 'recreated' | 'pruned' | 'unchanged';
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** The phase Argo Rollouts or Flagger reported when the wait ended (a Rollout's Paused, a Canary's Progressing). */
  phase?: string;
}

export interface TargetApplyResult {
  target: string;
  created: number;
  updated: number;
  recreated: number;
  pruned: number;
  unchanged: number;
  objects: AppliedObject[];
  /** Milliseconds per stage, in order. */
  stages: { name: string; objects: number; ms: number }[];
  notes: string[];
}

/** The stage that records the applied commit on the inventory parent: until it ran, the apply is not finished. */
export const RECORD_STAGE = 'record the commit in the inventory';
export const WAIT_STAGE = 'wait until healthy';

const FIRST = new Set(['CustomResourceDefinition', 'Namespace', 'ClusterRole', 'ClusterRoleBinding']);
const LAST = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'APIService']);

/** Which stage an object belongs to: CRDs, Namespaces and cluster RBAC first; webhooks and APIServices last. */
export function stageOf(kind: string): 0 | 1 | 2 {
  return FIRST.has(kind) ? 0 : LAST.has(kind) ? 2 : 1;
}

/**
 * Makes the cluster match one target's plan, in stages: CRDs, Namespaces and cluster-wide RBAC → wait until the CRDs
 * are Established → the inventory parent (recording every kind before anything else is written, so a crash can still
 * prune) → everything else → webhooks and APIServices → prune what is no longer rendered (reverse stage order) → the
 * parent's final contents. Only objects the plan found changed are written.
 */
export function emptyResult(target: string): TargetApplyResult {
  return { target, created: 0, updated: 0, recreated: 0, pruned: 0, unchanged: 0, objects: [], stages: [], notes: [] };
}

/**
 * `result` may be passed in to see what was written even when the apply fails part-way (rollback reports from it).
 */
export async function applyTarget(
  plan: TargetPlan,
  client: ClusterClient,
  resources: ResourceMap,
  options: ApplyOptions,
  result: TargetApplyResult = emptyResult(plan.target),
): Promise<TargetApplyResult> {
  const started = Date.now();
  // Missing rights show up as Forbidden dry-runs: report every missing right at once, with the grant that fixes it.
  const errors = plan.changes.filter((c) => c.action === 'error');
  const hooks = !options.noHooks;
  if (errors.length && errors.every((c) => c.error?.status === 403))
    await preflightAccess(client, plan, options.waitTimeoutMs !== undefined, options.revisions, hooks);
  refuseUnsafe(plan, options);
  // With no object to write or prune there is at most the inventory's record to write (its own error is clear): the
  // access reviews are for writing many objects all or nothing. They and the inventory's read are sent together; a
  // missing right is reported before a foreign inventory, as when they were asked one after the other.
  const [access, inventory] = await Promise.allSettled([
    plan.changes.some((c) => !c.hook && c.action !== 'unchanged')
      ? preflightAccess(client, plan, options.waitTimeoutMs !== undefined, options.revisions, hooks)
      : undefined,
    refuseForeignInventory(client, plan),
  ]);
  if (access.status === 'rejected') throw access.reason;
  if (inventory.status === 'rejected') throw inventory.reason;
  const previous = inventory.value;
  await refuseOlderCommit(plan, previous, options, result);
  const writes = plan.changes.filter(
    (c) =>
      !c.hook && (c.action === 'create' || c.action === 'update' || c.action === 'adopt' || c.action === 'replace'),
  );
  const deletes = plan.changes.filter((c) => c.action === 'delete');
  const phase = previous === undefined || options.install ? 'install' : 'upgrade';
  const hookTimeout = options.hookTimeoutMs ?? options.waitTimeoutMs ?? 5 * 60_000;
  const hookProgress = { ...(options.onProgress ? { onProgress: options.onProgress } : {}), signal: options.signal };
  // Hooks surround a release that changes something: applying an unchanged target runs none (as no upgrade happens).
  const runsHooks = (plan.hooks?.length ?? 0) > 0 && (writes.length > 0 || deletes.length > 0) && !options.noHooks;
  if (options.noHooks && plan.hooks?.length)
    result.notes.push(`${plan.hooks.length} Helm hook${plan.hooks.length === 1 ? '' : 's'} skipped (--no-hooks)`);
  result.unchanged = plan.changes.filter((c) => c.action === 'unchanged').length;
  for (const c of plan.changes.filter((x) => x.action === 'unchanged')) result.objects.push(record('unchanged', c));

  const timed = async (name: string, changes: Change[], fn: () => Promise<void>) => {
    throwIfCancelled(options.signal, `stage ${name}`);
    const started = Date.now();
    await fn();
    result.stages.push({ name, objects: changes.length, ms: Date.now() - started });
  };
  const stage = (n: 0 | 1 | 2) => writes.filter((c) => stageOf(c.kind) === n);
  await timed('crds, namespaces, cluster rbac', stage(0), () => applyChanges(stage(0), client, options, result));
  const crds = writes.filter((c) => c.kind === 'CustomResourceDefinition');
  if (crds.length)
    await timed('wait for CRDs to be established', crds, () =>
      waitEstablished(
        client,
        crds.map((c) => c.name),
        options.crdTimeoutSeconds,
        options.signal,
      ),
    );
  let current = resources;
  if (writes.some((c) => !c.resource)) current = await discoverNewKinds(client, writes, crds, options);
  if (runsHooks) {
    await timed(`${phase} hooks (pre)`, [], async () => {
      result.notes.push(
        ...(
          await runHooks(plan.hooks!, `pre-${phase}`, client, current, { timeoutMs: hookTimeout, ...hookProgress })
        ).map((h) => `ran ${h}`),
      );
    });
  }
  const parent = applySetParent(plan.target, plan.namespace);
  const id = applySetId(parent);
  const rendered = plan.changes
    .filter((c) => c.action !== 'delete' && !c.hook)
    .map((c) => c.object!)
    .filter(Boolean);
  const stamp = {
    commit: options.commit?.sha,
    review: options.review,
    digest: bundleDigest(rendered),
    repository: plan.repository,
    configFile: plan.configFile,
  };
  // Until the apply finishes, the parent keeps the last finished commit (an interrupted apply must not look done, and
  // the out-of-order guard must not refuse re-applying that commit); the one under way is recorded as pending.
  const recorded = previous?.metadata.annotations ?? {};
  const unfinished = {
    commit: recorded[COMMIT_ANNOTATION],
    review: {
      planDigest: recorded[PLAN_DIGEST_ANNOTATION],
      pullRequest: recorded[PULL_REQUEST_ANNOTATION] ? Number(recorded[PULL_REQUEST_ANNOTATION]) : undefined,
      approvers: recorded[APPROVED_BY_ANNOTATION]?.split(',').filter(Boolean),
    },
    digest: recorded[DIGEST_ANNOTATION],
    applying: options.commit?.sha,
    repository: plan.repository,
    configFile: plan.configFile,
  };
  throwIfCancelled(options.signal, 'writing the inventory');
  // Nothing to write, prune or run: there is no apply under way to mark; the record stage below says all there is.
  const idle = writes.length === 0 && deletes.length === 0 && !runsHooks && previous !== undefined;
  if (!idle)
    await writeParent(client, parent, id, [...rendered, ...deletes.map((d) => d.object!)], options.tooling, unfinished);
  await timed('everything else', stage(1), () => applyChanges(stage(1), client, options, result, current));
  await timed('webhooks and api services', stage(2), () => applyChanges(stage(2), client, options, result, current));
  if (options.waitTimeoutMs !== undefined) {
    // Not only what this run wrote: an unchanged object an earlier apply left unhealthy (a failed rollout) is waited
    // for too, so re-running a failed apply fails again until it is healthy instead of reporting "No changes".
    const unchanged = plan.changes.filter(
      (c) => c.action === 'unchanged' && !c.hook && c.object && canBeUnhealthy(c.kind),
    );
    const written = [...writes, ...unchanged]
      .filter((c) => !(c.object && options.judgedElsewhere?.(c.object)))
      .map((c) => (c.resource ? c : { ...c, resource: current.lookup(c.object!) }))
      .filter((c) => c.resource);
    await timed(WAIT_STAGE, written, async () => {
      const controlled = await waitHealthy(client, written, {
        timeoutMs: options.waitTimeoutMs!,
        onProgress: (pending) =>
          options.onProgress?.(
            `target ${plan.target}: waiting ${pending[0]!.seconds}s for ${pending.map((p) => `${p.name} (${p.reason})`).join(', ')}`,
          ),
        signal: options.signal,
        since: started,
      });
      reportControllerPhases(result, controlled);
    });
  }
  const pruneOrder = [...deletes].sort((a, b) => stageOf(b.kind) - stageOf(a.kind));
  await timed('prune', pruneOrder, async () => {
    for (const d of pruneOrder) {
      throwIfCancelled(options.signal, `pruning ${d.apiVersion} ${objectName(d)}`);
      await deleteObject(client, d);
      result.pruned++;
      result.objects.push(record('pruned', d));
    }
  });
  await timed(RECORD_STAGE, [], async () => {
    // A target this apply changed nothing of keeps the review record of the apply that last changed it.
    const body = parentBody(
      parent,
      id,
      rendered,
      options.tooling,
      idle ? { ...stamp, review: unfinished.review } : stamp,
    );
    // The inventory already says exactly this (a re-apply of the same commit that changed nothing): no write.
    if (!sameRecord(previous, body)) await writeParentBody(client, parent, body);
  });
  if (runsHooks) {
    await timed(`${phase} hooks (post)`, [], async () => {
      result.notes.push(
        ...(
          await runHooks(plan.hooks!, `post-${phase}`, client, current, { timeoutMs: hookTimeout, ...hookProgress })
        ).map((h) => `ran ${h}`),
      );
    });
  }
  return result;
}

function refuseUnsafe(plan: TargetPlan, options: ApplyOptions): void {
  const errors = plan.changes.filter((c) => c.action === 'error');
  if (errors.length) {
    throw new ApplyError(
      `${errors.length} object${errors.length === 1 ? '' : 's'} could not be planned, so nothing of this target was written: ${errors.map((e) => `${objectName(e)}: ${e.error?.message}`).join('; ')}`,
      {
        where: { target: plan.target },
        // One error: its own hint says what to do (a missing namespace, a forbidden right); several: the plan lists them.
        hint:
          errors.length === 1 && errors[0]!.error?.hint
            ? `${errors[0]!.error.hint} (kubeplan diff shows the plan)`
            : 'run kubeplan diff to see the errors and fix them',
      },
    );
  }
  const never = new Set(['CustomResourceDefinition', 'Namespace', 'PersistentVolumeClaim']);
  const replaces = plan.changes.filter(
    (c) => c.action === 'replace' && (never.has(c.kind) || !(options.recreate ?? []).includes(c.kind)),
  );
  if (replaces.length) {
    const c = replaces[0]!;
    throw new ApplyError(
      `${c.apiVersion} ${objectName(c)} changes ${c.replaceFields?.join(', ')}, which cannot change in place; nothing of this target was written`,
      {
        where: { target: plan.target },
        hint: never.has(c.kind)
          ? `revert the field: a ${c.kind} is never recreated automatically (its data or dependants would be lost)`
          : `revert the field, or allow it with \`apply: {recreate: [${c.kind}]}\` on the target in kubeplan.yaml`,
      },
    );
  }
  const kept = plan.changes.filter((c) => c.action !== 'delete').length;
  const deletes = plan.changes.filter((c) => c.action === 'delete').length;
  if (kept === 0 && deletes > 0 && !options.allowEmpty) {
    throw new ApplyError(
      `the target renders no objects, and applying it would delete all ${deletes} objects it applied before; nothing of this target was written`,
      {
        where: { target: plan.target },
        hint: 'check the render (a wrong path or values file?), or pass --allow-empty if the target really is meant to be empty',
      },
    );
  }
}

/** An ApplySet belongs to the tool that made it (KEP-3659): kubeplan never takes over kubectl's, nor kubectl kubeplan's. */
async function refuseForeignInventory(client: ClusterClient, plan: TargetPlan): Promise<KubeObject | undefined> {
  const parent = applySetParent(plan.target, plan.namespace);
  let existing: KubeObject;
  try {
    existing = (
      await client.request<KubeObject>(
        'GET',
        `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}/configmaps/${encodeURIComponent(parent.name)}`,
      )
    ).body;
  } catch (error) {
    if (error instanceof ClusterError && error.status === 404) return undefined;
    throw error;
  }
  const tooling = existing.metadata.annotations?.[TOOLING];
  if (tooling !== undefined && !tooling.startsWith('kubeplan/')) {
    throw new ApplyError(
      `the inventory ConfigMap ${parent.namespace}/${parent.name} is an ApplySet managed by "${tooling}", not kubeplan; nothing of this target was written`,
      {
        where: { target: plan.target },
        hint: `rename the target, or move the objects to kubeplan by deleting that ConfigMap after checking what ${tooling.split('/')[0]} manages`,
      },
    );
  }
  // The plan said so already, unless another repository applied in between.
  const foreign = foreignRepository(existing, plan.repository, plan.target);
  if (foreign) throw new ApplyError(foreign.message, { where: { target: plan.target }, hint: foreign.hint });
  return existing;
}

export const COMMIT_ANNOTATION = 'kubeplan.dev/commit';
export const DIGEST_ANNOTATION = 'kubeplan.dev/bundle-digest';
/** The commit an apply under way (or interrupted) is writing; removed when it finishes and records COMMIT_ANNOTATION. */
export const APPLYING_ANNOTATION = 'kubeplan.dev/applying-commit';

/**
 * Out-of-order merges: a pipeline for an older commit must not roll back what a newer one applied. The parent
 * records the applied commit; applying a commit that is an ancestor of it is refused.
 */
async function refuseOlderCommit(
  plan: TargetPlan,
  parent: KubeObject | undefined,
  options: ApplyOptions,
  result: TargetApplyResult,
): Promise<void> {
  const recorded = parent?.metadata.annotations?.[COMMIT_ANNOTATION];
  if (!recorded || !options.commit || recorded === options.commit.sha) return;
  const older = await options.commit.isAncestor(options.commit.sha, recorded);
  if (older === true) {
    throw new ApplyError(
      `commit ${options.commit.sha.slice(0, 12)} is older than ${recorded.slice(0, 12)}, which is already applied; nothing of this target was written`,
      {
        where: { target: plan.target },
        hint: 'a newer pipeline already ran: re-run the newest one instead (this guard keeps out-of-order merges from rolling back)',
      },
    );
  }
  if (older === undefined)
    result.notes.push(
      `could not check that ${options.commit.sha.slice(0, 12)} is newer than the applied ${recorded.slice(0, 12)} (fetch full history to enable the guard)`,
    );
}

async function applyChanges(
  changes: Change[],
  client: ClusterClient,
  options: ApplyOptions,
  result: TargetApplyResult,
  resources?: ResourceMap,
): Promise<void> {
  // Every write settles before the first error is thrown, so the result counts each object that was written.
  const settled = await Promise.allSettled(
    changes.map(async (c) => {
      const info = c.resource ?? resources?.lookup(c.object!);
      if (!info)
        throw new ApplyError(`the cluster has no kind ${c.kind} in ${c.apiVersion}`, {
          where: objectWhere(c),
          hint: 'install its CRD first',
        });
      try {
        if (c.action === 'replace') await deleteAndWait(client, { ...c, resource: info });
        await serverSideApply(client, info, c.object!, {
          dryRun: false,
          force: options.forceConflicts || (options.takesOver?.(c.object!) ?? false),
        });
      } catch (error) {
        if (error instanceof ClusterError && error.status === 409) {
          const fields = error.causes
            .map((x) => `${x.field ?? ''} (${(x.message ?? '').replace(/^conflict with /, 'owned by ')})`)
            .join('; ');
          throw new ApplyError(`conflicts with other field managers: ${fields || error.message}`, {
            where: objectWhere(c),
            cause: error,
            hint: 'let kubeplan take the fields over with --force-conflicts, or stop the other manager from setting them',
          });
        }
        if (error instanceof ClusterError)
          throw new ApplyError(error.message, { where: objectWhere(c), hint: error.hint, cause: error });
        throw error;
      }
      if (c.action === 'create') result.created++;
      else if (c.action === 'replace') result.recreated++;
      else result.updated++;
      result.objects.push(
        record(c.action === 'create' ? 'created' : c.action === 'replace' ? 'recreated' : 'updated', c),
      );
    }),
  );
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function waitEstablished(
  client: ClusterClient,
  names: string[],
  timeoutSeconds: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (const name of names) {
    for (;;) {
      const crd = (
        await client.request<{ status?: { conditions?: { type: string; status: string; message?: string }[] } }>(
          'GET',
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(name)}`,
        )
      ).body;
      const established = crd.status?.conditions?.find((c) => c.type === 'Established');
      if (established?.status === 'True') break;
      if (Date.now() > deadline) {
        throw new ApplyError(
          `CustomResourceDefinition ${name} was not Established after ${timeoutSeconds}s${established?.message ? `: ${established.message}` : ''}`,
          {
            where: { object: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name } },
            hint: 'check the CRD with kubectl describe crd',
          },
        );
      }
      await sleepUnlessCancelled(250, signal, `CustomResourceDefinition ${name} was Established`);
    }
  }
}

/**
 * Discovery after new CRDs: an Established CRD can still be missing from the aggregated discovery document for a moment
 * (the apiserver refreshes it asynchronously), so the kinds this apply's own CRDs define are waited for, up to the CRD
 * timeout. A kind no CRD of this apply defines is not waited for: its error comes at once.
 */
async function discoverNewKinds(
  client: ClusterClient,
  writes: Change[],
  crds: Change[],
  options: ApplyOptions,
): Promise<ResourceMap> {
  const groups = new Set(crds.map((c) => (c.object?.spec as { group?: string } | undefined)?.group).filter(Boolean));
  const awaited = writes.filter((c) => !c.resource && c.object && groups.has(c.apiVersion.split('/')[0]!));
  const deadline = Date.now() + options.crdTimeoutSeconds * 1000;
  for (;;) {
    const current = await ResourceMap.discover(client);
    if (awaited.every((c) => current.lookup(c.object!)) || Date.now() > deadline) return current;
    await sleepUnlessCancelled(200, options.signal, 'the new kinds were served');
  }
}

/** The inventory parent: ConfigMap `kubeplan-<target>` with the ApplySet id, tooling, kinds and namespaces. */
/** A digest of what the target renders, recorded with the commit so a later run can tell what was applied. */
export function bundleDigest(objects: KubeObject[]): string {
  const hash = createHash('sha256');
  for (const o of objects) hash.update(JSON.stringify(o)).update('\n');
  return `sha256:${hash.digest('hex')}`;
}

/** What an apply records about its review: the plan digest applied, the pull request and who approved it. */
export interface ReviewAudit {
  planDigest?: string | undefined;
  pullRequest?: number | undefined;
  approvers?: string[] | undefined;
}

/** The plan digest of the target as applied, the pull request it came from, and its approvers (plan binding). */
export const PLAN_DIGEST_ANNOTATION = 'kubeplan.dev/plan-digest';
export const PULL_REQUEST_ANNOTATION = 'kubeplan.dev/pull-request';
export const APPROVED_BY_ANNOTATION = 'kubeplan.dev/approved-by';

interface ParentRecord {
  review?: ReviewAudit | undefined;
  commit: string | undefined;
  digest: string | undefined;
  repository: string | undefined;
  configFile?: string | undefined;
  applying?: string | undefined;
}

/**
 * kubeplan recover: records the commit on a target's inventory parent before anything of the target is written, as
 * the applied commit (so the out-of-order guard refuses a pipeline of an older one from now on) and as the commit under
 * way (so the record says the apply has not finished until it has).
 */
export async function writeCommitGuard(client: ClusterClient, plan: TargetPlan, tooling: string, sha: string) {
  const parent = applySetParent(plan.target, plan.namespace);
  const rendered = plan.changes
    .filter((c) => c.action !== 'delete' && !c.hook)
    .map((c) => c.object!)
    .filter(Boolean);
  await writeParent(client, parent, applySetId(parent), rendered, tooling, {
    commit: sha,
    applying: sha,
    digest: undefined,
    repository: plan.repository,
    configFile: plan.configFile,
  });
}

async function writeParent(
  client: ClusterClient,
  parent: { name: string; namespace: string },
  id: string,
  objects: KubeObject[],
  tooling: string,
  record: ParentRecord,
): Promise<void> {
  await writeParentBody(client, parent, parentBody(parent, id, objects, tooling, record));
}

/** The annotations kubeplan owns on the inventory parent. */
const PARENT_ANNOTATIONS = [
  TOOLING,
  CONTAINS_GROUP_KINDS,
  ADDITIONAL_NAMESPACES,
  COMMIT_ANNOTATION,
  REPOSITORY,
  CONFIG_FILE,
  DIGEST_ANNOTATION,
  APPLYING_ANNOTATION,
  PLAN_DIGEST_ANNOTATION,
  PULL_REQUEST_ANNOTATION,
  APPROVED_BY_ANNOTATION,
];

/** Whether the live inventory parent already holds exactly this body's id and kubeplan annotations. */
function sameRecord(live: KubeObject | undefined, body: KubeObject): boolean {
  if (!live) return false;
  if (live.metadata.labels?.[APPLYSET_ID] !== body.metadata.labels?.[APPLYSET_ID]) return false;
  const a = live.metadata.annotations ?? {};
  const b = body.metadata.annotations ?? {};
  return PARENT_ANNOTATIONS.every((k) => a[k] === b[k]);
}

function parentBody(
  parent: { name: string; namespace: string },
  id: string,
  objects: KubeObject[],
  tooling: string,
  record: ParentRecord,
): KubeObject {
  const groupKinds = [
    ...new Set(objects.map((o) => (o.apiVersion.includes('/') ? `${o.kind}.${o.apiVersion.split('/')[0]}` : o.kind))),
  ].sort();
  const namespaces = [
    ...new Set(objects.map((o) => o.metadata.namespace).filter((ns): ns is string => !!ns && ns !== parent.namespace)),
  ].sort();
  const body: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: parent.name,
      namespace: parent.namespace,
      labels: { [APPLYSET_ID]: id },
      annotations: {
        [TOOLING]: tooling,
        [CONTAINS_GROUP_KINDS]: groupKinds.join(','),
        ...(namespaces.length ? { [ADDITIONAL_NAMESPACES]: namespaces.join(',') } : {}),
        ...(record.commit ? { [COMMIT_ANNOTATION]: record.commit } : {}),
        ...(record.repository ? { [REPOSITORY]: record.repository } : {}),
        ...(record.configFile ? { [CONFIG_FILE]: record.configFile } : {}),
        ...(record.digest ? { [DIGEST_ANNOTATION]: record.digest } : {}),
        ...(record.applying ? { [APPLYING_ANNOTATION]: record.applying } : {}),
        ...(record.review?.planDigest ? { [PLAN_DIGEST_ANNOTATION]: record.review.planDigest } : {}),
        ...(record.review?.pullRequest !== undefined
          ? { [PULL_REQUEST_ANNOTATION]: String(record.review.pullRequest) }
          : {}),
        ...(record.review?.approvers?.length ? { [APPROVED_BY_ANNOTATION]: record.review.approvers.join(',') } : {}),
      },
    },
  };
  return body;
}

async function writeParentBody(
  client: ClusterClient,
  parent: { name: string; namespace: string },
  body: KubeObject,
): Promise<void> {
  await client.request(
    'PATCH',
    `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}/configmaps/${encodeURIComponent(parent.name)}`,
    {
      query: { fieldManager: 'kubeplan', force: true },
      body,
      contentType: 'application/apply-patch+yaml',
    },
  );
}

async function deleteObject(client: ClusterClient, c: Change): Promise<void> {
  try {
    await client.request('DELETE', resourcePath(c.resource!, c.namespace, c.name), {
      query: { propagationPolicy: 'Background' },
    });
  } catch (error) {
    if (error instanceof ClusterError && error.status === 404) return; // already gone
    if (error instanceof ClusterError)
      throw new ApplyError(`cannot prune: ${error.message}`, {
        where: objectWhere(c),
        hint: error.hint,
        cause: error,
      });
    throw error;
  }
}

/**
 * The phase Argo Rollouts or Flagger reported for each object it drives: on the object in the report, and as a note
 * that says who goes on with it when the controller was left at a pause, a gate or an analysis.
 */
function reportControllerPhases(result: TargetApplyResult, controlled: ControlledObject[]): void {
  for (const { change, controlled: c } of controlled) {
    const entry = result.objects.find(
      (o) => o.kind === change.kind && o.name === change.name && o.namespace === change.namespace,
    );
    if (entry) entry.phase = c.phase;
    const words = `${c.controller} reports ${c.phase}${c.message ? ` (${c.message})` : ''}`;
    result.notes.push(
      `${change.apiVersion} ${objectName(change)}: ${words}${
        c.handedOver
          ? c.controller === 'Argo Rollouts'
            ? '; Argo Rollouts goes on by itself after a timed pause, or on `kubectl argo rollouts promote`'
            : '; Flagger goes on with the analysis by itself: its outcome shows on the Canary'
          : ''
      }`,
    );
  }
}

function record(action: AppliedObject['action'], c: Change): AppliedObject {
  return {
    action,
    apiVersion: c.apiVersion,
    kind: c.kind,
    ...(c.namespace ? { namespace: c.namespace } : {}),
    name: c.name,
  };
}
