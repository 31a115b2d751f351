import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySetId, applySetParent, PART_OF } from '../../src/core/cluster/applyset.js';
import { api, bench } from '../harness/kube.js';
import { makeGitRepo, makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';
import { helmBin, kubectlBin, repoRoot } from '../helpers/tools.js';

const cm = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

describe('apply killed with SIGKILL at random points', () => {
  it('always converges on rerun: exactly the git state, nothing outside the set touched, every member labelled', async () => {
    const ns = `kill-${Math.random().toString(36).slice(2, 8)}`;
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    await api('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: cm('outsider', { KEEP: 'me' }) });
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
      'manifests/all.json': '{}',
    });
    // Two bundles that overlap: switching between them creates, updates and prunes.
    const bundles = [
      Array.from({ length: 12 }, (_, i) => cm(`a${i}`, { V: 'one' })),
      [
        ...Array.from({ length: 6 }, (_, i) => cm(`a${i}`, { V: 'two' })),
        ...Array.from({ length: 6 }, (_, i) => cm(`b${i}`, { V: 'two' })),
      ],
    ];
    const id = applySetId(applySetParent('app', ns));
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBEPLAN_HELM: helmBin,
      KUBEPLAN_KUBECTL: kubectlBin,
    };
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 20; trial++) {
      const bundle = bundles[trial % 2]!;
      writeFileSync(
        path.join(repo, 'manifests/all.json'),
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: bundle }),
      );
      const child = spawn(
        process.execPath,
        [path.join(repoRoot, 'dist/cli.js'), 'apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig],
        { cwd: repo, env, stdio: 'ignore' },
      );
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await new Promise((r) => setTimeout(r, 150 + random() * 900));
      child.kill('SIGKILL');
      await exited;
      const rerun = await runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig], { cwd: repo });
      expect(rerun.code, `trial ${trial}: ${rerun.stderr}`).toBe(0);
      const list = await api<{
        items: { metadata: { name: string; labels?: Record<string, string> }; data?: Record<string, string> }[];
      }>('GET', `/api/v1/namespaces/${ns}/configmaps`);
      const members = list.body.items.filter((i) => i.metadata.labels?.[PART_OF] === id);
      expect(members.map((m) => m.metadata.name).sort(), `trial ${trial}`).toEqual(
        bundle.map((o) => o.metadata.name).sort(),
      );
      for (const m of members)
        expect(m.data?.V, `trial ${trial} ${m.metadata.name}`).toBe(trial % 2 === 0 ? 'one' : 'two');
      const unlabelled = list.body.items
        .filter((i) => !i.metadata.labels?.[PART_OF])
        .map((i) => i.metadata.name)
        .sort();
      expect(unlabelled, `trial ${trial}`).toEqual(
        ['kube-root-ca.crt', 'kubeplan-app', 'outsider']
          .filter((n) => list.body.items.some((i) => i.metadata.name === n))
          .sort(),
      );
      expect(list.body.items.find((i) => i.metadata.name === 'outsider')!.data).toEqual({ KEEP: 'me' });
    }
  }, 180_000);
});

describe('apply interrupted with Ctrl-C (SIGINT)', () => {
  it('stops before the next write, says what it wrote, exits 130, and the inventory keeps the finished commit', async () => {
    const ns = `int-${Math.random().toString(36).slice(2, 8)}`;
    const deployment = (image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
      },
    });
    const bundle = (...items: object[]) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, ...items],
      });
    const { repo, git, head } = makeGitRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
      'manifests/all.json': bundle(deployment('nginx:1'), cm('old', { V: '1' })),
    });
    const first = head();
    const applied = await runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig], { cwd: repo });
    expect(applied.code, applied.stderr).toBe(0);
    // The next commit rolls out a new image (the health wait never ends: no controller runs on the bench) and drops `old`.
    writeFileSync(path.join(repo, 'manifests/all.json'), bundle(deployment('nginx:2')));
    git('commit', '-qam', 'two');
    const next = git('rev-parse', 'HEAD');
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBEPLAN_HELM: helmBin,
      KUBEPLAN_KUBECTL: kubectlBin,
    };
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'dist/cli.js'), 'apply', '--timeout', '5m', '--kubeconfig', bench().adminKubeconfig],
      { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const image = async () =>
      (
        await api<{ spec?: { template: { spec: { containers: { image: string }[] } } } }>(
          'GET',
          `/apis/apps/v1/namespaces/${ns}/deployments/web`,
        )
      ).body.spec?.template.spec.containers[0]?.image;
    for (let i = 0; i < 300 && (await image()) !== 'nginx:2'; i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const code = await exited;
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('cancelled (SIGINT)');
    expect(stderr).toContain('updated apps/v1 Deployment');
    expect(stderr).toContain('not written: 1 prune');
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/old`)).status).toBe(200);
    const annotations = (
      await api<{ metadata: { annotations: Record<string, string> } }>(
        'GET',
        `/api/v1/namespaces/${ns}/configmaps/kubeplan-app`,
      )
    ).body.metadata.annotations;
    expect(annotations['kubeplan.dev/commit']).toBe(first);
    expect(annotations['kubeplan.dev/applying-commit']).toBe(next);
  }, 60_000);

  it('while a pre-install hook Job runs: stops the hooks and writes no release and no inventory', async () => {
    const ns = `int-${Math.random().toString(36).slice(2, 8)}`;
    const job = (name: string, weight: number) =>
      `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\n  annotations:\n    "helm.sh/hook": pre-install\n    "helm.sh/hook-weight": "${weight}"\n` +
      'spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: run, image: busybox:1.37, command: ["true"]}]\n';
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    helm:\n      chart: chart\n`,
      'chart/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
      'chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  v: "1"\n',
      'chart/templates/first.yaml': job('first', -5),
      'chart/templates/second.yaml': job('second', 5),
    });
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBEPLAN_HELM: helmBin,
      KUBEPLAN_KUBECTL: kubectlBin,
    };
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'dist/cli.js'), 'apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig],
      { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // No Job controller runs on the bench: the first hook waits until the signal.
    for (let i = 0; i < 300 && (await api('GET', `/apis/batch/v1/namespaces/${ns}/jobs/first`)).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain('cancelled (SIGINT)');
    expect(stderr).toContain('not written: 1 object');
    expect((await api('GET', `/apis/batch/v1/namespaces/${ns}/jobs/second`)).status).toBe(404);
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/app`)).status).toBe(404);
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/kubeplan-app`)).status).toBe(404);
  }, 60_000);

  it('in a terminal, while helm renders: Ctrl-C reaches helm too, and kubeplan reports the cancellation, not a helm error', async () => {
    const ns = `int-${Math.random().toString(36).slice(2, 8)}`;
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    helm:\n      chart: chart\n`,
      'chart/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
      'chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n',
    });
    // A helm that takes long to render, and says when it started.
    const started = path.join(repo, '..', 'helm-started');
    const slowHelm = path.join(repo, '..', 'slow-helm');
    writeFileSync(slowHelm, `#!/bin/sh\ntouch '${started}'\nexec sleep 30\n`, { mode: 0o755 });
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBEPLAN_HELM: slowHelm,
      KUBEPLAN_KUBECTL: kubectlBin,
    };
    // Its own process group, as a terminal's foreground job: Ctrl-C signals the whole group.
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'dist/cli.js'), 'apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig],
      { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let i = 0; i < 300 && !existsSync(started); i++) await new Promise((r) => setTimeout(r, 100));
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain('cancelled (SIGINT)');
    expect(stderr).toContain('nothing was written');
    expect(stderr).not.toMatch(/helm.*failed|RenderError/i);
    expect((await api('GET', `/api/v1/namespaces/${ns}`)).status).toBe(404);
  }, 60_000);
});
