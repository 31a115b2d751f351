import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningApiserver, startApiserver } from '../bench/servers.mjs';
import { apiOn, namespaceOn, rollOutOn, startConnectionCounter } from '../harness/clusters.js';
import { bench } from '../harness/kube.js';
import { makeGitRepo, makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

// Named clusters (kubeplan.yaml clusters:) on the real bench: the shared apiserver is `eu`, a second one with its own
// CA is `us`. Each cluster's token comes from its own variable; the plan has one section per instance (target@cluster).

let us: RunningApiserver;
beforeAll(async () => {
  us = await startApiserver(inject('apiserverBinary'));
}, 120_000);
afterAll(async () => {
  await us?.stop();
});

const eu = () => bench();
const TOKENS = () => ({ EU_TOKEN: eu().adminToken, US_TOKEN: us.adminToken });

const configMap = (name: string, value: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { VALUE: value } });

/** A config repository with the two clusters (CAs as files) and the given targets (YAML list items). */
function repoWith(targets: string, files: Record<string, string> = {}, clusters = defaultClusters()) {
  return makeRepo({
    'kubeplan.yaml': `clusters:\n${clusters}targets:\n${targets}`,
    'ca/eu.pem': readFileSync(eu().caFile, 'utf8'),
    'ca/us.pem': readFileSync(us.caFile, 'utf8'),
    ...files,
  });
}

function defaultClusters(pins: { eu?: string; us?: string } = {}) {
  return (
    `  eu: {server: ${eu().server}, caFile: ca/eu.pem${pins.eu ? `, caSha256: "${pins.eu}"` : ''}, auth: {tokenEnv: EU_TOKEN}}\n` +
    `  us: {server: ${us.server}, caFile: ca/us.pem${pins.us ? `, caSha256: "${pins.us}"` : ''}, auth: {tokenEnv: US_TOKEN}}\n`
  );
}

const fingerprint = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256;

const cm = (server: Parameters<typeof apiOn>[0], ns: string, name: string) =>
  apiOn<{ data?: Record<string, string> }>(server, 'GET', `/api/v1/namespaces/${ns}/configmaps/${name}`);

describe('named clusters', () => {
  it('plans every instance against its own cluster, one section each, a summary line per cluster; --cluster filters', async () => {
    const ns = await namespaceOn([eu(), us], 'multi');
    const repo = repoWith(
      `  - {name: app, namespace: ${ns}, manifests: app, clusters: [eu, us]}\n  - {name: edge, namespace: ${ns}, manifests: edge, clusters: [us]}\n`,
      { 'app/cm.json': configMap('app', '2'), 'edge/cm.json': configMap('edge', '1') },
    );
    // The app already runs on eu with another value: an update there, a create on us.
    await apiOn(eu(), 'POST', `/api/v1/namespaces/${ns}/configmaps`, { body: JSON.parse(configMap('app', '1')) });
    const text = await runCliAsync(['diff'], { cwd: repo, env: TOKENS() });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('── target app@eu');
    expect(text.stdout).toContain('── target app@us');
    expect(text.stdout).toContain('── target edge@us');
    expect(text.stdout).not.toContain('edge@eu');
    expect(text.stdout).toMatch(/cluster eu \(127\.0\.0\.1:\d+\): ~1 to update/);
    expect(text.stdout).toMatch(/cluster us \(127\.0\.0\.1:\d+\): \+2 to create/);
    for (const token of Object.values(TOKENS())) expect(text.stdout + text.stderr).not.toContain(token);

    const json = await runCliAsync(['diff', '-o', 'json', '--cluster', 'us'], { cwd: repo, env: TOKENS() });
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.targets.map((t: { name: string }) => t.name)).toEqual(['app@us', 'edge@us']);
    expect(report.clusters).toEqual([
      { name: 'us', server: us.server, summary: expect.objectContaining({ create: 2 }), error: null },
    ]);

    const markdown = await runCliAsync(['diff', '-o', 'markdown'], { cwd: repo, env: TOKENS() });
    expect(markdown.stdout).toMatch(/- cluster `eu` \(127\.0\.0\.1:\d+\): ~1 to update/);
    expect(markdown.stdout).toContain('app@us');

    const dryRun = await runCliAsync(['apply', '--dry-run'], { cwd: repo, env: TOKENS() });
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain('── target app@us');
    expect(dryRun.stdout).toContain('Dry run, nothing written.');
    expect((await cm(us, ns, 'app')).status).toBe(404);

    const unknown = await runCliAsync(['diff', '--cluster', 'asia'], { cwd: repo, env: TOKENS() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('kubeplan diff --cluster: unknown cluster "asia"');
    expect(unknown.stderr).toContain('the clusters in kubeplan.yaml are eu, us');

    // A kubeconfig or pin for the run names one cluster: with named clusters it would be ignored, so it is refused.
    for (const flags of [
      ['--kubeconfig', eu().adminKubeconfig],
      ['--expect-ca-sha256', 'ab'.repeat(32)],
    ]) {
      const refused = await runCliAsync(['diff', ...flags], { cwd: repo, env: TOKENS() });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(
        `kubeplan diff ${flags[0]}: ${flags[0]} names one cluster, and kubeplan.yaml names its clusters`,
      );
    }
  });

  it('plans the clusters it can reach: a CA that is not the pinned one is refused there before anything is sent', async () => {
    const ns = await namespaceOn([eu()], 'pinplan');
    const counter = await startConnectionCounter();
    try {
      const clusters =
        `  eu: {server: ${eu().server}, caFile: ca/eu.pem, caSha256: "${fingerprint(eu().caFile)}", auth: {tokenEnv: EU_TOKEN}}\n` +
        `  us: {server: ${counter.server}, caFile: ca/us.pem, caSha256: "${fingerprint(eu().caFile)}", auth: {tokenEnv: NO_SUCH_TOKEN}}\n`;
      const repo = repoWith(
        `  - {name: app, namespace: ${ns}, manifests: app, clusters: [eu, us]}\n`,
        { 'app/cm.json': configMap('pinned', '1') },
        clusters,
      );
      const run = await runCliAsync(['diff', '-o', 'json'], { cwd: repo, env: TOKENS() });
      expect(run.code).toBe(2);
      const report = JSON.parse(run.stdout);
      expect(report.targets.map((t: { name: string }) => t.name)).toEqual(['app@eu']);
      const failed = report.clusters.find((c: { name: string }) => c.name === 'us');
      // Refused before its token was even read (the variable does not exist) and before any connection.
      expect(failed.error.message).toMatch(
        /kubeplan\.yaml:3: cluster us: its CA has sha256 [0-9a-f]{64}, not the pinned [0-9a-f]{64}; nothing was sent/,
      );
      expect(counter.connections()).toBe(0);
    } finally {
      await counter.stop();
    }
  });

  it('refuses a cluster whose CA is not the pinned one before sending anything there; the other cluster applies', async () => {
    const ns = await namespaceOn([eu(), us], 'pin');
    const counter = await startConnectionCounter();
    try {
      const clusters =
        `  eu: {server: ${eu().server}, caFile: ca/eu.pem, caSha256: "${fingerprint(eu().caFile)}", auth: {tokenEnv: EU_TOKEN}}\n` +
        // us's CA is pinned to eu's fingerprint: a different cluster answers there as far as kubeplan knows.
        `  us: {server: ${counter.server}, caFile: ca/us.pem, caSha256: "${fingerprint(eu().caFile)}", auth: {tokenEnv: US_TOKEN}}\n`;
      const repo = repoWith(
        `  - {name: app, namespace: ${ns}, manifests: app, clusters: [eu, us]}\n`,
        { 'app/cm.json': configMap('pinned', '1') },
        clusters,
      );
      const run = await runCliAsync(['apply', '--no-wait'], { cwd: repo, env: TOKENS() });
      expect(run.code).not.toBe(0);
      expect(run.stderr + run.stdout).toMatch(
        /cluster us: its CA has sha256 [0-9a-f]{64}, not the pinned [0-9a-f]{64}; nothing was sent/,
      );
      expect(counter.connections()).toBe(0);
      expect((await cm(eu(), ns, 'pinned')).status).toBe(200);
      expect(run.stdout).toMatch(/applied:\s+app@eu/);
      expect(run.stdout).toMatch(/failed:\s+app@us/);
    } finally {
      await counter.stop();
    }
  });

  const deployment = (name: string) =>
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'nginx:1.27' }] } },
      },
    });

  it('applies in waves: a first wave whose rollout fails leaves the later waves untouched and names them skipped', async () => {
    const ns = await namespaceOn([eu(), us], 'waves');
    const repo = repoWith(
      `  - {name: web, namespace: ${ns}, manifests: web, clusters: [eu, us], rollout: {waves: [[eu], [us]]}}\n` +
        `  - {name: side, namespace: ${ns}, manifests: side, clusters: [us]}\n`,
      { 'web/deploy.json': deployment('web'), 'side/cm.json': configMap('side', '1') },
    );
    // Nobody plays the Deployment controller on eu: its rollout never finishes.
    const failed = await runCliAsync(['apply', '--timeout', '4s'], { cwd: repo, env: TOKENS() });
    expect(failed.code).toBe(2);
    expect(failed.stdout).toMatch(/failed:\s+web@eu \(/);
    expect(failed.stdout).toContain('skipped: web@us (waits for web@eu, which failed)');
    expect(failed.stdout).toMatch(/applied: side@us/);
    // A block per cluster: each instance's status, objects written, duration, environment and why it was not applied.
    expect(failed.stdout).toMatch(/Cluster eu \(127\.0\.0\.1:\d+\): 1 failed\n/);
    expect(failed.stdout).toMatch(/Cluster us \(127\.0\.0\.1:\d+\): 1 applied, 1 skipped\n/);
    expect(failed.stdout).toMatch(/ {2}web@eu +failed +1 \(1 created\) +\d+\.\d s +web@eu +\S/);
    expect(failed.stdout).toMatch(
      / {2}web@us +skipped +– +– +web@us +an earlier rollout wave did not apply: waits for web@eu, which failed\n/,
    );
    expect(failed.stdout).toMatch(/ {2}side@us +applied +1 \(1 created\) +\d+\.\d s +side@us\n/);
    expect(failed.stderr).toContain('1 instance failed, 1 skipped');
    expect((await apiOn(us, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).status).toBe(404);
    expect((await cm(us, ns, 'side')).status).toBe(200);

    // With the controller playing on eu, the first wave is healthy and the second one follows.
    const running = runCliAsync(['apply', '--timeout', '60s', '-o', 'json'], { cwd: repo, env: TOKENS() });
    const [rolledEu, rolledUs] = await Promise.all([rollOutOn(eu(), ns, 'web'), rollOutOn(us, ns, 'web')]);
    expect([rolledEu, rolledUs]).toEqual([true, true]);
    const applied = await running;
    expect(applied.code, applied.stderr).toBe(0);
    const report = JSON.parse(applied.stdout);
    expect(report.instances.map((i: { name: string; status: string }) => [i.name, i.status])).toEqual([
      ['web@eu', 'applied'],
      ['web@us', 'applied'],
      ['side@us', 'applied'],
    ]);
  });

  it('one cluster down fails its own instances only: the others are applied, and the run exits non-zero', async () => {
    const ns = await namespaceOn([eu(), us], 'down');
    const closed = await startConnectionCounter();
    const downServer = closed.server;
    await closed.stop(); // nothing listens there any more
    const clusters = `${defaultClusters()}  down: {server: ${downServer}, caFile: ca/us.pem, auth: {tokenEnv: US_TOKEN}}\n`;
    const repo = repoWith(
      `  - {name: app, namespace: ${ns}, manifests: app, clusters: [eu, down, us]}\n`,
      { 'app/cm.json': configMap('everywhere', '1') },
      clusters,
    );
    const run = await runCliAsync(['apply', '--no-wait'], { cwd: repo, env: TOKENS() });
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/applied: app@eu, app@us/);
    expect(run.stdout).toMatch(/failed:\s+app@down \(.*cannot reach the apiserver at https:\/\/127\.0\.0\.1:\d+/);
    expect((await cm(eu(), ns, 'everywhere')).status).toBe(200);
    expect((await cm(us, ns, 'everywhere')).status).toBe(200);
    for (const token of Object.values(TOKENS())) expect(run.stdout + run.stderr).not.toContain(token);
  });

  it('removing a cluster or a target from the config prunes nothing there; the plan says what stays', async () => {
    const ns = await namespaceOn([eu(), us], 'removed');
    const both = `  - {name: app, namespace: ${ns}, manifests: app, clusters: [eu, us]}\n  - {name: extra, namespace: ${ns}, manifests: extra, clusters: [eu]}\n`;
    const files = { 'app/cm.json': configMap('kept', '1'), 'extra/cm.json': configMap('extra', '1') };
    const repo = repoWith(both, files);
    expect((await runCliAsync(['apply', '--no-wait'], { cwd: repo, env: TOKENS() })).code).toBe(0);
    // Drift per instance: nothing drifted; a hand edit on us shows as drift of app@us only.
    await apiOn(us, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/kept`, {
      body: { data: { VALUE: 'by hand' } },
      contentType: 'application/merge-patch+json',
    });
    const drift = await runCliAsync(['drift', '-o', 'json', '--exit-code'], { cwd: repo, env: TOKENS() });
    expect(drift.code, drift.stderr).toBe(1);
    const drifted = JSON.parse(drift.stdout).targets.filter((t: { summary: { update: number } }) => t.summary.update);
    expect(drifted.map((t: { name: string }) => t.name)).toEqual(['app@us']);
    // The hand edit owns the field now: taking it back is --force-conflicts, on us only.
    const back = await runCliAsync(['apply', '--no-wait', '--force-conflicts', '--cluster', 'us'], {
      cwd: repo,
      env: TOKENS(),
    });
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain('applied: app@us');
    expect(back.stdout).not.toContain('@eu');
    // us leaves the config entirely; extra leaves eu (it now runs nowhere but... nowhere: it is removed).
    const onlyEu = `  eu: {server: ${eu().server}, caFile: ca/eu.pem, auth: {tokenEnv: EU_TOKEN}}\n`;
    const after = repoWith(`  - {name: app, namespace: ${ns}, manifests: app, clusters: [eu]}\n`, files, onlyEu);
    const diff = await runCliAsync(['diff'], { cwd: after, env: TOKENS() });
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stderr + diff.stdout).toContain(
      `Target extra is no longer in kubeplan.yaml for cluster eu, but its inventory ${ns}/kubeplan-extra on cluster eu still lists 1 object`,
    );
    const apply = await runCliAsync(['apply', '--no-wait'], { cwd: after, env: TOKENS() });
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).not.toMatch(/pruned[^\n]*[1-9]/);
    expect((await cm(eu(), ns, 'extra')).status).toBe(200);
    expect((await cm(us, ns, 'kept')).status).toBe(200);
    expect((await cm(eu(), ns, 'kept')).status).toBe(200);
  });

  it('a plan against the base commit names a cluster the change removes, what stays there and how to delete it', async () => {
    const ns = await namespaceOn([eu()], 'gone');
    const files = {
      'ca/eu.pem': readFileSync(eu().caFile, 'utf8'),
      'ca/us.pem': readFileSync(us.caFile, 'utf8'),
      'app/cm.json': configMap('app', '1'),
    };
    const { repo, commit, git } = makeGitRepo({
      ...files,
      'kubeplan.yaml': `clusters:\n${defaultClusters()}targets:\n  - {name: app, namespace: ${ns}, manifests: app, clusters: [eu, us]}\n`,
    });
    const base = git('rev-parse', 'HEAD');
    commit('drop us', {
      'kubeplan.yaml': `clusters:\n  eu: {server: ${eu().server}, caFile: ca/eu.pem, auth: {tokenEnv: EU_TOKEN}}\ntargets:\n  - {name: app, namespace: ${ns}, manifests: app, clusters: [eu]}\n`,
    });
    const run = await runCliAsync(['diff', '--opt-ins-from', base, '-o', 'json'], { cwd: repo, env: TOKENS() });
    expect(run.code, run.stderr).toBe(0);
    const notices: string[] = JSON.parse(run.stdout).notices;
    const notice = notices.find((n) => n.startsWith('Cluster `us` is no longer in `kubeplan.yaml`'));
    expect(notice).toContain('removing a cluster prunes nothing');
    expect(notice).toMatch(
      new RegExp(
        `\`app@us\` \\(inventory \`${ns}/kubeplan-app\`, objects labelled \`applyset\\.kubernetes\\.io/part-of=applyset-`,
      ),
    );
    expect(notice).toContain('kubectl delete configmap -n NAMESPACE kubeplan-TARGET');
  });

  it('dependsOn orders targets within a cluster: a failed dependency skips its dependants there only', async () => {
    // The namespace exists on us only: everything on eu fails to plan.
    const ns = await namespaceOn([us], 'deps');
    const repo = repoWith(
      `  - {name: shop, namespace: ${ns}, manifests: shop, clusters: [eu, us], dependsOn: [platform]}\n` +
        `  - {name: platform, namespace: ${ns}, manifests: platform, clusters: [eu, us]}\n`,
      { 'shop/cm.json': configMap('shop', '1'), 'platform/cm.json': configMap('platform', '1') },
    );
    const run = await runCliAsync(['apply', '--no-wait', '-o', 'json'], { cwd: repo, env: TOKENS() });
    expect(run.code).toBe(2);
    const instances = JSON.parse(run.stdout).instances as { name: string; status: string; reason: string | null }[];
    expect(Object.fromEntries(instances.map((i) => [i.name, i.status]))).toEqual({
      'shop@eu': 'skipped',
      'shop@us': 'applied',
      'platform@eu': 'failed',
      'platform@us': 'applied',
    });
    expect(instances.find((i) => i.name === 'shop@eu')!.reason).toBe('waits for platform@eu, which failed');
    expect(instances.find((i) => i.name === 'shop@eu')).toMatchObject({
      cause: 'dependsOn',
      why: 'a dependsOn target did not apply: waits for platform@eu, which failed',
      environment: 'shop@eu',
      durationMs: null,
    });
    expect(instances.find((i) => i.name === 'platform@us')).toMatchObject({ cause: null, environment: 'platform@us' });
    // platform was applied before shop on us, though shop comes first in the file
    // (etcd's resourceVersion grows with every write: the smaller one was written first.)
    const written = async (name: string) =>
      Number(
        (
          await apiOn<{ metadata: { resourceVersion: string } }>(
            us,
            'GET',
            `/api/v1/namespaces/${ns}/configmaps/${name}`,
          )
        ).body.metadata.resourceVersion,
      );
    expect(await written('platform')).toBeLessThan(await written('shop'));
    expect(run.stderr).toContain('1 instance failed, 1 skipped');
  });

  it('-o matrix lists the instances from kubeplan.yaml alone, with their wave, for a CI fan-out', async () => {
    const repo = repoWith(
      `  - {name: web, manifests: web, clusters: [eu, us], rollout: {waves: [[us], [eu]]}}\n  - {name: side, manifests: web, clusters: [us]}\n`,
      { 'web/cm.json': configMap('web', '1') },
    );
    // No token at all: nothing is read from a cluster.
    const all = await runCliAsync(['apply', '-o', 'matrix'], { cwd: repo });
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual([
      { target: 'web', cluster: 'eu', instance: 'web@eu', wave: 2 },
      { target: 'web', cluster: 'us', instance: 'web@us', wave: 1 },
      { target: 'side', cluster: 'us', instance: 'side@us', wave: 1 },
    ]);
    const us1 = await runCliAsync(['diff', '-o', 'matrix', '--cluster', 'us', '--target', 'web'], { cwd: repo });
    expect(JSON.parse(us1.stdout)).toEqual([{ target: 'web', cluster: 'us', instance: 'web@us', wave: 1 }]);
    const plain = makeRepo({ 'kubeplan.yaml': 'targets:\n  - {name: app, manifests: m}\n', 'm/a.yaml': '' });
    expect(JSON.parse((await runCliAsync(['apply', '-o', 'matrix'], { cwd: plain })).stdout)).toEqual([
      { target: 'app' },
    ]);
  });

  it('auth by a kubeconfig in a variable (contents or path) with its context; the pinned server is checked before it is used', async () => {
    const ns = await namespaceOn([eu(), us], 'kcfg');
    const kubeconfigs = {
      EU_KUBECONFIG: eu().adminKubeconfig,
      US_KUBECONFIG: readFileSync(us.adminKubeconfig, 'utf8'),
    };
    const clusters =
      `  eu: {server: ${eu().server}, auth: {kubeconfigEnv: EU_KUBECONFIG, context: bench-admin}}\n` +
      `  us: {server: ${us.server}, caFile: ca/us.pem, auth: {kubeconfigEnv: US_KUBECONFIG, context: bench-admin}}\n`;
    const repo = repoWith(
      `  - {name: app, namespace: ${ns}, manifests: app, clusters: [eu, us]}\n`,
      { 'app/cm.json': configMap('via-kubeconfig', '1') },
      clusters,
    );
    const run = await runCliAsync(['apply', '--no-wait'], { cwd: repo, env: kubeconfigs });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('applied: app@eu, app@us');
    // The kubeconfig's token is never printed, though kubeplan read it from a variable.
    for (const token of [eu().adminToken, us.adminToken]) expect(run.stdout + run.stderr).not.toContain(token);

    // us's kubeconfig given for a cluster whose server is eu's: refused before anything is sent with it.
    const swapped = `  eu: {server: ${eu().server}, auth: {kubeconfigEnv: US_KUBECONFIG, context: bench-admin}}\n`;
    const wrong = repoWith(
      `  - {name: app, namespace: ${ns}, manifests: app, clusters: [eu]}\n`,
      { 'app/cm.json': configMap('via-kubeconfig', '1') },
      swapped,
    );
    const refused = await runCliAsync(['diff', '-o', 'json'], { cwd: wrong, env: kubeconfigs });
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout).clusters[0].error.message).toContain(
      `the kubeconfig points at ${us.server}, not the pinned cluster ${eu().server}; nothing was sent`,
    );
  });

  it('auth by GitHub OIDC needs the runner token endpoint; missing variables name the cluster and the fix', async () => {
    const clusters =
      `  eu: {server: ${eu().server}, caFile: ca/eu.pem, auth: {oidcAudience: kubeplan-eu}}\n` +
      `  us: {server: ${us.server}, caFile: ca/us.pem, auth: {tokenEnv: US_TOKEN}}\n`;
    const repo = repoWith(
      '  - {name: app, namespace: default, manifests: app, clusters: [eu, us]}\n',
      { 'app/cm.json': configMap('oidc', '1') },
      clusters,
    );
    const run = await runCliAsync(['diff', '-o', 'json'], { cwd: repo, env: {} });
    expect(run.code).toBe(2);
    const errors = Object.fromEntries(
      JSON.parse(run.stdout).clusters.map((c: { name: string; error: { message: string; hint: string } }) => [
        c.name,
        `${c.error.message} / ${c.error.hint}`,
      ]),
    );
    expect(errors.eu).toContain('cluster eu: auth.oidcAudience needs a GitHub OIDC token, and this job cannot get one');
    expect(errors.eu).toContain('permissions: id-token: write');
    expect(errors.us).toContain('cluster us: the variable US_TOKEN (auth.tokenEnv) is empty or not set');
  });

  it('rollback re-applies one instance: the cluster --cluster names, and only there', async () => {
    const ns = await namespaceOn([eu(), us], 'rollback');
    const config = `  - {name: app, namespace: ${ns}, manifests: app, clusters: [eu, us], apply: {rollback: true}}\n`;
    const v1 = repoWith(config, { 'app/cm.json': configMap('versioned', '1') });
    expect((await runCliAsync(['apply', '--no-wait'], { cwd: v1, env: TOKENS() })).code).toBe(0);
    const v2 = repoWith(config, { 'app/cm.json': configMap('versioned', '2') });
    expect((await runCliAsync(['apply', '--no-wait'], { cwd: v2, env: TOKENS() })).code).toBe(0);

    const which = await runCliAsync(['rollback', '--target', 'app', '--no-wait'], { cwd: v2, env: TOKENS() });
    expect(which.code).toBe(2);
    expect(which.stderr).toContain('rollback re-applies one instance: name its cluster (target "app" runs on eu, us)');

    const back = await runCliAsync(['rollback', '--target', 'app', '--cluster', 'us', '--no-wait'], {
      cwd: v2,
      env: TOKENS(),
    });
    expect(back.code, back.stderr).toBe(0);
    expect((await cm(us, ns, 'versioned')).body.data).toEqual({ VALUE: '1' });
    expect((await cm(eu(), ns, 'versioned')).body.data).toEqual({ VALUE: '2' });
  });

  it('applies the clusters side by side: each waits for its own rollout while the other is written', async () => {
    const ns = await namespaceOn([eu(), us], 'sidebyside');
    const repo = repoWith(`  - {name: web, namespace: ${ns}, manifests: web, clusters: [eu, us]}\n`, {
      'web/deploy.json': deployment('web'),
    });
    const running = runCliAsync(['apply', '--timeout', '60s'], { cwd: repo, env: TOKENS() });
    // Nobody has rolled anything out yet: one cluster after the other would write us only once eu is healthy.
    const exists = async (server: Parameters<typeof apiOn>[0]) =>
      (await apiOn(server, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).status === 200;
    let both = false;
    for (let i = 0; i < 300 && !both; i++) {
      both = (await exists(eu())) && (await exists(us));
      if (!both) await new Promise((r) => setTimeout(r, 100));
    }
    expect(both).toBe(true);
    await Promise.all([rollOutOn(eu(), ns, 'web'), rollOutOn(us, ns, 'web')]);
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('applied: web@eu, web@us');
  });
});
