import { isDeepStrictEqual } from 'node:util';

/** A managedFields entry as the apiserver returns it. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  fieldsType?: string;
  fieldsV1?: FieldsV1;
  subresource?: string;
}

/** The FieldsV1 trie: `f:name` (field), `k:{...}` (list item by key), `v:...` (set item by value), `i:N`, `.` (self). */
export type FieldsV1 = { [key: string]: FieldsV1 };

export const FIELD_MANAGER = 'kubeplan';

/** The fields a manager owns through server-side apply on the main resource (not status). */
export function appliedFields(managedFields: unknown, manager: string = FIELD_MANAGER): FieldsV1 | undefined {
  if (!Array.isArray(managedFields)) return undefined;
  const entry = (managedFields as ManagedFieldsEntry[]).find(
    (e) => e.manager === manager && e.operation === 'Apply' && (e.subresource === undefined || e.subresource === ''),
  );
  return entry?.fieldsV1;
}

/**
 * Paths the manager owns that `rendered` no longer sets: fields removed from git, which server-side apply will remove
 * from the cluster. Paths are written like `spec.template.spec.containers[name=web].env`.
 */
export function ownedButNotRendered(fields: FieldsV1, rendered: unknown, path: string[] = []): string[] {
  const missing: string[] = [];
  for (const [key, child] of Object.entries(fields)) {
    if (key === '.') continue;
    const kind = key.slice(0, 2);
    const body = key.slice(2);
    if (kind === 'f:') {
      const value = isObject(rendered) ? rendered[body] : undefined;
      if (value === undefined) missing.push(join([...path, body]));
      else missing.push(...ownedButNotRendered(child, value, [...path, body]));
    } else if (kind === 'k:') {
      const keyFields = safeParse(body);
      const item =
        Array.isArray(rendered) && isObject(keyFields) ? rendered.find((el) => matchesKey(el, keyFields)) : undefined;
      const label = `[${Object.entries(isObject(keyFields) ? keyFields : {})
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',')}]`;
      if (item === undefined) missing.push(join(path) + label);
      else missing.push(...ownedButNotRendered(child, item, [...path.slice(0, -1), `${path.at(-1) ?? ''}${label}`]));
    } else if (kind === 'v:') {
      const value = safeParse(body);
      if (!Array.isArray(rendered) || !rendered.some((el) => isDeepStrictEqual(el, value)))
        missing.push(`${join(path)}[${body}]`);
    } else if (kind === 'i:') {
      const index = Number(body);
      if (!Array.isArray(rendered) || index >= rendered.length) missing.push(`${join(path)}[${index}]`);
      else
        missing.push(
          ...ownedButNotRendered(child, rendered[index], [...path.slice(0, -1), `${path.at(-1) ?? ''}[${index}]`]),
        );
    }
  }
  return missing;
}

/**
 * Removes from `live` (in place) what the manager owns and `rendered` no longer sets, as server-side apply will: map
 * fields, list items by their keys (`k:`) or values (`v:`), at any depth, including fields inside list items.
 */
export function removeOwnedUnrendered(live: unknown, fields: FieldsV1, rendered: unknown): void {
  for (const [key, child] of Object.entries(fields)) {
    if (key === '.') continue;
    const kind = key.slice(0, 2);
    const body = key.slice(2);
    if (kind === 'f:') {
      if (!isObject(live) || !(body in live)) continue;
      const value = isObject(rendered) ? rendered[body] : undefined;
      if (value === undefined) delete live[body];
      else removeOwnedUnrendered(live[body], child, value);
    } else if (kind === 'k:') {
      const keyFields = safeParse(body);
      if (!Array.isArray(live) || !isObject(keyFields)) continue;
      const index = live.findIndex((el) => matchesKey(el, keyFields));
      if (index === -1) continue;
      const item = Array.isArray(rendered) ? rendered.find((el) => matchesKey(el, keyFields)) : undefined;
      if (item === undefined) live.splice(index, 1);
      else removeOwnedUnrendered(live[index], child, item);
    } else if (kind === 'v:') {
      const value = safeParse(body);
      if (!Array.isArray(live) || (Array.isArray(rendered) && rendered.some((el) => isDeepStrictEqual(el, value))))
        continue;
      const index = live.findIndex((el) => isDeepStrictEqual(el, value));
      if (index !== -1) live.splice(index, 1);
    }
  }
}

/**
 * Key fields the apiserver fills in when a list item leaves them out (a port's protocol): an item without the field
 * still matches a key that holds its default. Only exact defaults count, so no other item can match by accident.
 */
const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

function matchesKey(element: unknown, keyFields: Record<string, unknown>): boolean {
  return (
    isObject(element) &&
    Object.entries(keyFields).every(([k, v]) =>
      element[k] === undefined && k in KEY_DEFAULTS ? KEY_DEFAULTS[k] === v : isDeepStrictEqual(element[k], v),
    )
  );
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function join(path: string[]): string {
  return path.join('.');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
