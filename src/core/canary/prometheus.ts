import { ConfigError, KubeplanError, UsageError, type ErrorDetails } from '../errors.js';
import { proxyFetch } from '../http/proxy.js';
import { networkReason } from '../images/registry.js';
import { delayFor, mayRetry, type OnRetry, retriesStatus, type RetryPolicy, sleep } from '../http/retry-policy.js';
import { MASKED } from '../report/secret-mask.js';
import { readBoundedText } from '../http/bounded-body.js';

/** Where the canary analysis reads its metrics: a Prometheus HTTP API, with a bearer token from the environment. */
export interface PrometheusSettings {
  /** `https://prometheus.example` (a path prefix such as `/prometheus` is kept). */
  address: string;
  /** The environment variable holding a bearer token (`PROM_TOKEN`); none: no Authorization header. */
  tokenEnv?: string | undefined;
}

/**
 * Prometheus queries: one quick retry on 429/5xx (503 while it starts or is overloaded) and on a lost connection, never
 * on another 4xx. A measurement runs once per analysis interval, so a longer retry would only blur what the next
 * measurement tells anyway; an unanswered one counts as an error against the analysis' errorLimit.
 */
export const PROMETHEUS_POLICY: RetryPolicy = {
  name: 'Prometheus',
  statuses: [429],
  serverErrors: true,
  neverStatuses: [501],
  attempts: 2,
  networkAttempts: 2,
  networkBackoff: true,
  baseDelayMs: 500,
  jitter: false,
  maxDelayMs: 5_000,
  maxTotalMs: 10_000,
  honourRetryAfter: true,
  maxRateLimitWaitMs: 5_000,
};

/** Each query's own time limit (the issue's 5 s): a slow Prometheus is an error measurement, not a stalled canary. */
export const QUERY_TIMEOUT_MS = 5_000;
/** The most of a Prometheus answer kubeplan reads: an instant query for one series is a few hundred bytes. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** Prometheus refused, failed or could not be reached. `status` is 0 when no answer came. */
export class PrometheusError extends KubeplanError {
  readonly status: number;
  /** `timeout`, `network`, `http`, `answer` (not the API's envelope). */
  readonly kind: 'timeout' | 'network' | 'http' | 'answer';
  constructor(message: string, details: ErrorDetails & { status: number; kind: PrometheusError['kind'] }) {
    super(message, details);
    this.status = details.status;
    this.kind = details.kind;
  }
}

/** A query whose answer is not one number: several series, a range vector, a string. Bad input, not a measurement. */
export class QueryShapeError extends KubeplanError {}

/** One sample of an instant query's answer: a vector's series with their labels, or a scalar. */
export interface QueryAnswer {
  resultType: 'vector' | 'scalar' | 'matrix' | 'string';
  /** Vector: each series' labels and value (as Prometheus writes it: "0.98", "NaN", "+Inf"). */
  series: { labels: Record<string, string>; value: string }[];
}

export interface PrometheusClientOptions {
  /** Where the token variable and the proxy variables are read. */
  env: NodeJS.ProcessEnv;
  /** Registers the token with the run's secret mask the moment it is read (SecretMask.add). */
  mask?: ((secret: string) => void) | undefined;
  /** Defaults to proxyFetch(env): HTTPS_PROXY/NO_PROXY honoured as for every other client. */
  fetch?: typeof fetch | undefined;
  timeoutMs?: number | undefined;
  policy?: RetryPolicy | undefined;
  onRetry?: OnRetry | undefined;
  signal?: AbortSignal | undefined;
}

/** A client of the Prometheus HTTP API for instant queries (`GET /api/v1/query`). */
export class PrometheusClient {
  readonly address: string;
  private readonly base: URL;
  private readonly token: string | undefined;
  private readonly tokenEnv: string | undefined;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly onRetry: OnRetry | undefined;
  private readonly signal: AbortSignal | undefined;

  constructor(settings: PrometheusSettings, options: PrometheusClientOptions) {
    let base: URL;
    try {
      base = new URL(settings.address);
    } catch {
      base = new URL('invalid:');
    }
    if ((base.protocol !== 'http:' && base.protocol !== 'https:') || !base.hostname)
      throw new ConfigError(`the Prometheus address "${settings.address}" is not an http:// or https:// URL`, {
        hint: 'set prometheus.address like https://prometheus.example or http://prometheus.monitoring:9090',
      });
    if (base.username || base.password)
      throw new ConfigError('the Prometheus address carries credentials; they would be printed with it', {
        hint: 'remove them from prometheus.address and give a bearer token through prometheus.tokenEnv instead',
      });
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
    this.address = base.href.replace(/\/$/, '');
    this.tokenEnv = settings.tokenEnv;
    if (settings.tokenEnv !== undefined) {
      const token = options.env[settings.tokenEnv]?.trim();
      if (!token)
        throw new UsageError(`the environment variable ${settings.tokenEnv} is not set or empty`, {
          where: { variable: settings.tokenEnv },
          hint: `prometheus.tokenEnv names it for the Prometheus bearer token: set it in the job (from a CI secret), or remove tokenEnv when ${this.address} needs no token`,
        });
      options.mask?.(token);
      this.token = token;
    }
    this.fetch = options.fetch ?? proxyFetch(options.env);
    this.timeoutMs = options.timeoutMs ?? QUERY_TIMEOUT_MS;
    this.policy = options.policy ?? PROMETHEUS_POLICY;
    this.onRetry = options.onRetry;
    this.signal = options.signal;
  }

  /**
   * Checks that Prometheus answers queries with the token, before a canary writes anything: `vector(1)` must come back
   * as the number 1. A refused token, an unreachable server or something that is not the Prometheus API fails here
   * with what to do.
   */
  async preflight(): Promise<void> {
    let answer: QueryAnswer;
    try {
      answer = await this.query('vector(1)');
    } catch (error) {
      if (error instanceof PrometheusError && (error.status === 401 || error.status === 403)) {
        const refused = this.tokenEnv
          ? `the token in ${this.tokenEnv} was refused by Prometheus at ${this.address} (${error.status})`
          : `Prometheus at ${this.address} asks for credentials (${error.status}) and no token is configured`;
        throw new PrometheusError(refused, {
          where: this.tokenEnv ? { variable: this.tokenEnv } : { server: this.address },
          status: error.status,
          kind: 'http',
          hint: this.tokenEnv
            ? `check that ${this.tokenEnv} holds a current token that may query ${this.address}`
            : 'set prometheus.tokenEnv to the environment variable holding a bearer token for it',
        });
      }
      if (error instanceof PrometheusError)
        throw new PrometheusError(`Prometheus is not usable: ${error.message}`, {
          where: { server: this.address },
          status: error.status,
          kind: error.kind,
          hint: `${error.hint ?? ''} (checked with the query vector(1) before anything was written)`.trim(),
        });
      throw error;
    }
    const value = singleValue(answer, 'vector(1)');
    if (value !== 1)
      throw new PrometheusError(`Prometheus at ${this.address} answered vector(1) with ${value ?? 'no sample'}`, {
        where: { server: this.address },
        status: 200,
        kind: 'answer',
        hint: 'check that prometheus.address points at the Prometheus HTTP API (the URL before /api/v1)',
      });
  }

  /** One instant query (`GET /api/v1/query?query=…`), its answer unwrapped from the API's envelope. */
  async query(promql: string): Promise<QueryAnswer> {
    const url = new URL('api/v1/query', this.base);
    url.searchParams.set('query', promql);
    const path = new URL(url.href).pathname;
    const where = { server: this.address };
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'kubeplan' };
      if (this.token) headers.authorization = `Bearer ${this.token}`;
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const signal = this.signal ? AbortSignal.any([this.signal, timeout]) : timeout;
      let res: Response;
      let text: string;
      try {
        res = await this.fetch(url, { method: 'GET', headers, signal, redirect: 'error' });
        text = await readBounded(res);
      } catch (error) {
        if (this.signal?.aborted) throw error;
        if (timeout.aborted)
          throw new PrometheusError(`the query timed out after ${this.timeoutMs / 1000} s`, {
            where,
            status: 0,
            kind: 'timeout',
            cause: error,
            hint: 'Prometheus is overloaded or the query is too heavy: check Prometheus, or simplify the query (a recording rule)',
          });
        if (error instanceof PrometheusError) throw error;
        const reason = networkReason(error);
        const delayMs = this.policy.networkBackoff ? delayFor(this.policy, attempt) : 0;
        if (mayRetry(this.policy, attempt, 'network', waited, delayMs)) {
          this.tellRetry(path, attempt + 1, this.policy.networkAttempts, delayMs, reason);
          waited += delayMs;
          await sleep(delayMs);
          continue;
        }
        throw new PrometheusError(`cannot reach Prometheus at ${this.address} (${reason})`, {
          where,
          status: 0,
          kind: 'network',
          cause: error,
          hint: 'check prometheus.address, DNS and network access from this runner (HTTPS_PROXY/NO_PROXY)',
        });
      }
      if (res.status !== 200 && retriesStatus(this.policy, res.status)) {
        const delayMs = delayFor(this.policy, attempt, res.headers.get('retry-after'));
        if (mayRetry(this.policy, attempt, 'status', waited, delayMs)) {
          this.tellRetry(path, attempt + 1, this.policy.attempts, delayMs, String(res.status));
          waited += delayMs;
          await sleep(delayMs);
          continue;
        }
      }
      return this.unwrap(res.status, text, promql);
    }
  }

  /** The API's envelope: `{status: "success", data: {resultType, result}}` or `{status: "error", errorType, error}`. */
  private unwrap(status: number, text: string, promql: string): QueryAnswer {
    const where = { server: this.address };
    let body: {
      status?: unknown;
      data?: { resultType?: unknown; result?: unknown };
      errorType?: unknown;
      error?: unknown;
    };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = {};
    }
    const notTheApi = status === 200 && body.status !== 'success' && body.status !== 'error';
    if (!notTheApi && (status !== 200 || body.status !== 'success')) {
      const said = typeof body.error === 'string' ? body.error : text.replace(/\s+/g, ' ').trim();
      const type = typeof body.errorType === 'string' ? `${body.errorType}: ` : '';
      const detail = this.scrub(`${type}${said}`).slice(0, 300);
      throw new PrometheusError(
        `Prometheus answered ${status}${detail ? ` (${detail})` : ''} to the query ${oneLineQuery(promql)}`,
        { where, status, kind: 'http', hint: statusHint(status) },
      );
    }
    const type = body.data?.resultType;
    const result = body.data?.result;
    if (type === 'vector' && Array.isArray(result)) {
      return {
        resultType: 'vector',
        series: result.map((s: { metric?: Record<string, string>; value?: [number, string] }) => ({
          labels: s.metric ?? {},
          value: String(s.value?.[1]),
        })),
      };
    }
    if (type === 'scalar' && Array.isArray(result))
      return { resultType: 'scalar', series: [{ labels: {}, value: String(result[1]) }] };
    if (type === 'matrix' || type === 'string') return { resultType: type, series: [] };
    throw new PrometheusError(
      `Prometheus answered the query ${oneLineQuery(promql)} with something that is not a query result`,
      {
        where,
        status,
        kind: 'answer',
        hint: 'check that prometheus.address points at the Prometheus HTTP API (the URL before /api/v1)',
      },
    );
  }

  /** A server's words with the token taken out (an echoing proxy or a hostile server could repeat the header). */
  private scrub(text: string): string {
    return this.token ? text.split(this.token).join(MASKED) : text;
  }

  private tellRetry(path: string, attempt: number, attempts: number, delayMs: number, reason: string): void {
    this.onRetry?.({ policy: this.policy.name, method: 'GET', path, attempt, attempts, delayMs, reason });
  }
}

/**
 * The one number an analysis query must give: a vector of at most one series, or a scalar. Undefined for an empty
 * vector (no data). Several series, a range vector (matrix) or a string are bad queries: QueryShapeError.
 */
export function singleValue(answer: QueryAnswer, promql: string, metric?: string): number | undefined {
  const named = metric ? `the metric ${metric}'s query` : `the query ${oneLineQuery(promql)}`;
  if (answer.resultType === 'matrix')
    throw new QueryShapeError(`${named} returns a range vector (matrix); an analysis needs one number`, {
      hint: 'wrap the range selector in a function such as rate(...[1m]) or avg_over_time(...[1m]), and aggregate with sum(...)',
    });
  if (answer.resultType === 'string')
    throw new QueryShapeError(`${named} returns a string; an analysis needs one number`, {
      hint: 'make the query return a number, such as sum(rate(http_requests_total[1m]))',
    });
  if (answer.series.length > 1) {
    const shown = answer.series
      .slice(0, 3)
      .map(
        (s) =>
          `{${Object.entries(s.labels)
            .map(([k, v]) => `${k}="${v}"`)
            .join(', ')}}`,
      )
      .join(', ');
    throw new QueryShapeError(
      `${named} returns ${answer.series.length} series (${shown}${answer.series.length > 3 ? ', …' : ''}); an analysis needs one number`,
      { hint: 'aggregate them into one with sum(...), avg(...) or max(...), or select one with more labels' },
    );
  }
  if (answer.series.length === 0) return undefined;
  return parseSample(answer.series[0]!.value);
}

/** A sample as Prometheus writes it ("0.98", "NaN", "+Inf", "-Inf") as a number. */
function parseSample(value: string): number {
  if (value === '+Inf' || value === 'Inf') return Number.POSITIVE_INFINITY;
  if (value === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(value);
}

/** The variables a metric's query may use: `{{ canary }}`, `{{ stable }}`, `{{ namespace }}`, `{{ interval }}`. */
export interface QueryVariables {
  canary: string;
  stable: string;
  namespace: string;
  /** A PromQL duration: `1m`, `30s`. */
  interval: string;
}

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)?\s*\}\}/g;

/**
 * A metric's query with its `{{ variable }}` placeholders filled in. An unknown name, or a value that could break out
 * of a PromQL string or selector, is a ConfigError naming the metric.
 */
export function renderQuery(template: string, vars: QueryVariables, metric: string): string {
  const known = Object.keys(vars) as (keyof QueryVariables)[];
  for (const [name, value] of Object.entries(vars)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(value))
      throw new ConfigError(`the value of {{ ${name} }} for the metric ${metric}, "${value}", cannot go into a query`, {
        hint: 'names and durations only (letters, digits, - _ . :)',
      });
  }
  return template.replace(VARIABLE, (whole, name: string | undefined) => {
    if (name === undefined || !known.includes(name as keyof QueryVariables))
      throw new ConfigError(`the metric ${metric}'s query uses ${whole}, which kubeplan does not know`, {
        hint: `use one of ${known.map((k) => `{{ ${k} }}`).join(', ')}`,
      });
    return vars[name as keyof QueryVariables];
  });
}

/** A metric of the analysis: its query and the range a measurement must be in. */
export interface MetricCheck {
  name: string;
  query: string;
  min?: number | undefined;
  max?: number | undefined;
}

/** What one measurement of one metric says. */
export type Measurement =
  | { metric: string; query: string; result: 'ok'; value: number }
  | { metric: string; query: string; result: 'out-of-range'; value: number; reason: string }
  | { metric: string; query: string; result: 'no-data'; reason: string }
  | { metric: string; query: string; result: 'error'; reason: string; status: number };

/**
 * Measures one metric: its query rendered with `vars`, asked once, the answer classified: ok, out of range (below
 * `min` or above `max`), no data (an empty vector or NaN), or error (Prometheus refused the query, failed, timed out or
 * was unreachable). A query that returns several series or a range vector is bad input and throws QueryShapeError.
 */
export async function measure(
  client: PrometheusClient,
  metric: MetricCheck,
  vars: QueryVariables,
): Promise<Measurement> {
  const query = renderQuery(metric.query, vars, metric.name);
  const base = { metric: metric.name, query };
  let answer: QueryAnswer;
  try {
    answer = await client.query(query);
  } catch (error) {
    if (error instanceof PrometheusError)
      return { ...base, result: 'error', reason: error.message, status: error.status };
    throw error;
  }
  const value = singleValue(answer, query, metric.name);
  if (value === undefined)
    return { ...base, result: 'no-data', reason: 'the query returned no series (an empty vector)' };
  if (Number.isNaN(value))
    return { ...base, result: 'no-data', reason: 'the query returned NaN (no requests to divide?)' };
  if (metric.min !== undefined && value < metric.min)
    return {
      ...base,
      result: 'out-of-range',
      value,
      reason: `${formatValue(value)} is below the minimum ${metric.min}`,
    };
  if (metric.max !== undefined && value > metric.max)
    return {
      ...base,
      result: 'out-of-range',
      value,
      reason: `${formatValue(value)} is above the maximum ${metric.max}`,
    };
  return { ...base, result: 'ok', value };
}

function formatValue(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value);
}

function statusHint(status: number): string {
  if (status === 400 || status === 422)
    return 'Prometheus could not run the query: check its PromQL (try it in the Prometheus UI with the {{ }} values filled in)';
  if (status === 401 || status === 403) return 'check the token (prometheus.tokenEnv) and its rights';
  if (status === 404) return 'check that prometheus.address points at the Prometheus HTTP API (the URL before /api/v1)';
  if (status === 503) return 'Prometheus is starting, overloaded or the query was cancelled: check Prometheus';
  return 'check Prometheus and its logs';
}

function oneLineQuery(promql: string): string {
  const line = promql.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

function readBounded(res: Response): Promise<string> {
  return readBoundedText(
    res,
    MAX_ANSWER_BYTES,
    () =>
      new PrometheusError(`the answer is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB; kubeplan stopped reading`, {
        status: res.status,
        kind: 'answer',
        hint: 'an analysis query returns one number: aggregate the query with sum(...) or avg(...)',
      }),
  );
}
