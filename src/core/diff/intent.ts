import { isSecret } from '../manifests/redact.js';
import { objectIdentity } from '../manifests/scope.js';
import type { KubeObject, Manifest, ManifestSet } from '../manifests/types.js';
import { digest } from './digest.js';
import { changedPaths, unifiedDiff } from './field-diff.js';
import { stripNoise, type HiddenCounts } from './normalize.js';
import { labelSecretPair, SecretMasker, secretKeyChanges } from './secrets.js';
import { countChanges, type Change, type TargetPlan } from './types.js';

/**
 * The intent diff: what the change does to the rendered objects, base render → head render, with no cluster. A
 * target only in head is all creates; only in base, all deletes.
 */
export function planIntent(
  baseSets: ManifestSet[],
  headSets: ManifestSet[],
  masker: SecretMasker = new SecretMasker(),
): TargetPlan[] {
  const names = [...new Set([...headSets.map((s) => s.target), ...baseSets.map((s) => s.target)])];
  return names.map((name) => {
    const head = headSets.find((s) => s.target === name);
    const base = baseSets.find((s) => s.target === name);
    const hidden: HiddenCounts = {};
    const before = new Map((base?.manifests ?? []).map((m) => [objectIdentity(m.object), m]));
    const after = new Map((head?.manifests ?? []).map((m) => [objectIdentity(m.object), m]));
    const changes: Change[] = [];
    for (const [k, m] of after) changes.push(compare(before.get(k), m, masker, hidden));
    for (const [k, m] of before) if (!after.has(k)) changes.push(compare(m, undefined, masker, hidden));
    return {
      target: name,
      namespace: head?.namespace ?? base?.namespace,
      changes,
      summary: countChanges(changes),
      hidden,
    };
  });
}

function compare(
  base: Manifest | undefined,
  head: Manifest | undefined,
  masker: SecretMasker,
  hidden: HiddenCounts,
): Change {
  const m = (head ?? base)!;
  const o = m.object;
  const before = base ? masker.mask(stripNoise(base.object, hidden) as KubeObject) : undefined;
  const after = head ? masker.mask(stripNoise(head.object, hidden) as KubeObject) : undefined;
  const paths = before && after ? changedPaths(before, after) : [];
  const action = !before ? 'create' : !after ? 'delete' : paths.length ? 'update' : 'unchanged';
  const secrets = isSecret(o) && action !== 'unchanged' ? secretKeyChanges(before, after) : undefined;
  return {
    action,
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name,
    source: m.source,
    ...(m.hook ? { hook: m.hook } : {}),
    paths,
    digest: action === 'update' ? digest(before, after, secrets) : [],
    diff:
      action === 'unchanged'
        ? ''
        : unifiedDiff(
            `${o.kind.toLowerCase()}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`,
            ...labelSecretPair(before, after),
            ['base', 'head'],
          ),
    ...(secrets ? { secrets } : {}),
    via: 'intent',
  };
}
