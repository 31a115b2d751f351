import { CORE_SCHEMA, loadAll, mergeTag } from 'js-yaml';

export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** Parses a YAML stream into objects (empty documents skipped), the same way for kubeplan's and the anchor's output. */
export function parseStream(text: string): Obj[] {
  return (loadAll(text, { schema: CORE_SCHEMA.withTags(mergeTag) }) as unknown[]).filter(
    (d): d is Obj => d !== null && d !== undefined,
  );
}

export function key(o: Obj): string {
  return `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

export function byKey(objects: Obj[]): Map<string, Obj> {
  return new Map(objects.map((o) => [key(o), o]));
}

const CLUSTER_KINDS = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);

/** What kubeplan promises on top of bare output: namespaced objects without a namespace get the target's. */
export function fillNamespace(objects: Obj[], namespace: string): Obj[] {
  return objects.map((o) => {
    if (CLUSTER_KINDS.has(o.kind) || o.metadata.namespace) return o;
    return { ...o, metadata: { ...o.metadata, namespace } };
  });
}
