import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRound, type AnalysisLimits, NO_COUNTS, nextStep } from '../../src/core/canary/analysis.js';
import {
  type Measurement,
  measure,
  PrometheusClient,
  PrometheusError,
  QueryShapeError,
  renderQuery,
} from '../../src/core/canary/prometheus.js';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import type { RetryNotice } from '../../src/core/http/retry-policy.js';
import { SecretMask } from '../../src/core/report/secret-mask.js';
import { startRecordingProxy } from '../harness/recording-proxy.js';

/**
 * A scripted server speaking the Prometheus HTTP API: each query text maps to what the server answers, so the client's
 * handling of envelopes, statuses, NaN, empty vectors and matrices is tested without a real Prometheus (the real one is
 * in test/integration/prometheus.test.ts).
 */
type Script = (req: IncomingMessage, res: ServerResponse, query: string) => void;
let server: Server;
let address: string;
let script: Script = () => {};
const seen: { query: string; authorization: string | undefined }[] = [];

const vector = (...values: (string | { labels: Record<string, string>; value: string })[]) =>
  JSON.stringify({
    status: 'success',
    data: {
      resultType: 'vector',
      result: values.map((v) =>
        typeof v === 'string'
          ? { metric: {}, value: [1_700_000_000, v] }
          : { metric: v.labels, value: [1_700_000_000, v.value] },
      ),
    },
  });
const send = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
};
const apiError = (errorType: string, error: string) => JSON.stringify({ status: 'error', errorType, error });

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = url.searchParams.get('query') ?? '';
    seen.push({ query, authorization: req.headers.authorization });
    if (url.pathname !== '/api/v1/query') return send(res, 404, '404 page not found');
    script(req, res, query);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const vars = { canary: 'shop-canary', stable: 'shop-stable', namespace: 'shop', interval: '1m' };
const client = (
  o: { env?: NodeJS.ProcessEnv; tokenEnv?: string; timeoutMs?: number; onRetry?: (n: RetryNotice) => void } = {},
) =>
  new PrometheusClient(
    { address, tokenEnv: o.tokenEnv },
    { env: o.env ?? {}, timeoutMs: o.timeoutMs, onRetry: o.onRetry },
  );

describe('Prometheus client: measurements against a scripted Prometheus API', () => {
  it('classifies a value in range as ok, below min / above max as out of range, and fills the query template', async () => {
    script = (_req, res, q) => send(res, 200, vector(q.includes('errors') ? '7.5' : '99.6'));
    const ok = await measure(
      client(),
      { name: 'success-rate', query: 'sum(rate(x{job="{{ canary }}",ns="{{namespace}}"}[{{ interval }}]))', min: 99 },
      vars,
    );
    expect(ok).toMatchObject({ result: 'ok', value: 99.6, query: 'sum(rate(x{job="shop-canary",ns="shop"}[1m]))' });
    expect(seen.at(-1)!.query).toBe('sum(rate(x{job="shop-canary",ns="shop"}[1m]))');
    const low = await measure(client(), { name: 'success-rate', query: 'q', min: 99.9 }, vars);
    expect(low).toMatchObject({ result: 'out-of-range', value: 99.6, reason: '99.6 is below the minimum 99.9' });
    const high = await measure(client(), { name: 'errors', query: 'errors', max: 5 }, vars);
    expect(high).toMatchObject({ result: 'out-of-range', value: 7.5, reason: '7.5 is above the maximum 5' });
  });

  it('counts an empty vector and NaN as no data; a scalar answer is a value', async () => {
    script = (_req, res) => send(res, 200, vector());
    expect(await measure(client(), { name: 'm', query: 'absent_metric', min: 1 }, vars)).toMatchObject({
      result: 'no-data',
      reason: expect.stringContaining('empty vector'),
    });
    script = (_req, res) => send(res, 200, vector('NaN'));
    expect(await measure(client(), { name: 'm', query: '0/0', min: 1 }, vars)).toMatchObject({
      result: 'no-data',
      reason: expect.stringContaining('NaN'),
    });
    script = (_req, res) =>
      send(res, 200, JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '42'] } }));
    expect(await measure(client(), { name: 'm', query: 'scalar(x)', max: 50 }, vars)).toMatchObject({
      result: 'ok',
      value: 42,
    });
  });

  it('counts 400, 422 and 503 answers as errors with what Prometheus said; 503 is retried once first', async () => {
    script = (_req, res) => send(res, 400, apiError('bad_data', '1:5: parse error: unexpected "}"'));
    expect(await measure(client(), { name: 'm', query: 'sum(x}', min: 1 }, vars)).toMatchObject({
      result: 'error',
      status: 400,
      reason: expect.stringContaining('bad_data: 1:5: parse error: unexpected "}"'),
    });
    script = (_req, res) => send(res, 422, apiError('execution', 'query processing would load too many samples'));
    expect(await measure(client(), { name: 'm', query: 'q', min: 1 }, vars)).toMatchObject({
      result: 'error',
      status: 422,
      reason: expect.stringContaining('too many samples'),
    });
    const retries: RetryNotice[] = [];
    let calls = 0;
    script = (_req, res) => {
      calls++;
      send(res, 503, apiError('unavailable', 'query queue full'));
    };
    const unavailable = await measure(client({ onRetry: (n) => retries.push(n) }), { name: 'm', query: 'q' }, vars);
    expect(unavailable).toMatchObject({ result: 'error', status: 503 });
    expect(calls).toBe(2);
    expect(retries).toEqual([expect.objectContaining({ policy: 'Prometheus', attempt: 2, reason: '503' })]);
    // A 503 that clears on the retry is a measurement.
    calls = 0;
    script = (_req, res) =>
      ++calls === 1 ? send(res, 503, apiError('unavailable', 'starting')) : send(res, 200, vector('100'));
    expect(await measure(client(), { name: 'm', query: 'q', min: 99 }, vars)).toMatchObject({
      result: 'ok',
      value: 100,
    });
  });

  it('counts a query slower than the time limit and a refused connection as errors', async () => {
    script = (_req, res) => setTimeout(() => send(res, 200, vector('1')), 1500).unref();
    const slow = await measure(client({ timeoutMs: 300 }), { name: 'm', query: 'q' }, vars);
    expect(slow).toMatchObject({ result: 'error', status: 0, reason: 'the query timed out after 0.3 s' });

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const nobody = new PrometheusClient({ address: `http://127.0.0.1:${port}` }, { env: {} });
    const refused = await measure(nobody, { name: 'm', query: 'q' }, vars);
    expect(refused).toMatchObject({ result: 'error', status: 0 });
    expect(refused.result === 'error' && refused.reason).toContain('ECONNREFUSED');
  });

  it('refuses a query that returns several series or a range vector, naming the metric and what to do', async () => {
    script = (_req, res) =>
      send(res, 200, vector({ labels: { track: 'stable' }, value: '1' }, { labels: { track: 'canary' }, value: '2' }));
    const several = await measure(client(), { name: 'success-rate', query: 'q' }, vars).catch((e: unknown) => e);
    expect(several).toBeInstanceOf(QueryShapeError);
    expect((several as QueryShapeError).message).toBe(
      `the metric success-rate's query returns 2 series ({track="stable"}, {track="canary"}); an analysis needs one number`,
    );
    expect((several as QueryShapeError).hint).toContain('sum(...)');
    script = (_req, res) =>
      send(
        res,
        200,
        JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [] }] } }),
      );
    const matrix = await measure(client(), { name: 'latency', query: 'x[1m]' }, vars).catch((e: unknown) => e);
    expect(matrix).toBeInstanceOf(QueryShapeError);
    expect((matrix as QueryShapeError).message).toContain("the metric latency's query returns a range vector (matrix)");
  });

  it('refuses an unknown template variable and values that could break out of the query', () => {
    expect(() => renderQuery('x{job="{{ canry }}"}', vars, 'success-rate')).toThrow(ConfigError);
    expect(() => renderQuery('x{job="{{ canry }}"}', vars, 'success-rate')).toThrow(
      "the metric success-rate's query uses {{ canry }}, which kubeplan does not know",
    );
    expect(() => renderQuery('x{job="{{ canary }}"}', { ...vars, canary: 'a"} or vector(1) #' }, 'm')).toThrow(
      ConfigError,
    );
    expect(renderQuery('{{stable}} {{  interval  }}', vars, 'm')).toBe('shop-stable 1m');
  });
});

describe('Prometheus client: preflight and the token', () => {
  it('passes when vector(1) answers 1, sending the token from the named variable and never printing it', async () => {
    const mask = new SecretMask();
    script = (req, res) =>
      req.headers.authorization === 'Bearer s3cret-prom-token' ? send(res, 200, vector('1')) : send(res, 401, 'no');
    const c = new PrometheusClient(
      { address, tokenEnv: 'PROM_TOKEN' },
      { env: { PROM_TOKEN: 's3cret-prom-token' }, mask: (s) => mask.add(s) },
    );
    await c.preflight();
    expect(seen.at(-1)).toEqual({ query: 'vector(1)', authorization: 'Bearer s3cret-prom-token' });
    expect(mask.mask('x s3cret-prom-token y')).toBe('x *** y');
  });

  it('goes through the proxy of HTTP_PROXY / HTTPS_PROXY like every other client', async () => {
    const proxy = await startRecordingProxy({ hosts: { 'prometheus.example': '127.0.0.1' } });
    try {
      script = (_req, res) => send(res, 200, vector('1'));
      const port = new URL(address).port;
      const c = new PrometheusClient(
        { address: `http://prometheus.example:${port}` },
        { env: { HTTP_PROXY: proxy.url, NO_PROXY: 'other.example' } },
      );
      await c.preflight();
      expect(proxy.to(`prometheus.example:${port}`)).toEqual([
        expect.objectContaining({ method: 'GET', path: '/api/v1/query?query=vector%281%29' }),
      ]);
    } finally {
      await proxy.stop();
    }
  });

  it('says the token in PROM_TOKEN was refused on 401 and 403, without the token', async () => {
    for (const status of [401, 403]) {
      // A hostile or echoing server repeats the header in its answer.
      script = (req, res) => send(res, status, `denied: ${req.headers.authorization}`);
      const c = client({ env: { PROM_TOKEN: 's3cret-prom-token' }, tokenEnv: 'PROM_TOKEN' });
      const error = (await c.preflight().catch((e: unknown) => e)) as PrometheusError;
      expect(error).toBeInstanceOf(PrometheusError);
      expect(error.format()).toContain(
        `environment variable PROM_TOKEN: the token in PROM_TOKEN was refused by Prometheus at ${address} (${status})`,
      );
      expect(error.hint).toContain('check that PROM_TOKEN holds a current token');
      expect(error.format()).not.toContain('s3cret-prom-token');
      const query = (await c.query('q').catch((e: unknown) => e)) as PrometheusError;
      expect(query.message).toContain('denied: Bearer ***');
      expect(query.message).not.toContain('s3cret-prom-token');
    }
  });

  it('fails preflight clearly when Prometheus is unreachable, answers something else, or the variable is unset', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = await new PrometheusClient({ address: `http://127.0.0.1:${port}` }, { env: {} })
      .preflight()
      .catch((e: unknown) => e);
    expect(down).toBeInstanceOf(PrometheusError);
    expect((down as PrometheusError).format()).toContain(
      `Prometheus is not usable: cannot reach Prometheus at http://127.0.0.1:${port} (ECONNREFUSED: nothing listens there)`,
    );
    expect((down as PrometheusError).hint).toContain('before anything was written');

    script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    };
    const html = (await client()
      .preflight()
      .catch((e: unknown) => e)) as PrometheusError;
    expect(html.message).toContain('with something that is not a query result');
    expect(html.message).not.toContain('bug');

    script = (_req, res) => send(res, 200, vector('0'));
    await expect(client().preflight()).rejects.toThrow('answered vector(1) with 0');

    expect(() => client({ tokenEnv: 'PROM_TOKEN', env: {} })).toThrow(UsageError);
    expect(() => client({ tokenEnv: 'PROM_TOKEN', env: {} })).toThrow(
      'the environment variable PROM_TOKEN is not set or empty',
    );
    expect(() => new PrometheusClient({ address: 'prometheus:9090' }, { env: {} })).toThrow(ConfigError);
    expect(() => new PrometheusClient({ address: 'https://u:pw@prom.example' }, { env: {} })).toThrow(
      'the Prometheus address carries credentials',
    );
  });
});

describe('analysis counter', () => {
  const m = (result: Measurement['result']): Measurement =>
    result === 'ok'
      ? { metric: 'sr', query: 'q', result, value: 100 }
      : result === 'error'
        ? { metric: 'sr', query: 'q', result, reason: 'boom', status: 503 }
        : result === 'out-of-range'
          ? { metric: 'sr', query: 'q', result, value: 1, reason: '1 is below the minimum 99' }
          : { metric: 'sr', query: 'q', result, reason: 'empty' };
  const limits: AnalysisLimits = { checks: 3, failureLimit: 1, noDataLimit: 1, errorLimit: 2 };
  const play = (rounds: Measurement['result'][][], l = limits, start = NO_COUNTS) => {
    let counters = start;
    const verdicts: string[] = [];
    for (const r of rounds) {
      const v = countRound(l, counters, r.map(m));
      counters = v.counters;
      verdicts.push(v.verdict);
    }
    return { verdicts, counters };
  };

  it('passes a step after `checks` good rounds and continues before', () => {
    expect(play([['ok'], ['ok'], ['ok']]).verdicts).toEqual(['continue', 'continue', 'pass']);
  });

  it('tolerates failureLimit out-of-range measurements over the canary, across steps, and fails on the next', () => {
    // A tolerated out-of-range round is still a check of the step.
    const first = play([['ok'], ['out-of-range'], ['ok']]);
    expect(first.verdicts).toEqual(['continue', 'continue', 'pass']);
    const second = countRound(limits, nextStep(first.counters), [m('out-of-range')]);
    expect(second).toMatchObject({ verdict: 'fail' });
    expect(second.verdict === 'fail' && second.reason).toContain(
      '2 measurements out of range, more than failureLimit 1',
    );
    // failureLimit 0: the first one fails.
    expect(play([['out-of-range']], { ...limits, failureLimit: 0 }).verdicts).toEqual(['fail']);
  });

  it('counts no data separately from failures', () => {
    expect(play([['no-data'], ['out-of-range'], ['ok']]).verdicts).toEqual(['continue', 'continue', 'pass']);
    expect(play([['no-data'], ['no-data']]).verdicts).toEqual(['continue', 'fail']);
  });

  it('fails only after more than errorLimit errors in a row; an error round is measured again, not counted as a check', () => {
    expect(play([['error'], ['error'], ['ok'], ['error'], ['error'], ['ok'], ['ok']]).verdicts).toEqual([
      'continue',
      'continue',
      'continue',
      'continue',
      'continue',
      'continue',
      'pass',
    ]);
    const down = play([['error'], ['error'], ['error']]);
    expect(down.verdicts).toEqual(['continue', 'continue', 'fail']);
    expect(down.counters.stepChecks).toBe(0);
  });

  it('counts every metric of a round', () => {
    expect(play([['ok', 'out-of-range', 'out-of-range']]).verdicts).toEqual(['fail']);
    expect(play([['ok', 'error']]).counters).toMatchObject({ stepChecks: 0, consecutiveErrors: 1 });
  });
});
