import path from 'node:path';
import type { ClusterOptions } from '../../core/commands/cluster-run.js';
import { findRepoRoot } from '../../core/config/load-config.js';
import { UsageError } from '../../core/errors.js';
import { proxyFetch } from '../../core/http/proxy.js';
import { errorAnnotations } from '../../core/report/annotations.js';
import type { SecretMask } from '../../core/report/secret-mask.js';
import { deliver, runWorkflow } from '../../core/workflows/index.js';
import { SUMMARY_LIMIT } from '../../core/workflows/plan.js';
import {
  type Command,
  parseBoolean,
  parseCommand,
  parseRequest,
  parseScheduleCommand,
  type RequestSource,
} from '../../core/workflows/request.js';
import type { Outcome, WorkflowRun } from '../../core/workflows/types.js';
import { GitLabApi, NOTE_LIMIT } from './api.js';
import { readGitLabContext } from './context.js';
import { gitlabPorts } from './ports.js';
import { gitlabReporter } from './reporter.js';

/** The variable that holds the API token, unless --token-variable names another. */
export const DEFAULT_TOKEN_VARIABLE = 'KUBEPLAN_GITLAB_TOKEN';

export interface GitLabJobOptions {
  /** Flags first, then KUBEPLAN_* variables (the CI/CD component passes its inputs that way). */
  source: RequestSource;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** How the job reaches its cluster (kubeconfig, the GitLab agent's KUBECONFIG, --server with --token-env). */
  cluster: ClusterOptions | undefined;
  write: (text: string) => void;
  secrets: SecretMask;
  version: string;
  signal?: AbortSignal | undefined;
}

/**
 * `kubeplan ci` in a GitLab job: what the pipeline calls for (a merge-request pipeline plans and notes, a push to the
 * default branch applies when apply is on, a scheduled pipeline tracks drift, opens bumps or moves canaries on, a
 * pipeline triggered by app CI bumps), through the same workflows the GitHub Action runs. Returns the exit code: 0, 1
 * when the verdict fails the job (fail-on, objects that could not be planned), or the error's.
 */
export async function runGitLabJob(options: GitLabJobOptions): Promise<number> {
  const { source, env, secrets } = options;
  const ctx = readGitLabContext(env);
  const command = commandFor(source, ctx.event, ctx.push?.toDefaultBranch ?? false);
  const request = parseRequest(command, source);
  const tokenVariable = source.get('token-variable') ?? DEFAULT_TOKEN_VARIABLE;
  const token = env[tokenVariable]?.trim() || undefined;
  secrets.add(token);
  const reporter = gitlabReporter(options.write, secrets, {
    summary: path.join(ctx.tempDir, 'summary.md'),
    dotenv: source.get('dotenv') ? path.resolve(options.cwd, source.get('dotenv')!) : undefined,
    codequality: source.get('codequality') ? path.resolve(options.cwd, source.get('codequality')!) : undefined,
  });
  const apiUrl = env.CI_API_V4_URL;
  const project = env.CI_MERGE_REQUEST_PROJECT_ID ?? env.CI_PROJECT_ID ?? env.CI_PROJECT_PATH;
  if (!token && command !== 'render') {
    reporter.warn(
      `no GitLab API token in $${tokenVariable}: ${command === 'plan' ? 'the plan is in this log and in .kubeplan/ (keep it with artifacts: paths), not in a merge-request note' : 'nothing is written to GitLab'}. CI_JOB_TOKEN cannot write notes, issues or merge requests: add a project access token with the api scope as a masked CI/CD variable ${tokenVariable}.`,
    );
  }
  const api =
    token && apiUrl && project
      ? new GitLabApi({
          apiUrl,
          token,
          project,
          secrets,
          fetch: proxyFetch(env),
          log: (line) => reporter.info(line),
        })
      : undefined;
  const run: WorkflowRun = {
    ctx,
    ports: gitlabPorts({ api, ctx, env, reporter, secrets, token, cwd: options.cwd }),
    workingDirectory: options.cwd,
    env,
    tools: { helm: source.get('helm'), kubectl: source.get('kubectl'), kustomize: source.get('kustomize') },
    secrets,
    version: options.version,
    signal: options.signal,
    cluster: {
      options: command === 'render' || command === 'bump' || command === 'promote' ? undefined : options.cluster,
      inputs:
        '--kubeconfig (or KUBECONFIG, which the GitLab agent sets; pick its context with --context), or --server with --token-env (an id_tokens variable)',
    },
    where: source.where,
  };
  let outcome: Outcome;
  try {
    outcome = await runWorkflow(request, run, { limits: { commentLimit: NOTE_LIMIT, summaryLimit: SUMMARY_LIMIT } });
    // Written before a failed apply's error is reported: later jobs read what it did.
    await deliver(outcome, reporter);
    if (outcome.error !== undefined) throw outcome.error;
  } catch (error) {
    // Errors that name a file and line go to the Code Quality report, so they show on the merge request's diff.
    const workspace = env.CI_PROJECT_DIR ?? options.cwd;
    for (const a of errorAnnotations(error, { workspace, repositoryRoot: findRepoRoot(options.cwd) }))
      if (a.file) reporter.annotate({ level: 'error', message: a.message, file: a.file, line: a.line, title: a.title });
    throw error;
  } finally {
    reporter.finish();
  }
  if (outcome.failed) {
    options.write(`error: ${secrets.mask(outcome.failed)}\n`);
    return 1;
  }
  return 0;
}

/** The command: --command / KUBEPLAN_COMMAND, or with auto what the pipeline source calls for. */
function commandFor(source: RequestSource, pipelineSource: string, toDefaultBranch: boolean): Command {
  const requested = parseCommand(source);
  if (requested !== 'auto') return requested;
  switch (pipelineSource) {
    case 'merge_request_event':
      return 'plan';
    case 'push':
      if (parseBoolean(source, 'apply', false) && toDefaultBranch) return 'apply';
      break;
    case 'schedule':
      return parseScheduleCommand(source);
    case 'trigger':
    case 'pipeline':
    case 'api':
      // App CI announcing a pushed image (a trigger token, or a downstream pipeline with KUBEPLAN_IMAGE/KUBEPLAN_TAG).
      return 'bump';
  }
  throw new UsageError(
    `command auto plans merge-request pipelines, and applies pushes to the default branch when apply is true; this pipeline's source is "${pipelineSource || 'unknown'}"`,
    {
      where: source.where('command'),
      hint:
        pipelineSource === 'push'
          ? `set ${source.name('apply')} to true for the default branch (rules: - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH)`
          : 'set the command explicitly: plan, apply, drift, bump, rollback, canary or render',
    },
  );
}
