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
  const hashed = createHash('sha256').update([parent.name, parent.namespace, 'ConfigMap', ''].join('.')).digest('base64url');
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

/** Reads the inventory: the parent, then one labelled LIST per recorded group-kind and namespace. */
export async function readInventory(client: ClusterClient, resources: ResourceMap, parent: ApplySetParent): Promise<Inventory> {
  const id = applySetId(parent);
  let parentObject: KubeObject;
  try {
    parentObject = (await client.request<KubeObject>('GET', `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}/configmaps/${encodeURIComponent(parent.name)}`)).body;
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
    for (const ns of scopes) lists.push(listLiveObjects(client, info, ns, `${PART_OF}=${id}`).then((os) => os.map((object) => ({ object, info }))));
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
