import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../forge/forge.js';
import { api, bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runAction } from '../helpers/run-action.js';
import { runCliAsync } from '../helpers/run-cli.js';

describe('action command rollback', () => {
  let forge: Forge;
  let scratch: string;
  beforeAll(async () => {
    forge = await startForge();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-rollback-action-'));
  });
  afterAll(async () => {
    await forge?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('lists the revisions of one target and re-applies the previous one, with an output and a job summary', async () => {
    const ns = `rba-${Math.random().toString(36).slice(2, 8)}`;
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    const cm = (v: string) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { V: v } });
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n    apply: {rollback: true}\n`,
      'm/cm.json': cm('1'),
    });
    const apply = () => runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig], { cwd: repo });
    expect((await apply()).code).toBe(0);
    writeFileSync(path.join(repo, 'm/cm.json'), cm('2'));
    expect((await apply()).code).toBe(0);
    const run = (inputs: Record<string, string>) =>
      runAction({
        repo,
        forge,
        event: 'workflow_dispatch',
        payload: {},
        scratch,
        inputs: { command: 'rollback', targets: 'app', wait: 'false', ...inputs },
      });

    const listed = await run({ 'to-revision': 'list' });
    expect(listed.code, listed.stdout).toBe(0);
    expect(listed.summary).toMatch(/^2\s.*current$/m);

    const rolled = await run({});
    expect(rolled.code, rolled.stdout).toBe(0);
    expect(JSON.parse(rolled.outputs['rolled-back']!)).toEqual({
      target: 'app',
      revision: 1,
      recordedAs: 3,
      created: 0,
      updated: 1,
      pruned: 0,
    });
    expect(rolled.summary).toContain('rolled back to revision 1');
    const live = await api<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${ns}/configmaps/settings`);
    expect(live.body.data.V).toBe('1');

    const two = await run({ targets: 'app,other' });
    expect(two.code).not.toBe(0);
    expect(two.stdout).toContain('rollback needs exactly one target');
  });
});
