import { sleepUnlessCancelled } from '../cancel.js';
import type { ClusterClient } from '../cluster/client.js';
import { resourcePath } from '../cluster/discovery.js';
import type { Change } from '../diff/types.js';
import { ClusterError, objectWhere } from '../errors.js';
import type { KubeObject } from '../manifests/types.js';
import { objectName } from '../report/common.js';
import { ApplyError } from './apply-error.js';

/** What a progressive-delivery controller (Argo Rollouts, Flagger) says of an object it drives: its phase. */
export interface ControllerPhase {
  controller: 'Argo Rollouts' | 'Flagger';
  phase: string;
  /** The controller's words (status.message, the Promoted condition), when it wrote any. */
  message?: string | undefined;
  /**
   * Settled for kubeplan but not finished: the controller goes on by itself (a pause step, an analysis) and the
   * report says so instead of kubeplan waiting for it.
   */
  handedOver?: boolean;
}

export type Health = (
  | { state: 'ready' }
  | { state: 'pending'; reason: string }
  | { state: 'failed'; reason: string }
) & { controlled?: ControllerPhase };

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/**
 * kstatus-style health of a live object: rollouts of Deployments, StatefulSets and DaemonSets (observed generation,
 * updated and available replicas), Job completion, PVC binding, and the generic Ready / Available conditions. Kinds
 * without a notion of health are ready once written. An Argo Rollouts Rollout and a Flagger Canary are read by the
 * phase their controller writes (`controlled` carries it); `since` is when the apply started.
 */
export function assessHealth(o: KubeObject, context: { since?: number } = {}): Health {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  if (o.kind === 'Rollout' && group === 'argoproj.io') return rolloutHealth(o);
  if (o.kind === 'Canary' && group === 'flagger.app') return flaggerCanaryHealth(o, context.since);
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

/**
 * An Argo Rollouts Rollout, by the phase its controller writes (status.phase, status.message), once the controller
 * observed this generation: Healthy is ready; Paused is settled (a pause step or a manual gate: Argo Rollouts goes on
 * by itself after a timed pause, or on `kubectl argo rollouts promote`); Degraded (an aborted or failed rollout) is a
 * failure; Progressing is waited for (pods of the new step becoming ready).
 */
function rolloutHealth(o: KubeObject): Health {
  const status = (o.status ?? {}) as { phase?: unknown; message?: unknown; observedGeneration?: unknown };
  const generation = Number(o.metadata.generation ?? 0);
  const observed = status.observedGeneration;
  // Argo Rollouts writes the observed generation as a string ("3"); versions before 1.0 wrote a hash instead.
  const observedNumber =
    typeof observed === 'number' || /^\d+$/.test(String(observed ?? '')) ? Number(observed) : undefined;
  if (generation > 0 && (observed === undefined || (observedNumber !== undefined && observedNumber < generation)))
    return {
      state: 'pending',
      reason: `waiting for Argo Rollouts to observe generation ${generation} (is its controller running in the cluster?)`,
    };
  const phase = typeof status.phase === 'string' ? status.phase : undefined;
  const message = typeof status.message === 'string' && status.message !== '' ? status.message : undefined;
  const controlled = { controller: 'Argo Rollouts' as const, phase: phase ?? 'unknown', message };
  const words = `${phase}${message ? ` (${message})` : ''}`;
  switch (phase) {
    case 'Healthy':
      return { state: 'ready', controlled };
    case 'Paused':
      return { state: 'ready', controlled: { ...controlled, handedOver: true } };
    case 'Degraded':
      return { state: 'failed', reason: `Argo Rollouts reports ${words}`, controlled };
    case undefined:
      return { state: 'pending', reason: 'Argo Rollouts has not reported a phase yet' };
    default:
      return { state: 'pending', reason: `Argo Rollouts reports ${words}`, controlled };
  }
}

/**
 * A Flagger Canary, by the phase Flagger writes (status.phase and the Promoted condition's message): Initialized and
 * Succeeded are ready; Progressing, Promoting, Finalising, Waiting and WaitingPromotion are settled (Flagger runs the
 * analysis or waits at a gate for many intervals, by itself); Failed is a failure, unless it was written before this
 * apply started waiting (the last analysis failed: Flagger starts a new one for the revision just applied within an
 * interval, so it is waited for); Initializing is waited for.
 */
function flaggerCanaryHealth(o: KubeObject, since: number | undefined): Health {
  const status = (o.status ?? {}) as {
    phase?: unknown;
    observedGeneration?: unknown;
    canaryWeight?: unknown;
    failedChecks?: unknown;
    lastTransitionTime?: unknown;
    conditions?: Condition[];
  };
  const generation = Number(o.metadata.generation ?? 0);
  if (generation > 0 && Number(status.observedGeneration ?? 0) < generation)
    return {
      state: 'pending',
      reason: `waiting for Flagger to observe generation ${generation} (is Flagger running in the cluster?)`,
    };
  const phase = typeof status.phase === 'string' && status.phase !== '' ? status.phase : undefined;
  const promoted = (Array.isArray(status.conditions) ? status.conditions : []).find((c) => c.type === 'Promoted');
  const weight = typeof status.canaryWeight === 'number' && status.canaryWeight > 0 ? status.canaryWeight : undefined;
  const message =
    [weight !== undefined ? `canary weight ${weight}%` : '', promoted?.message ?? ''].filter(Boolean).join('; ') ||
    undefined;
  const controlled = { controller: 'Flagger' as const, phase: phase ?? 'unknown', message };
  const words = `${phase}${message ? ` (${message})` : ''}`;
  switch (phase) {
    case 'Initialized':
    case 'Succeeded':
      return { state: 'ready', controlled };
    case 'Progressing':
    case 'Promoting':
    case 'Finalising':
    case 'Waiting':
    case 'WaitingPromotion':
      return { state: 'ready', controlled: { ...controlled, handedOver: true } };
    case 'Failed': {
      const at = Date.parse(String(status.lastTransitionTime ?? ''));
      if (since !== undefined && Number.isFinite(at) && at < since)
        return {
          state: 'pending',
          reason: `Flagger's last analysis failed before this apply (${message ?? 'no message'}); waiting for it to analyse the new revision`,
          controlled,
        };
      return { state: 'failed', reason: `Flagger reports ${words}`, controlled };
    }
    case 'Terminating':
    case 'Terminated':
      return { state: 'failed', reason: `Flagger reports ${words}: the Canary is being deleted`, controlled };
    case undefined:
      return { state: 'pending', reason: 'Flagger has not reported a phase yet' };
    default:
      return { state: 'pending', reason: `Flagger reports ${words}`, controlled };
  }
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
  /**
   * When the apply started (ms): a Flagger Canary that failed before it failed an older revision, and is waited for
   * (Flagger analyses the new one within an interval). Defaults to the start of the wait.
   */
  since?: number | undefined;
  /** Stops the wait with a CancelledError once aborted (SIGINT/SIGTERM). */
  signal?: AbortSignal | undefined;
}

/** An object a progressive-delivery controller drives, with the phase it reported when the wait ended. */
export interface ControlledObject {
  change: Change;
  controlled: ControllerPhase;
}

/**
 * Polls the written objects until every one is healthy; fails fast on a failed one, and names the laggards on timeout.
 * Returns the phases Argo Rollouts and Flagger reported for the objects they drive.
 */
export async function waitHealthy(
  client: ClusterClient,
  changes: Change[],
  options: WaitOptions,
): Promise<ControlledObject[]> {
  const started = Date.now();
  const controlled: ControlledObject[] = [];
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
        const health = assessHealth(live, { since: options.since ?? started });
        if (health.state === 'failed')
          throw new ApplyError(`is unhealthy: ${health.reason}`, {
            where: objectWhere(c),
            hint: health.controlled
              ? `${health.controlled.controller} stopped it: see the object's status and events (kubectl describe ${c.kind.toLowerCase()}), fix the manifest or the metrics, and apply again; the rest of the apply stopped here`
              : 'see its events (kubectl describe) and fix the manifest; the rest of the apply stopped here',
          });
        if (health.state === 'ready' && health.controlled)
          controlled.push({ change: c, controlled: health.controlled });
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
  return controlled;
}

function progressDeadline(o: KubeObject, fallback: number): number {
  const seconds = (o.spec as { progressDeadlineSeconds?: unknown } | undefined)?.progressDeadlineSeconds;
  return o.kind === 'Deployment' && typeof seconds === 'number' ? Math.min(seconds * 1000, fallback) : fallback;
}
