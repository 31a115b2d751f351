import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds, installGatewayApiCrds, testCrd } from '../harness/crds.js';
import { startDeploymentController } from '../harness/deploy-controller.js';
import { api, freshNamespace } from '../harness/kube.js';
import { type BenchPrometheus, type Exporter, startExporter, startPrometheus } from '../harness/prometheus.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import {
  app,
  canaryConfig,
  canaryState,
  getDeployment,
  image,
  kubeplan,
  SCRAPED,
  watchValues,
} from './canary-fixture.js';

/**
 * The other traffic modes and analysis outcomes, end to end: an Istio VirtualService split by weight (Istio's CRD as
 * test data), the replica share without a mesh, and a metric without data rolled back once past noDataLimit.
 */
let prometheus: BenchPrometheus;
let exporter: Exporter;

beforeAll(async () => {
  await installGatewayApiCrds();
  await installCrds(testCrd('istio-virtualservice'));
  exporter = await startExporter();
  exporter.setRates('shop-canary', { '200': 50 });
  prometheus = await startPrometheus({ targets: [exporter.target] });
  await prometheus.waitForScrape(SCRAPED, 60_000);
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

const virtualService = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'shop' },
  spec: { hosts: ['shop.example.com'], http: [{ route: [{ destination: { host: 'shop', port: { number: 80 } } }] }] },
};

interface VirtualServiceBody {
  spec: { http: { route: { destination: { host: string }; weight?: number }[] }[] };
}

async function withController<T>(ns: string, body: () => Promise<T>): Promise<T> {
  const controller = startDeploymentController(ns);
  try {
    return await body();
  } finally {
    await controller.stop();
  }
}

describe('canary traffic modes and analysis outcomes', () => {
  it('istio: the VirtualService sends 10 %, then 50 % to shop-canary, then all to shop-stable', async () => {
    const ns = await freshNamespace('canary');
    await withController(ns, async () => {
      const files = (v: string) => ({
        'kubeplan.yaml': canaryConfig(ns, prometheus.url, { traffic: 'istio: {virtualService: shop}', checks: 1 }),
        'app/app.json': app(v, { route: virtualService }),
      });
      const { repo, commit } = makeGitRepo(files('shop:1'));
      expect((await kubeplan(repo, ['apply'])).code).toBe(0);
      commit('shop 2', files('shop:2'));
      const { result: run, values: seen } = await watchValues(
        async () => {
          const vs = await api<VirtualServiceBody>(
            'GET',
            `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices/shop`,
          );
          return vs.body.spec.http[0]?.route.find((r) => r.destination.host === 'shop-canary')?.weight;
        },
        kubeplan(repo, ['apply']),
      );
      expect(run.code, run.stderr).toBe(0);
      expect(seen).toEqual([0, 10, 50, 0]);
      const vs = await api<VirtualServiceBody>(
        'GET',
        `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices/shop`,
      );
      expect(vs.body.spec.http[0]!.route.map((r) => [r.destination.host, r.weight])).toEqual([
        ['shop-stable', 100],
        ['shop-canary', 0],
      ]);
      expect(await image(ns)).toBe('shop:2');
    });
  }, 180_000);

  it('replicas: without a mesh the canary runs a share of the pods, then is removed on promotion', async () => {
    const ns = await freshNamespace('canary');
    await withController(ns, async () => {
      const files = (v: string) => ({
        'kubeplan.yaml': canaryConfig(ns, prometheus.url, {
          traffic: 'replicas: {}',
          steps: ['{weight: 34, pause: 1s}', '{weight: 50}'],
          checks: 1,
        }),
        'app/app.json': app(v, { route: null }),
      });
      const { repo, commit } = makeGitRepo(files('shop:1'));
      expect((await kubeplan(repo, ['apply'])).code).toBe(0);
      commit('shop 2', files('shop:2'));
      const { result: run, values: replicas } = await watchValues(
        async () => {
          const d = await api<{ spec: { replicas: number } }>(
            'GET',
            `/apis/apps/v1/namespaces/${ns}/deployments/shop-canary`,
          );
          return d.status === 200 ? d.body.spec.replicas : undefined;
        },
        kubeplan(repo, ['apply']),
      );
      expect(run.code, run.stderr).toBe(0);
      // 2 stable replicas: 34 % is 1 canary pod of 3, 50 % 2 of 4.
      expect(replicas).toEqual([1, 2]);
      expect((await getDeployment(ns, 'shop-canary')).status).toBe(404);
      expect(await image(ns)).toBe('shop:2');
      // No derived Services in replicas mode.
      expect((await api('GET', `/api/v1/namespaces/${ns}/services/shop-canary`)).status).toBe(404);
    });
  }, 180_000);

  it('a metric without data: rolled back once more rounds than noDataLimit had none', async () => {
    const ns = await freshNamespace('canary');
    await withController(ns, async () => {
      const files = (v: string) => ({
        'kubeplan.yaml': canaryConfig(ns, prometheus.url, {
          query: 'sum(rate(checkout_requests_total{deployment="{{ canary }}"}[5s]))',
          steps: ['{weight: 10}'],
          checks: 5,
        }),
        'app/app.json': app(v),
      });
      const { repo, commit } = makeGitRepo(files('shop:1'));
      expect((await kubeplan(repo, ['apply'])).code).toBe(0);
      commit('shop 2', files('shop:2'));
      const run = await kubeplan(repo, ['apply']);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toContain('3 measurements without data, more than noDataLimit 2');
      expect((await canaryState(ns))?.phase).toBe('Failed');
      expect(await image(ns)).toBe('shop:1');
    });
  }, 180_000);
});
