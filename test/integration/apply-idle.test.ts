import { describe, expect, it } from 'vitest';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

// A re-apply that changes nothing writes nothing, the inventory included; a new commit with nothing to change only
// records that commit.
type Listed = {
  items: { metadata: { name: string; resourceVersion: string; annotations?: Record<string, string> } }[];
};

describe('an idle re-apply', () => {
  it('writes nothing when nothing changed, and only the inventory record when just the commit moved', async () => {
    const ns = await freshNamespace('idle');
    const g = makeGitRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n`,
      'm/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  V: "1"\n',
      'README.md': 'docs\n',
    });
    const apply = () => runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig], { cwd: g.repo });
    const state = async () =>
      (await api<Listed>('GET', `/api/v1/namespaces/${ns}/configmaps`)).body.items
        .map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)
        .sort();
    const first = await apply();
    expect(first.code, first.stderr).toBe(0);
    const before = await state();
    expect(before.some((s) => s.startsWith('kubeplan-app@'))).toBe(true);

    // The plan reads the inventory's members from its own LIST of the rendered kinds: one LIST here, not two.
    const planned = await runCliAsync(['diff', '-o', 'json', '--kubeconfig', bench().adminKubeconfig], { cwd: g.repo });
    expect(planned.code, planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout).stats).toMatchObject({ objects: 1, lists: 1 });

    const again = await apply();
    expect(again.code, again.stderr).toBe(0);
    expect(await state()).toEqual(before);

    const commit = g.commit('docs', { 'README.md': 'more docs\n' });
    const moved = await apply();
    expect(moved.code, moved.stderr).toBe(0);
    const after = await state();
    expect(after.filter((s) => !s.startsWith('kubeplan-app@'))).toEqual(
      before.filter((s) => !s.startsWith('kubeplan-app@')),
    );
    const parent = (await api<Listed['items'][number]>('GET', `/api/v1/namespaces/${ns}/configmaps/kubeplan-app`)).body;
    expect(Object.values(parent.metadata.annotations ?? {})).toContain(commit);
  });
});
