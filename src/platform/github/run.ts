import * as core from '@actions/core';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { abortOnSignals, CancelledError } from '../../core/cancel.js';
import { ErrorList, formatError, KubeplanError } from '../../core/errors.js';
import { type Command, parseRequest } from '../../core/workflows/request.js';
import { deliver, runWorkflow } from '../../core/workflows/index.js';
import type { WorkflowRun } from '../../core/workflows/types.js';
import { CLUSTER_INPUTS, clusterOptions, kubeconfigPath } from './cluster.js';
import { readGitHubContext } from './context.js';
import { actionSource, commandOf, readSettings, runnerTempOf } from './inputs.js';
import { githubPorts } from './ports.js';
import { actionsReporter } from './reporter.js';
import { warnIfPullRequestHeadCheckedOut } from './untrusted-checkout.js';

declare const __KUBEPLAN_VERSION__: string;
const version = typeof __KUBEPLAN_VERSION__ === 'string' ? __KUBEPLAN_VERSION__ : '0.0.0-dev';

/**
 * The action: read the inputs and the run's context, resolve the cluster and the ports, run the one workflow the
 * command names, and write its outcome to the runner. One error boundary around all of it.
 */
export async function run(env: NodeJS.ProcessEnv): Promise<void> {
  let kubeconfigFile: string | undefined;
  let command: Command | undefined;
  // A cancelled workflow: the runner sends SIGINT, SIGTERM 7.5 s later, then SIGKILL. The credentials file goes at
  // once (the cluster client read it when it connected); apply stops before its next write and reports; any other
  // command, or a second signal, ends the step right away.
  const cancel = abortOnSignals((name, count, exitCode) => {
    if (kubeconfigFile) rmSync(kubeconfigFile, { force: true });
    if (count === 1 && command === 'apply') {
      core.warning(`${name}: the run was cancelled; kubeplan stops before its next write and reports what it wrote`);
      return;
    }
    core.setFailed(`${name}: the run was cancelled; kubeplan stopped`);
    process.exit(exitCode);
  });
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  let workingDirectory = workspace;
  try {
    command = commandOf(env);
    const request = parseRequest(command, actionSource);
    const settings = readSettings(env);
    workingDirectory = settings.workingDirectory;
    const reporter = actionsReporter(settings.secrets);
    const ctx = readGitHubContext(env, runnerTempOf(settings.workingDirectory, env));
    kubeconfigFile = kubeconfigPath(ctx.tempDir);
    if (env.GITHUB_EVENT_NAME === 'pull_request_target')
      await warnIfPullRequestHeadCheckedOut(ctx, settings.workingDirectory, env);
    const needsCluster = command !== 'render' && command !== 'bump';
    const workflowRun: WorkflowRun = {
      ctx,
      ports: await githubPorts({
        token: settings.githubToken,
        ctx,
        env,
        reporter,
        secrets: settings.secrets,
        cwd: settings.workingDirectory,
        changeRequests: command === 'bump',
      }),
      workingDirectory: settings.workingDirectory,
      env,
      tools: settings.tools,
      secrets: settings.secrets,
      version,
      signal: cancel.signal,
      cluster: {
        options: needsCluster ? await clusterOptions(settings, env, ctx.tempDir) : undefined,
        inputs: CLUSTER_INPUTS,
      },
      label: actionSource.label,
    };
    const outcome = await runWorkflow(request, workflowRun, { registryCredentials: settings.registryAuth });
    await deliver(outcome, reporter);
    if (outcome.error !== undefined) throw outcome.error;
    if (outcome.failed) core.setFailed(outcome.failed);
  } catch (error) {
    fail(error, workspace, workingDirectory);
    if (error instanceof CancelledError) process.exitCode = error.exitCode;
  } finally {
    // The credentials written for this step never outlive it, also when it failed.
    if (kubeconfigFile) rmSync(kubeconfigFile, { force: true });
    cancel.dispose();
  }
}

const MAX_ANNOTATIONS = 10;

/**
 * Fails the step. Errors that name a file and line become annotations on that line of the pull request's files (at
 * most 10); the rest are plain error lines.
 */
function fail(error: unknown, workspace: string, workingDirectory: string): void {
  const errors = error instanceof ErrorList ? error.errors : [error];
  let annotated = 0;
  for (const e of errors) {
    const location = e instanceof KubeplanError ? locate(e.where, workspace, workingDirectory) : undefined;
    if (location && annotated < MAX_ANNOTATIONS) {
      core.error(formatError(e), { file: location.file, startLine: location.line, title: 'kubeplan' });
      annotated++;
    } else core.error(formatError(e));
  }
  core.setFailed(
    errors.length === 1
      ? 'kubeplan failed: see the error above'
      : `kubeplan failed with ${errors.length} errors: see above`,
  );
}

/** `kubeplan.yaml:5` or `target app: charts/x/templates/y.yaml:6` → a workspace-relative file and line. */
function locate(
  where: string | undefined,
  workspace: string,
  workingDirectory: string,
): { file: string; line: number } | undefined {
  const m = /(?:^|: )([^\s:]+\.(?:ya?ml|json|tpl)):(\d+)$/.exec(where ?? '');
  if (!m) return undefined;
  // Config errors name files from the working directory, render errors from the repository root.
  const fromWorkingDirectory = path.resolve(workingDirectory, m[1]!);
  const abs = existsSync(fromWorkingDirectory) ? fromWorkingDirectory : path.resolve(workspace, m[1]!);
  return { file: path.relative(workspace, abs).split(path.sep).join('/'), line: Number(m[2]) };
}
