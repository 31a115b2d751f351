import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startForge, type Forge } from '../forge/forge.js';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { makeGitRepo, makeRepo } from '../helpers/fixture-repo.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';

// The plan of a pull request renders its content with the opt-ins of the base commit, and helm/kubectl never see the
// runner's credentials: dist/index.js run the way the runner runs it, against the bench apiserver and the local forge.
let forge: Forge;
let server: http.Server;
let url: string;
const requests: string[] = [];
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-trust-action-'));
beforeAll(async () => {
  forge = await startForge();
  server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res
      .writeHead(200, { 'content-type': 'text/plain' })
      .end('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await forge.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(scratch, { recursive: true, force: true });
});

const TOKEN = 'ghs_seededtrusttoken0123456789';
const RUNTIME = 'seeded-actions-runtime-token-77aa';

function pullRequestEvent(number: number, baseSha: string, headSha: string) {
  const repo = {
    full_name: 'acme/config',
    name: 'config',
    owner: { login: 'acme' },
    fork: false,
    default_branch: 'main',
  };
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      state: 'open',
      title: 'Change',
      html_url: `https://github.com/acme/config/pull/${number}`,
      base: { ref: 'main', sha: baseSha, repo },
      head: { ref: 'change', sha: headSha, repo },
    },
    repository: repo,
    sender: { login: 'alice', type: 'User' },
  };
}

const gitRepo = makeGitRepo;

function plan(
  repo: string,
  pr: number,
  baseSha: string,
  headSha: string,
  inputs: Record<string, string> = {},
): Promise<ActionRun> {
  return runAction({
    repo,
    forge,
    event: 'pull_request',
    payload: pullRequestEvent(pr, baseSha, headSha),
    inputs: { 'github-token': TOKEN, ...inputs },
    scratch,
    env: { ACTIONS_RUNTIME_TOKEN: RUNTIME, GITHUB_TOKEN: TOKEN },
  });
}

const comments = (pr: number) => forge.comments.get(pr) ?? [];

describe('a pull request cannot opt itself in', () => {
  it("renders with the base commit's opt-ins: a remote resource the change allows is refused and never fetched, and the plan says why", async () => {
    const ns = await freshNamespace('optin');
    const config = `targets:\n  - name: ov\n    namespace: ${ns}\n    kustomize: ov\n`;
    const { repo, git } = gitRepo({
      'kubeplan.yaml': config,
      'ov/kustomization.yaml': 'resources: [cm.yaml]\n',
      'ov/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n',
    });
    const base = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'kubeplan.yaml'), `${config}kustomize:\n  allowRemoteResources: true\n`);
    writeFileSync(path.join(repo, 'ov/kustomization.yaml'), `resources: [cm.yaml, ${url}/remote.yaml]\n`);
    git('commit', '-qam', 'fetch from anywhere');

    const refused = await plan(repo, 31, base, git('rev-parse', 'HEAD'));
    expect(refused.code).not.toBe(0);
    expect(requests).toEqual([]);
    const error = comments(31).find((c) => c.body.includes('the plan failed'))!;
    expect(error.body).toContain(`lists the remote resource "${url}/remote.yaml"`);
    expect(error.body).toContain(
      '> [!NOTE]\n> This change sets `kustomize.allowRemoteResources` from false to true in kubeplan.yaml.',
    );
    expect(refused.stdout).toContain('::notice::This change sets kustomize.allowRemoteResources from false to true');

    // The same change without the remote resource plans, and the comment still says the opt-in waits for the merge.
    writeFileSync(path.join(repo, 'ov/kustomization.yaml'), 'resources: [cm.yaml]\n');
    git('commit', '-qam', 'no remote after all');
    const planned = await plan(repo, 31, base, git('rev-parse', 'HEAD'));
    expect(planned.code, planned.stdout).toBe(0);
    const body = comments(31).find((c) => c.body.includes('kubeplan:plan'))!.body;
    expect(body).toContain('> [!NOTE]\n> This change sets `kustomize.allowRemoteResources` from false to true');
    expect(body).toContain('Plan: +1 to create');
    expect(requests).toEqual([]);
    expect(forge.violations).toEqual([]);
  });
});

describe('a base commit the clone does not have', () => {
  it('means every opt-in is off, and the plan says so when the change has some', async () => {
    const ns = await freshNamespace('nobase');
    const repo = makeRepo({
      'kubeplan.yaml': `targets:\n  - name: ov\n    namespace: ${ns}\n    kustomize: ov\nkustomize:\n  allowExecPlugins: true\n`,
      'ov/kustomization.yaml': 'resources: [cm.yaml]\n',
      'ov/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n',
    });
    const run = await plan(repo, 33, 'a'.repeat(40), 'b'.repeat(40));
    expect(run.code, run.stdout).toBe(0);
    const body = comments(33).find((c) => c.body.includes('kubeplan:plan'))!.body;
    expect(body).toContain(
      `> [!NOTE]\n> The base commit ${'a'.repeat(12)} is not in the clone, so the opt-ins of kubeplan.yaml (kustomize.allow*, helm.allowRepositories) are off for this plan`,
    );
  });
});

describe("helm and kubectl run without the runner's credentials", () => {
  it('gets neither the inputs, the GitHub token, the runtime token nor the kubeconfig', async () => {
    const ns = await freshNamespace('toolenv');
    const { repo, git } = gitRepo({
      'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
      'charts/app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n',
      'ov/kustomization.yaml': 'resources: [cm.yaml]\n',
      'ov/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ov\n',
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    helm:\n      chart: charts/app\n  - name: ov\n    namespace: ${ns}\n    kustomize: ov\n`,
    });
    const record = (name: string) => {
      const wrapper = path.join(repo, '..', name);
      writeFileSync(wrapper, `#!/bin/sh\nenv > "${wrapper}.env"\nexec "${path.join(inject('toolsDir'), name)}" "$@"\n`);
      chmodSync(wrapper, 0o755);
      return wrapper;
    };
    const head = git('rev-parse', 'HEAD');
    const run = await plan(repo, 32, head, head, {
      helm: record('helm'),
      kubectl: record('kubectl'),
      'only-affected': 'false',
    });
    expect(run.code, run.stdout).toBe(0);
    const kubeconfig = readFileSync(bench().adminKubeconfig, 'utf8');
    const credential = /(?:token|client-key-data|password): *(\S+)/.exec(kubeconfig)?.[1];
    for (const tool of ['helm', 'kubectl']) {
      const env = readFileSync(path.join(repo, '..', `${tool}.env`), 'utf8');
      expect(env, tool).toMatch(/^PATH=/m);
      expect(env, tool).not.toMatch(/^(?:INPUT_|ACTIONS_|RUNNER_|GITHUB_)/m);
      for (const secret of [TOKEN, RUNTIME, credential]) if (secret) expect(env, tool).not.toContain(secret);
    }
  });
});

describe('after merge, the apply reads nothing outside the repository either', () => {
  it('a chart file linked to the kubeconfig fails the apply, and the credential reaches neither the cluster nor any output', async () => {
    const ns = await freshNamespace('applylink');
    const { repo, git } = gitRepo({
      'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
      'charts/app/templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  kc: {{ .Files.Get "files/kc" | quote }}\n',
      'kubeplan.yaml': `targets:\n  - name: app\n    namespace: ${ns}\n    helm:\n      chart: charts/app\n`,
    });
    const kubeconfigFile = bench().adminKubeconfig;
    mkdirSync(path.join(repo, 'charts/app/files'));
    symlinkSync(kubeconfigFile, path.join(repo, 'charts/app/files/kc'));
    git('add', '-A');
    git('commit', '-qm', 'read the kubeconfig (#51)');
    const after = git('rev-parse', 'HEAD');
    const payload = {
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after,
      repository: { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, default_branch: 'main' },
      pusher: { name: 'alice' },
    };
    const run = await runAction({
      repo,
      forge,
      event: 'push',
      payload,
      inputs: { command: 'apply', 'github-token': TOKEN },
      scratch,
    });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('charts/app/files/kc is a symlink to');
    const live = await api('GET', `/api/v1/namespaces/${ns}/configmaps`);
    expect((live.body as { items: unknown[] }).items.filter((o) => JSON.stringify(o).includes('"leak"'))).toEqual([]);
    const kubeconfig = readFileSync(kubeconfigFile, 'utf8');
    const credential = /(?:token|client-key-data|password): *(\S+)/.exec(kubeconfig)?.[1];
    expect(credential).toBeTruthy();
    // The runner consumes ::add-mask:: lines (they register values to mask); they never appear in the log.
    const log = run.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    for (const text of [log, run.summary, JSON.stringify(run.outputs), JSON.stringify(live.body)])
      expect(text).not.toContain(credential!);
  });
});
