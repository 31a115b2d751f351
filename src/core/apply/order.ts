import type { TargetPlan } from '../diff/types.js';
import type { KubeObject } from '../manifests/types.js';

/**
 * The order apply runs the targets in: a target that creates a Namespace or a CRD another target's objects need runs
 * before that target; otherwise the config order holds. The plan accepts objects in a namespace or of a kind "created
 * by this plan" from any target, so apply must create them first. A cycle keeps the config order for what is left.
 */
export function orderTargets(targets: TargetPlan[]): TargetPlan[] {
  const creates = targets.map((t) => {
    const objects = t.changes.filter((c) => c.action === 'create' && !c.hook && c.object).map((c) => c.object!);
    return {
      namespaces: new Set(
        objects.filter((o) => o.kind === 'Namespace' && o.apiVersion === 'v1').map((o) => o.metadata.name),
      ),
      kinds: new Set(objects.filter((o) => o.kind === 'CustomResourceDefinition').flatMap(crdKinds)),
    };
  });
  const needs = targets.map((t, i) => {
    const objects = [
      ...t.changes.filter((c) => c.action !== 'delete' && !c.hook && c.object).map((c) => c.object!),
      ...(t.hooks ?? []).map((h) => h.object),
    ];
    const deps = new Set<number>();
    for (const [j, other] of creates.entries()) {
      if (j === i) continue;
      const namespaces = [t.namespace, ...objects.map((o) => o.metadata.namespace)].filter((n): n is string => !!n);
      if (namespaces.some((n) => other.namespaces.has(n)) || objects.some((o) => other.kinds.has(kindKey(o))))
        deps.add(j);
    }
    return deps;
  });
  const placed = new Set<number>();
  const order: number[] = [];
  while (order.length < targets.length) {
    const ready = targets.findIndex((_, i) => !placed.has(i) && [...needs[i]!].every((d) => placed.has(d)));
    // A cycle: take the first left in config order.
    const next = ready >= 0 ? ready : targets.findIndex((_, i) => !placed.has(i));
    placed.add(next);
    order.push(next);
  }
  return order.map((i) => targets[i]!);
}

function crdKinds(crd: KubeObject): string[] {
  const spec = (crd.spec ?? {}) as { group?: string; names?: { kind?: string } };
  return spec.group && spec.names?.kind ? [`${spec.group}/${spec.names.kind}`] : [];
}

function kindKey(o: KubeObject): string {
  return `${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.kind}`;
}
