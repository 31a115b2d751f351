import { isSecret } from '../manifests/redact.js';
import type { KubeObject } from '../manifests/types.js';
import { changedPaths, isPlainObject } from './field-diff.js';
import { podSpecOf } from '../manifests/pod-spec.js';
import type { SecretKeyChange } from './secrets.js';

/**
 * One-line summaries a reviewer reads before the raw diff: `image web: shop:2.4.0 → 2.4.1`, `replicas 1 → 3`,
 * `env web: +LOG_LEVEL`, `data: +KEY ~KEY -KEY`. Falls back to the changed field paths.
 */
export function digest(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  secretKeys: SecretKeyChange[] = [],
): string[] {
  const lines: string[] = [];
  if (!before || !after) return lines;
  const podA = podSpecOf(before);
  const podB = podSpecOf(after);
  if (podA && podB) {
    for (const field of ['initContainers', 'containers'] as const) {
      const a = containers(podA[field]);
      const b = containers(podB[field]);
      for (const [name, cb] of b) {
        const ca = a.get(name);
        if (!ca) {
          lines.push(
            `${field === 'containers' ? 'container' : 'init container'} +${name}${typeof cb.image === 'string' ? ` (${cb.image})` : ''}`,
          );
          continue;
        }
        if (ca.image !== cb.image) lines.push(`image ${name}: ${imageChange(String(ca.image), String(cb.image))}`);
        const env = keyedChanges(namedValues(ca.env), namedValues(cb.env));
        if (env) lines.push(`env ${name}: ${env}`);
        if (JSON.stringify(ca.resources ?? {}) !== JSON.stringify(cb.resources ?? {}))
          lines.push(`resources ${name} changed`);
      }
      for (const name of a.keys())
        if (!b.has(name)) lines.push(`${field === 'containers' ? 'container' : 'init container'} -${name}`);
    }
  }
  const replicasA = (before.spec as { replicas?: unknown } | undefined)?.replicas;
  const replicasB = (after.spec as { replicas?: unknown } | undefined)?.replicas;
  if (replicasA !== replicasB && (replicasA !== undefined || replicasB !== undefined))
    lines.push(`replicas ${String(replicasA ?? '-')} → ${String(replicasB ?? '-')}`);
  if (isSecret(after)) {
    const order = { added: 0, changed: 1, removed: 2, unchanged: 3 };
    const changed = secretKeys
      .filter((k) => k.change !== 'unchanged')
      .sort((a, b) => order[a.change] - order[b.change]);
    if (changed.length) lines.push(`data: ${changed.map((k) => `${symbol(k.change)}${k.key}`).join(' ')}`);
  } else if (after.kind === 'ConfigMap' && after.apiVersion === 'v1') {
    const data = keyedChanges(asStrings(before.data), asStrings(after.data));
    if (data) lines.push(`data: ${data}`);
  }
  const labels = keyedChanges(asStrings(before.metadata.labels), asStrings(after.metadata.labels));
  if (labels) lines.push(`labels: ${labels}`);
  if (lines.length === 0) {
    const paths = changedPaths(before, after);
    lines.push(...paths.slice(0, 5).map((p) => `${p} changed`));
    if (paths.length > 5) lines.push(`… and ${paths.length - 5} more fields`);
  }
  return lines;
}

function containers(list: unknown): Map<string, Record<string, unknown>> {
  const map = new Map<string, Record<string, unknown>>();
  if (Array.isArray(list)) for (const c of list) if (isPlainObject(c) && typeof c.name === 'string') map.set(c.name, c);
  return map;
}

function namedValues(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(list))
    for (const e of list)
      if (isPlainObject(e) && typeof e.name === 'string') out[e.name] = JSON.stringify({ ...e, name: undefined });
  return out;
}

function asStrings(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) out[k] = JSON.stringify(v);
  return out;
}

function keyedChanges(a: Record<string, string>, b: Record<string, string>): string {
  const parts: string[] = [];
  for (const k of Object.keys(b)) if (!(k in a)) parts.push(`+${k}`);
  for (const k of Object.keys(b)) if (k in a && a[k] !== b[k]) parts.push(`~${k}`);
  for (const k of Object.keys(a)) if (!(k in b)) parts.push(`-${k}`);
  return parts.join(' ');
}

function symbol(change: SecretKeyChange['change']): string {
  return change === 'added' ? '+' : change === 'removed' ? '-' : '~';
}

/** `shop:2.4.0 → 2.4.1` when only the tag changes, else both references in full. */
function imageChange(a: string, b: string): string {
  const split = (ref: string): [string, string] => {
    const at = ref.indexOf('@');
    const colon = ref.lastIndexOf(':');
    const slash = ref.lastIndexOf('/');
    if (at !== -1) return [ref.slice(0, at), ref.slice(at)];
    if (colon > slash) return [ref.slice(0, colon), ref.slice(colon + 1)];
    return [ref, 'latest'];
  };
  const [repoA, tagA] = split(a);
  const [repoB, tagB] = split(b);
  return repoA === repoB ? `${repoA.split('/').pop()}:${tagA} → ${tagB}` : `${a} → ${b}`;
}
