import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { applySetId, applySetParent, PART_OF } from '../../src/core/cluster/applyset.js';
import { api, bench, freshNamespace, kubectl } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

// First run of kubeplan on a cluster another tool set up: objects that exist live but are not in the target's
// ApplySet yet. Joining the inventory is not an edit: they are reported as `adopt`, counted apart, collapsed in the
// comment, and `kubeplan drift` says they are not managed yet instead of reporting a hand edit.

interface JsonChange {
  action: string;
  kind: string;
  name: string;
  paths: string[];
  notes: string[];
}
interface JsonReport {
  summary: Record<string, number>;
  targets: { name: string; summary: Record<string, number>; changes: JsonChange[] }[];
}

const cm = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
};
const kubeconfig = () => bench().adminKubeconfig;

/** The bench helm, with its caches next to the test's repository (removed with it). */
function helm(repo: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = path.join(repo, '..', 'helm-home');
  const env = {
    ...process.env,
    HELM_CACHE_HOME: `${home}/cache`,
    HELM_CONFIG_HOME: `${home}/config`,
    HELM_DATA_HOME: `${home}/data`,
  };
  return new Promise((resolve) => {
    execFile(`${inject('toolsDir')}/helm`, ['--kubeconfig', kubeconfig(), ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function plan(repo: string, mode: 'server' | 'client') {
  const run = await runCliAsync(['diff', '--mode', mode, '-o', 'json', '--kubeconfig', kubeconfig()], { cwd: repo });
  expect(run.stdout, run.stderr).not.toBe('');
  return JSON.parse(run.stdout) as JsonReport;
}

const byName = (report: JsonReport) =>
  Object.fromEntries(report.targets[0]!.changes.map((c) => [`${c.kind}/${c.name}`, c]));

async function labelOf(ns: string, resource: string, name: string) {
  const live = await api<{ metadata: { labels?: Record<string, string> } }>(
    'GET',
    `/api/v1/namespaces/${ns}/${resource}/${name}`,
  );
  return live.body.metadata.labels?.[PART_OF];
}

describe('adopting objects another tool created (real apiserver)', () => {
  it('objects created with kubectl: adopt (not update) in server and client mode, counted apart; a real change stays an update that says it joins; drift says not managed yet; after apply drift is 0', async () => {
    const ns = await freshNamespace('adopt-kubectl');
    const live = [cm('same', { A: '1' }), cm('edited', { B: '1' }), service].map((o) => ({
      ...o,
      metadata: { ...o.metadata, namespace: ns },
    }));
    const created = await kubectl(['apply', '-n', ns, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: live }),
    });
    expect(created.code, created.stderr).toBe(0);
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    manifests: m\n`,
      'm/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [cm('same', { A: '1' }), cm('edited', { B: '2' }), service],
      }),
    });

    for (const mode of ['server', 'client'] as const) {
      const report = await plan(repo, mode);
      expect(report.summary, mode).toMatchObject({ adopt: 2, update: 1, create: 0, unchanged: 0, error: 0 });
      expect(report.targets[0]!.summary, mode).toMatchObject({ adopt: 2, update: 1 });
      const changes = byName(report);
      expect(changes['ConfigMap/same']!.action, mode).toBe('adopt');
      expect(changes['Service/web']!.action, mode).toBe('adopt');
      const edited = changes['ConfigMap/edited']!;
      expect(edited.action, mode).toBe('update');
      expect(edited.paths, mode).toContain('data.B');
      expect(edited.notes.join('\n'), mode).toContain('joins the target');
    }

    const text = await runCliAsync(['diff', '--exit-code', '--kubeconfig', kubeconfig()], { cwd: repo });
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toContain(
      'Plan: +0 to create, ~1 to update, ±0 to replace, -0 to delete, 2 to adopt, 0 unchanged.',
    );
    expect(text.stdout).toMatch(new RegExp(`→ adopt v1 ConfigMap ${ns}/same .*not managed by kubeplan yet`));
    // Only the real update shows a diff (with the label it gains); the adopted objects are one line each.
    expect(text.stdout.split(`+    ${PART_OF}`).length - 1).toBe(1);

    // The comment: one line for the objects that join, one section for the real change.
    const markdown = await runCliAsync(['diff', '-o', 'markdown', '--kubeconfig', kubeconfig()], { cwd: repo });
    expect(markdown.stdout).toContain(
      `→ 2 objects not managed by kubeplan yet join the inventory (nothing else changes): \`ConfigMap ${ns}/same\`, \`Service ${ns}/web\``,
    );
    expect(markdown.stdout).toContain(`~ update <code>ConfigMap ${ns}/edited</code>`);
    expect(markdown.stdout).not.toContain('adopt <code>');
    expect(markdown.stdout).not.toContain('| → adopt');

    // Drift before kubeplan ever applied: not a hand edit, not managed yet.
    const drift = await runCliAsync(['drift', '--exit-code', '-o', 'markdown', '--kubeconfig', kubeconfig()], {
      cwd: repo,
    });
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    expect(drift.stdout).toContain('matches git');
    expect(drift.stdout).toContain('3 objects are not managed by kubeplan yet');
    expect(drift.stdout).toContain(
      `\`v1 ConfigMap ${ns}/same\`: not managed by kubeplan yet (the next apply adds it to the inventory)`,
    );
    expect(drift.stdout).toContain(
      `\`v1 ConfigMap ${ns}/edited\`: not managed by kubeplan yet (the next apply adds it to the inventory); differs from git: data.B`,
    );
    expect(drift.stdout).not.toContain('differs: ');
    expect(drift.stdout).not.toContain(`metadata.labels.${PART_OF}`);

    // data.B is kubectl's field: taking it over is the usual conflict, not something adoption changes.
    const applied = await runCliAsync(['apply', '--no-wait', '--force-conflicts', '--kubeconfig', kubeconfig()], {
      cwd: repo,
    });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const id = applySetId(applySetParent('app', ns));
    expect(await labelOf(ns, 'configmaps', 'same')).toBe(id);
    expect(await labelOf(ns, 'services', 'web')).toBe(id);
    const after = await runCliAsync(['drift', '--exit-code', '-o', 'markdown', '--kubeconfig', kubeconfig()], {
      cwd: repo,
    });
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toBe(`### kubeplan drift: target app matches git.\n`);
    expect((await plan(repo, 'server')).summary).toMatchObject({ adopt: 0, update: 0, unchanged: 3 });
  });

  it('objects a Helm release installed: adopt in server and client mode; after apply, drift is 0', async () => {
    const ns = await freshNamespace('adopt-helm');
    const files = {
      'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'chart/templates/config.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  LEVEL: info\n',
      'chart/templates/service.yaml':
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n',
    };
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    helm:\n      chart: chart\n`,
      ...files,
    });
    const installed = await helm(repo, ['install', 'web', `${repo}/chart`, '-n', ns]);
    expect(installed.code, installed.stderr).toBe(0);

    for (const mode of ['server', 'client'] as const) {
      const report = await plan(repo, mode);
      expect(report.summary, mode).toMatchObject({ adopt: 2, update: 0, create: 0, error: 0 });
      expect(
        report.targets[0]!.changes.map((c) => c.action),
        mode,
      ).toEqual(['adopt', 'adopt']);
    }

    const applied = await runCliAsync(['apply', '--no-wait', '--kubeconfig', kubeconfig()], { cwd: repo });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(await labelOf(ns, 'configmaps', 'settings')).toBe(applySetId(applySetParent('app', ns)));
    const drift = await runCliAsync(['drift', '--exit-code', '--kubeconfig', kubeconfig()], { cwd: repo });
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    expect((await plan(repo, 'client')).summary).toMatchObject({ adopt: 0, update: 0, unchanged: 2 });
  });
});
