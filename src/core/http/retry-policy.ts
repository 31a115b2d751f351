/**
 * How kubeplan's HTTP clients retry, as data: one shape for the apiserver, the GitHub API and container registries,
 * each with its own numbers. The clients ask `retriesStatus` whether an answer is worth another attempt and
 * `delayFor` how long to wait first; nothing else decides.
 */
export interface RetryPolicy {
  /** Who the policy is for, in log lines. */
  name: string;
  /** Statuses retried besides server errors (429 Too Many Requests). */
  statuses: readonly number[];
  /** Whether every 5xx is retried (except `neverStatuses`). */
  serverErrors: boolean;
  /** Statuses never retried: 501 Not Implemented does not change by asking again. */
  neverStatuses: readonly number[];
  /** Attempts in all (the first included) when the server answered with a retried status. */
  attempts: number;
  /** Attempts in all when no answer came (connection refused or reset). */
  networkAttempts: number;
  /** Whether a retry after no answer waits the backoff (else it goes at once). */
  networkBackoff: boolean;
  /** The first backoff wait; each further one doubles. */
  baseDelayMs: number;
  /** Adds up to the backoff again at random, so many clients do not retry in step. */
  jitter: boolean;
  /** The longest single wait, a server's Retry-After included. */
  maxDelayMs: number;
  /** The longest a request waits in all before it fails. */
  maxTotalMs: number;
  /** Whether the server's Retry-After (seconds or an HTTP date) sets the wait instead of the backoff. */
  honourRetryAfter: boolean;
  /** The longest wait for a rate limit to reset (GitHub's x-ratelimit-reset); a later reset fails at once. */
  maxRateLimitWaitMs: number;
}

/** The Kubernetes apiserver: quick backoff with jitter, Retry-After (APF's 429) up to 30 s. */
export const APISERVER_POLICY: RetryPolicy = {
  name: 'apiserver',
  statuses: [429],
  serverErrors: true,
  neverStatuses: [501],
  attempts: 5,
  networkAttempts: 5,
  networkBackoff: true,
  baseDelayMs: 200,
  jitter: true,
  maxDelayMs: 30_000,
  maxTotalMs: 5 * 60_000,
  honourRetryAfter: true,
  maxRateLimitWaitMs: 30_000,
};

/** Container registries: 429 and 5xx five times, a lost connection three times at once. */
export const REGISTRY_POLICY: RetryPolicy = {
  name: 'registry',
  statuses: [429],
  serverErrors: true,
  neverStatuses: [],
  attempts: 5,
  networkAttempts: 3,
  networkBackoff: false,
  baseDelayMs: 500,
  jitter: false,
  maxDelayMs: 30_000,
  maxTotalMs: 5 * 60_000,
  honourRetryAfter: true,
  maxRateLimitWaitMs: 30_000,
};

/**
 * The GitHub API: 500/502/503/504 and lost connections (for requests safe to repeat), secondary rate limits after
 * their Retry-After (at most a minute), and a used-up primary rate limit when it resets within five minutes.
 */
export const GITHUB_POLICY: RetryPolicy = {
  name: 'GitHub',
  statuses: [500, 502, 503, 504],
  serverErrors: false,
  neverStatuses: [],
  attempts: 4,
  networkAttempts: 4,
  networkBackoff: true,
  baseDelayMs: 1000,
  jitter: false,
  maxDelayMs: 60_000,
  maxTotalMs: 10 * 60_000,
  honourRetryAfter: true,
  maxRateLimitWaitMs: 5 * 60_000,
};

/**
 * The GitLab API: 429 (its rate limits answer with Retry-After) and every 5xx but 501, for requests safe to repeat;
 * a lost connection likewise.
 */
export const GITLAB_POLICY: RetryPolicy = {
  name: 'GitLab',
  statuses: [429],
  serverErrors: true,
  neverStatuses: [501],
  attempts: 4,
  networkAttempts: 4,
  networkBackoff: true,
  baseDelayMs: 1000,
  jitter: false,
  maxDelayMs: 60_000,
  maxTotalMs: 10 * 60_000,
  honourRetryAfter: true,
  maxRateLimitWaitMs: 60_000,
};

/** Whether an answer with this status is worth another attempt under the policy. */
export function retriesStatus(policy: RetryPolicy, status: number): boolean {
  if (policy.neverStatuses.includes(status)) return false;
  return policy.statuses.includes(status) || (policy.serverErrors && status >= 500 && status <= 599);
}

/** A Retry-After header in milliseconds (delta-seconds or an HTTP date), or undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * How long to wait before the attempt after `attempt` (1 for the first): the server's Retry-After when the policy
 * honours it, else the doubling backoff (with jitter when the policy asks); never more than `maxDelayMs`.
 */
export function delayFor(policy: RetryPolicy, attempt: number, retryAfter?: string | null): number {
  const asked = policy.honourRetryAfter ? retryAfterMs(retryAfter) : undefined;
  if (asked !== undefined) return Math.min(asked, policy.maxDelayMs);
  const base = policy.baseDelayMs * 2 ** (attempt - 1);
  return Math.min(base + (policy.jitter ? Math.floor(Math.random() * base) : 0), policy.maxDelayMs);
}

/**
 * Whether a request may try again: attempts left for this kind of failure, and the next wait still within the
 * policy's total. `waitedMs` is what the request has waited so far.
 */
export function mayRetry(
  policy: RetryPolicy,
  attempt: number,
  kind: 'status' | 'network',
  waitedMs = 0,
  nextDelayMs = 0,
): boolean {
  const attempts = kind === 'network' ? policy.networkAttempts : policy.attempts;
  return attempt < attempts && waitedMs + nextDelayMs <= policy.maxTotalMs;
}

/** A retry about to happen, for a progress line while a client waits (`retrying GET /api/v1/pods (2/5) in 0.4 s: 503`). */
export interface RetryNotice {
  /** The policy's name: apiserver, registry. */
  policy: string;
  method: string;
  /** The URL's path, without its query. */
  path: string;
  /** The attempt about to be made (2 for the first retry). */
  attempt: number;
  /** Attempts in all for this kind of failure. */
  attempts: number;
  delayMs: number;
  /** Why: the status (`503`, `429`) or the network error's code (`ECONNREFUSED`). */
  reason: string;
}

/** Told before each retry; clients stay silent without one. */
export type OnRetry = (notice: RetryNotice) => void;

/** `retrying GET /api/v1/namespaces (2/5) in 0.4 s: 503` */
export function formatRetry(n: RetryNotice): string {
  return `retrying ${n.method} ${n.path} (${n.attempt}/${n.attempts}) in ${(n.delayMs / 1000).toFixed(1)} s: ${n.reason}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
