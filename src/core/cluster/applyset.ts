import { createHash } from 'node:crypto';
import { ClusterError } from '../errors.js';
import type { KubeObject } from '../manifests/types.js';
import type { ClusterClient } from './client.js';
import type { ResourceInfo, ResourceMap } from './discovery.js';
import { listLiveObjects } from './objects.js';

/**
 * A target's inventory, in the ApplySet format that kubectl also uses (KEP-3659): a parent ConfigMap per target,
 * labelled with the set's id and annotated with the group-kinds and namespaces it contains; every applied object
 * carries the label `applyset.kubernetes.io/part-of=<id>`. Objects so labelled that are no longer rendered are the
 * plan's deletions.
 */
export const PART_OF = 'applyset.kubernetes.io/part-of';
export const APPLYSET_ID = 'applyset.kubernetes.io/id';
export const CONTAINS_GROUP_KINDS = 'applyset.kubernetes.io/contains-group-kinds';
export const ADDITIONAL_NAMESPACES = 'applyset.kubernetes.io/additional-namespaces';
export const TOOLING = 'applyset.kubernetes.io/tooling';
/** On the parent: the repository that applies the set (see `repositoryIdentity`). */
export const REPOSITORY = 'kubeplan.dev/repository';
/** On the parent: the config file (repository-relative) whose target it is, so a removed target can be named. */
export const CONFIG_FILE = 'kubeplan.dev/config';

/**
 * On an object in git: this target may take the object over from another ApplySet (it is relabelled into this target's
 * set, and the other set no longer prunes it). Without it, an object of another set is an error.
 */
export const ADOPT = 'kubeplan.dev/adopt';

/** Who owns an ApplySet, for messages: `target NAME (namespace NS)` for kubeplan's, else the parent and its tooling. */
export async function describeApplySet(client: ClusterClient, id: string): Promise<string> {
  try {
    const res = await client.request<{ items?: KubeObject[] }>('GET', '/api/v1/configmaps', {
      query: { labelSelector: `${APPLYSET_ID}=${id}` },
    });
    const parent = res.body.items?.[0];
    if (parent) {
      const tooling = parent.metadata.annotations?.[TOOLING] ?? '';
      if (tooling.startsWith('kubeplan/') && parent.metadata.name.startsWith('kubeplan-')) {
        return `ApplySet ${id} of target ${parent.metadata.name.slice('kubeplan-'.length)} (namespace ${parent.metadata.namespace})`;
      }
      return `ApplySet ${id} (ConfigMap ${parent.metadata.namespace}/${parent.metadata.name}${tooling ? `, managed by ${tooling}` : ''})`;
    }
  } catch {
    // Listing ConfigMaps in every namespace may be forbidden: the id alone still names the set.
  }
  return `ApplySet ${id}`;
}

/**
 * Labels a Helm hook object kubeplan creates with the ApplySet id of its target. Hooks are not members of the set (they
 * are never pruned), but `before-hook-creation` and re-running a hook may delete or overwrite only such an object.
 */
export const HOOK_OF = 'kubeplan.dev/hook-of';

/**
 * Whether a live object is a hook this target created. Hooks written before kubeplan labelled them (no label, a
 * `helm.sh/hook` annotation, fields owned by kubeplan, in no ApplySet) count as this target's too.
 */
export function isHookOf(live: KubeObject, id: string): boolean {
  const labels = live.metadata.labels ?? {};
  if (labels[HOOK_OF] !== undefined) return labels[HOOK_OF] === id;
  const managers = (live.metadata.managedFields as { manager?: string }[] | undefined) ?? [];
  return (
    labels[PART_OF] === undefined &&
    live.metadata.annotations?.['helm.sh/hook'] !== undefined &&
    managers.some((m) => m.manager === 'kubeplan')
  );
}

/** What to say about a live object in a hook's place that is not a hook of this target. */
export function foreignHookError(live: KubeObject): { message: string; hint: string } {
  const labels = live.metadata.labels ?? {};
  const owner = labels[HOOK_OF]
    ? `a hook of another target (ApplySet ${labels[HOOK_OF]})`
    : labels[PART_OF]
      ? `part of ApplySet ${labels[PART_OF]}`
      : 'not a hook of this target';
  return {
    message: `a ${live.kind} with this name already exists and is ${owner}; the hook would overwrite or delete it (before-hook-creation), so it does not run`,
    hint: 'rename the hook in the chart; if the object is a leftover you want gone, delete it by hand',
  };
}

export interface ApplySetParent {
  name: string;
  namespace: string;
}

/** The parent of a target's inventory: ConfigMap `kubeplan-<target>` in the target's namespace (`default` without one). */
export function applySetParent(target: string, namespace: string | undefined): ApplySetParent {
  return { name: `kubeplan-${target}`, namespace: namespace ?? 'default' };
}

/** The ApplySet id of a ConfigMap parent, computed exactly as kubectl does. */
export function applySetId(parent: ApplySetParent): string {
  const hashed = createHash('sha256')
    .update([parent.name, parent.namespace, 'ConfigMap', ''].join('.'))
    .digest('base64url');
  return `applyset-${hashed}-v1`;
}

export interface Inventory {
  id: string;
  parent: ApplySetParent;
  /** Whether the parent exists (nothing was ever applied otherwise). */
  exists: boolean;
  /** Every live object labelled as part of the set, with its kind's resource. */
  members: { object: KubeObject; info: ResourceInfo }[];
  /** The parent as it is, when it exists. */
  parentObject?: KubeObject;
}

/**
 * Reads the inventory: the parent, then one labelled LIST per recorded group-kind and namespace, unless `listed` has
 * that kind (same version) and namespace listed in full already (the plan's own LISTs): then its members are picked
 * from that list by their label, as the apiserver would.
 */
export async function readInventory(
  client: ClusterClient,
  resources: ResourceMap,
  parent: ApplySetParent,
  listed?: (info: ResourceInfo, namespace: string | undefined) => KubeObject[] | undefined,
): Promise<Inventory> {
  const id = applySetId(parent);
  let parentObject: KubeObject;
  try {
    parentObject = (
      await client.request<KubeObject>(
        'GET',
        `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}/configmaps/${encodeURIComponent(parent.name)}`,
      )
    ).body;
  } catch (error) {
    if (error instanceof ClusterError && error.status === 404) return { id, parent, exists: false, members: [] };
    throw error;
  }
  const annotations = parentObject.metadata.annotations ?? {};
  const groupKinds = splitList(annotations[CONTAINS_GROUP_KINDS]);
  const namespaces = [parent.namespace, ...splitList(annotations[ADDITIONAL_NAMESPACES])];
  const lists: Promise<{ object: KubeObject; info: ResourceInfo }[]>[] = [];
  for (const gk of groupKinds) {
    const dot = gk.indexOf('.');
    const kind = dot === -1 ? gk : gk.slice(0, dot);
    const group = dot === -1 ? '' : gk.slice(dot + 1);
    const info = resources.preferred(group, kind);
    if (!info) continue; // the kind is gone from the cluster (its CRD was deleted): nothing left to delete
    const scopes = info.namespaced ? [...new Set(namespaces)] : [undefined];
    for (const ns of scopes) {
      const all = listed?.(info, ns);
      lists.push(
        all
          ? Promise.resolve(all.filter((o) => o.metadata.labels?.[PART_OF] === id).map((object) => ({ object, info })))
          : listLiveObjects(client, info, ns, `${PART_OF}=${id}`).then((os) => os.map((object) => ({ object, info }))),
      );
    }
  }
  const members = (await Promise.all(lists)).flat();
  return { id, parent, exists: true, members, parentObject };
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Another repository's inventory: the parent records a repository that is not this one. Parents without the record
 * (older kubeplan) are taken over and get it; a run that cannot tell which repository it is (no `repository:`, CI
 * context or git remote) neither checks nor records one.
 */
export function foreignRepository(
  parentObject: KubeObject | undefined,
  repository: string | undefined,
  target: string,
): { message: string; hint: string } | undefined {
  const recorded = parentObject?.metadata.annotations?.[REPOSITORY];
  if (!recorded || !repository || recorded.toLowerCase() === repository.toLowerCase()) return undefined;
  const namespace = parentObject!.metadata.namespace;
  return {
    message: `the inventory ConfigMap ${namespace}/${parentObject!.metadata.name} belongs to repository ${recorded}, not to ${repository}; nothing of target ${target} is applied or pruned from here`,
    hint: `two repositories have a target named ${target} in namespace ${namespace}: rename this target or give it another namespace; if this repository was moved or renamed, set repository: ${recorded} in kubeplan.yaml`,
  };
}
