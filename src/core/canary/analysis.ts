import type { Measurement } from './prometheus.js';

/** How many measurements a step takes and how many bad ones the canary tolerates. */
export interface AnalysisLimits {
  /** Measurement rounds (one measurement per metric) a step needs before it passes. */
  checks: number;
  /** Out-of-range measurements tolerated over the whole canary; one more fails it. */
  failureLimit: number;
  /** No-data measurements (an empty vector, NaN) tolerated over the whole canary; one more fails it. */
  noDataLimit: number;
  /** Rounds in a row with a query error tolerated; one more fails the canary. */
  errorLimit: number;
}

/** The counters of a canary's analysis: small, plain data, so a run can store them and the next one resume. */
export interface AnalysisCounters {
  /** Rounds counted in the current step (a round with an error does not count: it is measured again). */
  stepChecks: number;
  failures: number;
  noData: number;
  consecutiveErrors: number;
}

export type AnalysisVerdict =
  | { verdict: 'continue'; counters: AnalysisCounters }
  | { verdict: 'pass'; counters: AnalysisCounters }
  | { verdict: 'fail'; counters: AnalysisCounters; reason: string };

export const NO_COUNTS: AnalysisCounters = { stepChecks: 0, failures: 0, noData: 0, consecutiveErrors: 0 };

/** The counters at the start of the next step: failures and no-data stay (they are per canary), the step's checks restart. */
export function nextStep(counters: AnalysisCounters): AnalysisCounters {
  return { ...counters, stepChecks: 0 };
}

/**
 * Counts one round of measurements (one per metric) and decides: fail when out-of-range measurements exceed
 * `failureLimit`, no-data ones exceed `noDataLimit`, or rounds with an error in a row exceed `errorLimit`; pass when the
 * step has its `checks` rounds; else continue measuring. A round with an error is not a check: Prometheus said nothing
 * about the canary, so the step waits for a real answer instead of passing on silence. Pure: the caller keeps the counters.
 */
export function countRound(
  limits: AnalysisLimits,
  counters: AnalysisCounters,
  round: readonly Measurement[],
): AnalysisVerdict {
  const outOfRange = round.filter((m) => m.result === 'out-of-range');
  const noData = round.filter((m) => m.result === 'no-data');
  const errors = round.filter((m) => m.result === 'error');
  const next: AnalysisCounters = {
    stepChecks: counters.stepChecks + (errors.length === 0 ? 1 : 0),
    failures: counters.failures + outOfRange.length,
    noData: counters.noData + noData.length,
    consecutiveErrors: errors.length > 0 ? counters.consecutiveErrors + 1 : 0,
  };
  const why = (ms: Measurement[]) => ms.map((m) => `${m.metric}: ${'reason' in m ? m.reason : ''}`).join('; ');
  if (next.failures > limits.failureLimit)
    return {
      verdict: 'fail',
      counters: next,
      reason: `${next.failures} measurement${plural(next.failures)} out of range, more than failureLimit ${limits.failureLimit} (${why(outOfRange)})`,
    };
  if (next.noData > limits.noDataLimit)
    return {
      verdict: 'fail',
      counters: next,
      reason: `${next.noData} measurement${plural(next.noData)} without data, more than noDataLimit ${limits.noDataLimit} (${why(noData)})`,
    };
  if (next.consecutiveErrors > limits.errorLimit)
    return {
      verdict: 'fail',
      counters: next,
      reason: `${next.consecutiveErrors} measurement round${plural(next.consecutiveErrors)} in a row failed to query Prometheus, more than errorLimit ${limits.errorLimit} (${why(errors)})`,
    };
  if (next.stepChecks >= limits.checks) return { verdict: 'pass', counters: next };
  return { verdict: 'continue', counters: next };
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}
