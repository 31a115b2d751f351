import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, inject } from 'vitest';
import type { Forge } from '../forge/forge.js';
import { bench } from '../harness/kube.js';
import { repoRoot } from './tools.js';

export interface ActionRun {
  code: number | null;
  /** stdout and stderr, as the runner's log shows them (before it consumes ::add-mask:: lines). */
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

/**
 * Runs dist/index.js the way the GitHub runner does: INPUT_* variables, the event payload file, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY, the API pointed at the local forge, the bench admin kubeconfig as the kubeconfig input.
 */
export async function runAction(options: {
  repo: string;
  forge: Forge;
  event: string;
  payload: object;
  inputs: Record<string, string>;
  scratch: string;
  env?: Record<string, string>;
  /** The action's main file, relative to the repository: dist/index.js, or a per-command action's (plan/index.js). */
  entry?: string;
  /** Cancels the run the way the runner does: `signal` once `when` (polled with the log so far) holds. */
  interrupt?: { signal: NodeJS.Signals; when: (log: string) => boolean | Promise<boolean> };
}): Promise<ActionRun> {
  const dir = mkdtempSync(path.join(options.scratch, 'run-'));
  const files = {
    output: path.join(dir, 'output'),
    summary: path.join(dir, 'summary'),
    event: path.join(dir, 'event.json'),
  };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  writeFileSync(files.event, JSON.stringify(options.payload));
  const env: NodeJS.ProcessEnv = {
    PATH: `${inject('toolsDir')}${path.delimiter}${process.env.PATH}`,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: options.event,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_REPOSITORY: `${options.forge.owner}/${options.forge.repo}`,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SHA: (options.payload as { after?: string }).after ?? 'b'.repeat(40),
    GITHUB_API_URL: options.forge.url,
    GITHUB_GRAPHQL_URL: options.forge.graphqlUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '777',
    GITHUB_WORKSPACE: options.repo,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: dir,
    ...options.env,
  };
  const inputs = {
    kubeconfig: readFileSync(bench().adminKubeconfig, 'utf8'),
    'github-token': 'ghs_actiontoken',
    wait: 'false',
    ...options.inputs,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const child = spawn(process.execPath, [path.join(repoRoot, options.entry ?? 'dist/index.js')], {
    cwd: options.repo,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const code = new Promise<number | null>((resolve) => child.on('close', resolve));
  if (options.interrupt) {
    let exited = false;
    void code.then(() => (exited = true));
    while (!exited && !(await options.interrupt.when(stdout))) await new Promise((r) => setTimeout(r, 100));
    if (!exited) child.kill(options.interrupt.signal);
  }
  await code;
  // The kubeconfig written for the step is gone afterwards, whatever happened.
  expect(existsSync(path.join(dir, 'kubeplan-kubeconfig'))).toBe(false);
  const outputs: Record<string, string> = {};
  for (const m of readFileSync(files.output, 'utf8').matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm))
    outputs[m[1]!] = m[3]!;
  return { code: await code, stdout, outputs, summary: readFileSync(files.summary, 'utf8') };
}

/** A `pull_request` (synchronize) event of acme/config: head b…b on branch change, base a…a on main. */
export function pullRequestEvent(number: number) {
  const repo = { full_name: 'acme/config', name: 'config', owner: { login: 'acme' }, fork: false };
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      state: 'open',
      html_url: `https://github.com/acme/config/pull/${number}`,
      base: { ref: 'main', sha: 'a'.repeat(40), repo },
      head: { ref: 'change', sha: 'b'.repeat(40), repo },
    },
    repository: repo,
    sender: { login: 'alice', type: 'User' },
  };
}
