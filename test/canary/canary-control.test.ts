import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installGatewayApiCrds } from '../harness/crds.js';
import { startDeploymentController } from '../harness/deploy-controller.js';
import { api, freshNamespace } from '../harness/kube.js';
import { type BenchPrometheus, type Exporter, startExporter, startPrometheus } from '../harness/prometheus.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import {
  app,
  canaryConfig,
  canaryState,
  canaryWeight,
  getDeployment,
  image,
  kubeplan,
  resourceVersions,
  routeWeights,
  SCRAPED,
  watchWeights,
} from './canary-fixture.js';

/**
 * Moving a canary by hand and from several runs: a budget that runs out (exit 3) and canary continue / promote
 * --full / abort; an approval gate; a route edited by hand; a new commit mid-canary; two runs at once; and bad input
 * or an unusable Prometheus refused before anything is written.
 */
let prometheus: BenchPrometheus;
let exporter: Exporter;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await installGatewayApiCrds();
  exporter = await startExporter();
  exporter.setRates('shop-canary', { '200': 50 });
  prometheus = await startPrometheus({ targets: [exporter.target] });
  await prometheus.waitForScrape(SCRAPED, 60_000);
}, 120_000);

afterAll(async () => {
  for (const stop of stops) await stop();
  await prometheus?.stop();
  await exporter?.close();
});

/** A namespace with the controller stand-in and the shop installed at shop:1 (the stable revision). */
/** One CI system for all runs of a test: the inventory records the repository it names. */
const CI = { GITHUB_REPOSITORY: 'acme/deploy', GITHUB_SERVER_URL: 'https://github.example' };
/** A run of kubeplan from CI run 1000 unless told another. */
const run = (repo: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  kubeplan(repo, args, { ...CI, GITHUB_RUN_ID: '1000', ...env });

async function installed(steps: string[], checks = 1) {
  const ns = await freshNamespace('canary');
  const controller = startDeploymentController(ns);
  stops.push(controller.stop);
  const repo = makeGitRepo({
    'kubeplan.yaml': canaryConfig(ns, prometheus.url, { steps, checks }),
    'app/app.json': app('shop:1'),
  });
  const first = await run(repo.repo, ['apply']);
  expect(first.code, first.stderr).toBe(0);
  return { ns, ...repo };
}

const LONG_PAUSE = ['{weight: 10, pause: 10m}', '{weight: 50}'];

describe('a canary moved by several runs', () => {
  it('a budget that runs out leaves it at its step (exit 3); status shows it; promote --full finishes it', async () => {
    const { ns, repo, commit } = await installed(LONG_PAUSE);
    commit('shop 2', { 'app/app.json': app('shop:2') });
    const started = await run(repo, ['apply', '--canary-budget', '3s']);
    expect(started.code, started.stderr).toBe(3);
    expect(started.stdout).toContain('not finished at step 1/2, 10 %');
    expect(started.stdout).toContain('kubeplan canary continue');
    expect(await canaryWeight(ns)).toBe(10);
    expect(await image(ns, 'shop-canary')).toBe('shop:2');
    expect(await image(ns)).toBe('shop:1');
    const state = await canaryState(ns);
    expect(state).toMatchObject({ phase: 'Progressing', step: 0, weight: 10 });
    expect(state?.holder).toBeUndefined();

    const status = await run(repo, ['canary', 'status']);
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/canary of [0-9a-f]{7} at step 1\/2 \(10 %\): Progressing/);
    const json = JSON.parse((await run(repo, ['canary', 'status', '-o', 'json'])).stdout);
    expect(json.canaries[0]).toMatchObject({ target: 'shop', steps: 2, state: { phase: 'Progressing', weight: 10 } });

    // Continuing within another short budget keeps it where it is (the pause is 10 minutes).
    const again = await run(repo, ['canary', 'continue', '--canary-budget', '2s']);
    expect(again.code, again.stderr).toBe(3);
    expect(await canaryWeight(ns)).toBe(10);

    const full = await watchWeights(ns, run(repo, ['canary', 'promote', '--full']));
    expect(full.result.code, full.result.stderr).toBe(0);
    expect(full.weights.at(-1)).toBe(0);
    expect(await image(ns)).toBe('shop:2');
    expect((await getDeployment(ns, 'shop-canary')).status).toBe(404);
    expect((await canaryState(ns))?.phase).toBe('Succeeded');
    const done = await run(repo, ['canary', 'status']);
    expect(done.code).toBe(0);
  }, 180_000);

  it('a budget that runs out mid-pause (exit 3), then canary continue finishes it', async () => {
    const { ns, repo, commit } = await installed(['{weight: 10, pause: 6s}', '{weight: 50}']);
    commit('shop 2', { 'app/app.json': app('shop:2') });
    const short = await run(repo, ['apply', '--canary-budget', '2s']);
    expect(short.code, short.stderr).toBe(3);
    expect(await canaryWeight(ns)).toBe(10);
    const finished = await watchWeights(ns, run(repo, ['canary', 'continue']));
    expect(finished.result.code, finished.result.stderr).toBe(0);
    expect(finished.weights).toEqual([10, 50, 0]);
    expect(await image(ns)).toBe('shop:2');
  }, 180_000);

  it('an approval gate stops the run (exit 3); a route edited by hand is put back; canary continue approves it', async () => {
    const { ns, repo, commit } = await installed(['{weight: 10, pause: 1s}', '{approve: true}', '{weight: 50}']);
    commit('shop 2', { 'app/app.json': app('shop:2') });
    const gated = await run(repo, ['apply']);
    expect(gated.code, gated.stderr).toBe(3);
    expect(gated.stdout).toContain('waiting for approval at step 2/3');
    expect((await canaryState(ns))?.phase).toBe('Paused');
    expect(await canaryWeight(ns)).toBe(10);

    // Someone sends 80 % to the canary by hand: the next run writes the canary's weight back first.
    const route = await api<{ spec: { rules: { backendRefs: { name: string; weight: number }[] }[] } }>(
      'GET',
      `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/shop`,
    );
    const edited = structuredClone(route.body);
    for (const ref of edited.spec.rules[0]!.backendRefs) ref.weight = ref.name === 'shop-canary' ? 80 : 20;
    const put = await api('PUT', `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/shop`, {
      body: edited,
    });
    expect(put.status).toBe(200);

    const approved = await watchWeights(ns, run(repo, ['canary', 'continue']));
    expect(approved.result.code, approved.result.stderr).toBe(0);
    expect(approved.weights).toEqual([80, 10, 50, 0]);
    expect(await routeWeights(ns)).toEqual({ 'shop-stable': 100, 'shop-canary': 0 });
    expect(await image(ns)).toBe('shop:2');
  }, 180_000);

  it('abort rolls back (exit 1) and holds the template back; a new commit mid-canary restarts it', async () => {
    const { ns, repo, commit } = await installed(LONG_PAUSE);
    commit('shop 2', { 'app/app.json': app('shop:2') });
    expect((await run(repo, ['apply', '--canary-budget', '2s'])).code).toBe(3);

    // A new image while shop:2 is at 10 %: the canary restarts with shop:3, stable stays shop:1.
    const sha = commit('shop 3', { 'app/app.json': app('shop:3') });
    const restarted = await run(repo, ['apply', '--canary-budget', '2s']);
    expect(restarted.code, restarted.stderr).toBe(3);
    expect(restarted.stdout).toContain('restarts with');
    expect(await image(ns, 'shop-canary')).toBe('shop:3');
    expect(await image(ns)).toBe('shop:1');
    expect((await canaryState(ns))?.commit).toBe(sha);

    const aborted = await watchWeights(ns, run(repo, ['canary', 'abort']));
    expect(aborted.result.code, aborted.result.stderr).toBe(1);
    expect(aborted.result.stdout).toContain('aborted by');
    expect(aborted.weights.at(-1)).toBe(0);
    expect(await image(ns)).toBe('shop:1');
    expect((await getDeployment(ns, 'shop-canary')).status).toBe(404);
    expect((await canaryState(ns))?.phase).toBe('Failed');
    const held = await run(repo, ['apply']);
    expect(held.code).toBe(0);
    expect(held.stdout).toContain('failed its canary');
    expect(await image(ns)).toBe('shop:1');
    // Nothing under way: the controls say so.
    const none = await run(repo, ['canary', 'continue']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('has no canary under way');
  }, 180_000);

  it('kubeplan rollback during a canary restores the stable version and ends the canary', async () => {
    const { ns, repo, commit } = await installed(LONG_PAUSE);
    commit('shop 2', { 'app/app.json': app('shop:2') });
    expect((await run(repo, ['apply', '--canary-budget', '2s'])).code).toBe(3);
    expect(await canaryWeight(ns)).toBe(10);
    const rolled = await run(repo, ['rollback', '--target', 'shop']);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stdout).toContain('rolled back to revision 1');
    expect(rolled.stdout).toContain('ended with this rollback');
    expect((await getDeployment(ns, 'shop-canary')).status).toBe(404);
    expect(await routeWeights(ns)).toEqual({ 'shop-stable': 100, 'shop-canary': 0 });
    expect(await image(ns)).toBe('shop:1');
    expect(await canaryState(ns)).toMatchObject({
      phase: 'Failed',
      message: 'ended by kubeplan rollback to revision 1',
    });
    // The template is held back: the next apply keeps shop:1 and says so.
    const next = await run(repo, ['apply']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain('failed its canary');
    expect(await image(ns)).toBe('shop:1');
  }, 180_000);

  it('two runs at once: the second exits 3 naming the run that moves the canary', async () => {
    const { ns, repo, commit } = await installed(LONG_PAUSE);
    commit('shop 2', { 'app/app.json': app('shop:2') });
    // A budget long enough that the first run still holds the canary while the second starts on a loaded machine.
    const first = run(repo, ['apply', '--canary-budget', '20s'], { ...CI, GITHUB_RUN_ID: '1001' });
    // Wait until the first run holds the canary.
    for (let i = 0; i < 600 && !(await canaryState(ns))?.holder?.run.endsWith('/1001'); i++)
      await new Promise((r) => setTimeout(r, 100));
    const second = await run(repo, ['canary', 'continue', '--canary-budget', '5s'], {
      GITHUB_RUN_ID: '1002',
      GITHUB_REPOSITORY: 'acme/deploy',
    });
    expect(second.code, second.stderr).toBe(3);
    expect(second.stderr).toContain('is moved by another run (https://github.example/acme/deploy/actions/runs/1001');
    const done = await first;
    expect(done.code, done.stderr).toBe(3);
    expect(await canaryWeight(ns)).toBe(10);
  }, 180_000);

  it('Prometheus unreachable or refusing the token, a query of another shape, or a canary weight in git: exit 2 and nothing written', async () => {
    const { ns, repo, commit } = await installed(LONG_PAUSE);
    const before = await resourceVersions(ns);
    const closed = 'http://127.0.0.1:9';
    const badConfig = canaryConfig(ns, closed, { steps: LONG_PAUSE });
    commit('shop 2 measured nowhere', { 'kubeplan.yaml': badConfig, 'app/app.json': app('shop:2') });
    const down = await run(repo, ['apply']);
    expect(down.code).toBe(2);
    expect(down.stderr).toContain('Prometheus is not usable');
    expect(down.stderr).toContain('before anything was written');
    expect(await resourceVersions(ns)).toEqual(before);

    const weighted = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'shop' },
      spec: {
        parentRefs: [{ name: 'public' }],
        rules: [
          {
            backendRefs: [
              { name: 'shop-stable', port: 80, weight: 70 },
              { name: 'shop-canary', port: 80, weight: 30 },
            ],
          },
        ],
      },
    };
    commit('a canary weight in git', {
      'kubeplan.yaml': canaryConfig(ns, prometheus.url, { steps: LONG_PAUSE }),
      'app/app.json': app('shop:2', { route: weighted }),
    });
    const refused = await run(repo, ['apply']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('gives the canary Service shop-canary weight 30 in git');
    expect(await resourceVersions(ns)).toEqual(before);

    // Bad canary objects, each refused before anything is read or written.
    const other = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop-worker' },
      spec: {
        selector: { matchLabels: { app: 'shop', role: 'worker' } },
        template: {
          metadata: { labels: { app: 'shop', role: 'worker' } },
          spec: { containers: [{ name: 'w', image: 'worker:1' }] },
        },
      },
    };
    const elsewhere = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'shop' },
      spec: { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [{ name: 'other', port: 80 }] }] },
    };
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'shop' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop' },
        minReplicas: 2,
        maxReplicas: 5,
      },
    };
    for (const [files, says] of [
      [{ 'app/app.json': app('shop:2', { extra: [other] }) }, 'shop-worker'],
      [{ 'app/app.json': app('shop:2', { route: elsewhere }) }, 'never sends traffic to Service shop'],
      [
        {
          'kubeplan.yaml': canaryConfig(ns, prometheus.url, { steps: LONG_PAUSE, traffic: 'replicas: {}' }),
          'app/app.json': app('shop:2', { route: null, extra: [hpa] }),
        },
        'HorizontalPodAutoscaler shop scales Deployment shop',
      ],
    ] as const) {
      commit(`bad: ${says}`, { 'kubeplan.yaml': canaryConfig(ns, prometheus.url, { steps: LONG_PAUSE }), ...files });
      const bad = await run(repo, ['apply']);
      expect(bad.code, bad.stderr).toBe(2);
      expect(bad.stderr).toContain(says);
      expect(await resourceVersions(ns)).toEqual(before);
    }

    // A query that answers a range vector, and one that answers a series per track: refused at the preflight.
    for (const [query, says] of [
      ['http_requests_total[5s]', 'range vector'],
      ['sum by (track) (rate(http_requests_total[5s]))', 'series'],
    ] as const) {
      commit(`query ${query}`, {
        'kubeplan.yaml': canaryConfig(ns, prometheus.url, { steps: LONG_PAUSE, query }),
        'app/app.json': app('shop:2'),
      });
      const shape = await run(repo, ['apply']);
      expect(shape.code, shape.stderr).toBe(2);
      expect(shape.stderr).toContain(says);
      expect(await resourceVersions(ns)).toEqual(before);
    }

    // Prometheus behind a proxy that wants a bearer token: the wrong one is a 401 at the preflight, named by its
    // variable, and the token itself is in no output.
    const token = 'prom-token-5e3c1d9a7b';
    const front = createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer right-token') {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
        return;
      }
      res.writeHead(502).end();
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
      commit('a token Prometheus refuses', {
        'kubeplan.yaml': canaryConfig(ns, url, { steps: LONG_PAUSE, tokenEnv: 'PROM_TOKEN' }),
        'app/app.json': app('shop:2'),
      });
      const refusedToken = await run(repo, ['apply'], { PROM_TOKEN: token });
      expect(refusedToken.code).toBe(2);
      expect(refusedToken.stderr).toContain('the token in PROM_TOKEN was refused by Prometheus');
      expect(refusedToken.stdout + refusedToken.stderr).not.toContain(token);
      expect(await resourceVersions(ns)).toEqual(before);
    } finally {
      front.closeAllConnections();
      await new Promise<void>((r) => front.close(() => r()));
    }
  }, 180_000);
});
