import { isDeepStrictEqual } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import { dump } from 'js-yaml';

/** Field paths that differ between two objects, like `spec.replicas` or `spec.template.spec.containers[name=web].image`. */
export function changedPaths(before: unknown, after: unknown, prefix = ''): string[] {
  if (isDeepStrictEqual(before, after)) return [];
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => changedPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && isNamedList(before) && isNamedList(after)) {
    const names = [...new Set([...before, ...after].map((i) => (i as { name: string }).name))];
    return names.flatMap((n) =>
      changedPaths(
        before.find((i) => (i as { name: string }).name === n),
        after.find((i) => (i as { name: string }).name === n),
        `${prefix}[name=${n}]`,
      ),
    );
  }
  return [prefix || '.'];
}

function isNamedList(list: unknown[]): boolean {
  return list.every((i) => isPlainObject(i) && typeof i.name === 'string');
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deterministic YAML for diffing: keys sorted, so key order never shows up as a change. */
export function toDiffYaml(object: unknown): string {
  if (object === undefined) return '';
  return dump(object, { lineWidth: -1, noRefs: true, sortKeys: true });
}

/** A unified diff between the YAML of two objects (either may be absent: create or delete). */
export function unifiedDiff(
  name: string,
  before: unknown,
  after: unknown,
  labels: [string, string] = ['live', 'planned'],
  context = 3,
): string {
  const patch = createTwoFilesPatch(
    `${labels[0]}/${name}`,
    `${labels[1]}/${name}`,
    toDiffYaml(before),
    toDiffYaml(after),
    undefined,
    undefined,
    { context },
  );
  // Drop the `Index:` / `===` preamble that diff adds; keep ---/+++ and the hunks.
  return patch
    .split('\n')
    .filter((line, i) => !(i < 2 && (line.startsWith('Index:') || line.startsWith('==='))))
    .join('\n')
    .trimEnd();
}
