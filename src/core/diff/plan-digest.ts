/**
 * Plan binding digests (README: "Plan binding"). The render digest says what git renders for a target; the plan digest
 * says what applying it would change in one cluster. Both are stable across runs (no salt), independent of the order
 * objects are rendered or planned in, and not bound to resourceVersion (status writes change it constantly). Secret
 * values enter the plan digest only through a hash of the planned object.
 */
import { createHash } from 'node:crypto';
import type { ManifestSet } from '../manifests/types.js';
import type { KubeObject } from '../manifests/types.js';
import type { Change, Plan } from './types.js';

/** What the plan digest means. Bumped when a change in the planner would make equal plans hash differently. */
export const PLAN_SEMANTICS = 1;

export interface PlanDigests {
  /** Version of the digest rules (PLAN_SEMANTICS). */
  semantics: number;
  /** The cluster the plan was made against: server URL and CA sha256 (undefined with the system's CAs). */
  cluster: { server: string; caSha256: string | undefined };
  /** sha256 over every target's plan digest: what `--expect-plan` compares. */
  plan: string;
  /** Per target: what git renders, and what applying it would change. */
  targets: Record<string, { render: string; plan: string }>;
}

/** One planned change as the plan digest sees it. */
export interface CanonicalChange {
  action: Change['action'];
  group: string;
  kind: string;
  namespace: string | null;
  name: string;
  paths: string[];
  /** sha256 of the object as it will be sent (for a delete: of nothing: the identity says it all). */
  planned: string | null;
}

/** JSON with object keys sorted, so equal values give equal text whatever order their keys were built in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  return value;
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

const identity = (o: KubeObject) => `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name ?? ''}`;

/** What a target renders: every object (hooks included), in a canonical order and form. */
export function renderDigest(objects: readonly KubeObject[]): string {
  const lines = objects.map((o) => ({ id: identity(o), json: canonicalJson(o) }));
  lines.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.json < b.json ? -1 : a.json > b.json ? 1 : 0));
  return sha256(lines.map((l) => l.json).join('\n'));
}

/** The changes of a target's plan as the digest sees them, in a canonical order (unchanged objects are left out). */
/** Every target's canonical changes, by target name: what a plan record keeps and a binding compares. */
export function targetChanges(plan: Pick<Plan, 'targets'>): Record<string, CanonicalChange[]> {
  return Object.fromEntries(plan.targets.map((t) => [t.target, canonicalChanges(t.changes)]));
}

export function canonicalChanges(changes: readonly Change[]): CanonicalChange[] {
  const out = changes
    .filter((c) => c.action !== 'unchanged')
    .map((c) => ({
      action: c.action,
      group: c.apiVersion.includes('/') ? c.apiVersion.slice(0, c.apiVersion.indexOf('/')) : '',
      kind: c.kind,
      namespace: c.namespace ?? null,
      name: c.name,
      paths: [...c.paths].sort(),
      planned: c.object && c.action !== 'delete' ? sha256(canonicalJson(c.object)) : null,
    }));
  const key = (c: CanonicalChange) => `${c.group}|${c.kind}|${c.namespace ?? ''}|${c.name}|${c.action}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The digests of a plan against a cluster, with the render digest of each target's rendered set. */
export function planDigests(
  plan: Pick<Plan, 'targets'>,
  sets: readonly Pick<ManifestSet, 'target' | 'manifests'>[],
  cluster: { server: string; caSha256: string | undefined },
): PlanDigests {
  const targets: PlanDigests['targets'] = {};
  for (const t of [...plan.targets].sort((a, b) => (a.target < b.target ? -1 : 1))) {
    const set = sets.find((s) => s.target === t.target);
    targets[t.target] = {
      render: renderDigest(set ? set.manifests.map((m) => m.object) : []),
      plan: sha256(
        canonicalJson({ semantics: PLAN_SEMANTICS, cluster, target: t.target, changes: canonicalChanges(t.changes) }),
      ),
    };
  }
  return {
    semantics: PLAN_SEMANTICS,
    cluster,
    plan: combinedPlanDigest(
      cluster,
      Object.values(targets).map((t) => t.plan),
    ),
    targets,
  };
}

/**
 * The plan digest of a plan of these targets (their plan digests, in target-name order): what `--expect-plan`
 * compares. For one target it is the digest `kubeplan apply --target T --expect-plan` takes.
 */
export function combinedPlanDigest(cluster: PlanDigests['cluster'], targetPlans: readonly string[]): string {
  return sha256(canonicalJson({ semantics: PLAN_SEMANTICS, cluster, targets: targetPlans }));
}

/** What a plan file (`kubeplan diff --out`) holds for binding: its digests and each target's canonical changes. */
export interface BoundPlan {
  digests: PlanDigests;
  changes: Record<string, CanonicalChange[]>;
}

const label = (c: CanonicalChange) =>
  `${c.action} ${c.group ? `${c.group}/` : ''}${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`;

/**
 * Why the plan computed now is not the plan that was reviewed, or undefined when it is. Intent drift: git renders
 * something else for a target (or another set of targets). Plan drift: the same render would now change the cluster
 * differently (someone edited it, another apply ran): what was planned and is gone, what is new, what changed.
 */
export function bindingDrift(
  expected: { digests: Pick<PlanDigests, 'plan'> & Partial<PlanDigests>; changes?: Record<string, CanonicalChange[]> },
  actual: PlanDigests,
  actualChanges: Record<string, CanonicalChange[]>,
): string[] | undefined {
  if (expected.digests.plan === actual.plan) return undefined;
  const lines: string[] = [];
  const was = expected.digests.targets;
  if (!was) {
    lines.push(`the plan now is ${actual.plan}, not ${expected.digests.plan}`);
    for (const [t, changes] of Object.entries(actualChanges))
      for (const c of changes) lines.push(`  ${t}: ${label(c)}${c.paths.length ? ` (${c.paths.join(', ')})` : ''}`);
    return lines;
  }
  if (expected.digests.cluster && actual.cluster.server !== expected.digests.cluster.server)
    lines.push(`cluster: planned against ${expected.digests.cluster.server}, applying to ${actual.cluster.server}`);
  else if (expected.digests.cluster && actual.cluster.caSha256 !== expected.digests.cluster.caSha256)
    lines.push(`cluster: the CA of ${actual.cluster.server} is not the one the plan was made against`);
  for (const t of new Set([...Object.keys(was), ...Object.keys(actual.targets)])) {
    const before = was[t];
    const now = actual.targets[t];
    if (!before) lines.push(`intent drift: target ${t} was not in the reviewed plan`);
    else if (!now) lines.push(`intent drift: target ${t} was in the reviewed plan and is not planned now`);
    else if (before.render !== now.render)
      lines.push(
        `intent drift: target ${t} renders something else than at review (${before.render.slice(0, 19)}… → ${now.render.slice(0, 19)}…)`,
      );
    else if (before.plan !== now.plan) {
      lines.push(`plan drift: target ${t}: the cluster changed since the plan was made`);
      lines.push(...changesDrift(expected.changes?.[t] ?? [], actualChanges[t] ?? []).map((l) => `  ${l}`));
    }
  }
  return lines.length ? lines : [`the plan now is ${actual.plan}, not ${expected.digests.plan}`];
}

/** The diff of two plans of one target: what was planned and is gone, what is new, what changed. */
export function changesDrift(before: readonly CanonicalChange[], now: readonly CanonicalChange[]): string[] {
  const lines: string[] = [];
  const old = new Map(before.map((c) => [label(c), c]));
  const cur = new Map(now.map((c) => [label(c), c]));
  for (const [k, c] of old)
    if (!cur.has(k)) lines.push(`- planned, now gone: ${k}${c.paths.length ? ` (${c.paths.join(', ')})` : ''}`);
  for (const [k, c] of cur)
    if (!old.has(k)) lines.push(`+ new since the plan: ${k}${c.paths.length ? ` (${c.paths.join(', ')})` : ''}`);
  for (const [k, c] of cur) {
    const o = old.get(k);
    if (o && canonicalJson(o) !== canonicalJson(c))
      lines.push(
        `~ changed since the plan: ${k} (${o.paths.join(', ') || 'same fields'} → ${c.paths.join(', ') || 'same fields'})`,
      );
  }
  return lines;
}
