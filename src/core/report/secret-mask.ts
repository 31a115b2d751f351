import { CORE_SCHEMA, load } from 'js-yaml';
import { proxyUrlCredentials } from '../http/proxy.js';

/** What every masked credential becomes, as in the runner's log. */
export const MASKED = '***';

/** Shorter values are not masked: replacing every 3-letter word in a report would make it unreadable. */
const MIN_LENGTH = 4;

/**
 * Every credential kubeplan was given (tokens, kubeconfig keys, passwords), so that nothing it writes carries one:
 * the runner masks its log, but not pull-request comments, issues, the job summary, outputs or report files, and a
 * chart can read a credential into a rendered object (`.Files.Get`, values typed in by a test or a user).
 */
export class SecretMask {
  private readonly values = new Set<string>();
  private sorted: string[] | undefined;

  /** Registers a credential: the value, each line of a multi-line one, and their base64 (a Secret's data, b64enc). */
  add(value: string | undefined): void {
    if (!value) return;
    for (const v of [value, ...value.split(/\r?\n/)]) {
      const trimmed = v.trim();
      if (trimmed.length < MIN_LENGTH) continue;
      this.values.add(trimmed);
      this.values.add(Buffer.from(trimmed).toString('base64'));
    }
    this.sorted = undefined;
  }

  /** The text with every registered credential replaced by ***, longest first so a value inside another goes too. */
  mask(text: string): string {
    this.sorted ??= [...this.values].sort((a, b) => b.length - a.length);
    let out = text;
    for (const v of this.sorted) if (out.includes(v)) out = out.split(v).join(MASKED);
    return out;
  }

  get size(): number {
    return this.values.size;
  }
}

/**
 * The credentials in a kubeconfig: tokens, passwords, client keys and certificates, the base64 ones also decoded (a
 * chart could hold either form), and the password in a cluster's proxy-url. Text that is not YAML is one credential
 * as a whole.
 */
export function kubeconfigCredentials(contents: string): string[] {
  try {
    const parsed = load(contents, { schema: CORE_SCHEMA }) as
      | { users?: { user?: Record<string, unknown> }[]; clusters?: { cluster?: Record<string, unknown> }[] }
      | undefined;
    const out: string[] = [];
    for (const c of parsed?.clusters ?? []) {
      const proxyUrl = c.cluster?.['proxy-url'];
      if (typeof proxyUrl === 'string') out.push(...proxyUrlCredentials(proxyUrl));
    }
    for (const u of parsed?.users ?? []) {
      for (const field of ['token', 'password', 'client-key-data', 'client-certificate-data']) {
        const value = u.user?.[field];
        if (typeof value !== 'string' || value === '') continue;
        out.push(value);
        if (field.endsWith('-data')) out.push(Buffer.from(value, 'base64').toString('utf8'));
      }
    }
    return out;
  } catch {
    return [contents];
  }
}
