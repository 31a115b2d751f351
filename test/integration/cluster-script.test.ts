import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubectl } from '../harness/kube.js';
import { repoRoot } from '../helpers/tools.js';

describe('npm run cluster', () => {
  it('prints the ready line, writes both kubeconfigs, and on SIGTERM stops and removes its data', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'kubeplan-cluster-')), 'cluster');
    const child = spawn(process.execPath, [path.join(repoRoot, 'scripts/cluster.mjs')], {
      env: { ...process.env, KUBEPLAN_CLUSTER_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          stdout += d;
          if (stdout.includes('\n')) resolve();
        });
        child.on('exit', () => reject(new Error(`cluster exited early: ${stderr}`)));
      });
      expect(stdout).toBe(`ready: KUBECONFIG=${path.join(dir, 'admin.kubeconfig')}\n`);
      expect(readFileSync(path.join(dir, 'limited.kubeconfig'), 'utf8')).toContain('token:');
      const ns = await kubectl(['get', 'namespace', 'default', '-o', 'name'], {
        kubeconfig: path.join(dir, 'admin.kubeconfig'),
      });
      expect(ns.stdout.trim()).toBe('namespace/default');
      const denied = await kubectl(['get', 'configmaps'], { kubeconfig: path.join(dir, 'limited.kubeconfig') });
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain('forbidden');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('stopped; data removed');
    expect(existsSync(dir)).toBe(false);
  });
});
