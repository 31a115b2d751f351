import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { api, bench } from '../harness/kube.js';
import { OciTestClient } from '../harness/oci.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { makeGitRepo, makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';
import { repoRoot } from '../helpers/tools.js';

// The published JSON Schema of the -o json reports, checked against reports the CLI prints on the bench.
const schemaFile = path.join(repoRoot, 'kubeplan-report.schema.json');
const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as { $id: string };
const ajv = new Ajv({ strict: true, allErrors: true });
ajv.addSchema(schema);

function check(report: unknown, definition: string): void {
  const validate = ajv.getSchema(`${schema.$id}#/definitions/${definition}`)!;
  expect(validate(report) ? [] : validate.errors, `${definition}: ${JSON.stringify(report).slice(0, 300)}`).toEqual([]);
  const whole = ajv.getSchema(schema.$id)!;
  expect(whole(report) ? [] : whole.errors).toEqual([]);
}

const cm = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

describe('kubeplan-report.schema.json', () => {
  it('is shipped in the package and is a valid draft-07 schema', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('kubeplan-report.schema.json');
    expect(ajv.getSchema(schema.$id)).toBeTypeOf('function');
  });

  it('describes every report diff, drift, apply and rollback print on the bench, and nothing more', async () => {
    const ns = `schema-${Math.random().toString(36).slice(2, 8)}`;
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'pw-1' } };
    const { repo, commit } = makeGitRepo({
      'kubeplan.yaml': [
        'targets:',
        '  - name: app',
        `    namespace: ${ns}`,
        '    manifests: app',
        '    apply: {rollback: true}',
        '  - name: chart',
        `    namespace: ${ns}`,
        '    helm: {chart: chart}',
        '  - name: broken',
        `    namespace: ${ns}`,
        '    manifests: broken',
        '',
      ].join('\n'),
      'app/all.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [cm('settings', { V: '1' }), secret] }),
      'chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 1.0.0\n',
      'chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-chart\ndata:\n  A: "1"\n',
      'chart/templates/hook.yaml': [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: hook',
        '  annotations:',
        '    helm.sh/hook: pre-install,pre-upgrade',
        '    helm.sh/hook-weight: "-5"',
        '    helm.sh/hook-delete-policy: before-hook-creation',
        '',
      ].join('\n'),
      'broken/w.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n',
    });
    const kubeconfig = ['--kubeconfig', bench().adminKubeconfig];
    const json = async (args: string[], code: number) => {
      const run = await runCliAsync([...args, '-o', 'json'], { cwd: repo });
      expect(run.code, `${args.join(' ')}: ${run.stderr}${run.stdout.slice(0, 500)}`).toBe(code);
      return JSON.parse(run.stdout) as Record<string, unknown>;
    };

    // A plan with creates, a Secret, a Helm hook and an object that cannot be planned (unknown kind).
    const plan = await json(['diff', ...kubeconfig], 2);
    expect(plan.summary).toMatchObject({ create: 3, error: 1 });
    expect(JSON.stringify(plan.targets)).toContain('"deletePolicies":["before-hook-creation"]');
    check(plan, 'plan');

    const applied = await json(['apply', '-t', 'app', '-t', 'chart', '--no-wait', ...kubeconfig], 0);
    expect(applied).toMatchObject({ finished: true, dryRun: false });
    check(applied, 'apply');
    check(await json(['apply', '-t', 'app', '--dry-run', ...kubeconfig], 0), 'apply');

    // An update with a Secret change, then a second revision to roll back from.
    commit('v2', {
      'app/all.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [cm('settings', { V: '2' }), { ...secret, stringData: { password: 'pw-2' } }],
      }),
    });
    const update = await json(['diff', '-t', 'app', ...kubeconfig], 0);
    expect(update.summary).toMatchObject({ update: 2 });
    check(update, 'plan');
    check(await json(['diff', '-t', 'app', '--base', 'HEAD~1', '--offline'], 0), 'plan');
    check(await json(['diff', '-t', 'app', '--base', 'HEAD~1', ...kubeconfig], 0), 'plan');
    check(await json(['apply', '-t', 'app', '--no-wait', ...kubeconfig], 0), 'apply');

    // Drift: someone edits a live object.
    await api('PATCH', `/api/v1/namespaces/${ns}/configmaps/settings`, {
      body: { data: { V: 'edited' } },
      contentType: 'application/merge-patch+json',
    });
    const drift = await json(['drift', '-t', 'app', ...kubeconfig], 0);
    expect(drift.summary).toMatchObject({ update: 1 });
    check(drift, 'plan');

    const list = await json(['rollback', '-t', 'app', '--list', ...kubeconfig], 0);
    expect((list.revisions as unknown[]).length).toBeGreaterThanOrEqual(2);
    check(list, 'rollbackList');
    check(await json(['rollback', '-t', 'app', '--no-wait', '--force-conflicts', ...kubeconfig], 0), 'rollback');

    // A failure prints the error as JSON.
    check(await json(['diff', '-c', 'missing.yaml', ...kubeconfig], 2), 'error');

    // A report with a field the schema does not name is refused: the schema is exact.
    const extra = { ...update, surprise: true };
    expect(ajv.getSchema(`${schema.$id}#/definitions/plan`)!(extra)).toBe(false);
  });

  it('describes the plan and apply reports of named clusters', async () => {
    const ns = `schema-${Math.random().toString(36).slice(2, 8)}`;
    await api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    const repo = makeRepo({
      'kubeplan.yaml': [
        'clusters:',
        `  bench: {server: ${bench().server}, caFile: ca.pem, auth: {tokenEnv: BENCH_TOKEN}}`,
        `  gone: {server: https://127.0.0.1:9, auth: {tokenEnv: BENCH_TOKEN}}`,
        'targets:',
        `  - {name: app, namespace: ${ns}, manifests: app, clusters: [bench, gone]}`,
        '',
      ].join('\n'),
      'ca.pem': readFileSync(bench().caFile, 'utf8'),
      'app/cm.json': JSON.stringify(cm('settings', { V: '1' })),
    });
    const env = { BENCH_TOKEN: bench().adminToken };
    const json = async (args: string[], code: number) => {
      const run = await runCliAsync([...args, '-o', 'json'], { cwd: repo, env });
      expect(run.code, `${args.join(' ')}: ${run.stderr}${run.stdout.slice(0, 500)}`).toBe(code);
      return JSON.parse(run.stdout) as Record<string, unknown>;
    };
    // One cluster answers, the other cannot be reached: both are in the reports.
    const plan = await json(['diff'], 2);
    expect((plan.clusters as { name: string }[]).map((c) => c.name)).toEqual(['bench', 'gone']);
    check(plan, 'plan');
    const applied = await json(['apply', '--no-wait'], 2);
    expect((applied.instances as { status: string }[]).map((i) => i.status).sort()).toEqual(['applied', 'failed']);
    check(applied, 'namedApply');
    check(await json(['apply', '--dry-run', '--cluster', 'bench'], 0), 'namedApply');
  });

  describe('bump', () => {
    let registry: RunningRegistry;
    beforeAll(async () => {
      registry = await startRegistry(inject('registryBinary'), 'anonymous');
      const pusher = new OciTestClient(registry);
      for (const tag of ['1.0.0', '1.1.0', '2.0.0', 'latest']) await pusher.pushImage('acme/shop', tag);
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it('describes the bump report (--explain, --local) and its failures', async () => {
      const repo = makeRepo({
        'kubeplan.yaml': [
          'targets:',
          '  - name: app',
          '    namespace: app',
          '    manifests: app',
          'images:',
          `  - name: ${registry.host}/acme/shop`,
          '    policy: {semver: ">=1.0.0 <2.0.0"}',
          '    pin: digest',
          '',
        ].join('\n'),
        'app/deploy.yaml': [
          'apiVersion: apps/v1',
          'kind: Deployment',
          'metadata: {name: shop}',
          'spec:',
          '  selector: {matchLabels: {app: shop}}',
          '  template:',
          '    metadata: {labels: {app: shop}}',
          '    spec:',
          '      containers:',
          `        - {name: shop, image: "${registry.host}/acme/shop:1.0.0"}`,
          `        - {name: gone, image: "${registry.host}/acme/missing:1.0.0"}`,
          '',
        ].join('\n'),
        'app/broken.yaml': 'a: [\n',
      });
      const dry = await runCliAsync(['bump', '--dry-run', '--explain', '-o', 'json'], { cwd: repo, env: {} });
      expect(dry.code, dry.stderr).toBe(2);
      const report = JSON.parse(dry.stdout);
      expect(report.summary).toMatchObject({ bump: 1, error: 1 });
      check(report, 'bump');
      const local = await runCliAsync(['bump', '--local', '-o', 'json'], { cwd: repo, env: {} });
      check(JSON.parse(local.stdout), 'bump');
      writeFileSync(path.join(repo, 'kubeplan.yaml'), 'targets: nope\n');
      const failed = await runCliAsync(['bump', '--dry-run', '-o', 'json'], { cwd: repo, env: {} });
      expect(failed.code).toBe(2);
      check(JSON.parse(failed.stdout), 'error');
    });
  });
});
