import { podSpecOf } from '../manifests/pod-spec.js';
import type { KubeObject } from '../manifests/types.js';

/** An object named in the recovery report: kind, namespace, name, and what made it so. */
export interface GapObject {
  kind: string;
  namespace?: string;
  name: string;
  /** Why it is listed: `rendered`, `volumeClaimTemplate data of StatefulSet shop/cache`, `Deployment shop/web`… */
  because: string[];
}

/** What git cannot restore on a recovered cluster: data, Secrets kept outside git, new external addresses. */
export interface RecoveryGaps {
  /** PersistentVolumeClaims the recovery creates (or makes a StatefulSet create): their volumes start empty. */
  persistentVolumeClaims: GapObject[];
  /** Secrets the rendered objects use that no target on the cluster renders (nor a controller from git makes). */
  secrets: GapObject[];
  /** Services of type LoadBalancer the recovery creates: the cloud gives them new external addresses. */
  loadBalancers: GapObject[];
}

/** One object the recovery writes: the rendered object, and whether the plan creates it (else it already exists). */
export interface RecoveredObject {
  object: KubeObject;
  created: boolean;
}

interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  ephemeralContainers?: ContainerLike[];
  volumes?: {
    secret?: { secretName?: string; optional?: boolean };
    projected?: { sources?: { secret?: { name?: string; optional?: boolean } }[] };
  }[];
  imagePullSecrets?: { name?: string }[];
}

interface ContainerLike {
  env?: { valueFrom?: { secretKeyRef?: { name?: string; optional?: boolean } } }[];
  envFrom?: { secretRef?: { name?: string; optional?: boolean } }[];
}

const objectLabel = (o: KubeObject) =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/**
 * The Secrets an object uses (env secretKeyRef, envFrom, secret and projected volumes, imagePullSecrets; a
 * ServiceAccount's secrets and imagePullSecrets; an Ingress's TLS secrets), optional ones left out: a missing
 * optional Secret does not stop a Pod.
 */
export function referencedSecrets(o: KubeObject): string[] {
  const names: string[] = [];
  const add = (name: string | undefined, optional?: boolean) => {
    if (name && !optional) names.push(name);
  };
  if (o.kind === 'ServiceAccount') {
    for (const s of (o.secrets as { name?: string }[] | undefined) ?? []) add(s.name);
    for (const s of (o.imagePullSecrets as { name?: string }[] | undefined) ?? []) add(s.name);
  }
  if (o.kind === 'Ingress') {
    for (const t of (o.spec as { tls?: { secretName?: string }[] } | undefined)?.tls ?? []) add(t.secretName);
  }
  const pod = podSpecOf(o) as PodSpecLike | undefined;
  if (pod && typeof pod === 'object') {
    for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? []), ...(pod.ephemeralContainers ?? [])]) {
      for (const e of c.env ?? []) add(e.valueFrom?.secretKeyRef?.name, e.valueFrom?.secretKeyRef?.optional);
      for (const e of c.envFrom ?? []) add(e.secretRef?.name, e.secretRef?.optional);
    }
    for (const v of pod.volumes ?? []) {
      add(v.secret?.secretName, v.secret?.optional);
      for (const s of v.projected?.sources ?? []) add(s.secret?.name, s.secret?.optional);
    }
    for (const s of pod.imagePullSecrets ?? []) add(s.name);
  }
  return [...new Set(names)];
}

/**
 * The Secrets a controller makes from an object in git (cert-manager's Certificate, External Secrets, Sealed
 * Secrets): not rendered, yet restored once the controller runs.
 */
function secretsMadeBy(o: KubeObject): string[] {
  const group = o.apiVersion.split('/')[0];
  const spec = (o.spec ?? {}) as { secretName?: string; target?: { name?: string } };
  if (o.kind === 'Certificate' && group === 'cert-manager.io' && spec.secretName) return [spec.secretName];
  if (o.kind === 'ExternalSecret' && group?.startsWith('external-secrets.io'))
    return [spec.target?.name ?? o.metadata.name];
  if (o.kind === 'SealedSecret' && group === 'bitnami.com') return [o.metadata.name];
  return [];
}

function hasDataSource(spec: unknown): boolean {
  const s = spec as { dataSource?: unknown; dataSourceRef?: unknown } | undefined;
  return !!(s?.dataSource || s?.dataSourceRef);
}

/**
 * What git cannot restore, from the objects a recovery writes to one cluster (every target on it): PVCs it creates
 * and the claims of StatefulSets it creates (empty volumes), Secrets used but not rendered (`exists` tells which are in
 * the cluster already: those are not missing), and new LoadBalancer Services.
 */
export async function recoveryGaps(
  objects: RecoveredObject[],
  exists: (namespace: string, name: string) => Promise<boolean>,
): Promise<RecoveryGaps> {
  const key = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
  const pvcs = new Map<string, GapObject>();
  const addPvc = (namespace: string | undefined, name: string, because: string) => {
    const k = key(namespace, name);
    const entry = pvcs.get(k) ?? {
      kind: 'PersistentVolumeClaim',
      ...(namespace ? { namespace } : {}),
      name,
      because: [],
    };
    entry.because.push(because);
    pvcs.set(k, entry);
  };
  const loadBalancers: GapObject[] = [];
  const rendered = new Set<string>();
  const used = new Map<string, GapObject>();
  for (const { object: o, created } of objects) {
    const ns = o.metadata.namespace;
    if (o.kind === 'Secret' && o.apiVersion === 'v1') rendered.add(key(ns, o.metadata.name));
    for (const s of secretsMadeBy(o)) rendered.add(key(ns, s));
    // A claim with a data source (a VolumeSnapshot, another PVC, a volume populator) is filled from it, not empty.
    if (created && o.kind === 'PersistentVolumeClaim' && o.apiVersion === 'v1' && !hasDataSource(o.spec))
      addPvc(ns, o.metadata.name, 'rendered');
    if (created && o.kind === 'StatefulSet') {
      const spec = o.spec as { replicas?: number; volumeClaimTemplates?: { metadata?: { name?: string } }[] };
      const replicas = spec?.replicas ?? 1;
      for (const t of spec?.volumeClaimTemplates ?? []) {
        if (!t.metadata?.name || hasDataSource((t as { spec?: unknown }).spec)) continue;
        for (let i = 0; i < replicas; i++)
          addPvc(
            ns,
            `${t.metadata.name}-${o.metadata.name}-${i}`,
            `volumeClaimTemplate of StatefulSet ${ns}/${o.metadata.name}`,
          );
      }
    }
    if (created && o.kind === 'Service' && (o.spec as { type?: string } | undefined)?.type === 'LoadBalancer')
      loadBalancers.push({
        kind: 'Service',
        ...(ns ? { namespace: ns } : {}),
        name: o.metadata.name,
        because: ['type LoadBalancer'],
      });
    for (const s of referencedSecrets(o)) {
      const k = key(ns, s);
      const entry = used.get(k) ?? { kind: 'Secret', ...(ns ? { namespace: ns } : {}), name: s, because: [] };
      entry.because.push(objectLabel(o));
      used.set(k, entry);
    }
  }
  const candidates = [...used].filter(([k]) => !rendered.has(k)).map(([, v]) => v);
  const missing = (
    await Promise.all(candidates.map(async (s) => ((await exists(s.namespace ?? 'default', s.name)) ? undefined : s)))
  ).filter((s): s is GapObject => s !== undefined);
  const order = (a: GapObject, b: GapObject) =>
    (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name);
  return {
    persistentVolumeClaims: [...pvcs.values()].sort(order),
    secrets: missing.sort(order),
    loadBalancers: loadBalancers.sort(order),
  };
}
