import { createHmac, randomBytes } from 'node:crypto';
import { isSecret } from '../manifests/redact.js';
import type { KubeObject } from '../manifests/types.js';

/** What happened to one Secret key. Values never leave this module: only a salted fingerprint does. */
export interface SecretKeyChange {
  key: string;
  change: 'added' | 'removed' | 'changed' | 'unchanged';
}

/**
 * Replaces Secret values by salted fingerprints so the diff can show that a value changed without showing it. The salt
 * is random per run and never printed, so a fingerprint cannot be checked against guessed values.
 */
export class SecretMasker {
  private readonly salt = randomBytes(32);

  fingerprint(value: string): string {
    return `(secret ${createHmac('sha256', this.salt).update(value).digest('hex').slice(0, 8)})`;
  }

  /**
   * A copy of a Secret with `stringData` folded into `data` (as the apiserver does) and every value replaced by its
   * fingerprint; any other object is returned as is.
   */
  mask(object: KubeObject): KubeObject {
    if (!isSecret(object)) return object;
    const copy = structuredClone(object);
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(asRecord(copy.data))) data[k] = this.fingerprint(decode(v));
    for (const [k, v] of Object.entries(asRecord(copy.stringData))) data[k] = this.fingerprint(String(v));
    delete copy.stringData;
    if (Object.keys(data).length > 0 || copy.data !== undefined) copy.data = data;
    return copy;
  }
}

/** Per-key changes between two masked Secrets. */
export function secretKeyChanges(before: KubeObject | undefined, after: KubeObject | undefined): SecretKeyChange[] {
  const a = asRecord(before?.data);
  const b = asRecord(after?.data);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.map((key) => ({
    key,
    change: !(key in a) ? 'added' : !(key in b) ? 'removed' : a[key] === b[key] ? 'unchanged' : 'changed',
  }));
}

function decode(value: unknown): string {
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : '';
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * Replaces fingerprints by stable labels for display: `(secret)` when a key's value is the same on both sides (or only
 * on one), `(secret: old value)` / `(secret: new value)` when it changed. Reports then stay byte-identical across
 * runs (a sticky comment is not rewritten for nothing) and say nothing about the values themselves.
 */
export function labelSecretPair<T extends KubeObject | undefined>(before: T, after: T): [T, T] {
  if (!(before && isSecret(before)) && !(after && isSecret(after))) return [before, after];
  const a = asRecord(before?.data);
  const b = asRecord(after?.data);
  const relabel = (o: T, own: Record<string, unknown>, other: Record<string, unknown>, side: 'old' | 'new'): T => {
    if (!o) return o;
    const copy = structuredClone(o) as KubeObject;
    if (copy.data) {
      copy.data = Object.fromEntries(Object.keys(own).map((k) => [k, k in other && other[k] !== own[k] ? `(secret: ${side} value)` : '(secret)']));
    }
    return copy as T;
  };
  return [relabel(before, a, b, 'old'), relabel(after, b, a, 'new')];
}
