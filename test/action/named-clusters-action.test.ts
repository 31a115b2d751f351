import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningApiserver, startApiserver } from '../bench/servers.mjs';
import { type Forge, startForge } from '../forge/forge.js';
import { apiOn, namespaceOn } from '../harness/clusters.js';
import { bench } from '../harness/kube.js';
import { parseCheckRunText, parseDigestsMarkers } from '../../src/core/diff/plan-record.js';
import { makeGitRepo } from '../helpers/fixture-repo.js';
import { runAction } from '../helpers/run-action.js';
import { runCliAsync } from '../helpers/run-cli.js';

// The action with named clusters (kubeplan.yaml clusters:): one plan comment with a section per instance and a summary
// line per cluster, the matrix output as {target, cluster} pairs, the clusters input, and apply with a GitHub
// Deployment per instance. dist/index.js against two bench apiservers and the local forge.
let forge: Forge;
let us: RunningApiserver;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-named-clusters-'));
beforeAll(async () => {
  forge = await startForge();
  us = await startApiserver(inject('apiserverBinary'));
}, 120_000);
afterAll(async () => {
  await forge.stop();
  await us?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const HEAD = 'b'.repeat(40);
const TOKENS = () => ({ EU_TOKEN: bench().adminToken, US_TOKEN: us.adminToken });
const configMap = (value: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings' },
  data: { VALUE: value },
});

function gitRepo(ns: string) {
  return makeGitRepo({
    'kubeplan.yaml':
      'clusters:\n' +
      `  eu: {server: ${bench().server}, caFile: ca/eu.pem, auth: {tokenEnv: EU_TOKEN}}\n` +
      `  us: {server: ${us.server}, caFile: ca/us.pem, auth: {tokenEnv: US_TOKEN}}\n` +
      `targets:\n  - {name: app, namespace: ${ns}, manifests: manifests, clusters: [eu, us]}\n`,
    'ca/eu.pem': readFileSync(bench().caFile, 'utf8'),
    'ca/us.pem': readFileSync(us.caFile, 'utf8'),
    'manifests/cm.json': JSON.stringify(configMap('1')),
  });
}

function prEvent(number: number, baseSha: string) {
  const repo = { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, fork: false };
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      state: 'open',
      base: { ref: 'main', sha: baseSha, repo },
      head: { ref: 'change', sha: HEAD, repo },
    },
    repository: repo,
  };
}

describe('the action with named clusters', () => {
  it('plans every instance in one comment with a line per cluster; the matrix lists {target, cluster}', async () => {
    const ns = await namespaceOn([bench(), us], 'act-multi');
    const { repo, git } = gitRepo(ns);
    const base = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'manifests/cm.json'), JSON.stringify(configMap('2')));
    git('commit', '-qam', 'change');
    const plan = (inputs: Record<string, string> = {}) =>
      runAction({
        repo,
        forge,
        event: 'pull_request',
        payload: prEvent(41, base),
        inputs: { 'github-token': 'ghs_namedclusters0123456789', kubeconfig: '', ...inputs },
        scratch,
        env: TOKENS(),
      });
    const run = await plan();
    expect(run.code, run.stdout).toBe(0);
    expect(JSON.parse(run.outputs.matrix!)).toEqual([
      { target: 'app', cluster: 'eu' },
      { target: 'app', cluster: 'us' },
    ]);
    const comments = forge.comments.get(41) ?? [];
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body).toContain('#### app@eu');
    expect(body).toContain('#### app@us');
    expect(body).toMatch(/- cluster `eu` \(127\.0\.0\.1:\d+\): \+1 to create/);
    expect(body).toMatch(/- cluster `us` \(127\.0\.0\.1:\d+\): \+1 to create/);
    expect(body).toContain('against clusters eu, us');
    for (const token of Object.values(TOKENS())) {
      expect(body).not.toContain(token);
      expect(run.stdout).not.toContain(token);
      expect(run.summary).not.toContain(token);
    }

    // A matrix job per cluster keeps its own comment; the one over all clusters stays as it was.
    const onlyUs = await plan({ clusters: 'us' });
    expect(onlyUs.code, onlyUs.stdout).toBe(0);
    expect(JSON.parse(onlyUs.outputs.matrix!)).toEqual([{ target: 'app', cluster: 'us' }]);
    const after = forge.comments.get(41) ?? [];
    expect(after).toHaveLength(2);
    expect(after[1]!.body).toContain('#### app@us');
    expect(after[1]!.body).not.toContain('app@eu');

    // Without named clusters the clusters input selects nothing: refused, not ignored.
    writeFileSync(
      path.join(repo, 'kubeplan.yaml'),
      `targets:\n  - {name: app, namespace: ${ns}, manifests: manifests}\n`,
    );
    git('commit', '-qam', 'one cluster');
    const plain = await plan({ clusters: 'us', kubeconfig: readFileSync(bench().adminKubeconfig, 'utf8') });
    expect(plain.code).not.toBe(0);
    expect(plain.stdout).toContain('action input clusters: us: kubeplan.yaml has no clusters:');
  });

  it('applies a push on every cluster with one GitHub Deployment per instance (environment target@cluster)', async () => {
    const ns = await namespaceOn([bench(), us], 'act-apply');
    const { repo, git } = gitRepo(ns);
    const head = git('rev-parse', 'HEAD');
    const apply = (inputs: Record<string, string>) =>
      runAction({
        repo,
        forge,
        event: 'push',
        payload: {
          ref: 'refs/heads/main',
          before: '0'.repeat(40),
          after: head,
          repository: { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, default_branch: 'main' },
          pusher: { name: 'alice' },
        },
        inputs,
        scratch,
        entry: 'apply/index.js',
        env: TOKENS(),
      });
    // A kubeconfig input names one cluster: with named clusters it would be ignored, so it is refused.
    const refused = await apply({});
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain(
      'action input kubeconfig: a cluster input names one cluster, and kubeplan.yaml names its clusters (clusters:)',
    );
    expect(forge.deployments.filter((d) => d.ref === head)).toEqual([]);
    const run = await apply({ kubeconfig: '' });
    expect(run.code, run.stdout).toBe(0);
    expect(Object.keys(JSON.parse(run.outputs.applied!)).sort()).toEqual(['app@eu', 'app@us']);
    // The job summary: a table per cluster, each instance with its status, objects written, duration and environment.
    for (const c of ['eu', 'us']) {
      expect(run.summary).toMatch(new RegExp(`\\*\\*Cluster \`${c}\`\\*\\* \\(127\\.0\\.0\\.1:\\d+\\): 1 applied\n`));
      expect(run.summary).toMatch(
        new RegExp(`\\| app@${c} \\| ✅ applied \\| 1 \\(1 created\\) \\| \\d+\\.\\d s \\| app@${c} \\|  \\|`),
      );
    }
    expect(
      forge.deployments
        .filter((d) => d.ref === head)
        .map((d) => d.environment)
        .sort(),
    ).toEqual(['app@eu', 'app@us']);
    for (const server of [bench(), us])
      expect((await apiOn(server, 'GET', `/api/v1/namespaces/${ns}/configmaps/settings`)).status).toBe(200);
    // Plan binding per instance: a push that merged no pull request has no reviewed plan; the default (warn) applies
    // and says so once, naming every instance; strict writes nothing of them.
    expect(run.stdout.match(/^::warning[^\n]*no reviewed plan/gm)).toHaveLength(1);
    expect(run.stdout).toMatch(
      /::warning[^\n]*::app@eu, app@us: no reviewed plan: this push merged no pull request; applied anyway \(apply\.binding: warn\)/,
    );
    const config = readFileSync(path.join(repo, 'kubeplan.yaml'), 'utf8').replace(
      'clusters: [eu, us]}',
      'clusters: [eu, us], apply: {binding: strict}}',
    );
    writeFileSync(path.join(repo, 'kubeplan.yaml'), config);
    writeFileSync(path.join(repo, 'manifests/cm.json'), JSON.stringify(configMap('2')));
    git('commit', '-qam', 'strict');
    const strict = await apply({ kubeconfig: '' });
    expect(strict.code, strict.stdout).toBe(4);
    expect(strict.stdout).toContain(
      'not the reviewed plan; nothing of app@eu, app@us was written (apply.binding: strict)',
    );
    expect(strict.stdout).toMatch(/kubeplan apply --target app --cluster eu --expect-plan sha256:[0-9a-f]{64}/);
    expect(strict.summary).toMatch(/\| app@us \| ⏭️ skipped \| – \| – \| app@us \| not the reviewed plan/);
    for (const server of [bench(), us])
      expect(
        (await apiOn<{ data: { VALUE: string } }>(server, 'GET', `/api/v1/namespaces/${ns}/configmaps/settings`)).body
          .data.VALUE,
      ).toBe('1');
  });

  it('binds each instance to its cluster’s reviewed plan: a live edit on one cluster holds that instance only, and --expect-plan with its cluster applies it', async () => {
    const ns = await namespaceOn([bench(), us], 'act-bind');
    const { repo, git } = gitRepo(ns);
    writeFileSync(
      path.join(repo, 'kubeplan.yaml'),
      readFileSync(path.join(repo, 'kubeplan.yaml'), 'utf8').replace(
        'clusters: [eu, us]}',
        'clusters: [eu, us], apply: {binding: strict}}',
      ),
    );
    git('commit', '-qam', 'strict');
    const base = git('rev-parse', 'HEAD');
    const repository = {
      full_name: 'acme/config',
      name: 'config',
      owner: { login: 'acme' },
      fork: false,
      default_branch: 'main',
    };
    const push = (before: string, after: string, inputs: Record<string, string> = {}) =>
      runAction({
        repo,
        forge,
        event: 'push',
        payload: { ref: 'refs/heads/main', before, after, repository, pusher: { name: 'alice' } },
        inputs: { kubeconfig: '', deployments: 'false', ...inputs },
        scratch,
        entry: 'apply/index.js',
        env: TOKENS(),
      });
    // The way out of a strict refusal: a workflow_dispatch job that applies one cluster's plan by its digest.
    const dispatch = (sha: string, inputs: Record<string, string>) =>
      runAction({
        repo,
        forge,
        event: 'workflow_dispatch',
        payload: { repository },
        inputs: { kubeconfig: '', deployments: 'false', ...inputs },
        scratch,
        entry: 'apply/index.js',
        env: { ...TOKENS(), GITHUB_SHA: sha },
      });
    // The first state, applied by hand (the CLI binds nothing): a reviewed plan is made by a pull request.
    const bootstrap = await runCliAsync(['apply', '--no-wait'], { cwd: repo, env: TOKENS() });
    expect(bootstrap.code, bootstrap.stderr).toBe(0);

    // Pull request 51 changes the value; its plan records one check run per cluster, each with that cluster's digests.
    git('checkout', '-q', '-b', 'pr-51');
    writeFileSync(path.join(repo, 'manifests/cm.json'), JSON.stringify(configMap('2')));
    git('commit', '-qam', 'value 2');
    const head = git('rev-parse', 'HEAD');
    forge.pulls.set(51, {
      number: 51,
      title: 'value 2',
      body: '',
      head: 'pr-51',
      base: 'main',
      state: 'open',
      merged: false,
      labels: [],
      headSha: head,
    });
    const planned = await runAction({
      repo,
      forge,
      event: 'pull_request',
      payload: {
        action: 'synchronize',
        number: 51,
        pull_request: {
          number: 51,
          state: 'open',
          base: { ref: 'main', sha: base, repo: repository },
          head: { ref: 'pr-51', sha: head, repo: repository },
        },
        repository,
      },
      inputs: { 'github-token': 'ghs_namedbinding0123456789', kubeconfig: '' },
      scratch,
      env: TOKENS(),
    });
    expect(planned.code, planned.stdout).toBe(0);
    const checks = forge.checkRuns.filter((c) => c.head_sha === head);
    expect(checks).toHaveLength(2);
    const servers = checks.map((c) => parseCheckRunText(c.output.text)!.digests.cluster.server).sort();
    expect(servers).toEqual([bench().server, us.server].sort());
    expect(parseDigestsMarkers(forge.comments.get(51)![0]!.body)).toHaveLength(2);
    forge.addReview(51, { user: 'alice', state: 'APPROVED', commitId: head });

    // Between review and merge someone sets the value on us by hand: that instance's plan is not the reviewed one.
    const edit = await apiOn(
      us,
      'PATCH',
      `/api/v1/namespaces/${ns}/configmaps/settings?fieldManager=hand-edit&force=true`,
      {
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'settings', namespace: ns },
          data: { VALUE: '2' },
        },
        contentType: 'application/apply-patch+yaml',
      },
    );
    expect(edit.status).toBe(200);
    const usVersion = async () =>
      (
        await apiOn<{ metadata: { resourceVersion: string } }>(
          us,
          'GET',
          `/api/v1/namespaces/${ns}/configmaps/settings`,
        )
      ).body.metadata.resourceVersion;
    const before = await usVersion();
    git('checkout', '-q', 'main');
    git('merge', '-q', '--no-ff', '-m', 'Merge pull request #51', 'pr-51');
    const merge = git('rev-parse', 'HEAD');
    Object.assign(forge.pulls.get(51)!, { state: 'closed', merged: true });
    forge.commitPulls.set(merge, [51]);
    const applied = await push(base, merge);
    expect(applied.code, applied.stdout).toBe(4);
    expect(applied.summary).toMatch(
      /- app@eu: ✅ applied exactly the reviewed plan sha256:[0-9a-f]{64} \(pull request #51, approved by alice\)/,
    );
    expect(applied.summary).toContain(
      '- app@us: ⛔ not applied: plan drift: the cluster changed since pull request #51 was planned',
    );
    const value = async (server: Pick<RunningApiserver, 'server' | 'caFile' | 'adminToken'>) =>
      (await apiOn<{ data: { VALUE: string } }>(server, 'GET', `/api/v1/namespaces/${ns}/configmaps/settings`)).body
        .data.VALUE;
    expect(applied.summary).toContain(`- planned, now gone: update ConfigMap ${ns}/settings (data.VALUE)`);
    expect(await value(bench())).toBe('2');
    // Nothing of app@us was written.
    expect(await usVersion()).toBe(before);

    // The way out names the cluster; applying by that digest on us alone writes it.
    const way = /kubeplan apply --target app --cluster us --expect-plan (sha256:[0-9a-f]{64})/.exec(applied.stdout);
    expect(way, applied.stdout).not.toBeNull();
    const out = await dispatch(merge, { clusters: 'us', 'expect-plan': way![1]! });
    expect(out.code, out.stdout).toBe(0);
    expect(await value(us)).toBe('2');
    // A digest over several clusters' instances is refused: it binds one cluster's plan.
    const both = await dispatch(merge, { 'expect-plan': way![1]! });
    expect(both.code).not.toBe(0);
    expect(both.stdout).toContain('add --cluster NAME');
    expect(forge.violations).toEqual([]);
  });

  it('tracks drift per instance: one issue for the instance that drifted, kept (not duplicated) by the next run', async () => {
    const ns = await namespaceOn([bench(), us], 'act-drift');
    const { repo, git } = gitRepo(ns);
    const head = git('rev-parse', 'HEAD');
    const apply = await runAction({
      repo,
      forge,
      event: 'push',
      payload: {
        ref: 'refs/heads/main',
        before: '0'.repeat(40),
        after: head,
        repository: { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, default_branch: 'main' },
        pusher: { name: 'alice' },
      },
      inputs: { kubeconfig: '', deployments: 'false' },
      scratch,
      entry: 'apply/index.js',
      env: TOKENS(),
    });
    expect(apply.code, apply.stdout).toBe(0);
    await apiOn(us, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/settings?fieldManager=kubectl-edit`, {
      body: { data: { VALUE: 'by hand' } },
      contentType: 'application/merge-patch+json',
    });
    const schedule = () =>
      runAction({
        repo,
        forge,
        event: 'schedule',
        payload: { schedule: '0 * * * *' },
        inputs: { kubeconfig: '' },
        scratch,
        env: TOKENS(),
      });
    const ours = () => [...forge.issues.values()].filter((i) => i.body.includes(`${ns}/settings`));
    const first = await schedule();
    expect(first.code, first.stdout).toBe(0);
    expect(JSON.parse(first.outputs['drifted-targets']!)).toEqual(['app@us']);
    expect(ours()).toHaveLength(1);
    expect(ours()[0]!.title).toContain('app@us');
    const second = await schedule();
    expect(second.code, second.stdout).toBe(0);
    expect(ours()).toHaveLength(1);
  });
});
