import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Forge, startForge } from '../forge/forge.js';
import { installGatewayApiCrds } from '../harness/crds.js';
import { startDeploymentController } from '../harness/deploy-controller.js';
import { api, freshNamespace } from '../harness/kube.js';
import { type BenchPrometheus, type Exporter, startExporter, startPrometheus } from '../harness/prometheus.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import { runAction } from '../helpers/run-action.js';
import { app, canaryConfig, SCRAPED } from '../canary/canary-fixture.js';

/**
 * Canaries from the action on the bench (real Gateway API CRDs, a real Prometheus scraping an exporter the test
 * drives, the test playing the Deployment controller, the fake GitHub forge): a push starts a canary and the job
 * reports it; a scheduled `command: canary` run finishes one the push's budget left unfinished.
 */
let forge: Forge;
let prometheus: BenchPrometheus;
let exporter: Exporter;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-canary-action-'));
// The Prometheus bearer token (canary.analysis.prometheus.tokenEnv), from a CI secret: in no output.
const PROM_TOKEN = 'prom-token-4f9c2a7e81d3';

beforeAll(async () => {
  forge = await startForge();
  await installGatewayApiCrds();
  exporter = await startExporter();
  exporter.setRates('shop-canary', { '200': 50 });
  prometheus = await startPrometheus({ targets: [exporter.target] });
  await prometheus.waitForScrape(SCRAPED, 60_000);
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
  await forge?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const config = (ns: string, steps: string[]) =>
  canaryConfig(ns, prometheus.url, { steps, checks: 2, tokenEnv: 'PROM_TOKEN' });

const QUICK = ['{weight: 10, pause: 1s}', '{weight: 50}'];
const SLOW = ['{weight: 10, pause: 10m}', '{weight: 50}', '{weight: 80}'];

const pushEvent = (before: string, after: string) => ({
  ref: 'refs/heads/main',
  before,
  after,
  repository: { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, default_branch: 'main' },
  pusher: { name: 'alice' },
});
const push = (repo: string, before: string, after: string, inputs: Record<string, string> = {}) =>
  runAction({
    repo,
    forge,
    event: 'push',
    payload: pushEvent(before, after),
    inputs: { apply: 'true', wait: 'true', timeout: '30s', ...inputs },
    scratch,
    env: { PROM_TOKEN },
  });

const stableImage = async (ns: string) =>
  (
    await api<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(
      'GET',
      `/apis/apps/v1/namespaces/${ns}/deployments/shop`,
    )
  ).body.spec.template.spec.containers[0]!.image;

/** Everything the run wrote that a person or a later job reads: the log (but its ::add-mask:: lines), outputs, summary. */
const written = (run: { stdout: string; outputs: Record<string, string>; summary: string }) =>
  [run.stdout.replaceAll(`::add-mask::${PROM_TOKEN}`, ''), JSON.stringify(run.outputs), run.summary].join('\n');

/** The statuses of the deployment of `sha` to environment shop. */
const statuses = (sha: string) =>
  forge.deployments
    .filter((d) => d.ref === sha && d.environment === 'shop')
    .map((d) => d.statuses.map((s) => `${s.state}: ${s.description}`));

describe('canaries from the action', () => {
  it('a push runs the canary within its budget and promotes it: deployment success, canaries output, summary table', async () => {
    const ns = await freshNamespace('canary-act');
    const controller = startDeploymentController(ns);
    try {
      const { repo, git, commit } = makeGitRepo({ 'kubeplan.yaml': config(ns, QUICK), 'app/app.json': app('shop:1') });
      const first = git('rev-parse', 'HEAD');
      const install = await push(repo, '0'.repeat(40), first);
      expect(install.code, install.stdout).toBe(0);
      expect(JSON.parse(install.outputs.canaries!)).toEqual([]);

      exporter.setRates('shop-canary', { '200': 50 });
      const next = commit('shop 2', { 'app/app.json': app('shop:2') });
      const run = await push(repo, first, next);
      expect(run.code, run.stdout).toBe(0);
      expect(await stableImage(ns)).toBe('shop:2');
      expect(JSON.parse(run.outputs.canaries!)).toEqual([
        { target: 'shop', phase: 'Succeeded', step: 2, steps: 2, weight: 0, exitCode: 0 },
      ]);
      expect(run.summary).toContain(`### kubeplan applied \`${next.slice(0, 7)}\``);
      expect(run.summary).toContain('| target | phase | step | weight | last measurements | message |');
      expect(run.summary).toMatch(/\| shop \| ✅ Succeeded \| 2\/2 \| 0 % \| success-rate: 100 \(ok\) \|/);
      expect(statuses(next)).toEqual([
        [`in_progress: applying ${next.slice(0, 7)}`, `success: canary of ${next.slice(0, 7)} promoted`],
      ]);
      // The token was registered with the runner's mask the moment it was read, and is in nothing written.
      expect(run.stdout).toContain(`::add-mask::${PROM_TOKEN}`);
      expect(written(run)).not.toContain(PROM_TOKEN);
      expect(forge.violations).toEqual([]);
    } finally {
      await controller.stop();
    }
  }, 240_000);

  it('a budget that runs out leaves the job green with a notice and the deployment in progress; a scheduled command canary (promote-full) finishes it', async () => {
    const ns = await freshNamespace('canary-act');
    const controller = startDeploymentController(ns);
    try {
      const { repo, git, commit } = makeGitRepo({ 'kubeplan.yaml': config(ns, SLOW), 'app/app.json': app('shop:1') });
      const first = git('rev-parse', 'HEAD');
      expect((await push(repo, '0'.repeat(40), first)).code).toBe(0);

      const next = commit('shop 2', { 'app/app.json': app('shop:2') });
      const run = await push(repo, first, next, { 'canary-budget': '10s' });
      expect(run.code, run.stdout).toBe(0);
      expect(JSON.parse(run.outputs.canaries!)).toEqual([
        { target: 'shop', phase: 'Progressing', step: 1, steps: 3, weight: 10, exitCode: 3 },
      ]);
      expect(run.stdout).toMatch(
        // The runner's workflow command escapes % as %25.
        /::notice::target shop: the canary of [0-9a-f]{7} is not finished, at canary 10 %25 \(step 1\/3\): .*schedule-command: canary moves it on/,
      );
      expect(run.summary).toContain('⏸️ Progressing | 1/3 | 10 %');
      expect(run.summary).toContain('Not finished: shop; a scheduled run with schedule-command: canary moves it on');
      expect(statuses(next)).toEqual([
        [`in_progress: applying ${next.slice(0, 7)}`, 'in_progress: canary 10 % (step 1/3)'],
      ]);
      expect(await stableImage(ns)).toBe('shop:1');

      // canary-action status reports it and changes nothing.
      const status = await runAction({
        repo,
        forge,
        event: 'workflow_dispatch',
        payload: {},
        inputs: { command: 'canary', 'canary-action': 'status' },
        scratch,
        env: { GITHUB_SHA: next },
      });
      expect(status.code, status.stdout).toBe(0);
      expect(JSON.parse(status.outputs.canaries!)).toEqual([
        { target: 'shop', phase: 'Progressing', step: 1, steps: 3, weight: 10, exitCode: 3 },
      ]);
      expect(status.summary).toContain('### kubeplan canary status');
      expect(status.summary).toContain('⏸️ Progressing | 1/3 | 10 %');

      // Another run moves the canary (a live heartbeat): a scheduled run leaves it alone and does not fail.
      const holder = async (heartbeat: Date) => {
        const url = `/api/v1/namespaces/${ns}/configmaps/kubeplan-canary-shop`;
        const cm = (await api<{ data: Record<string, string> }>('GET', url)).body;
        const state = JSON.parse(cm.data['state.json']!);
        state.holder = { run: 'https://ci.example/other-run', heartbeat: heartbeat.toISOString() };
        cm.data['state.json'] = JSON.stringify(state);
        expect((await api('PUT', url, { body: cm })).status).toBe(200);
      };
      await holder(new Date());
      const held = await runAction({
        repo,
        forge,
        event: 'schedule',
        payload: { schedule: '*/5 * * * *' },
        inputs: { 'schedule-command': 'canary', wait: 'true', timeout: '30s' },
        scratch,
        env: { PROM_TOKEN, GITHUB_SHA: next },
      });
      expect(held.code, held.stdout).toBe(0);
      expect(held.stdout).toMatch(
        /::notice::the canary of target shop is moved by another run \(https:\/\/ci.example\/other-run, heartbeat \d+ s ago\); this run left it as it is/,
      );
      expect(held.outputs['failed-target']).toBe('');
      expect(statuses(next)).toEqual([
        [`in_progress: applying ${next.slice(0, 7)}`, 'in_progress: canary 10 % (step 1/3)'],
      ]);
      // That run died: its heartbeat is two minutes old, so the next run takes the canary over.
      await holder(new Date(Date.now() - 120_000));

      // The schedule: command auto runs schedule-command canary, here promoting at once.
      const scheduled = await runAction({
        repo,
        forge,
        event: 'schedule',
        payload: { schedule: '*/5 * * * *' },
        inputs: { 'schedule-command': 'canary', 'canary-action': 'promote-full', wait: 'true', timeout: '30s' },
        scratch,
        env: { PROM_TOKEN, GITHUB_SHA: next },
      });
      expect(scheduled.code, scheduled.stdout).toBe(0);
      expect(JSON.parse(scheduled.outputs.canaries!)).toEqual([
        { target: 'shop', phase: 'Succeeded', step: 1, steps: 3, weight: 0, exitCode: 0 },
      ]);
      expect(scheduled.summary).toContain(`### kubeplan canary promote-full at \`${next.slice(0, 7)}\``);
      expect(await stableImage(ns)).toBe('shop:2');
      // The deployment the push left in progress is the one that ends: no second deployment of the commit.
      expect(statuses(next)).toEqual([
        [
          `in_progress: applying ${next.slice(0, 7)}`,
          'in_progress: canary 10 % (step 1/3)',
          `success: canary of ${next.slice(0, 7)} promoted`,
        ],
      ]);
      expect(written(scheduled)).not.toContain(PROM_TOKEN);
      expect(written(run)).not.toContain(PROM_TOKEN);
      expect(forge.violations).toEqual([]);
    } finally {
      await controller.stop();
    }
  }, 240_000);

  it('a failing metric rolls the canary back: the job fails naming the target and the reason, the deployment fails', async () => {
    const ns = await freshNamespace('canary-act');
    const controller = startDeploymentController(ns);
    try {
      const { repo, git, commit } = makeGitRepo({ 'kubeplan.yaml': config(ns, QUICK), 'app/app.json': app('shop:1') });
      const first = git('rev-parse', 'HEAD');
      expect((await push(repo, '0'.repeat(40), first)).code).toBe(0);

      exporter.setRates('shop-canary', { '200': 30, '500': 20 });
      await prometheus.waitForScrape('sum(rate(http_requests_total{track="shop-canary",code="500"}[5s])) > 0', 30_000);
      const next = commit('shop 3', { 'app/app.json': app('shop:3') });
      const run = await push(repo, first, next);
      expect(run.code, run.stdout).not.toBe(0);
      expect(await stableImage(ns)).toBe('shop:1');
      expect(JSON.parse(run.outputs.canaries!)).toMatchObject([{ target: 'shop', phase: 'Failed', exitCode: 1 }]);
      expect(run.stdout).toMatch(
        /::error::target shop: the canary of [0-9a-f]{7} was rolled back: .*below the minimum 99/,
      );
      expect(run.stdout).toMatch(/::error::the canary of target shop was rolled back: .*below the minimum 99/);
      expect(run.summary).toContain(
        `### kubeplan apply of \`${next.slice(0, 7)}\` failed: the canary of target shop was rolled back`,
      );
      expect(run.summary).toContain('❌ Failed');
      const [deployment] = statuses(next);
      expect(deployment![0]).toBe(`in_progress: applying ${next.slice(0, 7)}`);
      expect(deployment![1]).toMatch(/^failure: canary rolled back: .*below the minimum 99/);
      expect(written(run)).not.toContain(PROM_TOKEN);
      expect(forge.violations).toEqual([]);
    } finally {
      await controller.stop();
    }
  }, 240_000);
});
