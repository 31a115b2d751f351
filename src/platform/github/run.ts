import * as core from '@actions/core';
import { info } from './log.js';
import path from 'node:path';
import { renderCommand } from '../../core/commands/render.js';
import { existsSync, rmSync } from 'node:fs';
import { abortOnSignals, CancelledError } from '../../core/cancel.js';
import { ErrorList, formatError, KubeplanError } from '../../core/errors.js';
import { formatSource } from '../../core/manifests/manifest-set.js';
import { oneLine } from '../../core/report/escape.js';
import { readGitHubContext } from './context.js';
import { readInputs, runnerTempOf } from './inputs.js';
import { runApply } from './apply.js';
import { runBump } from './bump.js';
import { runRollback } from './rollback.js';
import { runDrift } from './drift.js';
import { kubeconfigPath } from './cluster.js';
import { runPlan } from './plan.js';
import { warnIfPullRequestHeadCheckedOut } from './untrusted-checkout.js';

declare const __KUBEPLAN_VERSION__: string;
const version = typeof __KUBEPLAN_VERSION__ === 'string' ? __KUBEPLAN_VERSION__ : '0.0.0-dev';

/** The action: one error boundary around input parsing and the core call. */
export async function run(env: NodeJS.ProcessEnv): Promise<void> {
  let kubeconfigFile: string | undefined;
  let command: string | undefined;
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
  try {
    const inputs = readInputs(env);
    command = inputs.command;
    kubeconfigFile = kubeconfigPath(runnerTempOf(inputs, env));
    if (env.GITHUB_EVENT_NAME === 'pull_request_target')
      await warnIfPullRequestHeadCheckedOut(readGitHubContext(env), inputs.workingDirectory, env);
    if (inputs.command === 'plan') {
      await runPlan(inputs, readGitHubContext(env), env);
      return;
    }
    if (inputs.command === 'rollback') {
      await runRollback(inputs, readGitHubContext(env), env, version);
      return;
    }
    if (inputs.command === 'bump') {
      await runBump(inputs, env);
      return;
    }
    if (inputs.command === 'drift') {
      await runDrift(inputs, readGitHubContext(env), env);
      return;
    }
    if (inputs.command === 'apply') {
      await runApply(inputs, readGitHubContext(env), env, version, cancel.signal);
      return;
    }
    const result = await renderCommand({
      config: inputs.config,
      targets: inputs.targets,
      outDir: inputs.outDir,
      format: inputs.format,
      showSecrets: false,
      tools: inputs.tools,
      cwd: inputs.workingDirectory,
      env,
      // On a pull request, its own kubeplan.yaml must not turn on what runs or fetches code while its content renders.
      optInsFrom: readGitHubContext(env).pullRequest?.baseSha,
      fetchOptIns: true,
      onNotice: (notice) => core.notice(notice.replace(/`/g, '')),
    });
    const rows = result.sets.map((set, i) => ({
      name: set.target,
      objects: set.manifests.length,
      hooks: set.manifests.filter((m) => m.hook).length,
      file: result.files[i]!,
    }));
    for (const set of result.sets) {
      core.startGroup(`${set.target}: ${set.manifests.length} objects`);
      for (const m of set.manifests) {
        const o = m.object;
        info(
          `${oneLine(`${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`)}  ← ${oneLine(formatSource(m.source))}${m.hook ? '  [hook]' : ''}`,
        );
      }
      core.endGroup();
    }
    core.setOutput('out-dir', inputs.outDir);
    core.setOutput('objects', String(rows.reduce((n, r) => n + r.objects, 0)));
    core.setOutput('targets', JSON.stringify(rows));
    await core.summary
      .addHeading('kubeplan render', 3)
      .addTable([
        [
          { data: 'Target', header: true },
          { data: 'Objects', header: true },
          { data: 'Hooks', header: true },
          { data: 'File', header: true },
        ],
        ...rows.map((r) => [
          r.name,
          String(r.objects),
          String(r.hooks),
          path.relative(inputs.workingDirectory, r.file),
        ]),
      ])
      .write();
  } catch (error) {
    fail(error, env);
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
function fail(error: unknown, env: NodeJS.ProcessEnv): void {
  const errors = error instanceof ErrorList ? error.errors : [error];
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  const workingDirectory = path.resolve(workspace, core.getInput('working-directory') || '.');
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
