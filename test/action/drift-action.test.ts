import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../forge/forge.js';
import { api, bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runAction } from '../helpers/run-action.js';
import { runCliAsync } from '../helpers/run-cli.js';

let forge: Forge;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-drift-action-'));
beforeAll(async () => {
  forge = await startForge();
});
afterAll(async () => {
  await forge.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const cm = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

describe('the action on a schedule (drift)', () => {
  it('opens one tracking issue on drift, writes nothing while it persists unchanged, and closes it when fixed', async () => {
    const ns = `drift-act-${Math.random().toString(36).slice(2, 8)}`;
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: shop\n    namespace: ${ns}\n    manifests: m\n`,
      'm/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cm('settings', { LEVEL: 'info' })],
      }),
    });
    expect(
      (await runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig], { cwd: repo })).code,
    ).toBe(0);
    const schedule = () =>
      runAction({ repo, forge, event: 'schedule', payload: { schedule: '0 * * * *' }, inputs: {}, scratch });

    const clean = await schedule();
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.outputs['drifted-targets']).toBe('[]');
    expect(forge.issues.size).toBe(0);

    // An issue someone else opened with the label and kubeplan's marker is not kubeplan's to edit or close.
    const planted = {
      number: 900,
      user: 'mallory',
      title: 'drift, sure',
      body: '<!-- kubeplan:drift:shop first-seen:2020-01-01T00:00:00Z -->\nnot kubeplan',
      state: 'open' as const,
      labels: ['kubeplan:drift'],
    };
    forge.issues.set(900, { ...planted, labels: [...planted.labels] });
    await api('PATCH', `/api/v1/namespaces/${ns}/configmaps/settings?fieldManager=kubectl-edit`, {
      body: { data: { LEVEL: 'debug' } },
      contentType: 'application/merge-patch+json',
    });
    const first = await schedule();
    expect(first.code, first.stdout).toBe(0);
    expect(first.outputs['drifted-targets']).toBe('["shop"]');
    const issues = [...forge.issues.values()].filter((i) => i.user !== 'mallory');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ state: 'open', labels: ['kubeplan:drift'] });
    expect(issues[0]!.title).toMatch(/^kubeplan drift: shop differs from git since \d{4}-\d\d-\d\d$/);
    expect(issues[0]!.body).toContain(`\`v1 ConfigMap ${ns}/settings\`: differs: data.LEVEL`);

    const writes = forge.writes().length;
    const again = await schedule();
    expect(again.code).toBe(0);
    expect(forge.writes().length).toBe(writes);

    await api('PATCH', `/api/v1/namespaces/${ns}/configmaps/settings?fieldManager=kubectl-edit`, {
      body: { data: { LEVEL: 'info' } },
      contentType: 'application/merge-patch+json',
    });
    const fixed = await schedule();
    expect(fixed.code, fixed.stdout).toBe(0);
    expect(forge.issues.get(issues[0]!.number)!.state).toBe('closed');
    expect(forge.comments.get(issues[0]!.number)![0]!.body).toContain('The cluster matches git again for target shop');
    expect(forge.issues.get(900)).toEqual(planted);
    expect(forge.comments.get(900)).toBeUndefined();
    expect(forge.violations).toEqual([]);
  });
});
