import type { KubeObject } from './types.js';

/** Cluster-scoped kinds of Kubernetes 1.35, by API group ('' is the core group). */
const CLUSTER_SCOPED: Record<string, readonly string[]> = {
  '': ['Namespace', 'Node', 'PersistentVolume', 'ComponentStatus'],
  'admissionregistration.k8s.io': [
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
    'MutatingAdmissionPolicy',
    'MutatingAdmissionPolicyBinding',
  ],
  'apiextensions.k8s.io': ['CustomResourceDefinition'],
  'apiregistration.k8s.io': ['APIService'],
  'authentication.k8s.io': ['TokenReview', 'SelfSubjectReview'],
  'authorization.k8s.io': ['SubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview'],
  'certificates.k8s.io': ['CertificateSigningRequest', 'ClusterTrustBundle'],
  'flowcontrol.apiserver.k8s.io': ['FlowSchema', 'PriorityLevelConfiguration'],
  'internal.apiserver.k8s.io': ['StorageVersion'],
  'networking.k8s.io': ['IngressClass', 'IPAddress', 'ServiceCIDR'],
  'node.k8s.io': ['RuntimeClass'],
  policy: ['PodSecurityPolicy'],
  'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
  'resource.k8s.io': ['DeviceClass', 'ResourceSlice', 'DeviceTaintRule'],
  'scheduling.k8s.io': ['PriorityClass'],
  'storage.k8s.io': ['StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'VolumeAttributesClass'],
  'storagemigration.k8s.io': ['StorageVersionMigration'],
};

export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** `group/Kind` ('Kind' for the core group): how kinds are keyed independently of their version. */
export function groupKind(object: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const group = apiGroup(object.apiVersion);
  return group === '' ? object.kind : `${object.kind}.${group}`;
}

/** Who an object is, independently of the API version it is written in: group, kind, namespace and name. */
export function objectIdentity(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  return `${groupKind(object)}|${object.metadata.namespace ?? ''}|${object.metadata.name}`;
}

/**
 * Knows which kinds are cluster-scoped: the built-in table plus CRDs found in the same manifest set. Kinds it has never
 * heard of are taken as namespaced (most custom resources are); the cluster's discovery settles it at plan time.
 */
export class ScopeTable {
  private readonly cluster = new Set<string>();
  private readonly namespaced = new Set<string>();

  constructor(objects: readonly KubeObject[] = []) {
    for (const [group, kinds] of Object.entries(CLUSTER_SCOPED)) {
      for (const kind of kinds) this.cluster.add(group === '' ? kind : `${kind}.${group}`);
    }
    for (const o of objects) this.learnFromCRD(o);
  }

  learnFromCRD(object: KubeObject): void {
    if (object.kind !== 'CustomResourceDefinition' || apiGroup(object.apiVersion) !== 'apiextensions.k8s.io') return;
    const spec = object.spec as { group?: unknown; scope?: unknown; names?: { kind?: unknown } } | undefined;
    if (typeof spec?.group !== 'string' || typeof spec.names?.kind !== 'string') return;
    const key = `${spec.names.kind}.${spec.group}`;
    if (spec.scope === 'Cluster') this.cluster.add(key);
    else this.namespaced.add(key);
  }

  isClusterScoped(object: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
    const key = groupKind(object);
    return this.cluster.has(key) && !this.namespaced.has(key);
  }
}
