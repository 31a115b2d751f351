import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installGatewayApiCrds } from '../harness/crds.js';
import { startDeploymentController } from '../harness/deploy-controller.js';
import { bench, freshNamespace } from '../harness/kube.js';
import { type BenchPrometheus, type Exporter, startExporter, startPrometheus } from '../harness/prometheus.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import { helmBin, kubectlBin, repoRoot } from '../helpers/tools.js';
import {
  app,
  canaryConfig,
  canaryState,
  getDeployment,
  image,
  kubeplan,
  routeWeights,
  SCRAPED,
} from './canary-fixture.js';

/**
 * A CI job killed (SIGKILL: no clean-up at all) at a random point of a canary, then `kubeplan canary continue` (or
 * `kubeplan apply`, when the kill came before the canary started) from the same CI run: every trial ends Succeeded or
 * Failed as its template deserves, with the weights exactly stable 100 / canary 0, no canary Deployment, and the
 * stable Deployment on the new template (promoted) or the old one (rolled back).
 */
const TRIALS = 20;
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

/** A small seeded generator, so a failing trial can be run again with the same kill times (the seed is printed). */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Starts `kubeplan apply` and kills it with SIGKILL after `ms`; resolves when it is gone. */
function applyKilledAfter(repo: string, env: NodeJS.ProcessEnv, ms: number): Promise<number | null> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'dist', 'cli.js'), 'apply', '--kubeconfig', bench().adminKubeconfig, '--timeout', '10s'],
    {
      cwd: repo,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        KUBEPLAN_HELM: helmBin,
        KUBEPLAN_KUBECTL: kubectlBin,
        ...env,
      },
      stdio: 'ignore',
    },
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
}

describe('a canary killed at random points', () => {
  it(`ends promoted or rolled back after canary continue, in ${TRIALS} trials`, async () => {
    const seed = Number(process.env.KUBEPLAN_KILL_SEED ?? Date.now() % 100_000);
    const next = random(seed);
    const ns = await freshNamespace('canary-kill');
    const controller = startDeploymentController(ns);
    try {
      const { repo, commit } = makeGitRepo({
        'kubeplan.yaml': canaryConfig(ns, prometheus.url, { steps: ['{weight: 20}', '{weight: 60}'], checks: 1 }),
        'app/app.json': app('shop:0'),
      });
      expect((await kubeplan(repo, ['apply'])).code).toBe(0);
      let good = 'shop:0';
      const outcomes: string[] = [];
      for (let trial = 1; trial <= TRIALS; trial++) {
        const broken = trial % 3 === 0;
        const version = `shop:${trial}`;
        const sha = commit(`trial ${trial}`, { 'app/app.json': app(version, { broken }) });
        const env = { GITHUB_RUN_ID: `${seed}-${trial}`, GITHUB_REPOSITORY: 'acme/deploy' };
        const killAt = Math.round(200 + next() * 4500);
        const killed = await applyKilledAfter(repo, env, killAt);
        const where = `seed ${seed}, trial ${trial} (${broken ? 'broken' : 'good'} ${version}), killed after ${killAt} ms (exit ${killed})`;
        const before = await canaryState(ns);
        const endedBefore = before?.commit === sha && (before.phase === 'Succeeded' || before.phase === 'Failed');
        // The next run of the same CI run goes on from the stored state.
        let after = await kubeplan(repo, ['canary', 'continue'], env);
        if (after.code === 2 && after.stderr.includes('has no canary under way'))
          after = await kubeplan(repo, ['apply'], env);
        const state = await canaryState(ns);
        expect(state?.commit, where).toBe(sha);
        expect(state?.phase, `${where}\n${after.stdout}\n${after.stderr}`).toBe(broken ? 'Failed' : 'Succeeded');
        // A run that finished before the kill came said so itself; a canary that ended before the kill is only
        // confirmed by the next run (exit 0: nothing to do); any other ends in the next run, which says how.
        const expected = killed !== null ? killed : endedBefore ? 0 : broken ? 1 : 0;
        expect(killed ?? after.code, `${where}\n${after.stderr}`).toBe(expected);
        if (killed !== null) expect(killed, where).toBe(broken ? 1 : 0);
        expect(await routeWeights(ns), where).toEqual({ 'shop-stable': 100, 'shop-canary': 0 });
        expect((await getDeployment(ns, 'shop-canary')).status, where).toBe(404);
        if (!broken) good = version;
        expect(await image(ns), where).toBe(good);
        outcomes.push(`${trial}:${killed === null ? 'killed' : `exited ${killed}`}@${killAt}ms→${state?.phase}`);
      }
      // Most runs were killed part-way (a run that finished first proves less).
      expect(outcomes.filter((o) => o.includes('killed')).length, outcomes.join(', ')).toBeGreaterThanOrEqual(
        TRIALS / 2,
      );
    } finally {
      await controller.stop();
    }
  }, 600_000);
});
