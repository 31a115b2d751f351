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
      copy.data = Object.fromEntries(
        Object.keys(own).map((k) => [k, k in other && other[k] !== own[k] ? `(secret: ${side} value)` : '(secret)']),
      );
    }
    return copy as T;
  };
  return [relabel(before, a, b, 'old'), relabel(after, b, a, 'new')];
}

/** Values shorter than this are left in error texts: replacing every `1` or `no` would garble them, not protect. */
const MIN_SCRUBBED_LENGTH = 3;

/**
 * Every value of the Secrets a run has seen, rendered and live, in each form an error text may quote it: as written
 * (numbers and booleans too), decoded from or encoded to base64, escaped inside a JSON or Go string, and each line of
 * a multi-line value. The apiserver's messages may echo an object (an admission policy's message, a decoding error
 * quoting an unquoted number); they pass through `scrubError` before any report, log, comment or status sees them.
 */
export class SecretScrubber {
  private readonly forms = new Set<string>();
  private pattern: RegExp | undefined;

  /** Remembers the values of a Secret (any other object is ignored). */
  add(object: KubeObject | undefined): void {
    if (!object || !isSecret(object)) return;
    for (const field of ['data', 'stringData'] as const) {
      for (const value of scalarsIn(object[field])) {
        const text = String(value);
        this.addText(text);
        this.addText(Buffer.from(text).toString('base64'));
        if (field === 'data' && typeof value === 'string') this.addText(Buffer.from(value, 'base64').toString('utf8'));
      }
    }
  }

  private addText(text: string): void {
    const candidates = [text, ...(text.includes('\n') ? text.split(/\r?\n/).map((l) => l.trim()) : [])];
    for (const t of candidates) {
      if (t.length < MIN_SCRUBBED_LENGTH || t.includes('\uFFFD')) continue;
      const json = JSON.stringify(t).slice(1, -1);
      const htmlSafe = json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
      for (const form of [t, json, htmlSafe, goQuoted(t), JSON.stringify(json).slice(1, -1)]) {
        if (!this.forms.has(form)) {
          this.forms.add(form);
          this.pattern = undefined;
        }
      }
    }
  }

  /** The text with every known secret value replaced by `(redacted)`. */
  scrub(text: string): string {
    if (this.forms.size === 0 || text === '') return text;
    this.pattern ??= new RegExp(
      [...this.forms]
        .sort((a, b) => b.length - a.length)
        .map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.pattern, '(redacted)');
  }

  /** Scrubs an error's message, hint, field causes, stack and causes in place, and returns it. */
  scrubError<T>(error: T): T {
    this.scrubErrorIn(error, 0);
    return error;
  }

  private scrubErrorIn(error: unknown, depth: number): void {
    if (!(error instanceof Error) || depth > 10) return;
    error.message = this.scrub(error.message);
    if (error.stack) error.stack = this.scrub(error.stack);
    const details = error as Error & { hint?: string; causes?: { message?: string }[]; errors?: unknown[] };
    if (typeof details.hint === 'string') Object.defineProperty(error, 'hint', { value: this.scrub(details.hint) });
    if (Array.isArray(details.causes))
      for (const c of details.causes) if (typeof c.message === 'string') c.message = this.scrub(c.message);
    if (Array.isArray(details.errors)) for (const e of details.errors) this.scrubErrorIn(e, depth + 1);
    this.scrubErrorIn(error.cause, depth + 1);
  }
}

/** Go's strconv.Quote without the quotes (how `%q` prints a value in Kubernetes' validation messages). */
function goQuoted(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** Every scalar (string, number, boolean) in a value, at any depth. */
function scalarsIn(value: unknown): (string | number | boolean | bigint)[] {
  const out: (string | number | boolean | bigint)[] = [];
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out.push(v);
    else if (v !== null && typeof v === 'object') stack.push(...Object.values(v));
  }
  return out;
}
