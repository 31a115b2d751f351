import { describe, expect, it } from 'vitest';
import { assessHealth } from '../../src/core/apply/health.js';
import type { KubeObject } from '../../src/core/manifests/types.js';

/** The phases Argo Rollouts and Flagger write, read as health (the bench tests play the controllers end to end). */
const obj = (apiVersion: string, kind: string, status: Record<string, unknown>, generation = 2): KubeObject =>
  ({ apiVersion, kind, metadata: { name: 'web', namespace: 'shop', generation }, spec: {}, status }) as KubeObject;
const rollout = (status: Record<string, unknown>, generation?: number) =>
  assessHealth(obj('argoproj.io/v1alpha1', 'Rollout', status, generation));
const canary = (status: Record<string, unknown>, generation?: number) =>
  obj('flagger.app/v1beta1', 'Canary', status, generation);

describe('health of progressive-delivery objects', () => {
  it('reads a Rollout by its phase once Argo Rollouts observed its generation (a string, or a hash before 1.0)', () => {
    expect(rollout({ observedGeneration: '2', phase: 'Healthy' })).toMatchObject({ state: 'ready' });
    expect(rollout({ observedGeneration: '1', phase: 'Healthy' })).toMatchObject({
      state: 'pending',
      reason: expect.stringContaining('observe generation 2'),
    });
    expect(rollout({ phase: 'Healthy' })).toMatchObject({ state: 'pending' });
    expect(rollout({ observedGeneration: '7d6f9c8b5', phase: 'Healthy' })).toMatchObject({ state: 'ready' });
    expect(rollout({ observedGeneration: '2', phase: 'Paused', message: 'CanaryPauseStep' })).toEqual({
      state: 'ready',
      controlled: { controller: 'Argo Rollouts', phase: 'Paused', message: 'CanaryPauseStep', handedOver: true },
    });
    expect(rollout({ observedGeneration: '2', phase: 'Degraded', message: 'ProgressDeadlineExceeded' })).toMatchObject({
      state: 'failed',
      reason: 'Argo Rollouts reports Degraded (ProgressDeadlineExceeded)',
    });
    expect(rollout({ observedGeneration: '2' })).toMatchObject({
      state: 'pending',
      reason: expect.stringContaining('no'),
    });
    // Another group's kind named Rollout is not Argo's.
    expect(assessHealth(obj('example.com/v1', 'Rollout', { phase: 'Degraded' }))).toMatchObject({ state: 'ready' });
  });

  it('reads a Canary by its phase; a failure older than the apply is waited past, a new one fails', () => {
    const since = Date.parse('2026-12-07T12:00:00Z');
    expect(assessHealth(canary({ observedGeneration: 2, phase: 'Succeeded' }))).toMatchObject({ state: 'ready' });
    expect(assessHealth(canary({ observedGeneration: 1, phase: 'Succeeded' }))).toMatchObject({ state: 'pending' });
    for (const phase of ['Progressing', 'Promoting', 'Finalising', 'Waiting', 'WaitingPromotion'])
      expect(assessHealth(canary({ observedGeneration: 2, phase }))).toMatchObject({
        state: 'ready',
        controlled: { controller: 'Flagger', phase, handedOver: true },
      });
    expect(assessHealth(canary({ observedGeneration: 2, phase: 'Initializing' }))).toMatchObject({ state: 'pending' });
    const failed = (at: string) =>
      canary({
        observedGeneration: 2,
        phase: 'Failed',
        lastTransitionTime: at,
        conditions: [{ type: 'Promoted', status: 'False', message: 'Canary analysis failed' }],
      });
    expect(assessHealth(failed('2026-12-07T11:00:00Z'), { since })).toMatchObject({
      state: 'pending',
      reason: expect.stringContaining("Flagger's last analysis failed before this apply (Canary analysis failed)"),
    });
    expect(assessHealth(failed('2026-12-07T12:00:05Z'), { since })).toMatchObject({
      state: 'failed',
      reason: 'Flagger reports Failed (Canary analysis failed)',
    });
    expect(assessHealth(canary({ observedGeneration: 2, phase: 'Terminating' }))).toMatchObject({ state: 'failed' });
  });
});
