import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, bench, freshNamespace, kubectl } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

const admin = () => ['--kubeconfig', bench().adminKubeconfig];
const cm = (name: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { A: '1' } });
const config = (ns: string, targets: string[]) =>
  `targets:\n${targets.map((t) => `  - name: ${t}\n    namespace: ${ns}\n    manifests: ${t}\n`).join('')}`;

describe('a target removed from kubeplan.yaml', () => {
  it('is named in the plan: its objects stay, with kubectl commands that delete them', async () => {
    const ns = await freshNamespace('removed');
    const repo = makeRepo({
      'kubeplan.yaml': config(ns, ['keep', 'old']),
      'keep/a.json': cm('kept'),
      'old/a.json': cm('left-1'),
      'old/b.json': cm('left-2'),
      // Another config file of the same repository uses the namespace too: its targets are its own business.
      'other/kubeplan.yaml': config(ns, ['solo']),
      'other/solo/a.json': cm('solo'),
    });
    const applied = await runCliAsync(['apply', ...admin(), '--no-wait'], { cwd: repo });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const other = await runCliAsync(['apply', ...admin(), '--no-wait', '--config', 'other/kubeplan.yaml'], {
      cwd: repo,
    });
    expect(other.code, other.stdout + other.stderr).toBe(0);

    writeFileSync(path.join(repo, 'kubeplan.yaml'), config(ns, ['keep']));
    const plan = await runCliAsync(['diff', ...admin(), '-o', 'json'], { cwd: repo });
    expect(plan.code, plan.stderr).toBe(0);
    const notices = (JSON.parse(plan.stdout) as { notices: string[] }).notices;
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('Target `old` is no longer in `kubeplan.yaml`');
    expect(notices[0]).toContain('still lists 2 objects: kubeplan leaves them in the cluster');
    expect(plan.stderr).toContain('note: Target old is no longer in kubeplan.yaml');
    const markdown = await runCliAsync(['diff', ...admin(), '-o', 'markdown'], { cwd: repo });
    expect(markdown.stdout).toContain('> [!NOTE]\n> Target `old` is no longer');
    // The other config file's plan does not report this config's targets, nor this one the other's.
    const otherPlan = await runCliAsync(['diff', ...admin(), '-o', 'json', '--config', 'other/kubeplan.yaml'], {
      cwd: repo,
    });
    expect((JSON.parse(otherPlan.stdout) as { notices?: string[] }).notices ?? []).toEqual([]);

    // The commands work as printed, and then the plan has nothing more to say.
    const commands = [...notices[0]!.matchAll(/`(kubectl delete [^`]+)`/g)].map((m) => m[1]!);
    expect(commands).toEqual([
      `kubectl delete --namespace ${ns} configmaps/left-1 configmaps/left-2`,
      `kubectl delete --namespace ${ns} configmap/kubeplan-old`,
    ]);
    for (const command of commands) {
      const run = await kubectl(command.split(' ').slice(1));
      expect(run.code, run.stderr).toBe(0);
    }
    for (const name of ['left-1', 'left-2', 'kubeplan-old']) {
      expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/${name}`)).status).toBe(404);
    }
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/solo`)).status).toBe(200);
    const after = await runCliAsync(['diff', ...admin(), '-o', 'json'], { cwd: repo });
    expect((JSON.parse(after.stdout) as { notices?: string[] }).notices ?? []).toEqual([]);
  });
});
