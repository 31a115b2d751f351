import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installGatewayApiCrds } from '../harness/crds.js';
import { startDeploymentController } from '../harness/deploy-controller.js';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { type BenchPrometheus, type Exporter, startExporter, startPrometheus } from '../harness/prometheus.js';
import { app as fixtureApp, canaryConfig } from './canary-fixture.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import { SecretMask } from '../../src/core/report/secret-mask.js';
import { planPullRequest } from '../../src/core/workflows/plan.js';
import { parsePlanRequest, type RequestSource } from '../../src/core/workflows/request.js';
import { memoryPorts, pullRequestContext } from '../helpers/memory-ports.js';
import { runCliAsync } from '../helpers/run-cli.js';
import { helmBin, kubectlBin, repoRoot } from '../helpers/tools.js';

/**
 * `kubeplan diff` and `kubeplan drift` see a canary target at its canary's place, as apply does, on the bench: the
 * real Gateway API CRDs, a real Prometheus, the test playing the Deployment controller. A plan file of a canary's
 * start binds the apply; during a canary its weights and Deployment are neither a change nor drift.
 */
let prometheus: BenchPrometheus;
let exporter: Exporter;

beforeAll(async () => {
  await installGatewayApiCrds();
  exporter = await startExporter();
  prometheus = await startPrometheus({ targets: [exporter.target] });
}, 120_000);

const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-canaryplan-'));

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const SECRET_VALUE = 'canary-plan-s3cret-value';

const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'shop-token' },
  stringData: { token: SECRET_VALUE },
};
// A chart that writes a Secret's value into an env value: the plan's template diff must not show it.
const app = (image: string, env?: Record<string, string>) => fixtureApp(image, { env, extra: [secret] });
const config = (ns: string, prometheusUrl: string) =>
  canaryConfig(ns, prometheusUrl, { steps: ['{weight: 10, pause: 10m}', '{weight: 50}'], checks: 1 });

const run = (repo: string, args: string[]) =>
  runCliAsync([...args, '--kubeconfig', bench().adminKubeconfig], { cwd: repo });

interface TargetJson {
  name: string;
  summary: Record<string, number>;
  changes: { action: string; kind: string; name: string }[];
  canary: {
    start: string;
    note: string;
    state: { phase: string; step: number; steps: number; weight: number; commit: string } | null;
    templateDiff: string | null;
  } | null;
}

/**
 * `secretFree`: the value a Secret holds appears nowhere. Not while a canary runs git's template that has it in an env
 * value: a plan shows such a Deployment's diff as it is (a literal env value is no Secret).
 */
const diffJson = async (repo: string, extra: string[] = [], secretFree = true) => {
  const r = await run(repo, ['diff', '-o', 'json', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  if (secretFree) expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET_VALUE);
  const report = JSON.parse(r.stdout) as { targets: TargetJson[] };
  // The published schema describes the report with its canary.
  expect(validatePlan(report) ? [] : validatePlan.errors).toEqual([]);
  return report.targets.find((t) => t.name === 'shop')!;
};
const schema = JSON.parse(readFileSync(path.join(repoRoot, 'kubeplan-report.schema.json'), 'utf8')) as { $id: string };
const ajv = new Ajv({ strict: true, allErrors: true });
ajv.addSchema(schema);
const validatePlan = ajv.getSchema(`${schema.$id}#/definitions/plan`)!;

const changed = (t: TargetJson) => t.changes.filter((c) => c.action !== 'unchanged');

const canaryWeight = async (ns: string) => {
  const got = await api<{ spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] } }>(
    'GET',
    `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/shop`,
  );
  return got.body.spec.rules[0]?.backendRefs.find((b) => b.name === 'shop-canary')?.weight;
};
const deploymentStatus = async (ns: string, name: string) =>
  (await api('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`)).status;

describe('plan, diff and drift of a canary target', () => {
  it('see the canary’s place: a start binds its apply, a canary under way is no change and no drift, restart and held are said', async () => {
    const ns = await freshNamespace('canaryplan');
    const controller = startDeploymentController(ns);
    try {
      const { repo, commit, git } = makeGitRepo({
        'kubeplan.yaml': config(ns, prometheus.url),
        'app/app.json': app('shop:1'),
      });
      const first = await run(repo, ['apply']);
      expect(first.code, first.stderr).toBe(0);

      // Steady: the stable track label, the derived Services and the route at 100/0 are what apply wrote.
      const steady = await diffJson(repo);
      expect(changed(steady)).toEqual([]);
      expect(changed(await diffJson(repo, ['--mode', 'client']))).toEqual([]);
      expect(steady.canary).toMatchObject({ start: 'steady', state: null, templateDiff: null });
      const steadyDrift = await run(repo, ['drift', '--exit-code']);
      expect(steadyDrift.code, steadyDrift.stdout).toBe(0);

      // A new image: the plan starts a canary; the stable Deployment keeps its template, so nothing else changes.
      const sha = commit('shop 2', { 'app/app.json': app('shop:2', { TOKEN: SECRET_VALUE }) });
      const start = await diffJson(repo, ['--out', 'plan.json']);
      expect(changed(start)).toEqual([]);
      expect(start.canary?.start).toBe('start');
      expect(start.canary?.note).toBe('merging this starts a canary of the new pod template (steps: 10 %, 50 %)');
      expect(start.canary?.templateDiff).toMatch(/^-.*image: shop:1$/m);
      expect(start.canary?.templateDiff).toMatch(/^\+.*image: shop:2$/m);
      expect(start.canary?.templateDiff).toContain('(redacted)');
      expect(readFileSync(path.join(repo, 'plan.json'), 'utf8')).not.toContain(SECRET_VALUE);
      // diff --exit-code: a canary to start is a change to deploy.
      expect((await run(repo, ['diff', '--exit-code'])).code).toBe(1);
      const markdown = await run(repo, ['diff', '-o', 'markdown']);
      expect(markdown.stdout).toContain(
        '**Canary** of `shop`: merging this starts a canary of the new pod template (steps: 10 %, 50 %)',
      );
      expect(markdown.stdout).toMatch(/^\+.*image: shop:2$/m);
      expect(markdown.stdout).not.toContain(SECRET_VALUE);

      // The reviewed plan binds the apply (exit 3: the canary waits out its 10-minute pause past the budget, not 4).
      const applied = await run(repo, ['apply', '--plan', 'plan.json', '--canary-budget', '5s', '--timeout', '30s']);
      expect(applied.stderr).not.toContain('not the reviewed plan');
      expect(applied.code, `${applied.stdout}${applied.stderr}`).toBe(3);
      expect(await canaryWeight(ns)).toBe(10);
      expect(await deploymentStatus(ns, 'shop-canary')).toBe(200);

      // During the canary: its Deployment, the weights and the stable template are no change and no drift.
      const during = await diffJson(repo);
      expect(changed(during)).toEqual([]);
      expect(changed(await diffJson(repo, ['--mode', 'client']))).toEqual([]);
      expect(during.canary).toMatchObject({
        start: 'resume',
        state: { phase: 'Progressing', step: 1, steps: 2, weight: 10, commit: sha },
        templateDiff: null,
      });
      expect(during.canary?.note).toBe(
        `canary of ${sha.slice(0, 7)} at step 1/2 (10 %); it goes on: this change renders the pod template it runs`,
      );
      // A plan made during the canary binds the apply that resumes it (exit 3 again: the pause outlasts the budget).
      await diffJson(repo, ['--out', 'during.json']);
      const resumed = await run(repo, ['apply', '--plan', 'during.json', '--canary-budget', '2s', '--timeout', '30s']);
      expect(resumed.code, `${resumed.stdout}${resumed.stderr}`).toBe(3);
      expect(await canaryWeight(ns)).toBe(10);
      const drift = await run(repo, ['drift', '--exit-code']);
      expect(drift.code, drift.stdout).toBe(0);
      const metrics = await run(repo, ['drift', '-o', 'openmetrics']);
      expect(metrics.code, metrics.stderr).toBe(0);
      expect(metrics.stdout).toContain('kubeplan_drift_objects{target="shop"} 0');
      expect(metrics.stdout).toContain('# TYPE kubeplan_canary_weight gauge');
      expect(metrics.stdout).toContain('kubeplan_canary_weight{target="shop"} 10');
      expect(metrics.stdout).toContain('kubeplan_canary_step{target="shop"} 1');
      expect(metrics.stdout).toContain('kubeplan_canary_phase{target="shop",phase="Progressing"} 1');
      expect(metrics.stdout).toContain('kubeplan_canary_phase{target="shop",phase="Failed"} 0');
      const age = /kubeplan_canary_heartbeat_age_seconds\{target="shop"\} (\d+)/.exec(metrics.stdout);
      expect(Number(age?.[1])).toBeLessThan(120);
      expect(metrics.stdout.trimEnd().endsWith('# EOF')).toBe(true);

      // Another template while the canary runs: the plan says it restarts, and shows what the new canary runs.
      writeFileSync(path.join(repo, 'app/app.json'), app('shop:3'));
      const restart = await run(repo, ['diff']);
      expect(restart.code, restart.stderr).toBe(0);
      expect(restart.stdout).toContain(
        `canary: canary of ${sha.slice(0, 7)} at step 1/2 (10 %); merging this restarts it`,
      );
      expect(restart.stdout).toContain("what the canary runs: git's pod template against the stable one");
      expect(restart.stdout).toMatch(/^ {6}\+.*image: shop:3$/m);
      const restartJson = await diffJson(repo, [], false);
      expect(restartJson.canary?.start).toBe('restart');
      // The running canary goes (the new one starts at step 1 after the apply).
      expect(changed(restartJson)).toContainEqual(
        expect.objectContaining({ action: 'delete', kind: 'Deployment', name: 'shop-canary' }),
      );
      git('checkout', '--', 'app/app.json');

      // Aborted: the template is held back; the plan says merging changes nothing for it until canary retry.
      const aborted = await run(repo, ['canary', 'abort', '--timeout', '30s']);
      expect(aborted.code, `${aborted.stdout}${aborted.stderr}`).toBe(1);
      const held = await diffJson(repo);
      expect(changed(held)).toEqual([]);
      expect(held.canary?.start).toBe('held');
      expect(held.canary?.note).toMatch(
        /^this pod template failed its canary \(.*aborted by .*\); merging this changes nothing for it until kubeplan canary retry$/,
      );
      expect(held.canary?.templateDiff).toMatch(/^\+.*image: shop:2$/m);
      const heldText = await run(repo, ['diff']);
      expect(heldText.stdout).toContain("the template held back: git's pod template against the stable one");

      // An intent diff reads no canary state: it says so.
      const intent = await run(repo, ['diff', '--offline', '--base', 'HEAD~1']);
      expect(intent.code, intent.stderr).toBe(0);
      expect(intent.stderr).toContain('target shop has a canary: this intent diff reads no canary state');
    } finally {
      await controller.stop();
    }
  }, 240_000);

  it('a pull request that starts a canary gets its comment with comment: on-changes, though no object changes yet', async () => {
    const ns = await freshNamespace('canaryplan');
    const controller = startDeploymentController(ns);
    try {
      const { repo, commit } = makeGitRepo({
        'kubeplan.yaml': config(ns, prometheus.url),
        'app/app.json': app('shop:1'),
      });
      const first = await run(repo, ['apply']);
      expect(first.code, first.stderr).toBe(0);
      const base = commit('noop', { 'notes.txt': 'x' });
      commit('shop 2', { 'app/app.json': app('shop:2') });
      const memory = memoryPorts();
      const env = { PATH: process.env.PATH, HOME: process.env.HOME };
      const values: Record<string, string> = { comment: 'on-changes' };
      const source: RequestSource = {
        get: (name) => values[name],
        where: (name) => ({ via: 'cli', command: 'test', input: name }),
        name: (name) => `--${name}`,
      };
      const outcome = await planPullRequest(parsePlanRequest(source), {
        ctx: pullRequestContext({ baseSha: base, tempDir: scratch }),
        ports: memory.ports,
        workingDirectory: repo,
        env,
        tools: { helm: helmBin, kubectl: kubectlBin, kustomize: undefined },
        secrets: new SecretMask(),
        version: '0.0.0-test',
        cluster: {
          options: { kubeconfig: bench().adminKubeconfig, context: undefined, concurrency: 4, cwd: repo, env },
          inputs: 'a kubeconfig',
        },
        where: (name) => ({ input: name, via: 'action' }),
      });
      // No object changes now, but merging deploys something: has-changes (and diff --exit-code) say so.
      expect(outcome.outputs['has-changes']).toBe('true');
      // The target's job in a matrix of the plan runs: its canary starts on merge.
      expect(JSON.parse(outcome.outputs.matrix ?? '')).toEqual(['shop']);
      const [comment] = memory.comments.get(5) ?? [];
      expect(comment?.body).toContain('No changes.');
      expect(comment?.body).toContain('Merging this starts a canary.');
      expect(comment?.body).toContain(
        '**Canary** of `shop`: merging this starts a canary of the new pod template (steps: 10 %, 50 %)',
      );
      expect(comment?.body).toMatch(/^\+.*image: shop:2$/m);
    } finally {
      await controller.stop();
    }
  }, 120_000);

  it('read-only credentials that may not read the canary’s state are told what to grant', async () => {
    const ns = await freshNamespace('canaryplan');
    const controller = startDeploymentController(ns);
    try {
      const { repo } = makeGitRepo({ 'kubeplan.yaml': config(ns, prometheus.url), 'app/app.json': app('shop:1') });
      const first = await run(repo, ['apply']);
      expect(first.code, first.stderr).toBe(0);
      // Everything of the target but Secrets (the rollback revisions are Secrets).
      await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'reader' },
          rules: [
            { apiGroups: [''], resources: ['configmaps', 'services'], verbs: ['get', 'list'] },
            { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] },
            { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: ['get', 'list'] },
          ],
        },
      });
      await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'reader' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
          subjects: [{ kind: 'User', name: 'limited', apiGroup: 'rbac.authorization.k8s.io' }],
        },
      });
      const drift = await runCliAsync(['drift', '--kubeconfig', bench().limitedKubeconfig], { cwd: repo });
      expect(drift.code).toBe(2);
      expect(drift.stderr).toContain(
        `target shop: these credentials may not read where the target's canary stands: secrets is forbidden`,
      );
      expect(drift.stderr).toContain(
        `(Secrets of type kubeplan.dev/revision) in namespace ${ns}: grant get and list on configmaps and secrets there`,
      );
      expect(drift.stderr).not.toContain('a bug in kubeplan');
    } finally {
      await controller.stop();
    }
  }, 120_000);
});
