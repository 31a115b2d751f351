/**
 * kubeplan.yaml `targets[].canary` (#19): the block as the schema lets it through, checked and resolved into a
 * CanaryConfig. Each problem is a ConfigError at the line of the key it is about, with what to do; all of them are
 * collected in one pass, next to the other problems of the file.
 */
import { renderQuery } from '../canary/prometheus.js';
import type { CanaryStep } from '../canary/machine.js';
import type { TrafficSpec } from '../canary/traffic.js';
import { parseDurationText } from '../duration.js';
import { ConfigError, type FileWhere, formatWhere, KubeplanError } from '../errors.js';
import type { CanaryConfig } from './types.js';

/** The raw shape after schema validation (see `definitions.canary` in kubeplan.schema.json). */
export interface RawCanary {
  workload: { kind: string; name: string };
  service: string;
  traffic: {
    gatewayAPI?: { route: string };
    istio?: { virtualService: string };
    replicas?: Record<string, never>;
  };
  steps: { weight?: number; pause?: string; approve?: boolean }[];
  analysis: {
    interval?: string;
    checks?: number;
    failureLimit?: number;
    noDataLimit?: number;
    errorLimit?: number;
    prometheus: { address: string; tokenEnv?: string };
    metrics: { name: string; query: string; min?: number; max?: number }[];
  };
  timeout?: string;
  maxUnattended?: string;
}

/** What the canary needs to know of its target and of the file. */
export interface CanaryContext {
  target: string;
  namespace: string | undefined;
  /** `apply.rollback` as written; undefined when it is not. */
  rollback: boolean | undefined;
  /** The target names clusters, or the file has top-level `clusters`. */
  clusters: 'target' | 'file' | undefined;
  /** `kubeplan.yaml:LINE` of a key below the target: `at('canary', 'steps', 0)`. */
  at: (...rest: (string | number)[]) => FileWhere;
}

export const CANARY_DEFAULTS = {
  interval: '1m',
  checks: 3,
  failureLimit: 0,
  noDataLimit: 2,
  errorLimit: 4,
  timeout: '1h',
  maxUnattended: '30m',
} as const;

/** Sample values for the `{{ }}` placeholders: a query is rendered once at load time so an unknown name fails now. */
const SAMPLE_VARIABLES = { canary: 'shop-canary', stable: 'shop-stable', namespace: 'shop', interval: '1m' };

// Kubernetes names: a Service name is a DNS-1035 label, other objects' names DNS-1123 subdomains.
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const METRIC_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
/** PromQL's duration syntax (as in `rate(x[1m30s])`): whole numbers, units largest first. */
const PROMQL_DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** `targets[].canary` resolved, or undefined after pushing every problem found onto `errors`. */
export function readCanary(raw: RawCanary, ctx: CanaryContext, errors: ConfigError[]): CanaryConfig | undefined {
  const before = errors.length;
  const label = `target "${ctx.target}"`;
  const at = (...rest: (string | number)[]) => ctx.at('canary', ...rest);
  const fail = (message: string, where: FileWhere, hint: string) =>
    errors.push(new ConfigError(`${label}: ${message}`, { where, hint }));

  checkTarget(ctx, at, fail);
  if (raw.workload.kind !== 'Deployment')
    fail(
      `canary.workload.kind ${JSON.stringify(raw.workload.kind)} cannot run as a kubeplan canary; only a Deployment can`,
      at('workload', 'kind'),
      'name a Deployment; an Argo Rollouts Rollout or a Flagger canary keeps its own controller: remove canary, and kubeplan applies it and reads its health as it is',
    );
  checkName(raw.workload.name, 'workload', 'canary.workload.name', at('workload', 'name'), fail);
  checkName(raw.service, 'service', 'canary.service', at('service'), fail);
  const traffic = readTraffic(raw.traffic, at, fail);
  const steps = readSteps(raw.steps, at, fail);
  const analysis = readAnalysis(raw.analysis, at, fail, errors);
  const timeoutMs = readDuration(raw.timeout ?? CANARY_DEFAULTS.timeout, 'canary.timeout', at('timeout'), fail);
  const maxUnattendedMs = readDuration(
    raw.maxUnattended ?? CANARY_DEFAULTS.maxUnattended,
    'canary.maxUnattended',
    at('maxUnattended'),
    fail,
  );
  if (timeoutMs === 0)
    fail('canary.timeout must be longer than 0s', at('timeout'), 'set how long the whole canary may take, such as 1h');
  if (maxUnattendedMs === 0)
    fail(
      'canary.maxUnattended must be longer than 0s',
      at('maxUnattended'),
      'set how long a canary may go without a run looking after it, such as 30m',
    );
  if (errors.length > before || !traffic || !analysis || timeoutMs === undefined || maxUnattendedMs === undefined)
    return undefined;
  return {
    workload: { kind: 'Deployment', name: raw.workload.name },
    service: raw.service,
    traffic,
    steps,
    analysis,
    timeoutMs,
    maxUnattendedMs,
    where: at(),
  };
}

type At = (...rest: (string | number)[]) => FileWhere;
type Fail = (message: string, where: FileWhere, hint: string) => void;

/** What the target around the canary must have: a rollback revision, a namespace, one cluster. */
function checkTarget(ctx: CanaryContext, at: At, fail: Fail): void {
  if (ctx.rollback !== true)
    fail(
      'a canary needs apply.rollback: true',
      ctx.rollback === false ? ctx.at('apply', 'rollback') : at(),
      "set apply: {rollback: true}: the canary's stable version is the target's last good revision, which rollback keeps",
    );
  if (ctx.namespace === undefined)
    fail(
      'a canary needs the target to have a namespace',
      at(),
      "add namespace: (the workload's namespace): the canary's state is kept there, next to the target's inventory",
    );
  if (ctx.clusters !== undefined)
    fail(
      `a canary runs in a single-cluster kubeplan.yaml for now, and ${ctx.clusters === 'target' ? 'this target names clusters' : 'this one has top-level clusters'}`,
      at(),
      'give each cluster a kubeplan.yaml of its own without clusters: (one CI job per cluster, kubeplan --config FILE), or remove canary from this target',
    );
}

const NAMES = {
  // `<service>-stable` and `<service>-canary` must be Service names too.
  service: {
    pattern: DNS_LABEL,
    max: 63 - '-canary'.length,
    what: 'a Service name kubeplan can derive -stable and -canary from',
    chars: 'lower-case letters, digits and dashes, starting with a letter',
  },
  workload: {
    pattern: DNS_SUBDOMAIN,
    max: 253 - '-canary'.length,
    what: 'a Deployment name kubeplan can add -canary to',
    chars: 'lower-case letters, digits, dashes and dots',
  },
  route: {
    pattern: DNS_SUBDOMAIN,
    max: 253,
    what: 'a Kubernetes object name',
    chars: 'lower-case letters, digits, dashes and dots',
  },
};

/** The name of an object kubeplan looks up in the target's render. */
function checkName(name: string, kind: keyof typeof NAMES, key: string, where: FileWhere, fail: Fail): void {
  const rule = NAMES[kind];
  if (rule.pattern.test(name) && name.length <= rule.max) return;
  fail(
    `${key} ${JSON.stringify(name)} is not ${rule.what}`,
    where,
    `write the name as the target renders it: ${rule.chars}, at most ${rule.max} characters`,
  );
}

function readTraffic(raw: RawCanary['traffic'], at: At, fail: Fail): TrafficSpec | undefined {
  const modes = (['gatewayAPI', 'istio', 'replicas'] as const).filter((m) => raw[m] !== undefined);
  const hint = 'set exactly one of gatewayAPI: {route: NAME}, istio: {virtualService: NAME} or replicas: {}';
  if (modes.length === 0) {
    fail('canary.traffic says no way to split the traffic', at('traffic'), hint);
    return undefined;
  }
  if (modes.length > 1) {
    fail(
      `canary.traffic sets ${modes.join(' and ')}; a canary splits its traffic one way`,
      at('traffic', modes[1]!),
      hint,
    );
    return undefined;
  }
  if (raw.gatewayAPI) {
    const route = raw.gatewayAPI.route;
    checkName(route, 'route', 'canary.traffic.gatewayAPI.route', at('traffic', 'gatewayAPI', 'route'), fail);
    return { mode: 'gatewayAPI', route };
  }
  if (raw.istio) {
    const virtualService = raw.istio.virtualService;
    const where = at('traffic', 'istio', 'virtualService');
    checkName(virtualService, 'route', 'canary.traffic.istio.virtualService', where, fail);
    return { mode: 'istio', virtualService };
  }
  return { mode: 'replicas' };
}

function readSteps(raw: RawCanary['steps'], at: At, fail: Fail): CanaryStep[] {
  if (raw.length === 0)
    fail(
      'canary.steps is empty',
      at('steps'),
      'list at least one step, such as {weight: 10, pause: 5m}, {weight: 50} or {approve: true}',
    );
  const steps: CanaryStep[] = [];
  let previous: { weight: number; index: number } | undefined;
  raw.forEach((s, j) => {
    const key = `canary.steps[${j}]`;
    if (s.approve !== undefined) {
      if (s.approve !== true)
        fail(
          `${key} has approve: false`,
          at('steps', j, 'approve'),
          'write approve: true for a manual gate, or remove approve',
        );
      else if (s.weight !== undefined || s.pause !== undefined)
        fail(
          `${key} is an approval gate with ${s.weight !== undefined ? 'a weight' : 'a pause'}`,
          at('steps', j, s.weight !== undefined ? 'weight' : 'pause'),
          'put {approve: true} in a step of its own, before or after the weighted step',
        );
      else steps.push({ approve: true });
      return;
    }
    if (s.weight === undefined) {
      fail(
        s.pause !== undefined ? `${key} has a pause and no weight` : `${key} is empty`,
        at('steps', j),
        'a step is {weight: PERCENT} with an optional pause (such as {weight: 20, pause: 5m}), or {approve: true}',
      );
      return;
    }
    const weight = s.weight;
    if (!Number.isInteger(weight) || weight < 1 || weight > 100) {
      fail(
        `${key}.weight must be a whole number from 1 to 100, not ${weight}`,
        at('steps', j, 'weight'),
        'write the percent of the traffic the canary gets in this step',
      );
      return;
    }
    if (previous && weight < previous.weight)
      fail(
        `${key}.weight ${weight} is lower than the weight ${previous.weight} of canary.steps[${previous.index}]`,
        at('steps', j, 'weight'),
        'order the weighted steps by growing weight: a canary only ever gets more of the traffic (a failed analysis rolls it back)',
      );
    previous = { weight, index: j };
    const pauseMs =
      s.pause === undefined ? undefined : readDuration(s.pause, `${key}.pause`, at('steps', j, 'pause'), fail);
    steps.push(pauseMs === undefined ? { weight } : { weight, pauseMs });
  });
  return steps;
}

function readAnalysis(
  raw: RawCanary['analysis'],
  at: At,
  fail: Fail,
  errors: ConfigError[],
): CanaryConfig['analysis'] | undefined {
  const before = errors.length;
  const interval = raw.interval ?? CANARY_DEFAULTS.interval;
  const intervalMs = promqlDurationMs(interval);
  if (intervalMs === undefined || intervalMs < 1000)
    fail(
      `canary.analysis.interval must be a PromQL duration of at least 1s, such as 30s, 1m or 1m30s, not ${JSON.stringify(interval)}`,
      at('analysis', 'interval'),
      'write whole numbers with the units h, m, s or ms, largest first: the interval is also {{ interval }} in the queries',
    );
  const whole = (
    key: 'checks' | 'failureLimit' | 'noDataLimit' | 'errorLimit',
    least: number,
    hint: string,
  ): number => {
    const value = raw[key] ?? CANARY_DEFAULTS[key];
    if (!Number.isInteger(value) || value < least)
      fail(
        `canary.analysis.${key} must be a whole number of at least ${least}, not ${value}`,
        at('analysis', key),
        hint,
      );
    return value;
  };
  const limits = {
    checks: whole('checks', 1, 'set how many measurement rounds a step needs to pass (default 3)'),
    failureLimit: whole('failureLimit', 0, 'set how many out-of-range measurements the canary tolerates (default 0)'),
    noDataLimit: whole('noDataLimit', 0, 'set how many measurements without data the canary tolerates (default 2)'),
    errorLimit: whole(
      'errorLimit',
      0,
      'set how many rounds in a row with a query error the canary tolerates (default 4)',
    ),
  };
  const prometheus = readPrometheus(raw.prometheus, at, fail);
  const metrics = readMetrics(raw.metrics, intervalMs === undefined ? SAMPLE_VARIABLES.interval : interval, at, fail);
  if (errors.length > before || intervalMs === undefined) return undefined;
  return { intervalMs, interval, limits, prometheus, metrics };
}

function readPrometheus(raw: RawCanary['analysis']['prometheus'], at: At, fail: Fail) {
  const where = at('analysis', 'prometheus', 'address');
  let url: URL | undefined;
  try {
    url = new URL(raw.address);
  } catch {
    url = undefined;
  }
  // The address is never printed: it may carry a password.
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname)
    fail(
      'canary.analysis.prometheus.address is not an http:// or https:// URL',
      where,
      'write the URL of the Prometheus HTTP API (the part before /api/v1), such as https://prometheus.example or http://prometheus.monitoring:9090',
    );
  else if (url.username || url.password)
    fail(
      'canary.analysis.prometheus.address carries credentials (user:password@); kubeplan.yaml is no place for them, and they would be printed with the address',
      where,
      'remove them from the address, put a bearer token in a CI secret and name its environment variable in prometheus.tokenEnv',
    );
  if (raw.tokenEnv !== undefined && !ENV_NAME.test(raw.tokenEnv))
    fail(
      `canary.analysis.prometheus.tokenEnv ${JSON.stringify(raw.tokenEnv)} is not an environment variable name`,
      at('analysis', 'prometheus', 'tokenEnv'),
      'name the variable that holds the token (letters, digits and _, not starting with a digit), such as PROM_TOKEN; never the token itself',
    );
  return raw.tokenEnv === undefined ? { address: raw.address } : { address: raw.address, tokenEnv: raw.tokenEnv };
}

function readMetrics(raw: RawCanary['analysis']['metrics'], interval: string, at: At, fail: Fail) {
  if (raw.length === 0)
    fail(
      'canary.analysis.metrics is empty',
      at('analysis', 'metrics'),
      'list at least one metric: name, a query returning one number, and min and/or max',
    );
  const seen = new Map<string, number>();
  return raw.map((m, k) => {
    const key = `canary.analysis.metrics[${k}]`;
    const here = (...rest: string[]) => at('analysis', 'metrics', k, ...rest);
    const shown = METRIC_NAME.test(m.name) ? m.name : key;
    if (!METRIC_NAME.test(m.name))
      fail(
        `${key}.name ${JSON.stringify(m.name)} is not a metric name`,
        here('name'),
        'use letters, digits, -, _ and ., starting and ending with a letter or digit, at most 63 characters',
      );
    const first = seen.get(m.name);
    if (first !== undefined)
      fail(
        `${key}: a metric named ${JSON.stringify(m.name)} is already defined at ${formatWhere(at('analysis', 'metrics', first))}`,
        here('name'),
        'give every metric of the canary a unique name',
      );
    else seen.set(m.name, k);
    if (m.min === undefined && m.max === undefined)
      fail(
        `the metric ${shown} has neither min nor max`,
        here(),
        'set min and/or max: the range a measurement must be in, such as min: 99 for a success rate in percent',
      );
    else if (m.min !== undefined && m.max !== undefined && m.min > m.max)
      fail(
        `the metric ${shown} has min ${m.min} above max ${m.max}; no measurement could pass`,
        here('min'),
        'swap them, or fix the one that is wrong',
      );
    if (m.query.trim() === '')
      fail(`the metric ${shown} has an empty query`, here('query'), 'write a PromQL query that returns one number');
    else checkQuery(m.query, shown, interval, here('query'), fail);
    return {
      name: m.name,
      query: m.query,
      ...(m.min !== undefined ? { min: m.min } : {}),
      ...(m.max !== undefined ? { max: m.max } : {}),
    };
  });
}

/** Renders the query with sample values, so an unknown or unclosed placeholder fails at load time, at its line. */
function checkQuery(query: string, metric: string, interval: string, where: FileWhere, fail: Fail): void {
  let rendered: string;
  try {
    rendered = renderQuery(query, { ...SAMPLE_VARIABLES, interval }, metric);
  } catch (error) {
    if (!(error instanceof KubeplanError)) throw error;
    fail(error.message, where, error.hint ?? 'see the config reference in the README');
    return;
  }
  if (rendered.includes('{{') || rendered.includes('}}'))
    fail(
      `the metric ${metric}'s query has a {{ or }} that is no placeholder`,
      where,
      'write placeholders whole, such as {{ canary }}; the ones kubeplan fills in are {{ canary }}, {{ stable }}, {{ namespace }} and {{ interval }}',
    );
}

/** A duration of kubeplan.yaml in ms, or undefined after reporting the problem. */
function readDuration(text: string, key: string, where: FileWhere, fail: Fail): number | undefined {
  try {
    return parseDurationText(text, where);
  } catch (error) {
    if (!(error instanceof KubeplanError)) throw error;
    fail(`${key} ${error.message}`, where, error.hint ?? 'write a duration such as 90s, 5m or 1h');
    return undefined;
  }
}

/** `1m30s` → 90000; undefined when it is not PromQL's duration syntax. */
function promqlDurationMs(text: string): number | undefined {
  const m = PROMQL_DURATION.exec(text);
  if (!m || text === '') return undefined;
  const [, h = '0', min = '0', s = '0', ms = '0'] = m;
  return ((Number(h) * 60 + Number(min)) * 60 + Number(s)) * 1000 + Number(ms);
}
