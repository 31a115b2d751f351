import { beforeAll, describe, expect, it } from 'vitest';
import { installCrds, testCrd } from '../harness/crds.js';
import { api, bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

/**
 * Targets holding an Argo Rollouts Rollout or a Flagger Canary: kubeplan applies them as any object, then reads their
 * health from the phase the controller writes. No controller runs on the bench: the test plays it by writing status.
 */
interface ApplyJson {
  targets: { objects: { action: string; kind: string; name: string; phase?: string }[]; notes: string[] }[];
}

const uniq = () => `pd-${Math.random().toString(36).slice(2, 8)}`;

const rollout = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    strategy: {
      canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: { duration: '1m' } }] },
    },
  },
};
const canary = {
  apiVersion: 'flagger.app/v1beta1',
  kind: 'Canary',
  metadata: { name: 'web' },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    service: { port: 80 },
    analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10 },
  },
};

function repoWith(ns: string, object: object) {
  return makeRepo({
    'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
    'manifests/all.json': JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, object],
    }),
  });
}

const applyWaiting = (repo: string, timeout = '60s') =>
  runCliAsync(['apply', '--wait', '--timeout', timeout, '--kubeconfig', bench().adminKubeconfig, '-o', 'json'], {
    cwd: repo,
  });

/** Plays the controller: once the object exists, writes its status (observing its generation unless told). */
async function writeStatus(path: string, status: (generation: number) => Record<string, unknown>) {
  for (let i = 0; i < 300; i++) {
    const got = await api<{
      apiVersion: string;
      kind: string;
      metadata: { generation: number; name: string; namespace: string };
    }>('GET', path);
    if (got.status === 200) {
      const { apiVersion, kind, metadata } = got.body;
      const res = await api('PATCH', `${path}/status?fieldManager=test-controller&force=true`, {
        body: {
          apiVersion,
          kind,
          metadata: { name: metadata.name, namespace: metadata.namespace },
          status: status(metadata.generation),
        },
        contentType: 'application/apply-patch+yaml',
      });
      if (res.status !== 200) throw new Error(`status write failed: ${JSON.stringify(res.body)}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${path} never appeared`);
}

const rolloutPath = (ns: string) => `/apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts/web`;
const canaryPath = (ns: string) => `/apis/flagger.app/v1beta1/namespaces/${ns}/canaries/web`;

beforeAll(async () => {
  await installCrds([...testCrd('argo-rollouts'), ...testCrd('flagger')]);
});

describe('apply understands Argo Rollouts: the Rollout phase is its health', () => {
  it('a Rollout Argo Rollouts holds Paused at a pause step settles the apply, and the report names the phase', async () => {
    const ns = uniq();
    const running = applyWaiting(repoWith(ns, rollout));
    await writeStatus(rolloutPath(ns), (g) => ({
      observedGeneration: String(g),
      phase: 'Paused',
      message: 'CanaryPauseStep',
    }));
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    const target = (JSON.parse(run.stdout) as ApplyJson).targets[0]!;
    expect(target.objects.find((o) => o.kind === 'Rollout')).toMatchObject({ action: 'created', phase: 'Paused' });
    expect(target.notes).toContain(
      `argoproj.io/v1alpha1 Rollout ${ns}/web: Argo Rollouts reports Paused (CanaryPauseStep); Argo Rollouts goes on by itself after a timed pause, or on \`kubectl argo rollouts promote\``,
    );
  });

  it('waits while the Rollout is Progressing and ends when it is Healthy', async () => {
    const ns = uniq();
    const running = applyWaiting(repoWith(ns, rollout));
    await writeStatus(rolloutPath(ns), (g) => ({
      observedGeneration: String(g),
      phase: 'Progressing',
      message: 'more replicas need to be updated',
    }));
    await new Promise((r) => setTimeout(r, 2500));
    await writeStatus(rolloutPath(ns), (g) => ({ observedGeneration: String(g), phase: 'Healthy' }));
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    const target = (JSON.parse(run.stdout) as ApplyJson).targets[0]!;
    expect(target.objects.find((o) => o.kind === 'Rollout')?.phase).toBe('Healthy');
    expect(target.notes).toContain(`argoproj.io/v1alpha1 Rollout ${ns}/web: Argo Rollouts reports Healthy`);
  });

  it('fails fast on a Degraded Rollout with Argo Rollouts’ message, and names a missing controller on timeout', async () => {
    const ns = uniq();
    const running = applyWaiting(repoWith(ns, rollout));
    await writeStatus(rolloutPath(ns), (g) => ({
      observedGeneration: String(g),
      phase: 'Degraded',
      message: 'RolloutAborted: Rollout aborted update to revision 2',
    }));
    const run = await running;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `argoproj.io/v1alpha1 Rollout ${ns}/web: is unhealthy: Argo Rollouts reports Degraded (RolloutAborted: Rollout aborted update to revision 2)`,
    );
    expect(run.stderr).toContain('Argo Rollouts stopped it');

    // Status from an older generation is not the new spec's health.
    const ns2 = uniq();
    const stale = applyWaiting(repoWith(ns2, rollout), '3s');
    await writeStatus(rolloutPath(ns2), (g) => ({ observedGeneration: String(g - 1), phase: 'Healthy' }));
    const slow = await stale;
    expect(slow.code).toBe(2);
    expect(slow.stderr).toContain(
      'was not healthy after 3s: waiting for Argo Rollouts to observe generation 1 (is its controller running in the cluster?)',
    );
  });
});

describe('apply understands Flagger: the Canary phase is its health', () => {
  it('a Canary Flagger is analysing settles the apply with its phase and weight; Initialized and Succeeded are healthy', async () => {
    const ns = uniq();
    const running = applyWaiting(repoWith(ns, canary));
    await writeStatus(canaryPath(ns), (g) => ({
      observedGeneration: g,
      phase: 'Progressing',
      canaryWeight: 10,
      failedChecks: 0,
      conditions: [
        { type: 'Promoted', status: 'Unknown', reason: 'Progressing', message: 'Advance web.shop canary weight 10' },
      ],
    }));
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    const target = (JSON.parse(run.stdout) as ApplyJson).targets[0]!;
    expect(target.objects.find((o) => o.kind === 'Canary')?.phase).toBe('Progressing');
    expect(target.notes).toContain(
      `flagger.app/v1beta1 Canary ${ns}/web: Flagger reports Progressing (canary weight 10%; Advance web.shop canary weight 10); Flagger goes on with the analysis by itself: its outcome shows on the Canary`,
    );

    const ns2 = uniq();
    const first = applyWaiting(repoWith(ns2, canary));
    await writeStatus(canaryPath(ns2), (g) => ({ observedGeneration: g, phase: 'Initializing' }));
    await new Promise((r) => setTimeout(r, 2000));
    await writeStatus(canaryPath(ns2), (g) => ({ observedGeneration: g, phase: 'Initialized' }));
    const done = await first;
    expect(done.code, done.stderr).toBe(0);
    expect((JSON.parse(done.stdout) as ApplyJson).targets[0]!.objects.find((o) => o.kind === 'Canary')?.phase).toBe(
      'Initialized',
    );
  });

  it('fails on a Canary Flagger failed during the apply; waits past a failure from before it', async () => {
    const ns = uniq();
    const running = applyWaiting(repoWith(ns, canary));
    await writeStatus(canaryPath(ns), (g) => ({
      observedGeneration: g,
      phase: 'Failed',
      lastTransitionTime: new Date().toISOString(),
      conditions: [
        {
          type: 'Promoted',
          status: 'False',
          reason: 'Failed',
          message: 'Canary analysis failed, Deployment scaled to zero.',
        },
      ],
    }));
    const run = await running;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `flagger.app/v1beta1 Canary ${ns}/web: is unhealthy: Flagger reports Failed (Canary analysis failed, Deployment scaled to zero.)`,
    );

    // The Canary failed an hour ago; the apply waits for Flagger to analyse what it just wrote.
    const ns2 = uniq();
    const repo = repoWith(ns2, canary);
    const again = applyWaiting(repo);
    await writeStatus(canaryPath(ns2), (g) => ({
      observedGeneration: g,
      phase: 'Failed',
      lastTransitionTime: new Date(Date.now() - 3600_000).toISOString(),
    }));
    await new Promise((r) => setTimeout(r, 2500));
    await writeStatus(canaryPath(ns2), (g) => ({ observedGeneration: g, phase: 'Succeeded' }));
    const later = await again;
    expect(later.code, later.stderr).toBe(0);
    expect((JSON.parse(later.stdout) as ApplyJson).targets[0]!.objects.find((o) => o.kind === 'Canary')?.phase).toBe(
      'Succeeded',
    );
  });
});
