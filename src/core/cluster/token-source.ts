/**
 * Where the cluster client gets its bearer token: a fixed one (a token input or variable, a kubeconfig's), or one that
 * is renewed, such as a GitHub Actions OIDC ID token, which expires minutes after it is issued while an apply with a
 * canary can run much longer.
 */
export interface TokenSource {
  /** The token to send now (a renewing source gets a new one shortly before the current one expires). */
  token(): Promise<string>;
  /**
   * A new token after the apiserver refused `rejected`. When another request already renewed it, the current one is
   * returned without asking again. Absent: the token is fixed.
   */
  refresh?(rejected: string): Promise<string>;
  /** When the current token expires (a JWT's `exp`); undefined when it says none or is not a JWT. */
  expiresAt(): Date | undefined;
}

/** The claims of a JWT that say when it was issued and until when it holds; nothing is verified (the apiserver does). */
export function jwtTimes(token: string): { issuedAt?: Date; expiresAt?: Date } {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || !payload) return {};
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return {};
  }
  if (!claims || typeof claims !== 'object') return {};
  const { iat, exp } = claims as { iat?: unknown; exp?: unknown };
  const date = (v: unknown) => {
    const at = typeof v === 'number' ? new Date(v * 1000) : undefined;
    return at && !Number.isNaN(at.getTime()) ? at : undefined; // a date beyond what Date holds says nothing
  };
  const issuedAt = date(iat);
  const expiresAt = date(exp);
  return { ...(issuedAt ? { issuedAt } : {}), ...(expiresAt ? { expiresAt } : {}) };
}

/** A token that cannot be renewed: it says when it expires, so a long run can stop in time. */
export function fixedToken(value: string): TokenSource {
  const { expiresAt } = jwtTimes(value);
  return { token: async () => value, expiresAt: () => expiresAt };
}

/** A renewed token is asked for this long before the current one expires, at most (a fifth of its life when shorter). */
const RENEW_MARGIN_MS = 60_000;
/** Never ask for tokens more often than this, even when the endpoint hands out tokens that are already expired. */
const MIN_RENEW_INTERVAL_MS = 1_000;

/**
 * A token that is asked for again (`obtain`) shortly before it expires, and once more when the apiserver refuses it.
 * `onToken` is told every token the moment it arrives (the run's secret mask), before it is used. When a renewal ahead
 * of time fails while the current token still holds, the current one is used and the renewal tried on the next
 * request. The first token is obtained here, so a job that cannot get one fails before anything is sent.
 */
export async function renewingToken(
  obtain: () => Promise<string>,
  onToken: (token: string) => void,
  now: () => number = Date.now,
): Promise<TokenSource> {
  let current = '';
  let expiresAt: Date | undefined;
  let renewAt = Number.POSITIVE_INFINITY;
  let pending: Promise<string> | undefined;

  const accept = (token: string) => {
    onToken(token);
    const times = jwtTimes(token);
    const at = now();
    current = token;
    expiresAt = times.expiresAt;
    if (!times.expiresAt) {
      renewAt = Number.POSITIVE_INFINITY; // no exp: renewed only when the apiserver refuses it
      return;
    }
    // The lifetime by the issuer's own clock (exp - iat) is measured on ours from now: a clock skew between the runner
    // and the issuer moves neither when the token is renewed.
    const lifeMs = times.issuedAt
      ? times.expiresAt.getTime() - times.issuedAt.getTime()
      : times.expiresAt.getTime() - at;
    renewAt = at + Math.max(MIN_RENEW_INTERVAL_MS, lifeMs - Math.min(RENEW_MARGIN_MS, lifeMs / 5));
  };
  // One request for a new token at a time: the requests waiting for it all get the same one.
  const renew = () => {
    pending ??= obtain()
      .then((token) => {
        accept(token);
        return token;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  accept(await obtain());
  return {
    async token() {
      if (pending) return pending;
      if (now() < renewAt) return current;
      const stillValid = !expiresAt || expiresAt.getTime() > now();
      try {
        return await renew();
      } catch (error) {
        if (stillValid) {
          renewAt = now() + MIN_RENEW_INTERVAL_MS;
          return current;
        }
        throw error;
      }
    },
    async refresh(rejected: string) {
      if (pending) return pending;
      if (rejected !== current) return current;
      return renew();
    },
    expiresAt: () => expiresAt,
  };
}

/** The source of a token given as either (existing callers pass a string). */
export function tokenSourceOf(token: string | TokenSource): TokenSource {
  return typeof token === 'string' ? fixedToken(token) : token;
}
