import { UsageError, type Where } from './errors.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration as Go writes one, the way helm and kubectl take --timeout: `500ms`, `90s`, `5m`, `1m30s`, `1h5m`, `1.5h`
 * (numbers with a unit each, largest first or not); plain numbers are seconds. In milliseconds, rounded.
 */
export function parseDurationText(text: string, where: Where): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(trimmed)
    ? [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
    : [];
  if (parts.length === 0)
    throw new UsageError(`must be a duration like 90s, 5m or 1h, not "${text}"`, {
      where,
      hint: 'numbers with a unit, ms, s, m or h, alone or combined as in 1m30s (plain numbers are seconds)',
    });
  return Math.round(parts.reduce((ms, [, n, unit]) => ms + Number(n) * DURATION_UNITS[unit!]!, 0));
}
