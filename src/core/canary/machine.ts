/**
 * The canary's steps as a pure machine (#19, not wired into apply yet). A run asks `decide` what to do next from the
 * stored state and the clock, does it (write objects, wait, measure), and stores `advance`'s new state, compare-and-
 * swap, before the next decision. All a run knows is in the state, so a killed run loses nothing: the next one decides
 * again from the same state. A measurement window left by a dead run is not trusted: a resumed step measures afresh.
 */
import { type AnalysisCounters, type AnalysisLimits, countRound, NO_COUNTS, nextStep } from './analysis.js';
import type { Measurement } from './prometheus.js';
import type { CanaryPhase, CanaryState } from './state.js';

export interface CanaryStep {
  /** Percent of the traffic to the canary. */
  weight?: number | undefined;
  /** How long to wait at this weight before measuring. */
  pauseMs?: number | undefined;
  /** A manual gate: the canary waits here until `kubeplan canary continue`. */
  approve?: boolean | undefined;
}

export interface CanaryPlan {
  steps: CanaryStep[];
  limits: AnalysisLimits;
  intervalMs: number;
  /** The whole canary, from its start: past it, it rolls back. */
  timeoutMs: number;
  /** Longest time nobody looked after it (no run held it): past it, the next run rolls back. */
  maxUnattendedMs: number;
}

export type CanaryAction =
  /** Write the objects for the state's weight and wait until the canary Deployment is healthy. */
  | { do: 'set-weight'; weight: number }
  /** Nothing to do before `until` (a pause, the next measurement). */
  | { do: 'wait'; until: Date; why: string }
  /** Take one round of measurements (one per metric). */
  | { do: 'measure' }
  /** An approval gate: stop (exit 3) until `canary continue`. */
  | { do: 'gate'; message: string }
  /** Give the stable Deployment git's template, weights to stable, delete the canary. */
  | { do: 'promote' }
  /** Weights to stable first, delete the canary, keep the stable template; remember the failed one. */
  | { do: 'rollback'; reason: string }
  /** The canary ended (Succeeded or Failed): nothing to do. */
  | { do: 'done'; phase: 'Succeeded' | 'Failed' };

export type CanaryOutcome =
  | { of: 'set-weight'; healthy: true }
  | { of: 'set-weight'; healthy: false; reason: string }
  | { of: 'measure'; round: readonly Measurement[] }
  | { of: 'promote' }
  | { of: 'rollback' };

const stepOf = (plan: CanaryPlan, state: CanaryState) => plan.steps[state.step];

/** What the run does next. Pure. */
export function decide(plan: CanaryPlan, state: CanaryState, now: Date): CanaryAction {
  if (state.phase === 'Succeeded' || state.phase === 'Failed') return { do: 'done', phase: state.phase };
  if (state.phase === 'Promoting') return { do: 'promote' };
  if (state.phase === 'RollingBack') return { do: 'rollback', reason: state.message ?? 'rolled back' };
  const elapsed = now.getTime() - Date.parse(state.startedAt);
  if (elapsed > plan.timeoutMs)
    return {
      do: 'rollback',
      reason: `the canary ran longer than its timeout (${Math.round(plan.timeoutMs / 1000)} s)`,
    };
  const unattended = now.getTime() - Date.parse(state.attendedAt);
  if (unattended > plan.maxUnattendedMs)
    return {
      do: 'rollback',
      reason: `nobody looked after the canary for ${Math.round(unattended / 1000)} s, more than maxUnattended (${Math.round(plan.maxUnattendedMs / 1000)} s)`,
    };
  const step = stepOf(plan, state);
  if (!step) return { do: 'promote' };
  if (step.approve)
    return { do: 'gate', message: `waiting for approval at step ${state.step + 1}/${plan.steps.length}` };
  const weight = step.weight ?? state.weight;
  if (state.weight !== weight || !state.healthy) return { do: 'set-weight', weight };
  const pauseEnd = Date.parse(state.stepStartedAt) + (step.pauseMs ?? 0);
  if (now.getTime() < pauseEnd) return { do: 'wait', until: new Date(pauseEnd), why: 'the step’s pause' };
  const lastAt = state.lastRoundAt ? Date.parse(state.lastRoundAt) : undefined;
  if (lastAt !== undefined && now.getTime() < lastAt + plan.intervalMs)
    return { do: 'wait', until: new Date(lastAt + plan.intervalMs), why: 'the next measurement' };
  return { do: 'measure' };
}

/** The state after an action's outcome. Pure. */
export function advance(plan: CanaryPlan, state: CanaryState, outcome: CanaryOutcome, now: Date): CanaryState {
  const at = now.toISOString();
  const base = { ...state, attendedAt: at };
  switch (outcome.of) {
    case 'set-weight': {
      const step = stepOf(plan, state);
      const weight = step?.weight ?? state.weight;
      if (!outcome.healthy) return failing(base, `the canary did not become healthy at ${weight} %: ${outcome.reason}`);
      // A (re)started step measures afresh: a window left by a dead run is not trusted.
      return {
        ...base,
        phase: 'Progressing',
        weight,
        healthy: true,
        stepStartedAt: at,
        lastRoundAt: undefined,
        counters: { ...base.counters, stepChecks: 0, consecutiveErrors: 0 },
      };
    }
    case 'measure': {
      const verdict = countRound(plan.limits, state.counters, outcome.round);
      const measurements = [
        ...state.measurements,
        ...outcome.round.map((m) => ({
          metric: m.metric,
          result: m.result,
          ...('value' in m ? { value: m.value } : {}),
          at,
        })),
      ];
      const next: CanaryState = { ...base, counters: verdict.counters, measurements, lastRoundAt: at };
      if (verdict.verdict === 'fail') return failing(next, verdict.reason);
      if (verdict.verdict === 'continue') return next;
      return toStep(plan, { ...next, counters: nextStep(verdict.counters) }, state.step + 1, at);
    }
    case 'promote':
      return { ...base, phase: 'Succeeded', weight: 0, message: 'promoted', holder: undefined };
    case 'rollback':
      return {
        ...base,
        phase: 'Failed',
        weight: 0,
        holder: undefined,
        failedTemplates: withFailedTemplate(state),
      };
  }
}

/** The failed templates with the canary's own added: it is not canaried again until retry or a new template. */
export function withFailedTemplate(state: CanaryState): string[] {
  return state.failedTemplates.includes(state.templateHash)
    ? state.failedTemplates
    : [...state.failedTemplates, state.templateHash];
}

function failing(state: CanaryState, reason: string): CanaryState {
  return { ...state, phase: 'RollingBack', message: reason };
}

function toStep(plan: CanaryPlan, state: CanaryState, index: number, at: string): CanaryState {
  if (index >= plan.steps.length) return { ...state, step: index, phase: 'Promoting', message: undefined };
  return {
    ...state,
    step: index,
    phase: plan.steps[index]!.approve ? 'Paused' : 'Progressing',
    stepStartedAt: at,
    lastRoundAt: undefined,
    healthy: plan.steps[index]!.approve ? state.healthy : false,
    message: plan.steps[index]!.approve ? `waiting for approval at step ${index + 1}/${plan.steps.length}` : undefined,
  };
}

/** `kubeplan canary continue` at a gate: the gate passes (the next decision promotes or goes to the next step). */
export function approve(plan: CanaryPlan, state: CanaryState, now: Date): CanaryState {
  const step = stepOf(plan, state);
  if (!step?.approve || state.phase !== 'Paused') return state;
  return toStep(plan, { ...state, attendedAt: now.toISOString() }, state.step + 1, now.toISOString());
}

/** `kubeplan canary abort`: roll back now, whatever the step. */
export function abort(state: CanaryState, now: Date, who: string): CanaryState {
  if (state.phase === 'Succeeded' || state.phase === 'Failed') return state;
  return failing({ ...state, attendedAt: now.toISOString() }, `aborted by ${who}`);
}

/** `kubeplan canary promote --full`: skip the remaining steps and promote now. */
export function promoteNow(state: CanaryState, now: Date): CanaryState {
  if (state.phase === 'Succeeded' || state.phase === 'Failed') return state;
  return { ...state, phase: 'Promoting', attendedAt: now.toISOString(), message: undefined };
}

/** A new canary's state: step 1, not yet at its weight. */
export function startState(
  base: Omit<
    CanaryState,
    | 'phase'
    | 'step'
    | 'weight'
    | 'startedAt'
    | 'stepStartedAt'
    | 'attendedAt'
    | 'counters'
    | 'measurements'
    | 'healthy'
    | 'lastRoundAt'
  >,
  plan: CanaryPlan,
  now: Date,
): CanaryState {
  const at = now.toISOString();
  const first: CanaryPhase = plan.steps[0]?.approve ? 'Paused' : 'Progressing';
  return {
    ...base,
    phase: first,
    step: 0,
    weight: 0,
    startedAt: at,
    stepStartedAt: at,
    attendedAt: at,
    counters: NO_COUNTS as AnalysisCounters,
    measurements: [],
    healthy: false,
  };
}
