import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { parseDurationText } from '../../src/core/workflows/request.js';

const where = { via: 'cli', command: 'apply', input: 'timeout' } as const;

describe('durations (--timeout, the timeout input) as Go, helm and kubectl write them', () => {
  it('takes one unit or several, decimals, and plain seconds', () => {
    const cases: [string, number][] = [
      ['500ms', 500],
      ['90s', 90_000],
      ['5m', 300_000],
      ['1h', 3_600_000],
      ['1m30s', 90_000],
      ['1h5m', 3_900_000],
      ['2h45m30s', 9_930_000],
      ['1s500ms', 1500],
      ['1.5h', 5_400_000],
      ['0.5s', 500],
      ['90', 90_000],
      ['0', 0],
      [' 5m ', 300_000],
    ];
    for (const [text, ms] of cases) expect(parseDurationText(text, where), text).toBe(ms);
  });

  it('refuses anything else, naming the flag and what it takes', () => {
    for (const text of ['5 minutes', '1m 30s', '-5m', '5d', 'm', '1.m', '', '5M', '1h-5m', '.5s', '1e3s']) {
      let error: unknown;
      try {
        parseDurationText(text, where);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toBe(`must be a duration like 90s, 5m or 1h, not "${text}"`);
      expect((error as UsageError).where).toBe('kubeplan apply --timeout');
      expect((error as UsageError).hint).toContain('1m30s');
    }
  });
});
