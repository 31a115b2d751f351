/**
 * What a canary target applies (#19, not wired into apply yet): git's render turned into the objects of the canary's
 * current place. apply, plan and drift all use this one view, so the live canary Deployment and route weights are the
 * plan, not drift, and the ApplySet prunes the canary Deployment when a place no longer has it (promote, roll back).
 *
 * - Steady (no canary): git's workload with its pods on the stable track, the derived Services, the route at 100/0.
 * - Canary at weight w: the workload keeps the stable pod template (the last good one, kept in the canary's state),
 *   `<name>-canary` runs git's template, the route sends w % to it.
 */
import { createHash } from 'node:crypto';
import { isRecord } from '../manifests/parse-stream.js';
import type { KubeObject, Manifest } from '../manifests/types.js';
import {
  type CanarySpec,
  canaryParts,
  derivedServices,
  replicaShare,
  TRACK,
  trackDeployment,
  weightedRoute,
} from './traffic.js';

/** Where the canary is, as far as the objects go. */
export type CanaryPlace =
  /**
   * No canary. `stableTemplate`: the workload keeps it instead of git's (git's template failed its canary and is held
   * back until `kubeplan canary retry` or a commit that changes it).
   */
  | { canary: false; stableTemplate?: unknown }
  | {
      canary: true;
      /** The stable pod template (as git rendered it when it was applied last with success). */
      stableTemplate: unknown;
      weight: number;
    };

/**
 * A stable digest of a pod template: what "the same template" means for starting, refusing or retrying a canary. The
 * track label kubeplan adds is left out, so git's template and the one a revision stored (labelled) compare equal.
 */
export function templateHash(workload: KubeObject): string {
  return `sha256:${createHash('sha256')
    .update(canonicalJson(podTemplate(workload)))
    .digest('hex')}`;
}

/** The workload's pod template without kubeplan's track label (a copy). */
export function podTemplate(workload: KubeObject): unknown {
  const template = isRecord(workload.spec) ? structuredClone(workload.spec.template) : undefined;
  const labels = isRecord(template) && isRecord(template.metadata) ? template.metadata.labels : undefined;
  if (isRecord(labels)) {
    delete labels[TRACK];
    if (Object.keys(labels).length === 0 && isRecord(template) && isRecord(template.metadata))
      delete template.metadata.labels;
  }
  return template;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value))
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}

function replicasOf(workload: KubeObject): number {
  const replicas = isRecord(workload.spec) ? workload.spec.replicas : undefined;
  return typeof replicas === 'number' ? replicas : 1;
}

/**
 * The manifests a canary target applies at `place`, in git's order (derived objects right after the one they derive
 * from, with its source). Bad canary input throws (see canaryParts); the input is never changed.
 */
export function effectiveManifests(
  manifests: readonly Manifest[],
  spec: CanarySpec,
  place: CanaryPlace,
): { manifests: Manifest[]; warnings: string[] } {
  const parts = canaryParts(
    manifests.map((m) => m.object),
    spec,
  );
  const warnings: string[] = [];
  const out: Manifest[] = [];
  for (const m of manifests) {
    if (m.object === parts.workload) {
      if (!place.canary) {
        const workload = structuredClone(m.object) as KubeObject & { spec: Record<string, unknown> };
        if (place.stableTemplate !== undefined) workload.spec.template = structuredClone(place.stableTemplate);
        out.push({ ...m, object: trackDeployment(workload, 'stable') });
        continue;
      }
      const stable = structuredClone(m.object) as KubeObject & { spec: Record<string, unknown> };
      stable.spec.template = structuredClone(place.stableTemplate);
      let canaryReplicas: number | undefined;
      if (spec.traffic.mode === 'replicas') {
        const share = replicaShare(place.weight, replicasOf(m.object));
        canaryReplicas = share.canary;
        if (share.warning) warnings.push(share.warning);
      }
      out.push({ ...m, object: trackDeployment(stable, 'stable') });
      out.push({ source: m.source, object: trackDeployment(m.object, 'canary', canaryReplicas) });
    } else if (m.object === parts.service) {
      out.push(m);
      if (spec.traffic.mode !== 'replicas')
        for (const derived of derivedServices(m.object)) out.push({ source: m.source, object: derived });
    } else if (parts.route && m.object === parts.route) {
      out.push({ ...m, object: weightedRoute(m.object, spec, place.canary ? place.weight : 0) });
    } else out.push(m);
  }
  return { manifests: out, warnings };
}
