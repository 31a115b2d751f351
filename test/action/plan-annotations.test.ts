import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Forge, startForge } from '../forge/forge.js';
import { freshNamespace } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { pullRequestEvent, runAction } from '../helpers/run-action.js';

// An object the plan cannot plan is an error annotation on the line it was rendered from: the Helm template's
// document, the Kustomize base's, the manifest's — so it shows on the pull request's files.
let forge: Forge;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-plan-annotations-'));
beforeAll(async () => {
  forge = await startForge();
});
afterAll(async () => {
  await forge.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const widget = (name: string) =>
  `apiVersion: widgets.example.com/v1\nkind: Widget\nmetadata:\n  name: ${name}\nspec:\n  size: 1\n`;

describe('object errors as annotations', () => {
  it('a kind the cluster does not serve is annotated on the template, base and manifest lines that made it', async () => {
    const ns = await freshNamespace('annot');
    const repo = makeRepo({
      'kubeplan.yaml': [
        'targets:',
        '  - name: chart',
        `    namespace: ${ns}`,
        '    helm: {chart: chart}',
        '  - name: overlay',
        `    namespace: ${ns}`,
        '    kustomize: overlay/prod',
        '  - name: raw',
        `    namespace: ${ns}`,
        '    manifests: raw',
        '',
      ].join('\n'),
      'chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 1.0.0\n',
      // A header comment and a ConfigMap before it: the Widget's document starts on line 9.
      'chart/templates/all.yaml': `# the chart's objects\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  a: b\n---\n${widget('{{ .Release.Name }}-w')}`,
      'overlay/base/kustomization.yaml': 'resources: [widget.yaml]\n',
      'overlay/base/widget.yaml': `# base\n${widget('w')}`,
      'overlay/prod/kustomization.yaml': 'resources: [../base]\nnamePrefix: prod-\n',
      'raw/widgets.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw-cm\n---\n${widget('raw-w')}`,
    });
    const run = await runAction({
      repo,
      forge,
      event: 'pull_request',
      payload: pullRequestEvent(61),
      inputs: {},
      scratch,
    });
    expect(run.code).not.toBe(0);
    const annotations = run.stdout.split('\n').filter((l) => l.startsWith('::error title=kubeplan plan of '));
    const at = (target: string, file: string, line: number) =>
      annotations.find((a) => a.startsWith(`::error title=kubeplan plan of ${target},file=${file},line=${line}::`));
    expect(at('chart', 'chart/templates/all.yaml', 9), annotations.join('\n')).toMatch(/Widget .*chart-w/);
    expect(at('overlay', 'overlay/base/widget.yaml', 2), annotations.join('\n')).toMatch(/Widget .*prod-w/);
    expect(at('raw', 'raw/widgets.yaml', 6), annotations.join('\n')).toMatch(/Widget .*raw-w/);
    // Only the objects in error: the ConfigMaps are planned.
    expect(annotations).toHaveLength(3);
  });
});
