import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installGatewayApiCrds } from '../harness/crds.js';
import { startDeploymentController } from '../harness/deploy-controller.js';
import { freshNamespace } from '../harness/kube.js';
import { type BenchPrometheus, type Exporter, startExporter, startPrometheus } from '../harness/prometheus.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import {
  app,
  canaryConfig,
  canaryState,
  getDeployment,
  image,
  kubeplan,
  revisionCount,
  SCRAPED,
  watchWeights,
} from './canary-fixture.js';

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
  exporter.setRates('shop-canary', { '200': 50 });
  prometheus = await startPrometheus({ targets: [exporter.target] });
  await prometheus.waitForScrape(SCRAPED, 60_000);
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

const config = (ns: string, url: string) => canaryConfig(ns, url);
const run = (repo: string, args: string[]) => kubeplan(repo, args);
const stableImage = (ns: string) => image(ns);
const revisions = revisionCount;

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
      expect((await canaryState(ns))?.phase).toBe('Succeeded');

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
      const state = (await canaryState(ns))!;
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
      commit('broken', { 'app/app.json': app('shop:2', { broken: true }) });
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
