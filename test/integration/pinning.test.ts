import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFaultProxy } from '../harness/fault-proxy.js';
import { bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

const repo = () =>
  makeRepo({
    'kubeplan.yaml': 'targets:\n  - name: app\n    namespace: default\n    manifests: m\n',
    'm/cm.json': JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'pinned' },
      data: { A: '1' },
    }),
  });

describe('cluster pinning', () => {
  const fingerprint = () => new X509Certificate(readFileSync(bench().caFile)).fingerprint256;

  it('goes ahead when the server and the CA are the pinned ones', async () => {
    const run = await runCliAsync(
      [
        'diff',
        '--kubeconfig',
        bench().adminKubeconfig,
        '--expect-server',
        bench().server,
        '--expect-ca-sha256',
        fingerprint(),
      ],
      { cwd: repo() },
    );
    expect(run.code, run.stderr).toBe(0);
  });

  it('refuses another server or CA before any request carries the credentials', async () => {
    const proxy = await startFaultProxy(bench(), () => undefined);
    try {
      const r = repo();
      const kubeconfig = path.join(r, 'other.kubeconfig');
      writeFileSync(kubeconfig, proxy.kubeconfig(bench().adminToken));
      const wrongServer = await runCliAsync(['apply', '--kubeconfig', kubeconfig, '--expect-server', bench().server], {
        cwd: r,
      });
      expect(wrongServer.code).toBe(2);
      expect(wrongServer.stderr).toContain(
        `the kubeconfig points at ${proxy.url}, not the pinned cluster ${bench().server}; nothing was sent`,
      );
      const wrongCa = await runCliAsync(
        ['diff', '--kubeconfig', bench().adminKubeconfig, '--expect-ca-sha256', 'ab'.repeat(32)],
        { cwd: r },
      );
      expect(wrongCa.code).toBe(2);
      expect(wrongCa.stderr).toContain(`not the pinned ${'ab'.repeat(32)}; nothing was sent`);
      expect(proxy.requests()).toBe(0);
    } finally {
      await proxy.stop();
    }
  });
});
