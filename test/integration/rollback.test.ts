import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

type Item = { metadata: { name: string; labels?: Record<string, string> }; data?: Record<string, string> };

const cm = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});
const SECRET_VALUE = 'rollback-secret-value-7f3a';
const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'creds' },
  stringData: { password: SECRET_VALUE },
};
const job = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'migrate' },
  spec: {
    backoffLimit: 0,
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'busybox:1.37' }] } },
  },
};

describe('apply.rollback: revisions, automatic rollback after a failed health check, kubeplan rollback', () => {
  it('restores the last good revision object for object and says what it could not undo; rolls back by hand and lists revisions', async () => {
    const ns = `rb-${Math.random().toString(36).slice(2, 8)}`;
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n    apply: {rollback: true}\n`,
      'm/all.json': '{}',
    });
    const write = (objects: object[]) =>
      writeFileSync(
        path.join(repo, 'm', 'all.json'),
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
      );
    const kubeconfig = ['--kubeconfig', bench().adminKubeconfig];
    const members = async () => {
      const cms = await api<{ items: Item[] }>('GET', `/api/v1/namespaces/${ns}/configmaps`);
      const jobs = await api<{ items: Item[] }>('GET', `/apis/batch/v1/namespaces/${ns}/jobs`);
      return [...cms.body.items, ...jobs.body.items]
        .filter((o) => o.metadata.labels?.['applyset.kubernetes.io/part-of'])
        .map((o) => `${o.metadata.name}${o.data ? ` ${JSON.stringify(o.data)}` : ''}`)
        .sort();
    };

    // v1: applied and stored as revision 1; the same apply again stores nothing new.
    write([cm('settings', { V: '1' }), secret]);
    const v1 = await runCliAsync(['apply', '--no-wait', ...kubeconfig], { cwd: repo });
    expect(v1.code, v1.stderr).toBe(0);
    expect(v1.stdout).toContain('note: stored as revision 1');
    const again = await runCliAsync(['apply', '--no-wait', ...kubeconfig], { cwd: repo });
    expect(again.stdout).not.toContain('stored as revision');
    const good = await members();
    expect(good).toEqual(['settings {"V":"1"}']);

    // v2 changes the ConfigMap, adds one, and adds a Job that fails: the health check fails and the apply rolls back.
    write([cm('settings', { V: '2' }), cm('extra', { E: '1' }), secret, job]);
    const failed = await withFailingJob(ns, () =>
      runCliAsync(['apply', '--timeout', '60s', ...kubeconfig], { cwd: repo }),
    );
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('is unhealthy: Job has reached the specified backoff limit');
    expect(failed.stderr).toContain('rolled back to revision 1');
    expect(failed.stderr).toContain(`could not be undone:\n    - batch/v1 Job ${ns}/migrate ran: what it did stays`);
    expect(await members()).toEqual(good);
    expect((await api('GET', `/apis/batch/v1/namespaces/${ns}/jobs/migrate`)).status).toBe(404);

    // v3 applies (revision 2); kubeplan rollback goes back to revision 1 and records it as revision 3.
    write([cm('settings', { V: '3' }), secret]);
    expect((await runCliAsync(['apply', '--no-wait', ...kubeconfig], { cwd: repo })).stdout).toContain(
      'stored as revision 2',
    );
    // Each revision records its compressed size, so listing revisions never has to read the bundles; one stored by an
    // older kubeplan (no such annotation) is still listed with its size.
    type Stored = { metadata: { annotations: Record<string, string> }; data: { bundle: string } };
    const rev2 = await api<Stored>('GET', `/api/v1/namespaces/${ns}/secrets/kubeplan-app-rev-2`);
    expect(Number(rev2.body.metadata.annotations['kubeplan.dev/revision-bytes'])).toBe(
      Buffer.from(rev2.body.data.bundle, 'base64').length,
    );
    await api('PATCH', `/api/v1/namespaces/${ns}/secrets/kubeplan-app-rev-1`, {
      body: { metadata: { annotations: { 'kubeplan.dev/revision-bytes': null } } },
      contentType: 'application/merge-patch+json',
    });
    const list = await runCliAsync(['rollback', '--target', 'app', '--list', ...kubeconfig], { cwd: repo });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^REVISION\s+COMMIT\s+APPLIED\s+OBJECTS\s+SIZE/m);
    expect(list.stdout).toMatch(/^1\s.*\s2\s+1 KiB\s*$/m);
    expect(list.stdout).toMatch(/^2\s.*current$/m);
    const back = await runCliAsync(['rollback', '--target', 'app', '--no-wait', ...kubeconfig], { cwd: repo });
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain('rolled back to revision 1');
    expect(back.stdout).toContain('recorded as revision 3');
    expect(await members()).toEqual(good);
    const forward = await runCliAsync(
      ['rollback', '--target', 'app', '--to-revision', '2', '--no-wait', ...kubeconfig],
      { cwd: repo },
    );
    expect(forward.code, forward.stderr).toBe(0);
    expect(await members()).toEqual(['settings {"V":"3"}']);
    const missing = await runCliAsync(['rollback', '--target', 'app', '--to-revision', '9', ...kubeconfig], {
      cwd: repo,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('target app has no revision 9');

    // The revisions hold the target's Secret as the cluster does; no output shows its value.
    for (const run of [v1, failed, list, back, forward]) expect(run.stdout + run.stderr).not.toContain(SECRET_VALUE);
  });

  it('a bundle over the size cap is applied but not stored, and the apply says so', async () => {
    const ns = `rb-big-${Math.random().toString(36).slice(2, 8)}`;
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    // Random data does not compress: two ConfigMaps of 700 KB are over the 900 KiB a revision may take.
    const big = (name: string) => cm(name, { blob: randomBytes(525_000).toString('base64') });
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n    apply: {rollback: true}\n`,
      'm/all.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [big('a'), big('b')] }),
    });
    const run = await runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig], { cwd: repo });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /note: revision not stored: the bundle is \d+ KiB compressed, over the 900 KiB a rollback can keep/,
    );
    const list = await runCliAsync(['rollback', '--target', 'app', '--list', '--kubeconfig', bench().adminKubeconfig], {
      cwd: repo,
    });
    expect(list.stdout).toContain('target app: no stored revisions yet');
  });

  it('a first apply that fails has nothing to roll back to, and says so', async () => {
    const ns = `rb-first-${Math.random().toString(36).slice(2, 8)}`;
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n    apply: {rollback: true}\n`,
      'm/all.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [cm('settings', { V: '1' }), job] }),
    });
    const failed = await withFailingJob(ns, () =>
      runCliAsync(['apply', '--timeout', '60s', '--kubeconfig', bench().adminKubeconfig], { cwd: repo }),
    );
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('is unhealthy: Job has reached the specified backoff limit');
    expect(failed.stderr).toContain('no earlier revision to roll back to');
  });
});

/** Plays the Job controller while `run` runs: the Job `migrate` fails at once. */
async function withFailingJob<T>(ns: string, run: () => Promise<T>): Promise<T> {
  let stop = false;
  const controller = (async () => {
    while (!stop) {
      const res = await api<{ status?: { conditions?: unknown[] } }>(
        'GET',
        `/apis/batch/v1/namespaces/${ns}/jobs/migrate`,
      );
      if (res.status === 200 && !res.body.status?.conditions?.length) {
        const now = new Date().toISOString();
        await api(
          'PATCH',
          `/apis/batch/v1/namespaces/${ns}/jobs/migrate/status?fieldManager=test-controller&force=true`,
          {
            body: {
              apiVersion: 'batch/v1',
              kind: 'Job',
              metadata: { name: 'migrate', namespace: ns },
              status: {
                startTime: now,
                failed: 1,
                conditions: [
                  {
                    type: 'FailureTarget',
                    status: 'True',
                    reason: 'BackoffLimitExceeded',
                    message: 'Job has reached the specified backoff limit',
                    lastProbeTime: now,
                    lastTransitionTime: now,
                  },
                  {
                    type: 'Failed',
                    status: 'True',
                    reason: 'BackoffLimitExceeded',
                    message: 'Job has reached the specified backoff limit',
                    lastProbeTime: now,
                    lastTransitionTime: now,
                  },
                ],
              },
            },
            contentType: 'application/apply-patch+yaml',
          },
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    return await run();
  } finally {
    stop = true;
    await controller;
  }
}
