import { isDeepStrictEqual } from 'node:util';
import type { IgnoreRule } from '../config/types.js';
import { apiGroup } from '../manifests/scope.js';
import type { KubeObject } from '../manifests/types.js';
import type { FieldsV1, ManagedFieldsEntry } from './managed-fields.js';
import type { HiddenCounts } from './normalize.js';

export function ruleMatches(rule: IgnoreRule, object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): boolean {
  return (
    (rule.group === undefined || rule.group === apiGroup(object.apiVersion)) &&
    (rule.kind === undefined || rule.kind === object.kind) &&
    (rule.name === undefined || rule.name === object.metadata.name) &&
    (rule.namespace === undefined || rule.namespace === object.metadata.namespace)
  );
}

/**
 * Removes what the target's ignore rules say not to report, from both sides of a diff: JSON pointers, and every
 * field that the named managers own in the live object. Each removal is counted as hidden by its rule.
 */
export function applyIgnoreRules(
  rules: readonly IgnoreRule[],
  live: KubeObject,
  sides: Record<string, unknown>[],
  hidden: HiddenCounts,
): void {
  for (const rule of rules) {
    if (!ruleMatches(rule, live)) continue;
    for (const pointer of rule.paths) {
      let removed = false;
      for (const side of sides) removed = removePointer(side, pointer) || removed;
      if (removed) hidden[`ignore ${pointer}`] = (hidden[`ignore ${pointer}`] ?? 0) + 1;
    }
    const entries = Array.isArray(live.metadata.managedFields)
      ? (live.metadata.managedFields as ManagedFieldsEntry[])
      : [];
    for (const entry of entries) {
      if (!entry.manager || !rule.managers.includes(entry.manager) || !entry.fieldsV1) continue;
      let removed = false;
      for (const side of sides) removed = removeFields(side, entry.fieldsV1) || removed;
      if (removed) hidden[`ignore fields of ${entry.manager}`] = (hidden[`ignore fields of ${entry.manager}`] ?? 0) + 1;
    }
  }
}

/** Deletes the value at a JSON pointer (RFC 6901); returns whether something was there. */
export function removePointer(object: unknown, pointer: string): boolean {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts.length === 0) return false;
  let node: unknown = object;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (node && typeof node === 'object') node = (node as Record<string, unknown>)[part];
    else return false;
  }
  const last = parts.at(-1)!;
  if (Array.isArray(node)) {
    const index = Number(last);
    if (!Number.isInteger(index) || index >= node.length) return false;
    node.splice(index, 1);
    return true;
  }
  if (node && typeof node === 'object' && last in node) {
    delete (node as Record<string, unknown>)[last];
    return true;
  }
  return false;
}

function isLeaf(fields: FieldsV1): boolean {
  return Object.keys(fields).every((k) => k === '.');
}

/** Deletes every field a FieldsV1 set names; returns whether anything was removed. */
export function removeFields(node: unknown, fields: FieldsV1): boolean {
  let removed = false;
  for (const [key, child] of Object.entries(fields)) {
    if (key === '.') continue;
    const body = key.slice(2);
    if (key.startsWith('f:') && node && typeof node === 'object' && !Array.isArray(node)) {
      const record = node as Record<string, unknown>;
      if (!(body in record)) continue;
      if (isLeaf(child)) {
        delete record[body];
        removed = true;
      } else removed = removeFields(record[body], child) || removed;
    } else if ((key.startsWith('k:') || key.startsWith('v:')) && Array.isArray(node)) {
      // A key the server wrote, read as data: one that is not JSON names no element (never a crash of the plan).
      let match: unknown;
      try {
        match = JSON.parse(body);
      } catch {
        continue;
      }
      const index = node.findIndex((el) =>
        key.startsWith('v:')
          ? isDeepStrictEqual(el, match)
          : el &&
            typeof el === 'object' &&
            Object.entries(match as object).every(([k, v]) => isDeepStrictEqual((el as Record<string, unknown>)[k], v)),
      );
      if (index === -1) continue;
      if (isLeaf(child) || key.startsWith('v:')) {
        node.splice(index, 1);
        removed = true;
      } else removed = removeFields(node[index], child) || removed;
    }
  }
  return removed;
}
