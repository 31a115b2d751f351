import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { app, canaryConfig } from '../canary/canary-fixture.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitLab, startGitLab } from '../forge/gitlab.js';
import { installGatewayApiCrds } from '../harness/crds.js';
import { startDeploymentController } from '../harness/deploy-controller.js';
import { api, bench, freshNamespace } from '../harness/kube.js';
import { type BenchPrometheus, type Exporter, startExporter, startPrometheus } from '../harness/prometheus.js';
import { type GitLabJobRun, gitlabVariables, runComponentJob } from '../helpers/run-gitlab.js';

// A canary through the GitLab CI/CD component: the push pipeline's apply leaves it unfinished when its budget ends (the
// job succeeds, the deployment stays running), and a scheduled pipeline with schedule-command canary finishes it.
const TOKEN = 'glpat-seeded-canary-token-2b8e41';
const PROM_TOKEN = 'prom-token-gl-93c1d7a0e5';
let gitlab: GitLab;
let prometheus: BenchPrometheus;
let exporter: Exporter;
let scratch: string;

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

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-gitlab-canary-'));
  gitlab = await startGitLab({ gitRoot: path.join(scratch, 'git') });
  await installGatewayApiCrds();
  exporter = await startExporter();
  prometheus = await startPrometheus({ targets: [exporter.target] });
}, 120_000);
afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
  await gitlab?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const config = (ns: string) =>
  canaryConfig(ns, prometheus.url, {
    steps: ['{weight: 10, pause: 10m}', '{weight: 50}'],
    checks: 3,
    tokenEnv: 'PROM_TOKEN',
  });

function job(
  dir: string,
  source: 'push' | 'schedule',
  sha: string,
  inputs: Record<string, string | boolean>,
  beforeSha?: string,
): Promise<GitLabJobRun> {
  return runComponentJob({
    scratch,
    projectDir: dir,
    inputs: { image: 'registry.example.com/platform/kubeplan:1', ...inputs },
    env: {
      ...gitlabVariables({
        apiUrl: gitlab.url,
        serverUrl: gitlab.serverUrl,
        projectId: gitlab.project.id,
        projectPath: gitlab.project.path,
        projectDir: dir,
        source,
        sha,
        beforeSha,
      }),
      KUBECONFIG: bench().adminKubeconfig,
      KUBEPLAN_GITLAB_TOKEN: TOKEN,
      PROM_TOKEN,
      // The rollout waits for health; the bench's controller makes it quick.
      KUBEPLAN_TIMEOUT: '30s',
    },
  });
}

const stableImage = async (ns: string) =>
  (
    await api<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(
      'GET',
      `/apis/apps/v1/namespaces/${ns}/deployments/shop`,
    )
  ).body.spec.template.spec.containers[0]!.image;

function expectNoSecrets(run: GitLabJobRun) {
  for (const text of [run.log, run.summary, JSON.stringify(run.dotenv), JSON.stringify(run.codequality)]) {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(PROM_TOKEN);
  }
}

describe('kubeplan ci with a canary', () => {
  it('a push leaves the canary unfinished (job green, deployment running); a scheduled pipeline with schedule-command canary finishes it', async () => {
    const ns = await freshNamespace('canary-gl');
    const controller = startDeploymentController(ns);
    try {
      const dir = mkdtempSync(path.join(scratch, 'project-'));
      git(dir, 'init', '--quiet', '--initial-branch=main');
      mkdirSync(path.join(dir, 'app'));
      writeFileSync(path.join(dir, 'kubeplan.yaml'), config(ns));
      writeFileSync(path.join(dir, 'app/app.json'), app('shop:1'));
      git(dir, 'add', '-A');
      git(dir, 'commit', '--quiet', '-m', 'shop 1');
      const first = git(dir, 'rev-parse', 'HEAD');
      const install = await job(dir, 'push', first, { apply: true }, '0'.repeat(40));
      expect(install.code, install.log).toBe(0);

      writeFileSync(path.join(dir, 'app/app.json'), app('shop:2'));
      git(dir, 'commit', '--quiet', '-am', 'shop 2');
      const sha = git(dir, 'rev-parse', 'HEAD');
      const pushed = await job(dir, 'push', sha, { apply: true, 'canary-budget': '10s' }, first);
      expect(pushed.code, pushed.log).toBe(0);
      expect(JSON.parse(pushed.dotenv.KUBEPLAN_CANARIES!)).toEqual([
        { target: 'shop', phase: 'Progressing', step: 1, steps: 2, weight: 10, exitCode: 3 },
      ]);
      expect(pushed.log).toContain('a scheduled run with schedule-command: canary moves it on');
      expect(pushed.summary).toContain('⏸️ Progressing | 1/2 | 10 %');
      expect(gitlab.deployments.filter((d) => d.sha === sha).map((d) => d.statuses)).toEqual([['running']]);
      expect(await stableImage(ns)).toBe('shop:1');

      // The scheduled pipeline: auto runs schedule-command canary, with canary-action promote-full.
      const scheduled = await job(dir, 'schedule', sha, {
        'schedule-command': 'canary',
        'canary-action': 'promote-full',
      });
      expect(scheduled.code, scheduled.log).toBe(0);
      expect(JSON.parse(scheduled.dotenv.KUBEPLAN_CANARIES!)).toMatchObject([
        { target: 'shop', phase: 'Succeeded', exitCode: 0 },
      ]);
      expect(scheduled.summary).toContain(`### kubeplan canary promote-full at \`${sha.slice(0, 7)}\``);
      expect(await stableImage(ns)).toBe('shop:2');
      // The deployment the push left running is the one that succeeds.
      expect(gitlab.deployments.filter((d) => d.sha === sha).map((d) => d.statuses)).toEqual([['running', 'success']]);
      for (const run of [install, pushed, scheduled]) expectNoSecrets(run);
    } finally {
      await controller.stop();
    }
  }, 240_000);
});
