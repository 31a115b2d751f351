import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalysisLimits, type AnalysisVerdict, countRound, NO_COUNTS } from '../../src/core/canary/analysis.js';
import {
  type MetricCheck,
  type Measurement,
  measure,
  PrometheusClient,
  QueryShapeError,
} from '../../src/core/canary/prometheus.js';
import { type BenchPrometheus, type Exporter, startExporter, startPrometheus } from '../harness/prometheus.js';

/**
 * The canary analysis against a real Prometheus (built from Go modules by test/tools/prometheus.mjs) scraping an
 * exporter the test drives every second: success rates are computed by real PromQL.
 */
let exporter: Exporter;
let prometheus: BenchPrometheus;
let client: PrometheusClient;

beforeAll(async () => {
  exporter = await startExporter();
  exporter.setRates('stable', { '200': 100 });
  exporter.setRates('canary', { '200': 40 });
  prometheus = await startPrometheus({ targets: [exporter.target], job: 'shop' });
  client = new PrometheusClient({ address: prometheus.url }, { env: {} });
  // Two scrapes of a growing counter: rate() has something to work on.
  await prometheus.waitForScrape('sum(rate(http_requests_total{track="canary"}[5s])) > 0', 60_000);
}, 20 * 60_000);
afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

const vars = { canary: 'canary', stable: 'stable', namespace: 'shop', interval: '5s' };
const successRate: MetricCheck = {
  name: 'success-rate',
  query:
    'sum(rate(http_requests_total{job="shop",track="{{ canary }}",code!~"5.."}[{{ interval }}])) / sum(rate(http_requests_total{job="shop",track="{{ canary }}"}[{{ interval }}])) * 100',
  min: 99,
};

/** Measures every second until the verdict is no longer `continue` (at most `rounds` rounds). */
async function analyse(metrics: MetricCheck[], limits: AnalysisLimits, rounds = 20) {
  let counters = NO_COUNTS;
  const seen: Measurement[][] = [];
  let verdict: AnalysisVerdict = { verdict: 'continue', counters };
  for (let i = 0; i < rounds && verdict.verdict === 'continue'; i++) {
    const round = await Promise.all(metrics.map((m) => measure(client, m, vars)));
    seen.push(round);
    verdict = countRound(limits, counters, round);
    counters = verdict.counters;
    if (verdict.verdict === 'continue') await new Promise((r) => setTimeout(r, 1000));
  }
  return { verdict, seen };
}

/** Measures until `until` holds (the 5 s rate window has caught up with a change of the exporter's traffic). */
async function measureUntil(metric: MetricCheck, until: (m: Measurement) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last: Measurement | undefined;
  while (Date.now() < deadline) {
    last = await measure(client, metric, vars);
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no measurement matched in ${timeoutMs / 1000}s; the last: ${JSON.stringify(last)}`);
}

describe('canary analysis against a real Prometheus', () => {
  it('preflight passes, and a healthy canary passes its checks on a success rate computed by PromQL', async () => {
    await client.preflight();
    const { verdict, seen } = await analyse([successRate], {
      checks: 3,
      failureLimit: 0,
      noDataLimit: 0,
      errorLimit: 0,
    });
    expect(verdict.verdict).toBe('pass');
    expect(seen).toHaveLength(3);
    for (const [m] of seen) expect(m).toMatchObject({ metric: 'success-rate', result: 'ok', value: 100 });
    expect(seen[0]![0]!.query).toContain('track="canary"');
  });

  it('a canary serving 5xx fails the check: out of range below the minimum, then the analysis fails', async () => {
    exporter.setRates('canary', { '200': 30, '500': 10 });
    try {
      const low = await measureUntil(successRate, (m) => m.result === 'out-of-range' && m.value < 80);
      expect(low.result === 'out-of-range' && low.reason).toMatch(/is below the minimum 99$/);
      const { verdict } = await analyse([successRate], { checks: 3, failureLimit: 1, noDataLimit: 0, errorLimit: 0 });
      expect(verdict).toMatchObject({ verdict: 'fail' });
      expect(verdict.verdict === 'fail' && verdict.reason).toContain(
        '2 measurements out of range, more than failureLimit 1',
      );
      // The stable track is untouched: the same query for it is in range.
      const stable = await measure(
        client,
        { ...successRate, query: successRate.query.replaceAll('canary', 'stable') },
        vars,
      );
      expect(stable).toMatchObject({ result: 'ok', value: 100 });
    } finally {
      exporter.setRates('canary', { '200': 40 });
    }
  });

  it('an unknown metric and a canary without traffic give no data; too much of it fails the analysis', async () => {
    const unknown: MetricCheck = {
      name: 'latency',
      query: 'sum(rate(http_request_duration_seconds_count{track="{{ canary }}"}[{{ interval }}]))',
      max: 1,
    };
    expect(await measure(client, unknown, vars)).toMatchObject({
      result: 'no-data',
      reason: expect.stringContaining('no series'),
    });
    const { verdict } = await analyse([unknown], { checks: 5, failureLimit: 0, noDataLimit: 2, errorLimit: 0 });
    expect(verdict.verdict === 'fail' && verdict.reason).toContain(
      '3 measurements without data, more than noDataLimit 2',
    );

    // No canary requests in the window: 0 / 0 is NaN, which is no data, not a pass.
    exporter.setRates('canary', {});
    try {
      const idle = await measureUntil(successRate, (m) => m.result === 'no-data');
      expect(idle).toMatchObject({ result: 'no-data', reason: expect.stringContaining('NaN') });
    } finally {
      exporter.setRates('canary', { '200': 40 });
    }
  });

  it('refuses a query returning several series or a range vector; counts a PromQL error as an error', async () => {
    const perTrack = { name: 'per-track', query: 'sum by (track) (rate(http_requests_total[{{ interval }}]))' };
    await expect(measure(client, perTrack, vars)).rejects.toThrow(QueryShapeError);
    await expect(measure(client, perTrack, vars)).rejects.toThrow(
      /the metric per-track's query returns 2 series \(\{track="(stable|canary)"\}, \{track="(stable|canary)"\}\)/,
    );
    const range = { name: 'raw', query: 'sum(http_requests_total)[{{ interval }}:1s]' };
    await expect(measure(client, range, vars)).rejects.toThrow(
      "the metric raw's query returns a range vector (matrix)",
    );
    const broken = await measure(
      client,
      { name: 'broken', query: 'sum(rate(http_requests_total[{{ interval }}])' },
      vars,
    );
    expect(broken).toMatchObject({ result: 'error', status: 400 });
    expect(broken.result === 'error' && broken.reason).toContain('bad_data');
  });

  it('counts a stopped Prometheus as errors, and preflight says it is unreachable', async () => {
    const other = await startPrometheus({ targets: [exporter.target], job: 'shop' });
    const gone = new PrometheusClient({ address: other.url }, { env: {} });
    await gone.preflight();
    await other.stop();
    expect(await measure(gone, successRate, vars)).toMatchObject({ result: 'error', status: 0 });
    await expect(gone.preflight()).rejects.toThrow(`cannot reach Prometheus at ${other.url}`);
  });
});
