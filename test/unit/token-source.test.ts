import { describe, expect, it } from 'vitest';
import { fixedToken, jwtTimes, renewingToken } from '../../src/core/cluster/token-source.js';

/** An unsigned JWT with these claims (nothing here verifies signatures: the apiserver does). */
const jwt = (claims: Record<string, unknown>) =>
  ['{"alg":"RS256"}', JSON.stringify(claims), 'sig'].map((p) => Buffer.from(p).toString('base64url')).join('.');

/** A token endpoint on a fake clock: each token is issued now and lives `life` seconds. */
function endpoint(life: number) {
  let clock = 1_800_000_000_000;
  const issued: string[] = [];
  let failing = false;
  return {
    now: () => clock,
    advance: (ms: number) => (clock += ms),
    issued,
    fail: (on: boolean) => (failing = on),
    obtain: async () => {
      if (failing) throw new Error('endpoint down');
      const iat = Math.floor(clock / 1000);
      const token = jwt({ iat, exp: iat + life, n: issued.length });
      issued.push(token);
      return token;
    },
  };
}

describe('token sources', () => {
  it('reads iat and exp from a JWT without verifying it; anything else has none', () => {
    expect(jwtTimes(jwt({ iat: 100, exp: 400 }))).toEqual({
      issuedAt: new Date(100_000),
      expiresAt: new Date(400_000),
    });
    expect(jwtTimes('opaque-token')).toEqual({});
    expect(jwtTimes('a.%%%.c')).toEqual({});
    expect(jwtTimes(jwt({ iat: 'yesterday', exp: 1e20 }))).toEqual({});
    expect(fixedToken(jwt({ exp: 500 })).expiresAt()).toEqual(new Date(500_000));
    expect(fixedToken('opaque').expiresAt()).toBeUndefined();
    expect(fixedToken('opaque').refresh).toBeUndefined();
  });

  it('renews a 5-minute token 60 s before it expires, and a 10-second one at 80 % of its life', async () => {
    const long = endpoint(300);
    const masked: string[] = [];
    const source = await renewingToken(long.obtain, (t) => masked.push(t), long.now);
    long.advance(239_000);
    expect(await source.token()).toBe(long.issued[0]);
    long.advance(1_000);
    expect(await source.token()).toBe(long.issued[1]);
    expect(masked).toEqual(long.issued);

    const short = endpoint(10);
    const quick = await renewingToken(short.obtain, () => {}, short.now);
    short.advance(7_900);
    await quick.token();
    expect(short.issued).toHaveLength(1);
    short.advance(100);
    await quick.token();
    expect(short.issued).toHaveLength(2);
  });

  it('asks once for the requests that wait together, and a refused token that another request renewed is not renewed again', async () => {
    const e = endpoint(300);
    const source = await renewingToken(e.obtain, () => {}, e.now);
    const first = e.issued[0]!;
    const [a, b] = await Promise.all([source.refresh!(first), source.refresh!(first)]);
    expect(a).toBe(b);
    expect(await source.refresh!(first)).toBe(a);
    expect(e.issued).toHaveLength(2);
  });

  it('keeps a token that still holds when its early renewal fails, and fails once it expired', async () => {
    const e = endpoint(300);
    const source = await renewingToken(e.obtain, () => {}, e.now);
    e.fail(true);
    e.advance(250_000);
    expect(await source.token()).toBe(e.issued[0]);
    e.advance(51_000);
    await expect(source.token()).rejects.toThrow('endpoint down');
    e.fail(false);
    expect(await source.token()).toBe(e.issued[1]);
  });
});
