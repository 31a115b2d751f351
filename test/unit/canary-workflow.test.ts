import { describe, expect, it } from 'vitest';
import type { CanaryRunResult } from '../../src/core/canary/drive.js';
import { UsageError } from '../../src/core/errors.js';
import {
  canariesOutput,
  canaryDeploymentStatus,
  canarySummary,
  canaryVerdict,
} from '../../src/core/workflows/canary.js';
import {
  parseApplyRequest,
  parseCommand,
  parseRequest,
  parseScheduleCommand,
  type RequestSource,
} from '../../src/core/workflows/request.js';

// What the action and kubeplan ci decide about canaries, the same for both: the inputs, the verdict, the deployment
// status, the summary table and the output.
const source = (values: Record<string, string>): RequestSource => ({
  get: (name) => (values[name] === '' ? undefined : values[name]),
  where: (name) => ({ input: name, via: 'action' }),
  name: (name) => name,
});

const canary = (over: Partial<CanaryRunResult>): CanaryRunResult => ({
  target: 'shop',
  phase: 'Progressing',
  step: 1,
  steps: 3,
  weight: 10,
  commit: 'abcdef0123456789',
  exitCode: 3,
  message: "the run's canary budget ends before the step's pause",
  measurements: [],
  ...over,
});

const usageError = (fn: () => unknown): UsageError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('no error');
};

describe('canary inputs', () => {
  it('apply takes canary-budget (default 15m) and no-canary; a bad budget names its input', () => {
    expect(parseApplyRequest(source({})).canary).toEqual({ disabled: false, budgetMs: 15 * 60_000 });
    expect(parseApplyRequest(source({ 'canary-budget': '5s', 'no-canary': 'true' })).canary).toEqual({
      disabled: true,
      budgetMs: 5000,
    });
    const bad = usageError(() => parseApplyRequest(source({ 'canary-budget': 'soon' })));
    expect(bad.format()).toContain('action input canary-budget');
  });

  it('command canary with canary-action (default continue); schedule-command canary; no-canary is refused there', () => {
    expect(parseCommand(source({ command: 'canary' }))).toBe('canary');
    expect(parseScheduleCommand(source({ 'schedule-command': 'canary' }))).toBe('canary');
    expect(parseRequest('canary', source({}))).toMatchObject({ command: 'canary', action: 'continue' });
    expect(parseRequest('canary', source({ 'canary-action': 'promote-full' }))).toMatchObject({
      action: 'promote-full',
    });
    const bad = usageError(() => parseRequest('canary', source({ 'canary-action': 'skip' })));
    expect(bad.format()).toContain('must be continue, promote, promote-full, abort, retry or status, not "skip"');
    expect(bad.format()).toContain('action input canary-action');
    const off = usageError(() => parseRequest('canary', source({ 'no-canary': 'true' })));
    expect(off.format()).toContain('no-canary is for apply, not for the canary command');
  });
});

describe('the verdict on canaries', () => {
  it('a rolled-back canary fails the job naming the target and the reason; one not finished is a notice', () => {
    const rolledBack = canary({ exitCode: 1, phase: 'Failed', weight: 0, message: 'success-rate 60' });
    const open = canary({});
    const gate = canary({ target: 'cart', phase: 'Paused', message: 'waiting for approval at step 2/3' });
    const verdict = canaryVerdict([rolledBack, open, gate]);
    expect(verdict.failed).toBe('the canary of target shop was rolled back: success-rate 60');
    expect(verdict.annotations).toEqual([
      {
        level: 'error',
        title: 'kubeplan canary',
        message: 'target shop: the canary of abcdef0 was rolled back: success-rate 60',
      },
    ]);
    expect(verdict.notices).toHaveLength(2);
    expect(verdict.notices[0]).toContain('schedule-command: canary moves it on');
    expect(verdict.notices[1]).toContain('approve it with command: canary and canary-action: continue');
    expect(canaryVerdict([open]).failed).toBeUndefined();
  });

  it('the deployment: in progress at its step, success when promoted, failure with the reason', () => {
    expect(canaryDeploymentStatus(canary({}))).toEqual({ state: 'in_progress', description: 'canary 10 % (step 1/3)' });
    expect(canaryDeploymentStatus(canary({ exitCode: 0, phase: 'Succeeded' }))).toEqual({
      state: 'success',
      description: 'canary of abcdef0 promoted',
    });
    expect(canaryDeploymentStatus(canary({ exitCode: 1, message: 'timeout' }))).toEqual({
      state: 'failure',
      description: 'canary rolled back: timeout',
    });
  });

  it('the summary table escapes what a metric or message holds; the output lists the canaries', () => {
    const c = canary({
      target: 'shop',
      message: 'a | b @alice `x`',
      measurements: [
        { metric: 'success-rate', result: 'ok', value: 99.5, at: '2026-01-01T00:00:00Z' },
        { metric: 'success-rate', result: 'out-of-range', value: 42, at: '2026-01-01T00:00:01Z' },
        { metric: 'latency', result: 'no-data', at: '2026-01-01T00:00:01Z' },
      ],
    });
    const table = canarySummary([c]);
    expect(table).toContain(
      '| shop | ⏸️ Progressing | 1/3 | 10 % | success-rate: 42 (out-of-range)<br>latency: (no-data) | a \\| b `@alice` \\`x\\` |',
    );
    expect(JSON.parse(canariesOutput([c]))).toEqual([
      { target: 'shop', phase: 'Progressing', step: 1, steps: 3, weight: 10, exitCode: 3 },
    ]);
  });
});
