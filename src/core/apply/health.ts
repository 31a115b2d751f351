import { sleepUnlessCancelled } from '../cancel.js';
import type { ClusterClient } from '../cluster/client.js';
import { resourcePath } from '../cluster/discovery.js';
import type { Change } from '../diff/types.js';
import { ClusterError, objectWhere } from '../errors.js';
import type { KubeObject } from '../manifests/types.js';
import { objectName } from '../report/common.js';
import { ApplyError } from './apply-error.js';

export type Health = { state: 'ready' } | { state: 'pending'; reason: string } | { state: 'failed'; reason: string };

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/**
 * kstatus-style health of a live object: rollouts of Deployments, StatefulSets and DaemonSets (observed generation,
 * updated and available replicas), Job completion, PVC binding, and the generic Ready / Available conditions. Kinds
 * without a notion of health are ready once written.
 */
export function assessHealth(o: KubeObject): Health {
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  const status = (o.status ?? {}) as Record<string, unknown>;
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []) as Condition[];
  const condition = (type: string) => conditions.find((c) => c.type === type);
  const generation = Number(o.metadata.generation ?? 0);
  const observed = Number(status.observedGeneration ?? 0);
  const stale = generation > 0 && observed < generation;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  switch (o.kind) {
    case 'Deployment': {
      const progressing = condition('Progressing');
      if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded')
        return { state: 'failed', reason: progressing.message ?? 'progress deadline exceeded' };
      if (stale) return { state: 'pending', reason: 'waiting for the controller to observe the new generation' };
      const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
      if (n(status.updatedReplicas) < want)
        return { state: 'pending', reason: `${n(status.updatedReplicas)}/${want} replicas updated` };
      if (n(status.availableReplicas) < want)
        return { state: 'pending', reason: `${n(status.availableReplicas)}/${want} replicas available` };
      if (n(status.replicas) > want)
        return { state: 'pending', reason: `${n(status.replicas) - want} old replicas terminating` };
      return { state: 'ready' };
    }
    case 'StatefulSet': {
      if (stale) return { state: 'pending', reason: 'waiting for the controller to observe the new generation' };
      const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
      if (n(status.readyReplicas) < want)
        return { state: 'pending', reason: `${n(status.readyReplicas)}/${want} replicas ready` };
      if (status.updateRevision !== undefined && status.currentRevision !== status.updateRevision)
        return { state: 'pending', reason: 'rolling update in progress' };
      return { state: 'ready' };
    }
    case 'DaemonSet': {
      if (stale) return { state: 'pending', reason: 'waiting for the controller to observe the new generation' };
      const want = n(status.desiredNumberScheduled);
      if (n(status.updatedNumberScheduled) < want)
        return { state: 'pending', reason: `${n(status.updatedNumberScheduled)}/${want} pods updated` };
      if (n(status.numberAvailable) < want)
        return { state: 'pending', reason: `${n(status.numberAvailable)}/${want} pods available` };
      return { state: 'ready' };
    }
    case 'Job': {
      const failed = condition('Failed');
      if (failed?.status === 'True')
        return { state: 'failed', reason: failed.message ?? failed.reason ?? 'the job failed' };
      if (condition('Complete')?.status === 'True') return { state: 'ready' };
      return { state: 'pending', reason: `${n(status.succeeded)} succeeded, ${n(status.active)} active` };
    }
    case 'PersistentVolumeClaim':
      return status.phase === 'Bound'
        ? { state: 'ready' }
        : { state: 'pending', reason: `phase ${String(status.phase ?? 'Pending')}` };
    case 'CustomResourceDefinition':
      return condition('Established')?.status === 'True'
        ? { state: 'ready' }
        : { state: 'pending', reason: 'not Established yet' };
  }
  for (const type of ['Ready', 'Available']) {
    const c = condition(type);
    if (c && c.status !== 'True') {
      if (c.status === 'False' && /fail|error/i.test(c.reason ?? ''))
        return { state: 'failed', reason: c.message ?? c.reason ?? `${type} is False` };
      return { state: 'pending', reason: c.message ?? `${type} is ${c.status}` };
    }
  }
  return { state: 'ready' };
}

/** Kinds that are ready once written (no rollout, no conditions): an unchanged one needs no health check. */
const ALWAYS_READY = new Set([
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'NetworkPolicy',
  'LimitRange',
  'ResourceQuota',
  'PriorityClass',
  'StorageClass',
  'IngressClass',
  'Namespace',
  'Service',
  'PodDisruptionBudget',
]);

/** Whether an object of this kind can be unhealthy (kinds outside {@link ALWAYS_READY}, custom resources included). */
export function canBeUnhealthy(kind: string): boolean {
  return !ALWAYS_READY.has(kind);
}

export interface WaitOptions {
  timeoutMs: number;
  pollMs?: number;
  /** Called about every 5 s with what is still pending. */
  onProgress?: (pending: { name: string; reason: string; seconds: number }[]) => void;
  /** Stops the wait with a CancelledError once aborted (SIGINT/SIGTERM). */
  signal?: AbortSignal | undefined;
}

/** Polls the written objects until every one is healthy; fails fast on a failed one, and names the laggards on timeout. */
export async function waitHealthy(client: ClusterClient, changes: Change[], options: WaitOptions): Promise<void> {
  const started = Date.now();
  let pending = changes.filter((c) => c.resource);
  let lastReport = Date.now();
  const reasons = new Map<Change, string>();
  while (pending.length > 0) {
    const next: Change[] = [];
    await Promise.all(
      pending.map(async (c) => {
        let live: KubeObject;
        try {
          live = (await client.request<KubeObject>('GET', resourcePath(c.resource!, c.namespace, c.name))).body;
        } catch (error) {
          if (error instanceof ClusterError)
            throw new ApplyError(`cannot read it back to check its health: ${error.message}`, {
              where: objectWhere(c),
              hint: error.hint,
              cause: error,
            });
          throw error;
        }
        const deadline = progressDeadline(live, options.timeoutMs);
        const health = assessHealth(live);
        if (health.state === 'failed')
          throw new ApplyError(`is unhealthy: ${health.reason}`, {
            where: objectWhere(c),
            hint: 'see its events (kubectl describe) and fix the manifest; the rest of the apply stopped here',
          });
        if (health.state === 'pending') {
          if (Date.now() - started > deadline) {
            throw new ApplyError(`was not healthy after ${Math.round(deadline / 1000)}s: ${health.reason}`, {
              where: objectWhere(c),
              hint: 'check its pods and events; raise --timeout (or progressDeadlineSeconds) if it is just slow',
            });
          }
          reasons.set(c, health.reason);
          next.push(c);
        }
      }),
    );
    pending = next;
    if (pending.length && options.onProgress && Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      options.onProgress(
        pending.map((c) => ({
          name: objectName(c),
          reason: reasons.get(c) ?? '',
          seconds: Math.round((Date.now() - started) / 1000),
        })),
      );
    }
    if (pending.length)
      await sleepUnlessCancelled(options.pollMs ?? 1000, options.signal, `${objectName(pending[0]!)} was healthy`);
  }
}

function progressDeadline(o: KubeObject, fallback: number): number {
  const seconds = (o.spec as { progressDeadlineSeconds?: unknown } | undefined)?.progressDeadlineSeconds;
  return o.kind === 'Deployment' && typeof seconds === 'number' ? Math.min(seconds * 1000, fallback) : fallback;
}
