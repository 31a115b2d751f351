import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitLab, startGitLab } from '../forge/gitlab.js';
import { startConnectionCounter } from '../harness/clusters.js';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { gitlabVariables, runComponentJob } from '../helpers/run-gitlab.js';

// Named clusters in a GitLab job (the CI/CD component, as a runner runs it): KUBEPLAN_CLUSTER, what a parallel:matrix
// job sets, keeps the job to its own cluster, so a cluster that cannot be reached fails only its own job.
let gitlab: GitLab;
let scratch: string;
beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-gitlab-clusters-'));
  gitlab = await startGitLab({ gitRoot: path.join(scratch, 'git') });
});
afterAll(async () => {
  await gitlab?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const gitEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  GIT_AUTHOR_NAME: 'dev',
  GIT_AUTHOR_EMAIL: 'dev@acme.test',
  GIT_COMMITTER_NAME: 'dev',
  GIT_COMMITTER_EMAIL: 'dev@acme.test',
};
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv }).trim();

describe('kubeplan ci with named clusters', () => {
  it('a parallel:matrix job (KUBEPLAN_CLUSTER) applies its own cluster; the unreachable one fails only its job', async () => {
    const ns = await freshNamespace('gl-clusters');
    const down = await startConnectionCounter();
    await down.stop(); // nothing listens there
    const dir = mkdtempSync(path.join(scratch, 'project-'));
    git(dir, 'init', '--quiet', '--initial-branch=main');
    const files: Record<string, string> = {
      'kubeplan.yaml':
        'clusters:\n' +
        `  eu: {server: ${bench().server}, caFile: ca.pem, auth: {tokenEnv: EU_TOKEN}}\n` +
        `  down: {server: ${down.server}, caFile: ca.pem, auth: {tokenEnv: EU_TOKEN}}\n` +
        `targets:\n  - {name: app, namespace: ${ns}, manifests: manifests, clusters: [eu, down]}\n`,
      'ca.pem': readFileSync(bench().caFile, 'utf8'),
      'manifests/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  VALUE: "1"\n',
    };
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), content);
    }
    git(dir, 'add', '-A');
    git(dir, 'commit', '--quiet', '-m', 'config');
    const sha = git(dir, 'rev-parse', 'HEAD');
    const job = (cluster: string, input: Record<string, string> = {}) =>
      runComponentJob({
        scratch,
        projectDir: dir,
        inputs: { image: 'registry.example.com/platform/kubeplan:1', apply: true, deployments: false, ...input },
        env: {
          ...gitlabVariables({
            apiUrl: gitlab.url,
            serverUrl: gitlab.serverUrl,
            projectId: gitlab.project.id,
            projectPath: gitlab.project.path,
            projectDir: dir,
            source: 'push',
            sha,
            beforeSha: '0'.repeat(40),
          }),
          KUBEPLAN_GITLAB_TOKEN: 'glpat-named-clusters-token-0123',
          EU_TOKEN: bench().adminToken,
          ...(cluster ? { KUBEPLAN_CLUSTER: cluster } : {}),
        },
      });
    const eu = await job('eu');
    expect(eu.code, eu.log).toBe(0);
    expect(JSON.parse(eu.dotenv.KUBEPLAN_APPLIED!)).toMatchObject({ 'app@eu': { created: 1 } });
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/settings`)).status).toBe(200);
    expect(eu.log).not.toContain(bench().adminToken);
    expect(eu.summary).toMatch(/\*\*Cluster `eu`\*\* \(127\.0\.0\.1:\d+\): 1 applied\n/);
    expect(eu.summary).toMatch(/\| app@eu \| ✅ applied \| 1 \(1 created\) \| \d+\.\d s \| app@eu \| {2}\|/);

    const other = await job('down');
    expect(other.code).not.toBe(0);
    expect(other.log).toMatch(/app@down: .*cannot reach the apiserver at https:\/\/127\.0\.0\.1:\d+/);
    // summary.md: the heading counts the instances, the cluster's table names the instance failed, and why.
    expect(other.summary).toMatch(
      /^### kubeplan apply of `[0-9a-f]{7}`: 0 of 1 instances applied; not applied: app@down\n/,
    );
    expect(other.summary).toMatch(
      /\| app@down \| ❌ failed \| 0 \| – \| app@down \| its cluster could not be reached or planned: .*cannot reach the apiserver/,
    );

    // The component's clusters input does the same for one job; a matrix variable wins over it.
    const viaInput = await job('', { clusters: 'eu' });
    expect(viaInput.code, viaInput.log).toBe(0);
    expect(JSON.parse(viaInput.dotenv.KUBEPLAN_APPLIED!)).toMatchObject({ 'app@eu': { unchanged: 1 } });
    expect(viaInput.log).not.toContain('app@down');
    const matrixWins = await job('down', { clusters: 'eu' });
    expect(matrixWins.code).not.toBe(0);
    expect(matrixWins.log).toMatch(/app@down: .*cannot reach the apiserver/);
  });
});
