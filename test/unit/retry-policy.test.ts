import { describe, expect, it } from 'vitest';
import {
  APISERVER_POLICY,
  delayFor,
  GITHUB_POLICY,
  mayRetry,
  REGISTRY_POLICY,
  retriesStatus,
  retryAfterMs,
} from '../../src/core/http/retry-policy.js';
import { acceptedPermissions } from '../../src/platform/github/api.js';

describe('one retry policy shape, each client its numbers', () => {
  it('retries the statuses each policy names, never 501 on the apiserver, never 4xx other than 429', () => {
    expect([500, 502, 503, 504, 429].map((s) => retriesStatus(APISERVER_POLICY, s))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(retriesStatus(APISERVER_POLICY, 501)).toBe(false);
    expect(retriesStatus(REGISTRY_POLICY, 501)).toBe(true);
    // GitHub: only the gateway-type failures; a 429 is a rate limit, handled with its headers.
    expect([500, 502, 503, 504].every((s) => retriesStatus(GITHUB_POLICY, s))).toBe(true);
    expect([501, 505, 429, 403, 404, 422].some((s) => retriesStatus(GITHUB_POLICY, s))).toBe(false);
    for (const policy of [APISERVER_POLICY, REGISTRY_POLICY, GITHUB_POLICY])
      for (const s of [400, 401, 403, 404, 409, 422]) expect(retriesStatus(policy, s)).toBe(false);
  });

  it('waits what Retry-After asks (seconds or a date), capped by the policy, else the doubling backoff', () => {
    expect(delayFor(REGISTRY_POLICY, 1, '2')).toBe(2000);
    expect(delayFor(REGISTRY_POLICY, 1, '3600')).toBe(REGISTRY_POLICY.maxDelayMs);
    expect(delayFor(GITHUB_POLICY, 1, '90')).toBe(60_000);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect([1, 2, 3].map((a) => delayFor(REGISTRY_POLICY, a))).toEqual([500, 1000, 2000]);
    expect([1, 2, 3].map((a) => delayFor(GITHUB_POLICY, a))).toEqual([1000, 2000, 4000]);
    for (const a of [1, 2, 3]) {
      const d = delayFor(APISERVER_POLICY, a);
      expect(d).toBeGreaterThanOrEqual(200 * 2 ** (a - 1));
      expect(d).toBeLessThan(400 * 2 ** (a - 1));
    }
  });

  it('stops after the attempts for the kind of failure, and within the total wait', () => {
    expect(mayRetry(REGISTRY_POLICY, 2, 'network')).toBe(true);
    expect(mayRetry(REGISTRY_POLICY, 3, 'network')).toBe(false);
    expect(mayRetry(REGISTRY_POLICY, 4, 'status')).toBe(true);
    expect(mayRetry(REGISTRY_POLICY, 5, 'status')).toBe(false);
    expect(mayRetry(GITHUB_POLICY, 1, 'status', GITHUB_POLICY.maxTotalMs - 1000, 2000)).toBe(false);
  });
});

describe("GitHub's x-accepted-github-permissions", () => {
  it('reads as the permissions: lines of a workflow, one per accepted set', () => {
    expect(acceptedPermissions('issues=write; pull_requests=write')).toEqual(['issues: write', 'pull-requests: write']);
    expect(acceptedPermissions('contents=write,pull_requests=write')).toEqual([
      'contents: write, pull-requests: write',
    ]);
  });
});
