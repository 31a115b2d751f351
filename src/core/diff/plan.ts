import { createHash } from 'node:crypto';
import { MAX_REQUEST_BYTES, tooLarge, type ClusterClient } from '../cluster/client.js';
import { resourcePath, type ResourceMap, type ResourceInfo } from '../cluster/discovery.js';
import { listLiveObjects, serverSideApply } from '../cluster/objects.js';
import { ClusterError } from '../errors.js';
import { apiGroup, objectIdentity } from '../manifests/scope.js';
import { MAX_DEPTH } from '../manifests/input-limits.js';
import { isSecret } from '../manifests/redact.js';
import type { KubeObject, Manifest, ManifestSet } from '../manifests/types.js';
import { renderedMatchesLive } from './compare.js';
import { digest } from './digest.js';
import { changedPaths, unifiedDiff } from './field-diff.js';
import { applyIgnoreRules } from './ignore.js';
import { immutableChanges, isDestructiveDelete } from './immutable.js';
import type { IgnoreRule, TargetPolicy } from '../config/types.js';
import {
  ADOPT,
  applySetId,
  applySetParent,
  describeApplySet,
  foreignHookError,
  foreignRepository,
  HOOK_OF,
  isHookOf,
  PART_OF,
  readInventory,
} from '../cluster/applyset.js';
import { appliedFields, ownedButNotRendered } from './managed-fields.js';
import { mergeForClientMode } from './client-mode.js';
import { stripNoise, type HiddenCounts } from './normalize.js';
import { labelSecretPair, SecretMasker, secretKeyChanges, SecretScrubber } from './secrets.js';
import {
  countChanges,
  HOOK_PHASES,
  type Change,
  type DiffMode,
  type ObjectError,
  type Plan,
  type PlannedHook,
  type TargetPlan,
} from './types.js';

export interface PlanOptions {
  mode: DiffMode;
  modeReason: string;
  /** Ignore rules per target name (kubeplan.yaml `ignore`). */
  ignore?: ReadonlyMap<string, readonly IgnoreRule[]>;
  /** What each target may touch (kubeplan.yaml `policy`). */
  policy?: ReadonlyMap<string, TargetPolicy>;
  /** This repository's identity: recorded on inventories, another repository's inventory is an error. */
  repository?: string | undefined;
  /** The config file, relative to the repository root: recorded on inventories. */
  configFile?: string | undefined;
  /**
   * Learns the values of every rendered and live Secret the plan sees, and scrubs them from the plan's errors; pass
   * one in to scrub later errors (apply, hooks) of the same run too.
   */
  scrubber?: SecretScrubber;
  /**
   * Whether apply takes fields other managers own (--force-conflicts or the target's apply.forceConflicts), per target
   * name: a conflict note then says apply takes them over, otherwise that apply will fail on them.
   */
  forceConflicts?: (target: string, object?: KubeObject) => boolean;
}

/** A manifest with what the cluster says about its kind. */
interface Resolved {
  manifest: Manifest;
  object: KubeObject;
  info: ResourceInfo | undefined;
  /** Its kind comes from a CRD this plan creates. */
  pendingCRD: boolean;
  error?: ObjectError;
}

/**
 * Plans every target against the live cluster: one discovery, one LIST per kind and namespace, then per object either
 * the fast path (nothing changed, no request) or a server-side dry-run (server mode) / a field comparison (client
 * mode). Errors are recorded per object; the other objects are still planned.
 */
export async function planTargets(
  sets: ManifestSet[],
  client: ClusterClient,
  resources: ResourceMap,
  options: PlanOptions,
): Promise<Plan> {
  const before = { ...client.stats };
  const masker = new SecretMasker();
  const scrubber = options.scrubber ?? new SecretScrubber();
  const all = sets.flatMap((s) => s.manifests.map((m) => m.object));
  for (const o of all) scrubber.add(o);
  const pendingKinds = crdKindsIn(all, resources);
  const resolved = sets.map((set) => {
    const id = applySetId(applySetParent(set.target, set.namespace));
    // Helm hooks are not release objects: apply runs them around its stages (planHooks holds them to the policy).
    const policy = options.policy?.get(set.target);
    return set.manifests
      .filter((m) => !m.hook)
      .map((m) =>
        enforcePolicy(resolveManifest(withInventoryLabel(m, id), resources, pendingKinds, client.namespace), policy),
      );
  });
  rejectSharedObjects(resolved, sets);
  const live = await listLive(client, resolved.flat());
  for (const o of live.objects.values()) scrubber.add(o);
  const newNamespaces = new Set(
    resolved
      .flat()
      .filter(
        (r) =>
          r.object.kind === 'Namespace' && r.object.apiVersion === 'v1' && !live.objects.has(objectIdentity(r.object)),
      )
      .map((r) => r.object.metadata.name),
  );
  const targets: TargetPlan[] = [];
  const owners = new Map<string, Promise<string>>();
  const describeSet = (id: string) => owners.get(id) ?? owners.set(id, describeApplySet(client, id)).get(id)!;
  for (const [i, set] of sets.entries()) {
    const hidden: HiddenCounts = {};
    const changes = await Promise.all(
      resolved[i]!.map(async (r) => {
        // Count hidden fields only for objects the report shows.
        const own: HiddenCounts = {};
        const change = await planObject(r, {
          client,
          live,
          newNamespaces,
          masker,
          hidden: own,
          mode: options.mode,
          ignore: options.ignore?.get(set.target) ?? [],
          describeSet,
          forceConflicts: options.forceConflicts?.(set.target, r.object) ?? false,
        });
        for (const [rule, n] of Object.entries(own)) {
          if (change.action !== 'unchanged' || rule.startsWith('ignore')) hidden[rule] = (hidden[rule] ?? 0) + n;
        }
        return change;
      }),
    );
    changes.push(
      ...(await planDeletions(
        set,
        resolved[i]!,
        live,
        client,
        resources,
        masker,
        hidden,
        options.policy?.get(set.target),
        options.repository,
        scrubber,
      )),
    );
    const hooks = await planHooks(set, resources, pendingKinds, client, options.policy?.get(set.target));
    changes.push(...hooks.errors);
    if (hooks.planned.length) hidden['Helm hooks (run by apply around its stages, not diffed)'] = hooks.planned.length;
    targets.push({
      target: set.target,
      namespace: set.namespace,
      changes,
      summary: countChanges(changes),
      hidden,
      hooks: hooks.planned,
      ...(options.repository ? { repository: options.repository } : {}),
      ...(options.configFile ? { configFile: options.configFile } : {}),
    });
  }
  const changes = targets.flatMap((t) => t.changes);
  for (const c of changes) scrubChange(c, scrubber);
  return {
    mode: options.mode,
    modeReason: options.modeReason,
    targets,
    summary: countChanges(changes),
    stats: {
      objects: changes.length,
      fastPath: changes.filter((c) => c.via === 'fast-path').length,
      dryRuns: client.stats.dryRuns - before.dryRuns,
      lists: client.stats.lists - before.lists,
      requests: client.stats.requests - before.requests,
    },
  };
}

/**
 * The Helm hooks apply will run, each labelled as a hook of this target ({@link HOOK_OF}) and held to the same policy as
 * the release: a hook outside it, or one that would overwrite or delete (`before-hook-creation`) an object that is not
 * a hook of this target, is an error in the plan, so apply writes nothing.
 */
async function planHooks(
  set: ManifestSet,
  resources: ResourceMap,
  pendingKinds: Set<string>,
  client: ClusterClient,
  policy: TargetPolicy | undefined,
): Promise<{ planned: PlannedHook[]; errors: Change[] }> {
  const id = applySetId(applySetParent(set.target, set.namespace));
  const planned: PlannedHook[] = [];
  const errors: Change[] = [];
  const runs = set.manifests.filter((m) => m.hook?.events.some((e) => (HOOK_PHASES as readonly string[]).includes(e)));
  await Promise.all(
    runs.map(async (m) => {
      const labelled = {
        ...m,
        object: {
          ...m.object,
          metadata: { ...m.object.metadata, labels: { ...m.object.metadata.labels, [HOOK_OF]: id } },
        },
      };
      const r = enforcePolicy(resolveManifest(labelled, resources, pendingKinds, client.namespace), policy);
      const error = r.error ?? (r.info ? await foreignHookObject(client, r.info, r.object, id) : undefined);
      if (error) errors.push({ ...describe(r), action: 'error', error, via: 'intent' });
      else planned.push({ object: r.object, resource: r.info, hook: m.hook! });
    }),
  );
  const order = (o: KubeObject) => objectIdentity(o);
  planned.sort((a, b) => order(a.object).localeCompare(order(b.object)));
  errors.sort((a, b) => order(a.object!).localeCompare(order(b.object!)));
  return { planned, errors };
}

/** A live object in a hook's place that is not a hook of this target: apply would overwrite or delete it. */
async function foreignHookObject(
  client: ClusterClient,
  info: ResourceInfo,
  object: KubeObject,
  id: string,
): Promise<ObjectError | undefined> {
  let live: KubeObject;
  try {
    live = (
      await client.request<KubeObject>('GET', resourcePath(info, object.metadata.namespace, object.metadata.name))
    ).body;
  } catch {
    return undefined; // absent (404), or not readable here: apply checks again before it writes
  }
  return isHookOf(live, id) ? undefined : foreignHookError(live);
}

/** Objects in the target's inventory (its ApplySet) that the render no longer has: deletions. */
async function planDeletions(
  set: ManifestSet,
  resolved: Resolved[],
  live: LiveState,
  client: ClusterClient,
  resources: ResourceMap,
  masker: SecretMasker,
  hidden: HiddenCounts,
  policy: TargetPolicy | undefined,
  repository: string | undefined,
  scrubber: SecretScrubber,
): Promise<Change[]> {
  const parent = applySetParent(set.target, set.namespace);
  let inventory: Awaited<ReturnType<typeof readInventory>>;
  try {
    inventory = await readInventory(client, resources, parent, (info, ns) => live.listed.get(listKey(info, ns)));
    for (const { object } of inventory.members) scrubber.add(object);
  } catch (error) {
    return [
      {
        action: 'error',
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: parent.namespace,
        name: parent.name,
        paths: [],
        digest: ['the inventory of applied objects could not be read, so deletions are unknown'],
        diff: '',
        error: toObjectError(error),
        via: 'intent',
      },
    ];
  }
  const foreign = foreignRepository(inventory.parentObject, repository, set.target);
  if (foreign) {
    return [
      {
        action: 'error',
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: parent.namespace,
        name: parent.name,
        paths: [],
        digest: ["another repository's inventory: nothing is pruned"],
        diff: '',
        error: foreign,
        via: 'intent',
      },
    ];
  }
  const rendered = new Set(resolved.map((r) => objectIdentity(r.object)));
  return inventory.members
    .filter(({ object }) => !rendered.has(objectIdentity(object)))
    .sort((a, b) => objectIdentity(a.object).localeCompare(objectIdentity(b.object)))
    .map(({ object: m, info }): Change => {
      // Every delete goes through the policy: an inventory edited to reach further prunes nothing.
      const outside = policy ? policyViolation(m, info.namespaced, policy) : undefined;
      if (outside) {
        return {
          action: 'error',
          apiVersion: m.apiVersion,
          kind: m.kind,
          ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
          name: m.metadata.name,
          paths: [],
          digest: ['in the inventory but outside the policy: not pruned'],
          diff: '',
          error: {
            message: `would be pruned (it is labelled as part of this target's ApplySet), but ${outside.message}; nothing is deleted`,
            hint: `if it does not belong to this target, remove its label ${PART_OF} (an inventory edited by hand?); if it does, widen the policy in kubeplan.yaml`,
          },
          via: 'intent',
        };
      }
      const deep = liveTooDeep(m);
      if (deep) {
        return {
          action: 'error',
          apiVersion: m.apiVersion,
          kind: m.kind,
          ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
          name: m.metadata.name,
          paths: [],
          digest: [],
          diff: '',
          error: deep,
          via: 'intent',
        };
      }
      const before = masker.mask(stripNoise(m, hidden) as KubeObject);
      const secrets = isSecret(before) ? secretKeyChanges(before, undefined) : undefined;
      return diffOnRead(
        {
          action: 'delete' as const,
          apiVersion: m.apiVersion,
          kind: m.kind,
          ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
          name: m.metadata.name,
          paths: [],
          digest: [
            isDestructiveDelete(m)
              ? `delete: ${m.kind} ${m.metadata.name} and everything in it is lost`
              : 'no longer rendered',
          ],
          diff: '',
          ...(secrets ? { secrets } : {}),
          destructive: isDestructiveDelete(m),
          via: 'intent' as const,
          object: m,
          resource: info,
        },
        label(m),
        before,
        undefined,
      );
    });
}

/**
 * An object belongs to one target: two targets applying it would fight over it and prune it from each other. Every
 * copy after the first becomes an error naming both targets.
 */
function rejectSharedObjects(resolved: Resolved[][], sets: ManifestSet[]): void {
  const owner = new Map<string, string>();
  resolved.forEach((list, i) => {
    list.forEach((r, j) => {
      const key = objectIdentity(r.object);
      const first = owner.get(key);
      if (first === undefined) owner.set(key, sets[i]!.target);
      else if (first !== sets[i]!.target && !r.error) {
        list[j] = {
          ...r,
          error: {
            message: `is also rendered by target ${first}; an object can belong to one target only`,
            hint: `render it in one of ${first} and ${sets[i]!.target} (for chart CRDs: includeCRDs: false on the other)`,
          },
        };
      }
    });
  });
}

/** An object outside the target's policy becomes an error: the plan shows it, and apply writes nothing. */
function enforcePolicy(r: Resolved, policy: TargetPolicy | undefined): Resolved {
  if (!policy || r.error) return r;
  const namespaced = r.info ? r.info.namespaced : r.object.metadata.namespace !== undefined;
  const error = policyViolation(r.object, namespaced, policy);
  return error ? { ...r, error } : r;
}

/**
 * Why the policy does not allow the target to write or delete this object, or undefined. A Namespace is an object in
 * the namespace it names: a target may create, adopt and prune only the Namespaces `policy.namespaces` allows.
 */
function policyViolation(object: KubeObject, namespaced: boolean, policy: TargetPolicy): ObjectError | undefined {
  if (
    namespaced &&
    policy.namespaces &&
    !policy.namespaces.some((p) => globMatch(p, object.metadata.namespace ?? ''))
  ) {
    return {
      message: `namespace ${object.metadata.namespace} is outside the target's policy (allowed: ${policy.namespaces.join(', ')})`,
      hint: 'move the object, or widen policy.namespaces in kubeplan.yaml',
    };
  }
  if (!namespaced && policy.clusterScoped && !policy.clusterScoped.includes(object.kind)) {
    return {
      message: `cluster-scoped ${object.kind} is outside the target's policy (allowed: ${policy.clusterScoped.join(', ') || 'none'})`,
      hint: 'remove the object, or add its kind to policy.clusterScoped in kubeplan.yaml',
    };
  }
  if (
    isNamespaceObject(object) &&
    policy.namespaces &&
    !policy.namespaces.some((p) => globMatch(p, object.metadata.name))
  ) {
    return {
      message: `Namespace ${object.metadata.name} is outside the target's policy (allowed namespaces: ${policy.namespaces.join(', ')})`,
      hint: 'a target may only create, adopt and prune the Namespaces policy.namespaces allows: rename it, or widen policy.namespaces in kubeplan.yaml',
    };
  }
  return undefined;
}

function isNamespaceObject(object: KubeObject): boolean {
  return object.kind === 'Namespace' && object.apiVersion === 'v1';
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value);
}

/** Apply labels every object as part of its target's ApplySet; the plan models exactly what apply sends. */
function withInventoryLabel(manifest: Manifest, id: string): Manifest {
  const object = manifest.object;
  return {
    ...manifest,
    object: { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, [PART_OF]: id } } },
  };
}

function crdKindsIn(objects: KubeObject[], resources: ResourceMap): Set<string> {
  const kinds = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || apiGroup(o.apiVersion) !== 'apiextensions.k8s.io') continue;
    const spec = o.spec as { group?: string; names?: { kind?: string }; versions?: { name?: string }[] } | undefined;
    for (const v of spec?.versions ?? []) {
      const apiVersion = `${spec?.group}/${v.name}`;
      const kind = spec?.names?.kind ?? '';
      if (!resources.lookup({ apiVersion, kind })) kinds.add(`${apiVersion}/${kind}`);
    }
  }
  return kinds;
}

function resolveManifest(
  manifest: Manifest,
  resources: ResourceMap,
  pendingKinds: Set<string>,
  defaultNamespace: string,
): Resolved {
  const object = manifest.object;
  const info = resources.lookup(object);
  if (!info) {
    if (pendingKinds.has(`${object.apiVersion}/${object.kind}`)) return { manifest, object, info, pendingCRD: true };
    const group = apiGroup(object.apiVersion);
    const versions = resources.versionsOf(group, object.kind);
    return {
      manifest,
      object,
      info,
      pendingCRD: false,
      error: {
        message: versions.length
          ? `the cluster does not serve ${object.apiVersion} ${object.kind} (it serves ${versions.map((v) => (group ? `${group}/${v}` : v)).join(', ')})`
          : `the cluster has no kind ${object.kind} in ${object.apiVersion}`,
        hint: versions.length
          ? `change apiVersion to one the cluster serves`
          : 'install the CRD that defines it first, or add the CRD to this target',
      },
    };
  }
  // The scope the cluster knows beats the guess made while rendering.
  let fixed = object;
  if (!info.namespaced && object.metadata.namespace !== undefined) {
    fixed = { ...object, metadata: { ...object.metadata } };
    delete fixed.metadata.namespace;
  } else if (info.namespaced && !object.metadata.namespace) {
    fixed = { ...object, metadata: { ...object.metadata, namespace: defaultNamespace } };
  }
  return { manifest, object: fixed, info, pendingCRD: false };
}

interface LiveState {
  objects: Map<string, KubeObject>;
  /** Each successful LIST's objects, by list key: the inventory reads its members from these instead of listing again. */
  listed: Map<string, KubeObject[]>;
  /** LIST failures, by list key. */
  errors: Map<string, ObjectError>;
}

function listKey(info: ResourceInfo, namespace: string | undefined): string {
  return `${info.group}/${info.version}/${info.resource}/${info.namespaced ? (namespace ?? '') : ''}`;
}

/** One LIST per kind and namespace, all in flight together (bounded by the client). */
async function listLive(client: ClusterClient, resolved: Resolved[]): Promise<LiveState> {
  const lists = new Map<string, { info: ResourceInfo; namespace: string | undefined }>();
  for (const r of resolved) {
    if (r.info)
      lists.set(listKey(r.info, r.object.metadata.namespace), {
        info: r.info,
        namespace: r.info.namespaced ? r.object.metadata.namespace : undefined,
      });
  }
  const state: LiveState = { objects: new Map(), errors: new Map(), listed: new Map() };
  await Promise.all(
    [...lists].map(async ([key, { info, namespace }]) => {
      try {
        const objects = await listLiveObjects(client, info, namespace);
        state.listed.set(key, objects);
        for (const o of objects) state.objects.set(objectIdentity(o), o);
      } catch (error) {
        state.errors.set(key, toObjectError(error));
      }
    }),
  );
  return state;
}

interface ObjectContext {
  client: ClusterClient;
  live: LiveState;
  newNamespaces: Set<string>;
  masker: SecretMasker;
  hidden: HiddenCounts;
  mode: DiffMode;
  ignore: readonly IgnoreRule[];
  /** Apply will take fields other managers own (else it fails on them). */
  forceConflicts: boolean;
  /** Names the owner of another ApplySet (cached per run). */
  describeSet: (id: string) => Promise<string>;
}

async function planObject(r: Resolved, ctx: ObjectContext): Promise<Change> {
  const base = describe(r);
  if (r.error) return { ...base, action: 'error', error: r.error, via: 'intent' };
  // Sent as JSON by dry-run and apply: a body the apiserver cannot take is an error of this object, found before any request.
  const bytes = Buffer.byteLength(JSON.stringify(r.object));
  if (bytes > MAX_REQUEST_BYTES)
    return { ...base, action: 'error', error: toObjectError(tooLarge(bytes)), via: 'intent' };
  const liveObject = r.info ? ctx.live.objects.get(objectIdentity(r.object)) : undefined;
  const listError = r.info ? ctx.live.errors.get(listKey(r.info, r.object.metadata.namespace)) : undefined;
  if (listError) return { ...base, action: 'error', error: listError, via: 'intent' };
  const deep = liveObject && liveTooDeep(liveObject);
  if (deep) return { ...base, action: 'error', error: deep, via: 'intent' };
  if (!liveObject) return planCreate(r, ctx);
  // An object of another ApplySet is taken over only when git asks for it: otherwise two targets would relabel it
  // back and forth, and the one that lost it would prune it.
  const owner = liveObject.metadata.labels?.[PART_OF];
  if (owner !== undefined && owner !== r.object.metadata.labels?.[PART_OF]) {
    const other = await ctx.describeSet(owner);
    if (r.object.metadata.annotations?.[ADOPT] !== 'true') {
      const error = {
        message: `belongs to ${other}; kubeplan takes an object over from another set only when asked`,
        hint: `if this target should own it from now on, add the annotation ${ADOPT}: "true" to it in git (the other set then no longer prunes it); otherwise remove it from this target`,
      };
      return { ...base, action: 'error', error, via: 'intent' };
    }
    const change = await planUpdate(r, liveObject, ctx);
    return { ...change, notes: [...(change.notes ?? []), `taken over from ${other} (${ADOPT})`] };
  }
  if (
    renderedMatchesLive(r.object, liveObject) &&
    ownedButNotRendered(appliedFields(liveObject.metadata.managedFields) ?? {}, r.object).length === 0
  ) {
    return { ...base, action: 'unchanged', via: 'fast-path' };
  }
  return planUpdate(r, liveObject, ctx);
}

function describe(r: Resolved): Omit<Change, 'action' | 'via'> {
  const o = r.object;
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name,
    source: r.manifest.source,
    ...(r.manifest.hook ? { hook: r.manifest.hook } : {}),
    paths: [],
    digest: [],
    diff: '',
    object: o,
    ...(r.info ? { resource: r.info } : {}),
  };
}

async function planCreate(r: Resolved, ctx: ObjectContext): Promise<Change> {
  const base = describe(r);
  const notes: string[] = [];
  const namespace = r.object.metadata.namespace;
  if (r.pendingCRD) {
    notes.push('its CustomResourceDefinition is created by this plan, so the server validates it only at apply');
  } else if (namespace && r.info?.namespaced && ctx.newNamespaces.has(namespace)) {
    notes.push(`namespace ${namespace} is created by this plan, so the server validates this object only at apply`);
  } else if (ctx.mode === 'server' && r.info) {
    try {
      await serverSideApply(ctx.client, r.info, r.object, { dryRun: true, force: false });
    } catch (error) {
      return { ...base, action: 'error', error: toObjectError(error), via: 'dry-run' };
    }
  }
  const after = ctx.masker.mask(stripNoise(r.object, ctx.hidden) as KubeObject);
  const secrets = isSecret(after) ? secretKeyChanges(undefined, after) : undefined;
  return diffOnRead(
    {
      ...base,
      action: 'create',
      paths: [],
      digest: digestForCreate(after),
      diff: '',
      ...(secrets ? { secrets } : {}),
      ...(notes.length ? { notes } : {}),
      via: ctx.mode === 'server' && notes.length === 0 ? 'dry-run' : 'client',
    },
    label(r.object),
    undefined,
    after,
  );
}

async function planUpdate(r: Resolved, liveObject: KubeObject, ctx: ObjectContext): Promise<Change> {
  const base = describe(r);
  const notes: string[] = [];
  let planned: KubeObject;
  if (ctx.mode === 'server') {
    try {
      planned = await dryRunWithConflicts(ctx.client, r.info!, r.object, notes, ctx.forceConflicts);
    } catch (error) {
      const replace = immutableFieldsFromError(error);
      if (replace) return await planReplace(r, liveObject, ctx, replace);
      return { ...base, action: 'error', error: toObjectError(error), via: 'dry-run' };
    }
  } else {
    planned = mergeForClientMode(liveObject, r.object);
    const immutable = immutableChanges(liveObject, planned);
    if (immutable.length > 0) return await planReplace(r, liveObject, ctx, immutable);
  }
  const before = ctx.masker.mask(stripNoise(liveObject, ctx.hidden) as KubeObject);
  const after = ctx.masker.mask(stripNoise(planned, ctx.hidden) as KubeObject);
  applyIgnoreRules(ctx.ignore, liveObject, [before, after], ctx.hidden);
  let paths = changedPaths(before, after);
  const via = ctx.mode === 'server' ? 'dry-run' : 'client';
  if (paths.length === 0) return { ...base, action: 'unchanged', ...(notes.length ? { notes } : {}), via };
  // Not in any ApplySet yet (set up by kubectl, Helm, another tool): joining the inventory is not an edit. Only the
  // label changes: adopt; other fields change too: an update that says it also joins.
  const joins =
    liveObject.metadata.labels?.[PART_OF] === undefined && r.object.metadata.labels?.[PART_OF] !== undefined;
  if (joins) paths = [...changedPaths(before, withoutPartOf(after, before)), `metadata.labels.${PART_OF}`];
  const adopt = joins && paths.length === 1;
  if (joins && !adopt) notes.push(`not managed by kubeplan yet: joins the target's inventory (label ${PART_OF})`);
  const secrets = isSecret(after) ? secretKeyChanges(before, after) : undefined;
  return diffOnRead(
    {
      ...base,
      live: liveObject,
      action: adopt ? 'adopt' : 'update',
      ...(joins ? { joinsInventory: true } : {}),
      paths,
      digest: adopt ? ['joins the inventory'] : digest(before, after, secrets),
      diff: '',
      ...(secrets ? { secrets } : {}),
      ...(notes.length ? { notes } : {}),
      via,
    },
    label(r.object),
    before,
    after,
  );
}

/** `after` without the inventory label (and without an empty label map `before` did not have): what else changes. */
function withoutPartOf(after: KubeObject, before: KubeObject): KubeObject {
  const labels = { ...after.metadata.labels };
  delete labels[PART_OF];
  const metadata = { ...after.metadata, labels };
  if (Object.keys(labels).length === 0 && before.metadata.labels === undefined)
    delete (metadata as { labels?: unknown }).labels;
  return { ...after, metadata };
}

/**
 * A replace deletes the object and creates it again, so the diff compares the live object with what the new one will
 * look like: in server mode a dry-run create under a temporary name (the server's defaults applied), in client mode
 * the rendered fields over the live ones. Diffing against the bare rendered object would list every default as removed.
 */
async function planReplace(r: Resolved, liveObject: KubeObject, ctx: ObjectContext, fields: string[]): Promise<Change> {
  const notes: string[] = [];
  let recreated: KubeObject;
  if (ctx.mode === 'server' && r.info) {
    try {
      recreated = await dryRunCreate(ctx.client, r.info, r.object);
    } catch (error) {
      recreated = mergeForClientMode(liveObject, r.object);
      notes.push(
        `the server could not show the recreated object (${toObjectError(error).message}); fields git does not set are shown with their live values`,
      );
    }
  } else {
    recreated = mergeForClientMode(liveObject, r.object);
  }
  const before = ctx.masker.mask(stripNoise(liveObject, ctx.hidden) as KubeObject);
  const after = ctx.masker.mask(stripNoise(recreated, ctx.hidden) as KubeObject);
  applyIgnoreRules(ctx.ignore, liveObject, [before, after], ctx.hidden);
  const secrets = isSecret(after) ? secretKeyChanges(before, after) : undefined;
  return diffOnRead(
    {
      ...describe(r),
      live: liveObject,
      action: 'replace',
      replaceFields: fields,
      destructive: ['PersistentVolumeClaim', 'PersistentVolume', 'Namespace', 'CustomResourceDefinition'].includes(
        r.object.kind,
      ),
      paths: changedPaths(before, after).filter((p) => !p.startsWith('metadata.')),
      digest: [`replace: ${fields.join(', ')} cannot change in place; the object is deleted and created again`],
      diff: '',
      ...(secrets ? { secrets } : {}),
      ...(notes.length ? { notes } : {}),
      via: ctx.mode === 'server' ? 'dry-run' : 'client',
    },
    label(r.object),
    before,
    after,
  );
}

/**
 * What the server would create from `object`: a server-side apply dry-run under a temporary name (the real name is
 * taken by the live object), with the name put back and the server-generated identity removed.
 */
async function dryRunCreate(client: ClusterClient, info: ResourceInfo, object: KubeObject): Promise<KubeObject> {
  const temporary = `kubeplan-replace-${createHash('sha256').update(objectIdentity(object)).digest('hex').slice(0, 10)}`;
  const created = await serverSideApply(
    client,
    info,
    { ...object, metadata: { ...object.metadata, name: temporary } },
    { dryRun: true, force: true },
  );
  const metadata: Record<string, unknown> = { ...created.metadata, name: object.metadata.name };
  for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields'])
    delete metadata[field];
  return { ...created, metadata } as KubeObject;
}

/**
 * Dry-run without force first, so conflicts with other field managers are reported; then with force, to show what
 * apply writes once the conflict is resolved. The note says what apply will really do: take the fields over only
 * when it forces conflicts, else fail.
 */
async function dryRunWithConflicts(
  client: ClusterClient,
  info: ResourceInfo,
  object: KubeObject,
  notes: string[],
  force: boolean,
): Promise<KubeObject> {
  try {
    return await serverSideApply(client, info, object, { dryRun: true, force: false });
  } catch (error) {
    if (!(error instanceof ClusterError) || error.status !== 409) throw error;
    const fields = error.causes
      .map((c) => `${c.field ?? ''}${c.message ? ` (${c.message.replace(/^conflict with /, '')})` : ''}`)
      .filter(Boolean);
    const outcome = force
      ? 'apply takes these fields over (--force-conflicts)'
      : 'apply will fail on them unless --force-conflicts (or apply.forceConflicts on the target) is set';
    notes.push(`conflicts with other field managers: ${fields.join('; ') || error.message}; ${outcome}`);
    return serverSideApply(client, info, object, { dryRun: true, force: true });
  }
}

function immutableFieldsFromError(error: unknown): string[] | undefined {
  if (!(error instanceof ClusterError) || error.status !== 422) return undefined;
  const immutable = /immutable|may not change once set|cannot be changed|field is not mutable/i;
  const fields = error.causes.filter((c) => immutable.test(c.message ?? '')).map((c) => c.field ?? '');
  if (fields.length > 0) return [...new Set(fields.filter(Boolean))];
  return immutable.test(error.message) ? ['(immutable field)'] : undefined;
}

function digestForCreate(after: KubeObject): string[] {
  const images =
    JSON.stringify(after)
      .match(/"image":"([^"]+)"/g)
      ?.map((m) => m.slice(9, -1)) ?? [];
  return images.length ? [`image ${[...new Set(images)].join(', ')}`] : [];
}

function label(o: KubeObject): string {
  return `${o.kind.toLowerCase()}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

const LIVE_MAX_DEPTH = MAX_DEPTH + 10;

/**
 * A live object nesting deeper than kubeplan reads input (anyone who may write a custom resource can make one) is an
 * error of that object: comparing it would overflow the stack.
 */
function liveTooDeep(live: KubeObject): ObjectError | undefined {
  // metadata.managedFields[].fieldsV1 mirrors the object's fields four levels deeper than the object has them.
  if (!deeperThan(live, LIVE_MAX_DEPTH)) return undefined;
  return {
    message: `the live object nests deeper than ${LIVE_MAX_DEPTH} levels, too deep for kubeplan to compare`,
    hint: 'see what wrote it (kubectl get -o json); kubeplan plans objects nested up to that depth',
  };
}

/**
 * Whether a value nests more than `max` collections deep. A live object is parsed JSON: a tree without aliases, its
 * size bounded by the bytes read, so a plain walk that stops at `max` levels does (the YAML input check also measures
 * aliases, which costs more on every object of every LIST).
 */
function deeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (max <= 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (deeperThan(item, max - 1)) return true;
    return false;
  }
  for (const key in value) if (deeperThan((value as Record<string, unknown>)[key], max - 1)) return true;
  return false;
}

/** Server messages may quote Secret values (an admission policy echoing the object): they never leave kubeplan. */
function scrubChange(change: Change, scrubber: SecretScrubber): void {
  if (change.error) {
    change.error = {
      ...change.error,
      message: scrubber.scrub(change.error.message),
      ...(change.error.hint ? { hint: scrubber.scrub(change.error.hint) } : {}),
    };
  }
  if (change.notes) change.notes = change.notes.map((n) => scrubber.scrub(n));
}

function toObjectError(error: unknown): ObjectError {
  if (error instanceof ClusterError) {
    return {
      message: error.message,
      status: error.status,
      ...(error.reason ? { reason: error.reason } : {}),
      ...(error.hint ? { hint: error.hint } : {}),
    };
  }
  return { message: (error as Error).message ?? String(error) };
}

/**
 * `change` with its unified diff (`title`, `before` → `after`, Secret values labelled) made when it is first read,
 * not during the plan: every plan report reads it, apply never does (at 1,000 created objects the diffs were most of
 * the plan's own work). `before` and `after` are the plan's own masked copies, so the text is the same either way.
 */
function diffOnRead(
  change: Change,
  title: string,
  before: KubeObject | undefined,
  after: KubeObject | undefined,
): Change {
  let text: string | undefined;
  return Object.defineProperty(change, 'diff', {
    enumerable: true,
    configurable: true,
    get: () => {
      text ??= unifiedDiff(title, ...labelSecretPair(before, after));
      return text;
    },
    set: (value: string) => {
      text = value;
    },
  });
}
