import type { KubeObject } from '../manifests/types.js';
import { changedPaths } from './field-diff.js';

/**
 * Fields the apiserver refuses to change in place, by kind: changing one means delete and re-create. Used to name the
 * field in client mode (server mode learns it from the dry-run's 422).
 */
const IMMUTABLE: Record<string, string[]> = {
  'apps/Deployment': ['spec.selector'],
  'apps/ReplicaSet': ['spec.selector'],
  'apps/DaemonSet': ['spec.selector'],
  'apps/StatefulSet': ['spec.selector', 'spec.serviceName', 'spec.volumeClaimTemplates', 'spec.podManagementPolicy'],
  'batch/Job': ['spec.selector', 'spec.template', 'spec.completions', 'spec.completionMode'],
  '/Service': ['spec.clusterIP', 'spec.clusterIPs', 'spec.ipFamilies'],
  '/PersistentVolumeClaim': [
    'spec.storageClassName',
    'spec.accessModes',
    'spec.volumeName',
    'spec.volumeMode',
    'spec.selector',
    'spec.dataSource',
  ],
  '/ConfigMap': [],
  'storage.k8s.io/StorageClass': ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode'],
  'rbac.authorization.k8s.io/RoleBinding': ['roleRef'],
  'rbac.authorization.k8s.io/ClusterRoleBinding': ['roleRef'],
  'policy/PodDisruptionBudget': [],
};

function key(object: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const slash = object.apiVersion.indexOf('/');
  return `${slash === -1 ? '' : object.apiVersion.slice(0, slash)}/${object.kind}`;
}

/** Immutable fields that differ between live and planned (only fields the plan sets count). */
export function immutableChanges(live: KubeObject, planned: KubeObject): string[] {
  const fields = IMMUTABLE[key(planned)] ?? [];
  const paths = changedPaths(live, planned);
  return fields.filter((f) => {
    const value = get(planned, f);
    return value !== undefined && paths.some((p) => p === f || p.startsWith(`${f}.`) || p.startsWith(`${f}[`));
  });
}

/** Whether deleting this object destroys data or other objects (Namespaces, CRDs, PVCs, PVs). */
export function isDestructiveDelete(object: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return [
    '/Namespace',
    'apiextensions.k8s.io/CustomResourceDefinition',
    '/PersistentVolumeClaim',
    '/PersistentVolume',
  ].includes(key(object));
}

function get(object: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), object);
}
