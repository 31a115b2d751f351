import { describe, expect, it } from 'vitest';
import {
  abort,
  advance,
  approve,
  type CanaryAction,
  type CanaryPlan,
  decide,
  promoteNow,
  startState,
} from '../../src/core/canary/machine.js';
import type { Measurement } from '../../src/core/canary/prometheus.js';
import { type CanaryState, CanaryStateStore } from '../../src/core/canary/state.js';
import { ClusterClient } from '../../src/core/cluster/client.js';
import { bench, freshNamespace } from '../harness/kube.js';

// The canary's steps, driven the way a run drives them: decide, act, advance, store. The metrics are given; the
// clock moves as the actions ask. A run killed anywhere resumes from the stored state.

const MIN = 60_000;
const plan: CanaryPlan = {
  steps: [{ weight: 10, pauseMs: 2 * MIN }, { weight: 50 }],
  limits: { checks: 3, failureLimit: 0, noDataLimit: 2, errorLimit: 4 },
  intervalMs: MIN,
  timeoutMs: 60 * MIN,
  maxUnattendedMs: 30 * MIN,
};
const T0 = new Date('2026-12-07T10:00:00Z');
const ok = (value = 99.9): Measurement => ({ metric: 'success-rate', query: 'q', result: 'ok', value });
const bad: Measurement = {
  metric: 'success-rate',
  query: 'q',
  result: 'out-of-range',
  value: 90,
  reason: '90 < min 99',
};
const fresh = () =>
  startState(
    {
      version: 1,
      target: 'shop',
      workload: { kind: 'Deployment', namespace: 'shop', name: 'shop' },
      commit: 'b'.repeat(40),
      templateHash: 'sha256:new',
      stableRevision: 4,
      stableTemplate: { spec: { containers: [{ name: 'shop', image: 'shop:1' }] } },
      failedTemplates: [],
    },
    plan,
    T0,
  );

/** Runs the machine until it stops (gate, done) or `limit` actions; `metric` answers each measurement round. */
function drive(
  start: CanaryState,
  startAt: Date,
  metric: (round: number) => Measurement,
  options: { limit?: number; p?: CanaryPlan } = {},
) {
  const p = options.p ?? plan;
  let state = start;
  let now = startAt;
  const weights: number[] = [];
  let rounds = 0;
  let last: CanaryAction = { do: 'measure' };
  for (let i = 0; i < (options.limit ?? 100); i++) {
    last = decide(p, state, now);
    if (last.do === 'done' || last.do === 'gate') break;
    if (last.do === 'wait') {
      now = last.until;
      continue;
    }
    if (last.do === 'set-weight') {
      weights.push(last.weight);
      state = advance(p, state, { of: 'set-weight', healthy: true }, now);
    } else if (last.do === 'measure') state = advance(p, state, { of: 'measure', round: [metric(rounds++)] }, now);
    else if (last.do === 'promote') {
      weights.push(0);
      state = advance(p, state, { of: 'promote' }, now);
    } else {
      weights.push(0);
      state = advance(p, state, { of: 'rollback' }, now);
    }
    now = new Date(now.getTime() + 1000);
  }
  return { state, now, weights, rounds, last };
}

describe('the canary machine', () => {
  it('happy path: 10 % for the pause and 3 checks, 50 % for 3 checks, then promoted', () => {
    const run = drive(fresh(), T0, () => ok());
    expect(run.weights).toEqual([10, 50, 0]);
    expect(run.rounds).toBe(6);
    expect(run.state).toMatchObject({ phase: 'Succeeded', weight: 0, holder: undefined });
    expect(run.last).toEqual({ do: 'done', phase: 'Succeeded' });
    // The first measurement waited for the pause: 2 minutes after 10 % was set.
    const first = run.state.measurements[0]!;
    expect(Date.parse(first.at) - T0.getTime()).toBeGreaterThanOrEqual(2 * MIN);
  });

  it('a metric out of range rolls back at once (failureLimit 0) and remembers the template', () => {
    const run = drive(fresh(), T0, (round) => (round === 4 ? bad : ok()));
    expect(run.weights).toEqual([10, 50, 0]);
    expect(run.state.phase).toBe('Failed');
    expect(run.state.message).toContain(
      '1 measurement out of range, more than failureLimit 0 (success-rate: 90 < min 99)',
    );
    expect(run.state.failedTemplates).toEqual(['sha256:new']);
  });

  it('an approval gate stops the run (exit 3) until continue; abort and promote --full end it either way', () => {
    const gated: CanaryPlan = { ...plan, steps: [{ weight: 10 }, { approve: true }, { weight: 50 }] };
    const first = drive(fresh(), T0, () => ok(), { p: gated });
    expect(first.last).toEqual({ do: 'gate', message: 'waiting for approval at step 2/3' });
    expect(first.state).toMatchObject({ phase: 'Paused', weight: 10 });
    const approved = approve(gated, first.state, first.now);
    const second = drive(approved, first.now, () => ok(), { p: gated });
    expect(second.weights).toEqual([50, 0]);
    expect(second.state.phase).toBe('Succeeded');

    const aborted = abort(first.state, first.now, 'alice');
    expect(decide(gated, aborted, first.now)).toEqual({ do: 'rollback', reason: 'aborted by alice' });
    const full = promoteNow(first.state, first.now);
    expect(decide(gated, full, first.now)).toEqual({ do: 'promote' });
  });

  it('too long unattended, or past the timeout, rolls back', () => {
    const run = drive(fresh(), T0, () => ok(), { limit: 3 });
    expect(run.state.phase).toBe('Progressing');
    const later = new Date(Date.parse(run.state.attendedAt) + 31 * MIN);
    expect(decide(plan, run.state, later)).toMatchObject({
      do: 'rollback',
      reason: expect.stringContaining('more than maxUnattended (1800 s)'),
    });
    const slow: CanaryPlan = { ...plan, timeoutMs: 5 * MIN, maxUnattendedMs: 60 * MIN };
    expect(decide(slow, run.state, new Date(T0.getTime() + 6 * MIN))).toMatchObject({
      do: 'rollback',
      reason: 'the canary ran longer than its timeout (300 s)',
    });
  });

  it('a canary that does not become healthy rolls back, naming why', () => {
    const state = advance(
      plan,
      fresh(),
      { of: 'set-weight', healthy: false, reason: 'Deployment shop-canary: ImagePullBackOff' },
      T0,
    );
    expect(state.phase).toBe('RollingBack');
    expect(decide(plan, state, T0)).toEqual({
      do: 'rollback',
      reason: 'the canary did not become healthy at 10 %: Deployment shop-canary: ImagePullBackOff',
    });
  });
});

describe('the canary machine with its state in the cluster', () => {
  it('a run killed after any stored step: the next run resumes from the stored state and ends the same way', async () => {
    const ns = await freshNamespace('cmachine');
    const client = await ClusterClient.connect({
      kubeconfig: bench().adminKubeconfig,
      context: undefined,
      concurrency: 4,
      env: {},
      cwd: process.cwd(),
    });
    // Run A stores every step it takes and dies after its 4th; run B takes over once A's heartbeat is stale.
    const store = new CanaryStateStore(client, 'shop', ns);
    let now = T0;
    let rv = (await store.write({ ...fresh(), holder: { run: 'A', heartbeat: now.toISOString() } }, undefined))!;
    let state = (await store.read())!.state;
    for (let i = 0; i < 4; i++) {
      const action = decide(plan, state, now);
      if (action.do === 'wait') now = action.until;
      else {
        const outcome =
          action.do === 'set-weight'
            ? ({ of: 'set-weight', healthy: true } as const)
            : ({ of: 'measure', round: [ok()] } as const);
        state = { ...advance(plan, state, outcome, now), holder: { run: 'A', heartbeat: now.toISOString() } };
        rv = await store.save('A', state, rv);
      }
      now = new Date(now.getTime() + 1000);
    }
    expect(state).toMatchObject({ weight: 10, phase: 'Progressing' });
    const checksBefore = state.counters.stepChecks;
    expect(checksBefore).toBeGreaterThan(0);

    const takeover = new Date(now.getTime() + 3 * MIN);
    const taken = await store.acquire('B', takeover, 2 * MIN);
    expect(taken?.state.holder?.run).toBe('B');
    // The resumed step is written again and measured afresh: A's window is not trusted.
    expect(decide(plan, { ...taken!.state, healthy: false }, takeover)).toEqual({ do: 'set-weight', weight: 10 });
    const resumed = advance(plan, taken!.state, { of: 'set-weight', healthy: true }, takeover);
    expect(resumed.counters.stepChecks).toBe(0);
    const end = drive(resumed, takeover, () => ok());
    expect(end.state.phase).toBe('Succeeded');
    expect(end.weights).toEqual([50, 0]);
  });
});
