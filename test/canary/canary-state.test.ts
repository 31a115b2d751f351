import { describe, expect, it } from 'vitest';
import { NO_COUNTS } from '../../src/core/canary/analysis.js';
import {
  CanaryHeld,
  type CanaryState,
  CanaryStateError,
  CanaryStateStore,
  STATE_KEY,
} from '../../src/core/canary/state.js';
import { ClusterClient } from '../../src/core/cluster/client.js';
import { formatError } from '../../src/core/errors.js';
import { api, bench, freshNamespace } from '../harness/kube.js';

// The canary's place in the cluster, on the real apiserver: compare-and-swap on the ConfigMap's resourceVersion, one
// holder at a time, a dead holder taken over after its heartbeat is stale, and hand edits named with the way out.

const connect = () =>
  ClusterClient.connect({
    kubeconfig: bench().adminKubeconfig,
    context: undefined,
    concurrency: 4,
    env: {},
    cwd: process.cwd(),
  });

const T0 = new Date('2026-12-07T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function started(target: string, ns: string): CanaryState {
  return {
    version: 1,
    target,
    workload: { kind: 'Deployment', namespace: ns, name: 'shop' },
    commit: 'a'.repeat(40),
    templateHash: 'sha256:1111',
    stableRevision: 3,
    stableTemplate: { spec: { containers: [{ name: 'shop', image: 'shop:1' }] } },
    phase: 'Progressing',
    step: 0,
    weight: 10,
    startedAt: T0.toISOString(),
    stepStartedAt: T0.toISOString(),
    attendedAt: T0.toISOString(),
    counters: NO_COUNTS,
    measurements: [],
    failedTemplates: [],
  };
}

describe('canary state in the cluster', () => {
  it('one run holds the canary: a second run is refused (exit 3, naming the holder) until the heartbeat is stale', async () => {
    const ns = await freshNamespace('cstate');
    const [a, b] = [await connect(), await connect()];
    const storeA = new CanaryStateStore(a, 'shop', ns);
    const storeB = new CanaryStateStore(b, 'shop', ns);
    expect(await storeA.read()).toBeUndefined();
    expect(await storeA.acquire('https://ci/run/1', T0, 120_000)).toBeUndefined();

    // Two runs start the same canary at once: exactly one create wins.
    const created = await Promise.all([
      storeA.write(
        { ...started('shop', ns), holder: { run: 'https://ci/run/1', heartbeat: T0.toISOString() } },
        undefined,
      ),
      storeB.write(
        { ...started('shop', ns), holder: { run: 'https://ci/run/2', heartbeat: T0.toISOString() } },
        undefined,
      ),
    ]);
    expect(created.filter((v) => v !== undefined)).toHaveLength(1);
    const winner = created[0] !== undefined ? 'https://ci/run/1' : 'https://ci/run/2';
    const loser = winner.endsWith('1') ? storeB : storeA;
    const loserRun = winner.endsWith('1') ? 'https://ci/run/2' : 'https://ci/run/1';

    // The loser is told who holds it, as a "not finished" (exit 3), not as an error.
    const held = await loser.acquire(loserRun, at(30), 120_000).catch((e: unknown) => e);
    expect(held).toBeInstanceOf(CanaryHeld);
    expect((held as CanaryHeld).exitCode).toBe(3);
    expect(formatError(held)).toContain(`moved by another run (${winner}, heartbeat 30 s ago)`);
    expect(formatError(held)).toContain(`v1 ConfigMap ${ns}/kubeplan-canary-shop`);

    // The holder itself takes it again (a retried job step), and its heartbeat moves.
    const winnerStore = winner.endsWith('1') ? storeA : storeB;
    const again = await winnerStore.acquire(winner, at(60), 120_000);
    expect(again?.state.holder).toEqual({ run: winner, heartbeat: at(60).toISOString() });

    // The holder dies; 2 minutes after its last heartbeat the other run takes over, from the stored place.
    const taken = await loser.acquire(loserRun, at(60 + 121), 120_000);
    expect(taken?.state).toMatchObject({ step: 0, weight: 10, holder: { run: loserRun } });

    // The old holder wakes up and tries to save: refused, it was taken over; the stored state is the new holder's.
    const late = await winnerStore
      .save(winner, { ...again!.state, weight: 50 }, again!.resourceVersion)
      .catch((e: unknown) => e);
    expect(late).toBeInstanceOf(CanaryHeld);
    expect(formatError(late)).toContain(`taken over by ${loserRun}`);
    expect((await winnerStore.read())?.state).toMatchObject({ weight: 10, holder: { run: loserRun } });
  });

  it('keeps the state across runs: counters, measurements (bounded) and failed templates', async () => {
    const ns = await freshNamespace('cstate');
    const store = new CanaryStateStore(await connect(), 'api', ns);
    const state: CanaryState = {
      ...started('api', ns),
      counters: { stepChecks: 2, failures: 1, noData: 0, consecutiveErrors: 0 },
      measurements: Array.from({ length: 40 }, (_, i) => ({
        metric: 'success-rate',
        result: 'ok',
        value: 99 + i / 100,
        at: at(i).toISOString(),
      })),
      failedTemplates: ['sha256:0000'],
    };
    const rv = await store.write(state, undefined);
    expect(rv).toBeTruthy();
    const read = await new CanaryStateStore(await connect(), 'api', ns).read();
    expect(read?.state.counters).toEqual(state.counters);
    expect(read?.state.failedTemplates).toEqual(['sha256:0000']);
    // Only the newest measurements are kept, so the ConfigMap stays small however long the canary runs.
    expect(read?.state.measurements).toHaveLength(30);
    expect(read?.state.measurements.at(-1)).toEqual(state.measurements.at(-1));
    // A write from an old resourceVersion is not applied.
    expect(await store.write({ ...state, weight: 100 }, rv)).toBeTruthy();
    expect(await store.write({ ...state, weight: 0 }, rv)).toBeUndefined();
    expect((await store.read())?.state.weight).toBe(100);
  });

  it('a state edited by hand is named, with the way out, and never taken as a canary', async () => {
    const ns = await freshNamespace('cstate');
    const store = new CanaryStateStore(await connect(), 'web', ns);
    await api('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'kubeplan-canary-web' },
        data: { [STATE_KEY]: '{"version": 1, "target": "web", "phase": ' },
      },
    });
    const error = await store.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanaryStateError);
    expect(formatError(error)).toContain(
      `v1 ConfigMap ${ns}/kubeplan-canary-web: the canary state of target web in state.json is not JSON`,
    );
    expect(formatError(error)).toContain(`kubectl delete configmap kubeplan-canary-web -n ${ns}`);
  });
});
