import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { helmBin, kubectlBin, repoRoot } from './tools.js';

export interface GitLabJobRun {
  code: number | null;
  /** The job log (stdout and stderr). */
  log: string;
  /** The dotenv report (artifacts:reports:dotenv), parsed. */
  dotenv: Record<string, string>;
  /** The Code Quality report, parsed ([] when none was written). */
  codequality: { description: string; location: { path: string; lines: { begin: number } } }[];
  /** .kubeplan/summary.md, as the job keeps it in its artifacts. */
  summary: string;
  /** .kubeplan/kubeplan-report.json, when a plan wrote one. */
  report: string;
}

/** GitLab's predefined variables for a pipeline of `project` at `forge` (https://docs.gitlab.com/ci/variables/predefined_variables/). */
export function gitlabVariables(options: {
  apiUrl: string;
  serverUrl: string;
  projectId: number;
  projectPath: string;
  projectDir: string;
  source: 'merge_request_event' | 'push' | 'schedule' | 'trigger' | 'web';
  sha: string;
  branch?: string;
  mergeRequest?: { iid: number; baseSha: string; sourceProjectId?: number };
  beforeSha?: string;
}): Record<string, string> {
  const web = `${options.serverUrl}/${options.projectPath}`;
  const vars: Record<string, string> = {
    CI: 'true',
    GITLAB_CI: 'true',
    CI_API_V4_URL: options.apiUrl,
    CI_SERVER_URL: options.serverUrl,
    CI_PROJECT_ID: String(options.projectId),
    CI_PROJECT_PATH: options.projectPath,
    CI_PROJECT_NAMESPACE: options.projectPath.split('/').slice(0, -1).join('/'),
    CI_PROJECT_NAME: options.projectPath.split('/').at(-1)!,
    CI_PROJECT_URL: web,
    CI_PROJECT_DIR: options.projectDir,
    CI_PIPELINE_SOURCE: options.source,
    CI_COMMIT_SHA: options.sha,
    CI_COMMIT_REF_NAME: options.branch ?? 'main',
    CI_DEFAULT_BRANCH: 'main',
    CI_JOB_URL: `${web}/-/jobs/4242`,
    CI_JOB_TOKEN: 'glcbt-jobtoken-not-for-notes',
  };
  if (options.source !== 'merge_request_event') vars.CI_COMMIT_BRANCH = options.branch ?? 'main';
  if (options.beforeSha) vars.CI_COMMIT_BEFORE_SHA = options.beforeSha;
  if (options.mergeRequest) {
    vars.CI_MERGE_REQUEST_IID = String(options.mergeRequest.iid);
    vars.CI_MERGE_REQUEST_PROJECT_ID = String(options.projectId);
    vars.CI_MERGE_REQUEST_SOURCE_PROJECT_ID = String(options.mergeRequest.sourceProjectId ?? options.projectId);
    vars.CI_MERGE_REQUEST_DIFF_BASE_SHA = options.mergeRequest.baseSha;
    vars.CI_MERGE_REQUEST_TARGET_BRANCH_NAME = 'main';
  }
  return vars;
}

/**
 * Runs a job of the CI/CD component (templates/kubeplan.yml) the way a GitLab runner does: the component rendered
 * with `inputs` (defaults for the rest), its `variables:` and `env` as the job's environment, and each `script:` line
 * run by a shell in the project folder, with `kubeplan` on PATH being the built dist/cli.js.
 */
export async function runComponentJob(options: {
  scratch: string;
  projectDir: string;
  inputs: Record<string, string | boolean>;
  env: Record<string, string>;
}): Promise<GitLabJobRun> {
  const bin = mkdtempSync(path.join(options.scratch, 'bin-'));
  const shim = path.join(bin, 'kubeplan');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${path.join(repoRoot, 'dist', 'cli.js')}" "$@"\n`);
  chmodSync(shim, 0o755);
  const { variables, script } = renderComponent(options.inputs);
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    HOME: process.env.HOME,
    KUBEPLAN_HELM: helmBin,
    KUBEPLAN_KUBECTL: kubectlBin,
    ...variables,
    ...options.env,
  };
  let log = '';
  let code: number | null = 0;
  for (const line of script) {
    const child = spawn('sh', ['-c', line], { cwd: options.projectDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (log += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
    code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) break;
  }
  const file = (name: string) => {
    const f = path.join(options.projectDir, '.kubeplan', name);
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  };
  const dotenv = Object.fromEntries(
    file('kubeplan.env')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const quality = file('codequality.json');
  return {
    code,
    log,
    dotenv,
    codequality: quality ? JSON.parse(quality) : [],
    summary: file('summary.md'),
    report: file('kubeplan-report.json'),
  };
}

/** The component's job with `$[[ inputs.x ]]` replaced as GitLab does (given values, else the spec's defaults). */
export function renderComponent(inputs: Record<string, string | boolean>): {
  variables: Record<string, string>;
  script: string[];
  job: Record<string, unknown>;
  spec: { inputs: Record<string, { default?: unknown; options?: unknown[]; regex?: string; type?: string }> };
} {
  const text = readFileSync(path.join(repoRoot, 'templates', 'kubeplan.yml'), 'utf8');
  const [specText, jobText] = text.split(/^---$/m);
  const spec = (loadAll(specText!)[0] as { spec: ReturnType<typeof renderComponent>['spec'] }).spec;
  for (const name of Object.keys(inputs))
    if (!(name in spec.inputs)) throw new Error(`the component has no input ${name}`);
  const rendered = jobText!.replace(/\$\[\[ inputs\.([\w-]+) \]\]/g, (_m, name: string) => {
    const declared = spec.inputs[name];
    if (!declared) throw new Error(`the component uses an undeclared input ${name}`);
    const value = inputs[name] ?? declared.default;
    if (value === undefined) throw new Error(`the component's input ${name} is required`);
    if (declared.options && !declared.options.includes(value)) throw new Error(`${name}: ${value} is not an option`);
    if (declared.regex && !new RegExp(declared.regex).test(String(value))) throw new Error(`${name} fails its regex`);
    return String(value);
  });
  const doc = loadAll(rendered)[0] as Record<string, { variables: Record<string, string>; script: string[] }>;
  const [job] = Object.values(doc);
  return { variables: job!.variables, script: job!.script, job: job as Record<string, unknown>, spec };
}
