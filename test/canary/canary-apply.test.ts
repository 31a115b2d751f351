import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installGatewayApiCrds } from '../harness/crds.js';
import { BROKEN, startDeploymentController } from '../harness/deploy-controller.js';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { type BenchPrometheus, type Exporter, startExporter, startPrometheus } from '../harness/prometheus.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

/**
 * A canary from `kubeplan apply`, end to end on the bench: the real Gateway API CRDs, a real Prometheus scraping an
 * exporter the test drives, and the test playing the Deployment controller. Weights are read from the HTTPRoute while
 * the apply runs.
 */
let prometheus: BenchPrometheus;
let exporter: Exporter;

beforeAll(async () => {
  await installGatewayApiCrds();
  exporter = await startExporter();
  prometheus = await startPrometheus({ targets: [exporter.target] });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

const route = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'shop' },
  spec: { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [{ name: 'shop', port: 80 }] }] },
};
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'shop' },
  spec: { selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] },
};
const deployment = (image: string, broken = false) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'shop' } },
    template: {
      metadata: { labels: { app: 'shop' }, ...(broken ? { annotations: { [BROKEN]: 'true' } } : {}) },
      spec: { containers: [{ name: 'shop', image }] },
    },
  },
});
const app = (image: string, broken = false) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [deployment(image, broken), service, route] }, null, 2);

const config = (ns: string, prometheusUrl: string) => `targets:
  - name: shop
    namespace: ${ns}
    manifests: app
    apply: {rollback: true}
    canary:
      workload: {kind: Deployment, name: shop}
      service: shop
      traffic:
        gatewayAPI: {route: shop}
      steps:
        - {weight: 10, pause: 1s}
        - {weight: 50}
      analysis:
        interval: 1s
        checks: 2
        prometheus: {address: ${prometheusUrl}}
        metrics:
          - name: success-rate
            query: sum(rate(http_requests_total{track="{{ canary }}",code!~"5.."}[5s])) / sum(rate(http_requests_total{track="{{ canary }}"}[5s])) * 100
            min: 99
      timeout: 10m
      maxUnattended: 10m
`;

const kubeconfig = () => bench().adminKubeconfig;
const run = (repo: string, args: string[]) =>
  runCliAsync([...args, '--kubeconfig', kubeconfig(), '--timeout', '30s'], { cwd: repo });

interface RouteBody {
  spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] };
}

/** Reads the route's canary weight every 100 ms while `during` runs; the distinct weights in order. */
async function watchWeights<T>(ns: string, during: Promise<T>): Promise<{ result: T; weights: number[] }> {
  const weights: number[] = [];
  const read = async () => {
    const got = await api<RouteBody>('GET', `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/shop`);
    const w =
      got.status === 200
        ? got.body.spec.rules[0]?.backendRefs.find((b) => b.name === 'shop-canary')?.weight
        : undefined;
    if (w !== undefined && weights.at(-1) !== w) weights.push(w);
  };
  let done = false;
  const watcher = (async () => {
    while (!done) {
      await read();
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const result = await during;
  done = true;
  await watcher;
  await read(); // where the run left it
  return { result, weights };
}

const getDeployment = (ns: string, name: string) =>
  api<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(
    'GET',
    `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
  );
const stableImage = async (ns: string) =>
  (await getDeployment(ns, 'shop')).body.spec.template.spec.containers[0]!.image;
const canaryState = async (ns: string) => {
  const cm = await api<{ data: { 'state.json': string } }>(
    'GET',
    `/api/v1/namespaces/${ns}/configmaps/kubeplan-canary-shop`,
  );
  return JSON.parse(cm.body.data['state.json']) as { phase: string; failedTemplates: string[]; step: number };
};
const revisions = async (ns: string) =>
  (
    await api<{ items: unknown[] }>(
      'GET',
      `/api/v1/namespaces/${ns}/secrets?fieldSelector=type%3Dkubeplan.dev%2Frevision`,
    )
  ).body.items.length;

describe('canary from kubeplan apply', () => {
  it('first install is a normal apply; a new image goes 10 % → 50 % → promoted; a failing one is rolled back and held; retry', async () => {
    const ns = await freshNamespace('canary');
    const controller = startDeploymentController(ns);
    try {
      const { repo, commit } = makeGitRepo({
        'kubeplan.yaml': config(ns, prometheus.url),
        'app/app.json': app('shop:1'),
      });
      // First install: no stable revision yet, no canary.
      const first = await run(repo, ['apply']);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('no stable revision yet');
      expect((await getDeployment(ns, 'shop-canary')).status).toBe(404);
      expect(await stableImage(ns)).toBe('shop:1');

      // A new image: the canary takes 10 %, then 50 %, measured by Prometheus, then promoted.
      exporter.setRates('shop-canary', { '200': 50 });
      commit('shop 2', { 'app/app.json': app('shop:2') });
      const { result: promoted, weights } = await watchWeights(ns, run(repo, ['apply']));
      expect(promoted.code, promoted.stderr).toBe(0);
      expect(weights).toEqual([0, 10, 50, 0]);
      expect(promoted.stdout).toMatch(/canary of [0-9a-f]{7}: promoted/);
      expect(await stableImage(ns)).toBe('shop:2');
      expect((await getDeployment(ns, 'shop-canary')).status).toBe(404);
      expect((await canaryState(ns)).phase).toBe('Succeeded');

      // A canary serving errors: rolled back, stable keeps shop:2, the template is held back on the next apply.
      exporter.setRates('shop-canary', { '200': 30, '500': 20 });
      commit('shop 3', { 'app/app.json': app('shop:3') });
      const failed = await watchWeights(ns, run(repo, ['apply']));
      expect(failed.result.code, failed.result.stderr).toBe(1);
      expect(failed.result.stdout).toContain('ROLLED BACK');
      expect(failed.result.stdout).toContain('below the minimum 99');
      expect(failed.weights.at(-1)).toBe(0);
      expect(await stableImage(ns)).toBe('shop:2');
      expect((await getDeployment(ns, 'shop-canary')).status).toBe(404);
      const state = await canaryState(ns);
      expect(state.phase).toBe('Failed');
      expect(state.failedTemplates).toHaveLength(1);

      const again = await run(repo, ['apply']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('failed its canary');
      expect(await stableImage(ns)).toBe('shop:2');
      expect((await getDeployment(ns, 'shop-canary')).status).toBe(404);

      // Fixed behind the scenes (the errors stop): canary retry tries the same template again and promotes it.
      exporter.setRates('shop-canary', { '200': 50 });
      await prometheus.waitForScrape('sum(rate(http_requests_total{track="shop-canary",code="500"}[5s])) == 0', 30_000);
      const retried = await run(repo, ['canary', 'retry']);
      expect(retried.code, retried.stderr).toBe(0);
      expect(await stableImage(ns)).toBe('shop:3');
      expect(await revisions(ns)).toBeGreaterThanOrEqual(3);
    } finally {
      await controller.stop();
    }
  }, 240_000);

  it('a canary that never becomes healthy is rolled back without measuring', async () => {
    const ns = await freshNamespace('canary');
    const controller = startDeploymentController(ns);
    try {
      const { repo, commit } = makeGitRepo({
        'kubeplan.yaml': config(ns, prometheus.url),
        'app/app.json': app('shop:1'),
      });
      expect((await run(repo, ['apply'])).code).toBe(0);
      commit('broken', { 'app/app.json': app('shop:2', true) });
      const broken = await run(repo, ['apply']);
      expect(broken.code, broken.stderr).toBe(1);
      expect(broken.stdout).toContain('did not become healthy at 10 %');
      expect(await stableImage(ns)).toBe('shop:1');
      expect((await getDeployment(ns, 'shop-canary')).status).toBe(404);
    } finally {
      await controller.stop();
    }
  }, 120_000);
});
