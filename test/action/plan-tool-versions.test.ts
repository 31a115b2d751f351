import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForge, type Forge } from '../forge/forge.js';
import { freshNamespace } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { pullRequestEvent, runAction } from '../helpers/run-action.js';
import { bare, helmBin, kubectlBin } from '../helpers/tools.js';

// The plan comment's footer names the helm, kubectl and kustomize versions the render ran, and only those.
let forge: Forge;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-plan-tools-'));
beforeAll(async () => {
  forge = await startForge();
});
afterAll(async () => {
  await forge.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const plan = (repo: string, pr: number) =>
  runAction({ repo, forge, event: 'pull_request', payload: pullRequestEvent(pr), inputs: {}, scratch });

const configMap = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  LOG_LEVEL: info\n`;

describe('tool versions in the plan comment footer', () => {
  it('a Helm and a Kustomize target: the footer and the JSON report name the helm and kubectl (kustomize) versions that ran', async () => {
    const ns = await freshNamespace('tools');
    const repo = makeRepo({
      'kubeplan.yaml': [
        'targets:',
        '  - name: chart',
        `    namespace: ${ns}`,
        '    helm: {chart: chart}',
        '  - name: overlay',
        `    namespace: ${ns}`,
        '    kustomize: overlay',
        '',
      ].join('\n'),
      'chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 1.0.0\n',
      'chart/templates/cm.yaml': configMap('from-chart'),
      'overlay/kustomization.yaml': 'resources: [cm.yaml]\n',
      'overlay/cm.yaml': configMap('from-overlay'),
    });
    const helm = bare(helmBin, ['version', '--template', '{{.Version}}']).trim();
    const kubectl = JSON.parse(bare(kubectlBin, ['version', '--client', '-o', 'json'])) as {
      clientVersion: { gitVersion: string };
      kustomizeVersion: string;
    };
    const run = await plan(repo, 41);
    expect(run.code, run.stdout).toBe(0);
    const body = forge.comments.get(41)?.[0]?.body ?? '';
    expect(body).toContain(
      `· helm ${helm} · kubectl ${kubectl.clientVersion.gitVersion} (kustomize ${kubectl.kustomizeVersion})</sub>`,
    );
    expect(JSON.parse(readFileSync(run.outputs['report-path']!, 'utf8')).tools).toEqual({
      helm,
      kubectl: kubectl.clientVersion.gitVersion,
      kustomize: kubectl.kustomizeVersion,
    });
  });

  it('a plain manifests target runs no tool, and the footer names none', async () => {
    const ns = await freshNamespace('tools');
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: raw\n    namespace: ${ns}\n    manifests: raw\n`,
      'raw/cm.yaml': configMap('plain'),
    });
    const run = await plan(repo, 42);
    expect(run.code, run.stdout).toBe(0);
    const body = forge.comments.get(42)?.[0]?.body ?? '';
    expect(body).toContain('<sub>mode: server');
    expect(body).not.toMatch(/helm v|kubectl v|kustomize v/);
    expect(JSON.parse(readFileSync(run.outputs['report-path']!, 'utf8')).tools).toEqual({});
  });
});
