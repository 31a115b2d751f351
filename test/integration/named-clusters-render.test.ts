import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionCounter } from '../harness/clusters.js';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

// `--cluster` (a CI fan-out's job per cluster) renders only the targets with an instance on that cluster: a target that
// runs on another cluster is not rendered there, so a broken one fails its own cluster's job and not the others.
let elsewhere: Awaited<ReturnType<typeof startConnectionCounter>>;
beforeAll(async () => {
  elsewhere = await startConnectionCounter();
});
afterAll(async () => {
  await elsewhere?.stop();
});

describe('named clusters with --cluster', () => {
  it('renders only the targets on the named cluster: a broken target on another cluster fails only there', async () => {
    const ns = await freshNamespace('render-on');
    const repo = makeRepo({
      'kubeplan.yaml':
        'clusters:\n' +
        `  eu: {server: ${bench().server}, caFile: ca.pem, auth: {tokenEnv: EU_TOKEN}}\n` +
        `  us: {server: ${elsewhere.server}, caFile: ca.pem, auth: {tokenEnv: EU_TOKEN}}\n` +
        'targets:\n' +
        `  - {name: app, namespace: ${ns}, manifests: app, clusters: [eu]}\n` +
        `  - {name: edge, namespace: ${ns}, manifests: edge, clusters: [us]}\n`,
      'ca.pem': readFileSync(bench().caFile, 'utf8'),
      'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  VALUE: "1"\n',
      // Not YAML: rendering edge fails.
      'edge/cm.yaml': 'apiVersion: v1\nkind: [ConfigMap\n',
    });
    const env = { EU_TOKEN: bench().adminToken };

    // Over every cluster the broken target fails the run, naming its file.
    const all = await runCliAsync(['diff'], { cwd: repo, env });
    expect(all.code).toBe(2);
    expect(all.stderr).toContain('edge/cm.yaml');

    // The job for eu plans, applies and checks drift of app@eu without rendering edge, and sends nothing to us.
    const plan = await runCliAsync(['diff', '--cluster', 'eu', '-o', 'json'], { cwd: repo, env });
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).targets.map((t: { name: string }) => t.name)).toEqual(['app@eu']);
    const apply = await runCliAsync(['apply', '--cluster', 'eu', '--no-wait'], { cwd: repo, env });
    expect(apply.code, apply.stderr).toBe(0);
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/app`)).status).toBe(200);
    const drift = await runCliAsync(['drift', '--cluster', 'eu', '-o', 'json'], { cwd: repo, env });
    expect(drift.code, drift.stderr).toBe(0);
    expect(drift.stderr + drift.stdout).not.toContain('edge/cm.yaml');
    expect(elsewhere.connections()).toBe(0);

    // The job for us fails on its own target's render, naming the file.
    const us = await runCliAsync(['diff', '--cluster', 'us'], { cwd: repo, env });
    expect(us.code).toBe(2);
    expect(us.stderr).toContain('edge/cm.yaml');
    expect(elsewhere.connections()).toBe(0);
  });
});
