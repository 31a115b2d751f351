import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load-config.js';
import { actionFiles, loadAction } from '../helpers/action-metadata.js';
import { makeGitRepo, makeRepo } from '../helpers/fixture-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { examplesDir, repoRoot } from '../helpers/tools.js';
import { ensureActionlint } from '../tools/build.mjs';

let actionlint: string;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-init-'));
beforeAll(async () => {
  actionlint = await ensureActionlint({ log: (m) => process.stderr.write(`[actionlint] ${m}\n`) });
}, 300_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const WORKFLOWS = ['kubeplan-apply.yml', 'kubeplan-bump.yml', 'kubeplan-drift.yml', 'kubeplan-plan.yml'];

/** The example config repository without its kubeplan.yaml, as a git repository on `branch`. */
function examplesRepo(branch = 'main'): string {
  const { repo, git } = makeGitRepo({ 'README.md': '# config\n' });
  cpSync(examplesDir, repo, { recursive: true });
  rmSync(path.join(repo, 'kubeplan.yaml'));
  if (branch !== 'main') git('checkout', '-q', '-b', branch);
  return repo;
}

function targetsOf(repo: string, config = 'kubeplan.yaml') {
  return loadConfig(config, repo).targets.map((t) => {
    const s = t.source;
    const dir = s.type === 'helm' ? (s.chart.kind === 'local' ? s.chart.path.rel : '') : s.dir.rel;
    return {
      name: t.name,
      type: s.type,
      path: dir,
      ...(s.type === 'helm' ? { values: s.values.map((v) => v.rel) } : {}),
    };
  });
}

async function lint(cwd: string, files: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(actionlint, ['-no-color', '-shellcheck=', '-pyflakes=', ...files], {
      cwd,
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe('kubeplan init', () => {
  it('scaffolds kubeplan.yaml from the example repository: a valid config that renders, with the targets it holds', () => {
    const repo = examplesRepo();
    const run = runCli(['init'], { cwd: repo });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('wrote kubeplan.yaml');
    for (const w of WORKFLOWS) expect(run.stdout).toContain(`wrote .github/workflows/${w}`);
    expect(readdirSync(path.join(repo, '.github/workflows')).sort()).toEqual(WORKFLOWS);
    // The overlay (not its base), the chart once per values file found for it, the manifests folder (with its
    // subfolder); the Component only post-renders and is named as left out.
    expect(targetsOf(repo)).toEqual([
      { name: 'api-prod', type: 'kustomize', path: 'apps/api/overlays/prod' },
      { name: 'shop-prod', type: 'helm', path: 'charts/shop', values: ['envs/prod/values.yaml'] },
      { name: 'shop-staging', type: 'helm', path: 'charts/shop', values: ['envs/staging/values.yaml'] },
      { name: 'platform', type: 'manifests', path: 'platform' },
    ]);
    const config = readFileSync(path.join(repo, 'kubeplan.yaml'), 'utf8');
    expect(config).toContain('    # namespace: shop-staging   # objects without a namespace go here');
    expect(config).toContain('#   components/hardening: a Kustomize Component');
    // examples/canary has a kubeplan.yaml of its own (the canary demo's): another config, left out.
    expect(config).toContain('#   canary: has a kubeplan.yaml of its own');
    const render = runCli(['render', '-o', 'json'], { cwd: repo });
    expect(render.code, render.stderr).toBe(0);
    expect(render.stdout).toContain('"kind": "ResourceQuota"');
  });

  it('writes plan, apply, drift and bump workflows that pass actionlint, with the inputs each action has', async () => {
    const repo = examplesRepo('production');
    expect(runCli(['init'], { cwd: repo }).code).toBe(0);
    const files = WORKFLOWS.map((w) => `.github/workflows/${w}`);
    const asWritten = await lint(repo, files);
    expect(asWritten.output).toBe('');
    expect(asWritten.code).toBe(0);

    // The same workflows against this repository's own per-command actions, so actionlint checks every input.
    const project = mkdtempSync(path.join(scratch, 'project-'));
    mkdirSync(path.join(project, '.git'));
    mkdirSync(path.join(project, '.github/workflows'), { recursive: true });
    for (const file of actionFiles) {
      const main = path.join(path.dirname(file), loadAction(file).runs.main);
      for (const f of [file, main]) cpSync(path.join(repoRoot, f), path.join(project, f));
    }
    for (const f of files)
      writeFileSync(
        path.join(project, f),
        readFileSync(path.join(repo, f), 'utf8').replace(/kubeplan\/kubeplan\/(\w+)@v1/g, './$1'),
      );
    const local = await lint(project, files);
    expect(local.output).toBe('');
    expect(local.code).toBe(0);

    const plan = readFileSync(path.join(repo, '.github/workflows/kubeplan-plan.yml'), 'utf8');
    expect(plan).toContain(`group: kubeplan-plan-\${{ github.event.pull_request.number }}`);
    expect(plan).toContain('pull-requests: write');
    // Plan binding: the plan records its digests in a check run, the apply on merge reads it back.
    expect(plan).toContain('checks: write');
    expect(plan).toContain('uses: kubeplan/kubeplan/plan@v1');
    const apply = readFileSync(path.join(repo, '.github/workflows/kubeplan-apply.yml'), 'utf8');
    expect(apply).toContain('checks: read');
    // The branch checked out is the one apply runs on.
    expect(apply).toContain('branches: ["production"]');
  });

  it('refuses to overwrite what exists (writing nothing at all) unless --force; --dry-run prints and writes nothing', () => {
    const repo = examplesRepo();
    const dry = runCli(['init', '--dry-run'], { cwd: repo });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('# kubeplan.yaml\n');
    expect(dry.stdout).toContain('# .github/workflows/kubeplan-bump.yml\n');
    expect(existsSync(path.join(repo, 'kubeplan.yaml'))).toBe(false);
    expect(existsSync(path.join(repo, '.github'))).toBe(false);

    mkdirSync(path.join(repo, '.github/workflows'), { recursive: true });
    writeFileSync(path.join(repo, '.github/workflows/kubeplan-drift.yml'), 'mine\n');
    const refused = runCli(['init'], { cwd: repo });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('.github/workflows/kubeplan-drift.yml exists; kubeplan init wrote nothing');
    expect(refused.stderr).toContain('pass --force to overwrite');
    expect(existsSync(path.join(repo, 'kubeplan.yaml'))).toBe(false);
    expect(readFileSync(path.join(repo, '.github/workflows/kubeplan-drift.yml'), 'utf8')).toBe('mine\n');

    const forced = runCli(['init', '--force'], { cwd: repo });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('overwrote .github/workflows/kubeplan-drift.yml');
    expect(readFileSync(path.join(repo, '.github/workflows/kubeplan-drift.yml'), 'utf8')).toContain('kubeplan drift');
  });

  it('leaves out bases, Components, library charts and folders that mix manifests with other YAML; names stay unique', () => {
    const cm = (name: string, ns?: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}${ns ? `\n  namespace: ${ns}` : ''}\n`;
    const repo = makeRepo({
      'deploy/web/base/kustomization.yaml': 'resources: [cm.yaml]\n',
      'deploy/web/base/cm.yaml': cm('web'),
      'deploy/web/overlays/staging/kustomization.yaml': 'namespace: web-staging\nresources: [../../base]\n',
      'deploy/web/overlays/prod/kustomization.yaml': 'namespace: web\nresources: [../../base, ../../../shared]\n',
      'deploy/shared/kustomization.yaml': 'resources: [extra.yaml]\n',
      'deploy/shared/extra.yaml': cm('extra'),
      'charts/lib/Chart.yaml': 'apiVersion: v2\nname: lib\ntype: library\nversion: 1.0.0\n',
      'charts/api/Chart.yaml': 'apiVersion: v2\nname: api\nversion: 1.0.0\n',
      'charts/api/values.yaml': 'replicas: 1\n',
      'charts/api/values-eu.yaml': 'replicas: 2\n',
      'charts/api/values-us.yaml': 'replicas: 3\n',
      'charts/api/templates/cm.yaml': cm('api'),
      'platform/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n',
      'platform/rbac/role.json': JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'r' } }),
      'apps/shop/cm.yaml': cm('shop-a'),
      'k8s/shop/cm.yaml': cm('shop-b'),
      'tools/config.yaml': 'not: a manifest\n',
      'tools/cm.yaml': cm('tool'),
      'docs/notes.yaml': 'just: data\n',
    });
    const run = runCli(['init', '--no-workflows'], { cwd: repo });
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(path.join(repo, '.github'))).toBe(false);
    expect(targetsOf(repo)).toEqual([
      // Both would be "shop": both take their whole path.
      { name: 'apps-shop', type: 'manifests', path: 'apps/shop' },
      { name: 'api-eu', type: 'helm', path: 'charts/api', values: ['charts/api/values-eu.yaml'] },
      { name: 'api-us', type: 'helm', path: 'charts/api', values: ['charts/api/values-us.yaml'] },
      { name: 'web-prod', type: 'kustomize', path: 'deploy/web/overlays/prod' },
      { name: 'web-staging', type: 'kustomize', path: 'deploy/web/overlays/staging' },
      { name: 'k8s-shop', type: 'manifests', path: 'k8s/shop' },
      { name: 'platform', type: 'manifests', path: 'platform' },
    ]);
    const config = loadConfig('kubeplan.yaml', repo);
    // A kustomization's own namespace is a fact, not a guess.
    expect(config.targets.find((t) => t.name === 'web-prod')?.namespace).toBe('web');
    expect(run.stdout).toContain('left out charts/lib: a library chart');
    expect(run.stdout).toContain('left out tools: mixes Kubernetes manifests with other YAML (config.yaml)');
  });

  it('--config DIR/kubeplan.yaml scans DIR and the workflows pass config; a folder with nothing to deploy is an error', () => {
    const repo = makeRepo({
      'deploy/app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
      'src/main.go': 'package main\n',
    });
    const run = runCli(['init', '--config', 'deploy/kubeplan.yaml'], { cwd: repo });
    expect(run.code, run.stderr).toBe(0);
    expect(targetsOf(repo, 'deploy/kubeplan.yaml')).toEqual([{ name: 'app', type: 'manifests', path: 'deploy/app' }]);
    expect(readFileSync(path.join(repo, '.github/workflows/kubeplan-plan.yml'), 'utf8')).toContain(
      'config: "deploy/kubeplan.yaml"',
    );

    const outside = runCli(['init', '--config', '../elsewhere/kubeplan.yaml'], { cwd: path.join(repo, 'src') });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('--config ../elsewhere/kubeplan.yaml is outside this folder');

    const empty = makeRepo({ 'README.md': '# nothing\n', 'values.yaml': 'a: 1\n' });
    const none = runCli(['init'], { cwd: empty });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('found no Helm chart, Kustomize overlay or folder of Kubernetes manifests under');
    expect(readdirSync(empty).sort()).toEqual(['.git', 'README.md', 'values.yaml']);
  });

  it('kubeplan init --help', () => {
    const run = runCli(['init', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: kubeplan init \[options\]/);
    expect(runCli(['--help']).stdout).toContain('  init      Write kubeplan.yaml');
  });
});
