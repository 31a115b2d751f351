import * as core from '@actions/core';
import { rmSync } from 'node:fs';
import { abortOnSignals, CancelledError } from '../../core/cancel.js';
import { BindingError } from '../../core/errors.js';
import { findRepoRoot } from '../../core/config/load-config.js';
import { errorAnnotations } from '../../core/report/annotations.js';
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
    if (count === 1 && (command === 'apply' || command === 'canary')) {
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
    const needsCluster = command !== 'render' && command !== 'bump' && command !== 'promote' && command !== 'comment';
    const workflowRun: WorkflowRun = {
      ctx,
      ports: await githubPorts({
        token: settings.githubToken,
        ctx,
        env,
        reporter,
        secrets: settings.secrets,
        cwd: settings.workingDirectory,
        changeRequests: command === 'bump' || command === 'promote',
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
      where: actionSource.where,
    };
    const outcome = await runWorkflow(request, workflowRun, { registryCredentials: settings.registryAuth });
    await deliver(outcome, reporter);
    if (outcome.error !== undefined) throw outcome.error;
    if (outcome.failed) core.setFailed(outcome.failed);
  } catch (error) {
    fail(error, workspace, workingDirectory);
    if (error instanceof CancelledError || error instanceof BindingError) process.exitCode = error.exitCode;
  } finally {
    // The credentials written for this step never outlive it, also when it failed.
    if (kubeconfigFile) rmSync(kubeconfigFile, { force: true });
    cancel.dispose();
  }
}

const MAX_ANNOTATIONS = 10;

/**
 * Fails the step. Errors that name a file and line become annotations on that line of the pull request's files (at
 * most 10, read from the error's location data); the rest are plain error lines.
 */
function fail(error: unknown, workspace: string, workingDirectory: string): void {
  const annotations = errorAnnotations(error, { workspace, repositoryRoot: findRepoRoot(workingDirectory) });
  let annotated = 0;
  for (const a of annotations) {
    if (a.file && annotated < MAX_ANNOTATIONS) {
      core.error(a.message, { file: a.file, startLine: a.line, startColumn: a.column, title: a.title });
      annotated++;
    } else core.error(a.message);
  }
  core.setFailed(
    annotations.length === 1
      ? 'kubeplan failed: see the error above'
      : `kubeplan failed with ${annotations.length} errors: see above`,
  );
}
