import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFaultProxy, type Fault } from '../harness/fault-proxy.js';
import { api, bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

const cm = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

function repoWith(ns: string, objects: object[]) {
  return makeRepo({
    'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: manifests\n`,
    'manifests/all.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
}

describe('apply through a faulty network (409 optimistic conflicts, 429 with Retry-After, 500, 503, connection resets)', () => {
  it('retries with backoff and converges to exactly the git state', async () => {
    const ns = `faults-${Math.random().toString(36).slice(2, 8)}`;
    const faults: Fault[] = ['409', '429', '500', '503', 'reset'];
    // Every third request fails, cycling through the faults; the same request fails at most twice, so the client's
    // retries (five attempts) always get through and the test is deterministic in its outcome.
    const seen = new Map<string, number>();
    const proxy = await startFaultProxy(bench(), (n, req) => {
      if (n % 3 !== 0) return undefined;
      const key = `${req.method} ${req.url}`;
      const count = seen.get(key) ?? 0;
      if (count >= 2) return undefined;
      seen.set(key, count + 1);
      return faults[(n / 3) % faults.length];
    });
    try {
      const objects = [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
        ...Array.from({ length: 20 }, (_, i) => cm(`c${i}`, { I: String(i) })),
      ];
      const repo = repoWith(ns, objects);
      const kubeconfig = path.join(repo, 'proxy.kubeconfig');
      writeFileSync(kubeconfig, proxy.kubeconfig(bench().adminToken));
      const run = await runCliAsync(['apply', '--no-wait', '--kubeconfig', kubeconfig], { cwd: repo });
      expect(run.code, run.stderr).toBe(0);
      expect(Object.values(proxy.injected).every((count) => count > 0)).toBe(true);
      const list = await api<{ items: { metadata: { name: string } }[] }>('GET', `/api/v1/namespaces/${ns}/configmaps`);
      expect(
        list.body.items
          .map((i) => i.metadata.name)
          .filter((n) => n.startsWith('c'))
          .sort(),
      ).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`).sort());
      const again = await runCliAsync(['apply', '--no-wait', '--kubeconfig', kubeconfig], { cwd: repo });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('No changes');
    } finally {
      await proxy.stop();
    }
  });

  it('names the object and the failure when retries run out, and leaves the rest untouched', async () => {
    const ns = `down-${Math.random().toString(36).slice(2, 8)}`;
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    // Reads pass; every write of ConfigMap "b" fails with 503.
    const proxy = await startFaultProxy(bench(), (_n, req) =>
      req.method === 'PATCH' && /\/configmaps\/b\?/.test(req.url ?? '') && !/dryRun/.test(req.url ?? '')
        ? '503'
        : undefined,
    );
    try {
      const repo = repoWith(ns, [cm('b', { X: '1' })]);
      const kubeconfig = path.join(repo, 'proxy.kubeconfig');
      writeFileSync(kubeconfig, proxy.kubeconfig(bench().adminToken));
      const run = await runCliAsync(['apply', '--no-wait', '--kubeconfig', kubeconfig], { cwd: repo });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`v1 ConfigMap ${ns}/b: injected 503`);
      expect(proxy.injected['503']).toBe(5);
    } finally {
      await proxy.stop();
    }
  });
});
