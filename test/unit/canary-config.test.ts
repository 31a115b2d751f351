import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load-config.js';
import { ConfigError, ErrorList, formatError } from '../../src/core/errors.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { repoRoot } from '../helpers/tools.js';

// kubeplan.yaml `targets[].canary` (#19): what it resolves to, and each problem refused with its line and what to do.

function load(yaml: string) {
  const repo = makeRepo({
    'kubeplan.yaml': yaml,
    'charts/shop/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 1.0.0\n',
    'envs/prod/values.yaml': '',
    'm/cm.yaml': '',
  });
  return loadConfig(path.join(repo, 'kubeplan.yaml'), repo);
}

function errorsOf(yaml: string): string[] {
  try {
    load(yaml);
  } catch (error) {
    const errors = error instanceof ErrorList ? error.errors : [error];
    for (const e of errors) expect(e).toBeInstanceOf(ConfigError);
    return errors.map((e) => formatError(e));
  }
  throw new Error('the config loaded');
}

/** `kubeplan.yaml:LINE` of the first line of `yaml` holding `text`. */
function lineOf(yaml: string, text: string, from = 0): string {
  const index = yaml.split('\n').findIndex((l, i) => i >= from && l.includes(text));
  if (index < 0) throw new Error(`no line holds ${text}`);
  return `kubeplan.yaml:${index + 1}`;
}

/** `base` with each `[old, new]` replaced; an `old` that is not there fails the test rather than testing nothing. */
function edit(base: string, ...changes: [string, string][]): string {
  return changes.reduce((text, [from, to]) => {
    if (!text.includes(from)) throw new Error(`the config has no ${from}`);
    return text.replace(from, to);
  }, base);
}

// The README's example, line for line.
const EXAMPLE = `targets:
  - name: shop-prod
    namespace: shop
    helm: {chart: charts/shop, values: [envs/prod/values.yaml]}
    apply: {rollback: true}            # required: the last good revision is the stable version
    canary:
      workload: {kind: Deployment, name: shop}
      service: shop                    # kubeplan derives shop-stable and shop-canary Services from it
      traffic:
        gatewayAPI: {route: shop}      # or istio: {virtualService: shop}; or replicas: {}
      steps:
        - {weight: 10, pause: 2m}
        - {weight: 50}
        - {approve: true}              # optional manual gate
      analysis:
        interval: 1m
        checks: 3                      # measurement rounds per step after its pause
        failureLimit: 0                # out-of-range measurements tolerated per canary
        noDataLimit: 2                 # empty/NaN results tolerated
        errorLimit: 4                  # consecutive query errors tolerated
        prometheus: {address: https://prometheus.example, tokenEnv: PROM_TOKEN}
        metrics:
          - name: success-rate
            query: sum(rate(http_requests_total{job="{{ canary }}",code!~"5.."}[{{ interval }}])) / sum(rate(http_requests_total{job="{{ canary }}"}[{{ interval }}])) * 100
            min: 99
      timeout: 1h
      maxUnattended: 30m
`;

const SUCCESS_RATE =
  'sum(rate(http_requests_total{job="{{ canary }}",code!~"5.."}[{{ interval }}])) / sum(rate(http_requests_total{job="{{ canary }}"}[{{ interval }}])) * 100';

// A small canary with every default left out.
const BASE = `targets:
  - name: shop-prod
    namespace: shop
    manifests: m
    apply: {rollback: true}
    canary:
      workload: {kind: Deployment, name: shop}
      service: shop
      traffic: {replicas: {}}
      steps:
        - {weight: 20, pause: 5m}
        - {weight: 100}
      analysis:
        prometheus: {address: http://prometheus.monitoring:9090}
        metrics:
          - name: latency-p99
            query: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{ canary }}",namespace="{{ namespace }}"}[{{ interval }}])))
            max: 0.5
`;

describe('canary in kubeplan.yaml: what it resolves to', () => {
  it('resolves the README example: steps, traffic, analysis, durations in ms, the canary entry line', () => {
    const target = load(EXAMPLE).targets[0]!;
    expect(target.canary).toEqual({
      workload: { kind: 'Deployment', name: 'shop' },
      service: 'shop',
      traffic: { mode: 'gatewayAPI', route: 'shop' },
      steps: [{ weight: 10, pauseMs: 120_000 }, { weight: 50 }, { approve: true }],
      analysis: {
        intervalMs: 60_000,
        interval: '1m',
        limits: { checks: 3, failureLimit: 0, noDataLimit: 2, errorLimit: 4 },
        prometheus: { address: 'https://prometheus.example', tokenEnv: 'PROM_TOKEN' },
        metrics: [{ name: 'success-rate', query: SUCCESS_RATE, min: 99 }],
      },
      timeoutMs: 3_600_000,
      maxUnattendedMs: 1_800_000,
      where: { file: 'kubeplan.yaml', line: 6, path: expect.stringMatching(/kubeplan\.yaml$/) },
    });
  });

  it('fills in the defaults: interval 1m, checks 3, failureLimit 0, noDataLimit 2, errorLimit 4, timeout 1h, maxUnattended 30m', () => {
    const canary = load(BASE).targets[0]!.canary!;
    expect(canary.traffic).toEqual({ mode: 'replicas' });
    expect(canary.steps).toEqual([{ weight: 20, pauseMs: 300_000 }, { weight: 100 }]);
    expect(canary.analysis).toEqual({
      intervalMs: 60_000,
      interval: '1m',
      limits: { checks: 3, failureLimit: 0, noDataLimit: 2, errorLimit: 4 },
      prometheus: { address: 'http://prometheus.monitoring:9090' },
      metrics: [
        {
          name: 'latency-p99',
          query:
            'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{ canary }}",namespace="{{ namespace }}"}[{{ interval }}])))',
          max: 0.5,
        },
      ],
    });
    expect(canary.timeoutMs).toBe(3_600_000);
    expect(canary.maxUnattendedMs).toBe(1_800_000);
  });

  it('keeps a set interval both in ms and as PromQL text, and reads istio, limits and durations as written', () => {
    const canary = load(
      edit(
        BASE,
        ['traffic: {replicas: {}}', 'traffic: {istio: {virtualService: shop-vs}}'],
        [
          '        prometheus:',
          '        interval: 1m30s\n        checks: 5\n        failureLimit: 1\n        noDataLimit: 0\n        errorLimit: 10\n        prometheus:',
        ],
        ['            max: 0.5\n', '            max: 0.5\n      timeout: 2h30m\n      maxUnattended: 45s\n'],
      ),
    ).targets[0]!.canary!;
    expect(canary.traffic).toEqual({ mode: 'istio', virtualService: 'shop-vs' });
    expect(canary.analysis.intervalMs).toBe(90_000);
    expect(canary.analysis.interval).toBe('1m30s');
    expect(canary.analysis.limits).toEqual({ checks: 5, failureLimit: 1, noDataLimit: 0, errorLimit: 10 });
    expect(canary.timeoutMs).toBe(9_000_000);
    expect(canary.maxUnattendedMs).toBe(45_000);
  });

  it('leaves targets without canary as they were', () => {
    const config = load(edit(BASE, ['  - name: shop-prod', '  - name: other\n    manifests: m\n  - name: shop-prod']));
    expect(config.targets.find((t) => t.name === 'other')!.canary).toBeUndefined();
    expect(config.targets.find((t) => t.name === 'shop-prod')!.canary).toBeDefined();
  });
});

describe('canary in kubeplan.yaml: what it refuses, at the line', () => {
  it('needs apply.rollback: true, at the canary entry or at rollback: false', () => {
    const missing = edit(BASE, ['    apply: {rollback: true}\n', '']);
    expect(errorsOf(missing)).toEqual([
      `${lineOf(missing, 'canary:')}: target "shop-prod": a canary needs apply.rollback: true\n  hint: set apply: {rollback: true}: the canary's stable version is the target's last good revision, which rollback keeps`,
    ]);
    const off = edit(BASE, ['apply: {rollback: true}', 'apply:\n      forceConflicts: true\n      rollback: false']);
    expect(errorsOf(off).join('\n')).toContain(
      `${lineOf(off, 'rollback: false')}: target "shop-prod": a canary needs apply.rollback: true`,
    );
  });

  it('needs the target to have a namespace', () => {
    const yaml = edit(BASE, ['    namespace: shop\n', '']);
    const text = errorsOf(yaml).join('\n');
    expect(text).toContain(
      `${lineOf(yaml, 'canary:')}: target "shop-prod": a canary needs the target to have a namespace`,
    );
    expect(text).toContain("the canary's state is kept there, next to the target's inventory");
  });

  it('runs only in a single-cluster config for now: a target with clusters, or top-level clusters, is refused', () => {
    const clusters = 'clusters:\n  eu: {server: "https://eu.example:6443", auth: {tokenEnv: EU_TOKEN}}\n';
    const named = clusters + edit(BASE, ['    manifests: m\n', '    manifests: m\n    clusters: [eu]\n']);
    expect(errorsOf(named)).toEqual([
      `${lineOf(named, 'canary:')}: target "shop-prod": a canary runs in a single-cluster kubeplan.yaml for now, and this target names clusters\n  hint: give each cluster a kubeplan.yaml of its own without clusters: (one CI job per cluster, kubeplan --config FILE), or remove canary from this target`,
    ]);
    const topLevel = clusters + BASE;
    expect(errorsOf(topLevel).join('\n')).toContain(
      `${lineOf(topLevel, 'canary:')}: target "shop-prod": a canary runs in a single-cluster kubeplan.yaml for now, and this one has top-level clusters`,
    );
  });

  it('runs a Deployment only, and says that Argo Rollouts and Flagger keep their controller', () => {
    const yaml = edit(BASE, ['{kind: Deployment, name: shop}', '{kind: Rollout, name: shop}']);
    expect(errorsOf(yaml)).toEqual([
      `${lineOf(yaml, 'kind: Rollout')}: target "shop-prod": canary.workload.kind "Rollout" cannot run as a kubeplan canary; only a Deployment can\n  hint: name a Deployment; an Argo Rollouts Rollout or a Flagger canary keeps its own controller: remove canary, and kubeplan applies it and reads its health as it is`,
    ]);
  });

  it('refuses names Kubernetes would refuse once -canary is added', () => {
    const yaml = edit(BASE, ['name: shop}', 'name: Shop}'], ['service: shop', `service: ${'s'.repeat(57)}`]);
    const text = errorsOf(yaml).join('\n');
    expect(text).toContain(
      `${lineOf(yaml, 'name: Shop')}: target "shop-prod": canary.workload.name "Shop" is not a Deployment name kubeplan can add -canary to`,
    );
    expect(text).toContain(
      `${lineOf(yaml, 'service: sss')}: target "shop-prod": canary.service "${'s'.repeat(57)}" is not a Service name kubeplan can derive -stable and -canary from`,
    );
    expect(text).toContain('at most 56 characters');
    const route = edit(BASE, ['traffic: {replicas: {}}', 'traffic: {gatewayAPI: {route: shop_route}}']);
    expect(errorsOf(route)).toEqual([
      `${lineOf(route, 'shop_route')}: target "shop-prod": canary.traffic.gatewayAPI.route "shop_route" is not a Kubernetes object name\n  hint: write the name as the target renders it: lower-case letters, digits, dashes and dots, at most 253 characters`,
    ]);
  });

  it('needs exactly one of gatewayAPI, istio and replicas', () => {
    const none = edit(BASE, ['traffic: {replicas: {}}', 'traffic: {}']);
    expect(errorsOf(none)).toEqual([
      `${lineOf(none, 'traffic:')}: target "shop-prod": canary.traffic says no way to split the traffic\n  hint: set exactly one of gatewayAPI: {route: NAME}, istio: {virtualService: NAME} or replicas: {}`,
    ]);
    const two = edit(BASE, [
      'traffic: {replicas: {}}',
      'traffic:\n        gatewayAPI: {route: shop}\n        istio: {virtualService: shop}',
    ]);
    expect(errorsOf(two).join('\n')).toContain(
      `${lineOf(two, 'istio:')}: target "shop-prod": canary.traffic sets gatewayAPI and istio; a canary splits its traffic one way`,
    );
    const noRoute = edit(BASE, ['traffic: {replicas: {}}', 'traffic: {gatewayAPI: {}}']);
    expect(errorsOf(noRoute).join('\n')).toContain(
      `${lineOf(noRoute, 'gatewayAPI')}: target "shop-prod": missing required field "route"`,
    );
  });

  it('needs at least one step', () => {
    const yaml = edit(BASE, [
      '      steps:\n        - {weight: 20, pause: 5m}\n        - {weight: 100}',
      '      steps: []',
    ]);
    expect(errorsOf(yaml).join('\n')).toContain(
      `${lineOf(yaml, 'steps: []')}: target "shop-prod": canary.steps is empty`,
    );
  });

  it('refuses a step with a weight outside 1–100 or not whole, a gate with a weight, a pause without a weight, approve: false', () => {
    const yaml = edit(BASE, [
      '        - {weight: 20, pause: 5m}\n        - {weight: 100}',
      [
        '        - {weight: 0}',
        '        - {weight: 101}',
        '        - {weight: 12.5}',
        '        - {weight: 30, approve: true}',
        '        - {pause: 2m}',
        '        - {approve: false}',
        '        - {}',
        '        - {weight: 40, pause: soon}',
      ].join('\n'),
    ]);
    const errors = errorsOf(yaml);
    expect(errors.map((e) => e.split(': target')[0])).toEqual([
      lineOf(yaml, 'weight: 0}'),
      lineOf(yaml, 'weight: 101'),
      lineOf(yaml, 'weight: 12.5'),
      lineOf(yaml, 'weight: 30'),
      lineOf(yaml, 'pause: 2m'),
      lineOf(yaml, 'approve: false'),
      lineOf(yaml, '- {}'),
      lineOf(yaml, 'pause: soon'),
    ]);
    const text = errors.join('\n');
    expect(text).toContain('canary.steps[0].weight must be a whole number from 1 to 100, not 0');
    expect(text).toContain('canary.steps[1].weight must be a whole number from 1 to 100, not 101');
    expect(text).toContain('canary.steps[2].weight must be a whole number from 1 to 100, not 12.5');
    expect(text).toContain('canary.steps[3] is an approval gate with a weight');
    expect(text).toContain('put {approve: true} in a step of its own');
    expect(text).toContain('canary.steps[4] has a pause and no weight');
    expect(text).toContain('canary.steps[5] has approve: false');
    expect(text).toContain('canary.steps[6] is empty');
    expect(text).toContain('canary.steps[7].pause must be a duration like 90s, 5m or 1h, not "soon"');
  });

  it('refuses weights that go down from one weighted step to the next, across a gate', () => {
    const yaml = edit(BASE, [
      '        - {weight: 20, pause: 5m}\n        - {weight: 100}',
      '        - {weight: 50}\n        - {approve: true}\n        - {weight: 50}\n        - {weight: 25}',
    ]);
    expect(errorsOf(yaml)).toEqual([
      `${lineOf(yaml, 'weight: 25')}: target "shop-prod": canary.steps[3].weight 25 is lower than the weight 50 of canary.steps[2]\n  hint: order the weighted steps by growing weight: a canary only ever gets more of the traffic (a failed analysis rolls it back)`,
    ]);
  });

  it('needs analysis.interval to be a PromQL duration of at least 1s', () => {
    for (const bad of ['90', '1.5m', '500ms', '1m 30s', '30s1m']) {
      const yaml = edit(BASE, ['        prometheus:', `        interval: "${bad}"\n        prometheus:`]);
      expect(errorsOf(yaml)).toEqual([
        `${lineOf(yaml, 'interval:')}: target "shop-prod": canary.analysis.interval must be a PromQL duration of at least 1s, such as 30s, 1m or 1m30s, not "${bad}"\n  hint: write whole numbers with the units h, m, s or ms, largest first: the interval is also {{ interval }} in the queries`,
      ]);
    }
    const ok = load(edit(BASE, ['        prometheus:', '        interval: 1s\n        prometheus:'])).targets[0]!
      .canary!;
    expect(ok.analysis.intervalMs).toBe(1000);
  });

  it('needs checks ≥ 1 and the limits ≥ 0, whole numbers', () => {
    const yaml = edit(BASE, [
      '        prometheus:',
      '        checks: 0\n        failureLimit: -1\n        noDataLimit: 1.5\n        errorLimit: -2\n        prometheus:',
    ]);
    const errors = errorsOf(yaml);
    expect(errors.map((e) => e.split('\n')[0])).toEqual([
      `${lineOf(yaml, 'checks: 0')}: target "shop-prod": canary.analysis.checks must be a whole number of at least 1, not 0`,
      `${lineOf(yaml, 'failureLimit')}: target "shop-prod": canary.analysis.failureLimit must be a whole number of at least 0, not -1`,
      `${lineOf(yaml, 'noDataLimit')}: target "shop-prod": canary.analysis.noDataLimit must be a whole number of at least 0, not 1.5`,
      `${lineOf(yaml, 'errorLimit')}: target "shop-prod": canary.analysis.errorLimit must be a whole number of at least 0, not -2`,
    ]);
  });

  it('needs prometheus.address to be an http(s) URL, and says to use tokenEnv instead of credentials in it, without printing them', () => {
    const ftp = edit(BASE, ['http://prometheus.monitoring:9090', 'ftp://prometheus.example']);
    expect(errorsOf(ftp)).toEqual([
      `${lineOf(ftp, 'ftp://')}: target "shop-prod": canary.analysis.prometheus.address is not an http:// or https:// URL\n  hint: write the URL of the Prometheus HTTP API (the part before /api/v1), such as https://prometheus.example or http://prometheus.monitoring:9090`,
    ]);
    const secret = 's3cr3t-Pa55word';
    const withPassword = edit(BASE, [
      'http://prometheus.monitoring:9090',
      `https://kubeplan:${secret}@prometheus.example`,
    ]);
    const text = errorsOf(withPassword).join('\n');
    expect(text).toContain(
      `${lineOf(withPassword, 'address:')}: target "shop-prod": canary.analysis.prometheus.address carries credentials (user:password@)`,
    );
    expect(text).toContain('name its environment variable in prometheus.tokenEnv');
    expect(text).not.toContain(secret);
  });

  it('needs tokenEnv to be an environment variable name', () => {
    const yaml = edit(BASE, [
      '{address: http://prometheus.monitoring:9090}',
      '{address: http://prometheus.monitoring:9090, tokenEnv: PROM-TOKEN}',
    ]);
    expect(errorsOf(yaml)).toEqual([
      `${lineOf(yaml, 'tokenEnv')}: target "shop-prod": canary.analysis.prometheus.tokenEnv "PROM-TOKEN" is not an environment variable name\n  hint: name the variable that holds the token (letters, digits and _, not starting with a digit), such as PROM_TOKEN; never the token itself`,
    ]);
  });

  it('needs at least one metric', () => {
    const yaml = edit(BASE, [BASE.slice(BASE.indexOf('        metrics:')), '        metrics: []\n']);
    expect(errorsOf(yaml).join('\n')).toContain(
      `${lineOf(yaml, 'metrics: []')}: target "shop-prod": canary.analysis.metrics is empty`,
    );
  });

  it('refuses metrics with a name used twice, no min and no max, min above max, an empty query', () => {
    const yaml = edit(BASE, [
      '            max: 0.5\n',
      [
        '            max: 0.5',
        '          - name: latency-p99',
        '            query: vector(1)',
        '            min: 0',
        '          - name: errors',
        '            query: vector(0)',
        '          - name: ratio',
        '            query: vector(0.5)',
        '            min: 2',
        '            max: 1',
        '          - name: blank',
        '            query: "  "',
        '            min: 1',
        '          - name: "bad name"',
        '            query: vector(1)',
        '            min: 1',
        '',
      ].join('\n'),
    ]);
    const second = yaml.split('\n').findIndex((l) => l.includes('vector(1)'));
    const errors = errorsOf(yaml);
    expect(errors.map((e) => e.split('\n')[0])).toEqual([
      `${lineOf(yaml, 'name: latency-p99', second - 1)}: target "shop-prod": canary.analysis.metrics[1]: a metric named "latency-p99" is already defined at ${lineOf(yaml, 'name: latency-p99')}`,
      `${lineOf(yaml, 'name: errors')}: target "shop-prod": the metric errors has neither min nor max`,
      `${lineOf(yaml, 'min: 2')}: target "shop-prod": the metric ratio has min 2 above max 1; no measurement could pass`,
      `${lineOf(yaml, 'query: "  "')}: target "shop-prod": the metric blank has an empty query`,
      `${lineOf(yaml, 'bad name')}: target "shop-prod": canary.analysis.metrics[5].name "bad name" is not a metric name`,
    ]);
  });

  it("checks a query's {{ }} placeholders at load time, at the query's line", () => {
    const unknown = edit(BASE, ['namespace="{{ namespace }}"', 'pod="{{ pod }}"']);
    expect(errorsOf(unknown)).toEqual([
      `${lineOf(unknown, 'query:')}: target "shop-prod": the metric latency-p99's query uses {{ pod }}, which kubeplan does not know\n  hint: use one of {{ canary }}, {{ stable }}, {{ namespace }}, {{ interval }}`,
    ]);
    const unclosed = edit(BASE, ['service="{{ canary }}"', 'service="{{ canary }"']);
    expect(errorsOf(unclosed).join('\n')).toContain(
      `${lineOf(unclosed, 'query:')}: target "shop-prod": the metric latency-p99's query has a {{ or }} that is no placeholder`,
    );
    const stable = load(edit(BASE, ['namespace="{{ namespace }}"', 'baseline="{{stable}}"'])).targets[0]!.canary!;
    expect(stable.analysis.metrics[0]!.query).toContain('baseline="{{stable}}"');
  });

  it('needs timeout and maxUnattended to be durations longer than 0s', () => {
    const yaml = edit(BASE, [
      '            max: 0.5\n',
      '            max: 0.5\n      timeout: 0s\n      maxUnattended: forever\n',
    ]);
    expect(errorsOf(yaml).map((e) => e.split('\n')[0])).toEqual([
      `${lineOf(yaml, 'maxUnattended')}: target "shop-prod": canary.maxUnattended must be a duration like 90s, 5m or 1h, not "forever"`,
      `${lineOf(yaml, 'timeout: 0s')}: target "shop-prod": canary.timeout must be longer than 0s`,
    ]);
    const longer = load(
      edit(BASE, ['            max: 0.5\n', '            max: 0.5\n      timeout: 10m\n      maxUnattended: 2h\n']),
    );
    expect(longer.targets[0]!.canary!.maxUnattendedMs).toBe(7_200_000);
  });

  it('reports every problem of a canary in one run, with the other problems of the file', () => {
    const yaml = edit(
      BASE,
      ['    apply: {rollback: true}\n', ''],
      ['kind: Deployment', 'kind: Rollout'],
      ['{weight: 100}', '{weight: 10}'],
      ['        prometheus:', '        interval: 1h1h\n        prometheus:'],
      ['  - name: shop-prod', '  - name: other\n    manifests: missing\n  - name: shop-prod'],
    );
    const text = errorsOf(yaml).join('\n');
    expect(text).toContain(`${lineOf(yaml, 'manifests: missing')}: target "other": "missing" does not exist`);
    expect(text).toContain(`${lineOf(yaml, 'canary:')}: target "shop-prod": a canary needs apply.rollback: true`);
    expect(text).toContain(`${lineOf(yaml, 'kind: Rollout')}: target "shop-prod": canary.workload.kind "Rollout"`);
    expect(text).toContain(`${lineOf(yaml, 'weight: 10}')}: target "shop-prod": canary.steps[1].weight 10 is lower`);
    expect(text).toContain(`${lineOf(yaml, 'interval:')}: target "shop-prod": canary.analysis.interval must be`);
  });

  it('refuses unknown and missing keys through the schema, with a suggestion', () => {
    const typo = edit(BASE, ['      service: shop', '      servce: shop']);
    const text = errorsOf(typo).join('\n');
    expect(text).toContain(
      `${lineOf(typo, 'servce')}: target "shop-prod": unknown field "servce" (did you mean "service"?)`,
    );
    expect(text).toContain('missing required field "service"');
    const interval = edit(BASE, ['        prometheus:', '        intervall: 1m\n        prometheus:']);
    expect(errorsOf(interval).join('\n')).toContain(
      `${lineOf(interval, 'intervall')}: target "shop-prod": unknown field "intervall" (did you mean "interval"?)`,
    );
  });
});

describe('kubeplan.schema.json: canary', () => {
  it('describes every key of canary, for completion in editors', () => {
    const schema = JSON.parse(readFileSync(path.join(repoRoot, 'kubeplan.schema.json'), 'utf8'));
    const undescribed: string[] = [];
    const walk = (node: Record<string, unknown>, at: string) => {
      const properties = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [key, child] of Object.entries(properties)) {
        if (typeof child.description !== 'string') undescribed.push(`${at}.${key}`);
        walk(child, `${at}.${key}`);
        if (child.items) walk(child.items as Record<string, unknown>, `${at}.${key}[]`);
      }
    };
    expect(schema.definitions.target.properties.canary).toEqual({ $ref: '#/definitions/canary' });
    walk(schema.definitions.canary, 'canary');
    expect(undescribed).toEqual([]);
    expect(Object.keys(schema.definitions.canary.properties)).toEqual([
      'workload',
      'service',
      'traffic',
      'steps',
      'analysis',
      'timeout',
      'maxUnattended',
    ]);
  });
});
