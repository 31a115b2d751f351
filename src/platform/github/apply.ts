import * as core from '@actions/core';
import { info } from './log.js';
import { createHash } from 'node:crypto';
import type { TargetApplyResult } from '../../core/apply/apply.js';
import { applyCommand, type StoppedApply } from '../../core/commands/apply.js';
import { affectedTargets } from '../../core/config/affected.js';
import { loadConfig } from '../../core/config/load-config.js';
import { CancelledError } from '../../core/cancel.js';
import { formatError, KubeplanError, UsageError } from '../../core/errors.js';
import { changedFilesSince } from '../../core/git/changed-files.js';
import { objectName } from '../../core/report/common.js';
import { fencedBlock, htmlText, inlineCode, markdownText } from '../../core/report/escape.js';
import { marker, ownComments } from '../sticky-comments.js';
import type { CiContext } from '../types.js';
import { setOutput, writeSummary } from './outputs.js';
import { GitHubApi } from './api.js';
import { CLUSTER_INPUTS, clusterOptions } from './cluster.js';
import type { ActionInputs } from './inputs.js';

/**
 * Apply on a push to the default branch: apply every affected target, one GitHub Deployment per target (in_progress →
 * success / failure), the job summary per target and stage, outputs, and a comment on the merged pull request.
 */
export async function runApply(
  inputs: ActionInputs,
  ctx: CiContext,
  env: NodeJS.ProcessEnv,
  version: string,
  signal?: AbortSignal,
): Promise<void> {
  if (ctx.pullRequest || ctx.event.startsWith('pull_request')) {
    throw new UsageError('kubeplan never applies from a pull request event', {
      where: 'action input command',
      hint: 'apply on push to the default branch; plan on pull requests',
    });
  }
  const cluster = await clusterOptions(inputs, env);
  if (!cluster)
    throw new UsageError('apply needs a cluster', { where: 'action input kubeconfig', hint: `pass ${CLUSTER_INPUTS}` });
  const sha = ctx.push?.after ?? ctx.sha;
  const api = inputs.githubToken
    ? GitHubApi.forRun(inputs.githubToken, ctx.repository, env, inputs.secrets)
    : undefined;

  let targets = inputs.targets;
  if (targets.length === 0 && ctx.push && !/^0+$/.test(ctx.push.before) && inputs.onlyAffected) {
    const config = loadConfig(inputs.config, inputs.workingDirectory);
    const changed = await changedFilesSince(config.repoRoot, ctx.push.before, env);
    if (changed) {
      targets = affectedTargets(config, changed);
      info(
        `${targets.length} of ${config.targets.length} targets affected by ${ctx.push.before.slice(0, 7)}..${sha.slice(0, 7)}`,
      );
      if (targets.length === 0) {
        setOutput('applied', '{}', inputs.secrets);
        setOutput('failed-target', '', inputs.secrets);
        await writeSummary(
          "### kubeplan apply: nothing to do\n\nNo target's files changed in this push.\n",
          inputs.secrets,
        );
        return;
      }
    }
  }

  const deployments = new Map<string, number>();
  const results: TargetApplyResult[] = [];
  let failedTarget = '';
  let failure: unknown;
  let stopped: StoppedApply | undefined;
  const write = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      core.warning(
        `cannot report to GitHub: ${error instanceof KubeplanError ? error.format() : (error as Error).message}`,
      );
    }
  };
  try {
    const outcome = await applyCommand({
      config: inputs.config,
      targets,
      tools: inputs.tools,
      ...cluster,
      signal,
      dryRun: false,
      forceConflicts: inputs.forceConflicts,
      allowEmpty: false,
      noHooks: false,
      waitTimeoutMs: inputs.wait ? inputs.timeoutMs : undefined,
      hookTimeoutMs: inputs.timeoutMs,
      onProgress: (m) => info(m),
      output: 'json',
      tooling: `kubeplan/v${version}`,
      around: {
        before: async (target) => {
          core.startGroup(`apply ${target}`);
          if (api)
            await write(async () => {
              const id = await api.createDeployment(target, sha, `kubeplan apply ${sha.slice(0, 7)} to ${target}`);
              deployments.set(target, id);
              await api.setDeploymentStatus(id, 'in_progress', `applying ${sha.slice(0, 7)}`, ctx.runUrl);
            });
        },
        after: async (target, result, error) => {
          if (result) {
            results.push(result);
            for (const o of result.objects.filter((x) => x.action !== 'unchanged'))
              info(`${o.action.padEnd(9)} ${o.apiVersion} ${objectName(o)}`);
            for (const n of result.notes) info(`note: ${n}`);
          }
          core.endGroup();
          const id = deployments.get(target);
          if (api && id !== undefined) {
            const description = result
              ? `${result.created} created, ${result.updated} updated, ${result.pruned} pruned`
              : error instanceof CancelledError
                ? `cancelled (${error.signalName})${error.progress ? `: ${error.progress}` : ''}`
                : error instanceof KubeplanError
                  ? error.format()
                  : String(error);
            await write(() => api.setDeploymentStatus(id, result ? 'success' : 'failure', description, ctx.runUrl));
          }
          if (error) failedTarget = target;
        },
      },
    });
    // A stopped apply returns its failure with what it wrote before it (the summary lists both).
    if (outcome.failure !== undefined) {
      failure = outcome.failure;
      stopped = outcome.stopped;
    }
  } catch (error) {
    failure = error;
  }

  const applied = Object.fromEntries(
    results.map((r) => [
      r.target,
      { created: r.created, updated: r.updated, recreated: r.recreated, pruned: r.pruned, unchanged: r.unchanged },
    ]),
  );
  setOutput('applied', JSON.stringify(applied), inputs.secrets);
  setOutput('failed-target', failedTarget, inputs.secrets);
  const summary = applySummary(sha, results, failedTarget, failure, stopped);
  await writeSummary(summary, inputs.secrets);
  if (api) {
    await write(async () => {
      const pr = await api.mergedPullRequest(sha);
      if (pr === undefined) return;
      const key = createHash('sha256').update(`${inputs.config}|${sha}`).digest('hex').slice(0, 12);
      // Masked here, not only on the way out, so an unchanged comment compares equal and is not written again.
      const body = inputs.secrets.mask(
        `${marker('plan', `apply-${key}`)}\n${summary}${ctx.runUrl ? `\n[Run log](${ctx.runUrl})\n` : ''}`,
      );
      const existing = (await ownComments(api, pr)).find((c) => c.body.startsWith(marker('plan', `apply-${key}`)));
      if (existing?.body === body) return;
      if (existing) await api.updateComment(existing.id, body);
      else await api.createComment(pr, body);
    });
  }
  if (failure) throw failure;
}

function applySummary(
  sha: string,
  results: TargetApplyResult[],
  failedTarget: string,
  failure: unknown,
  stopped: StoppedApply | undefined,
): string {
  const out: string[] = [
    failure
      ? `### kubeplan apply of \`${sha.slice(0, 7)}\` failed in target ${markdownText(failedTarget)}`
      : `### kubeplan applied \`${sha.slice(0, 7)}\``,
    '',
  ];
  if (failure) out.push(fencedBlock(failure instanceof KubeplanError ? failure.format() : formatError(failure)), '');
  if (results.length) {
    out.push(
      '| target | created | updated | recreated | pruned | unchanged |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const r of results)
      out.push(
        `| ${markdownText(r.target)} | ${r.created} | ${r.updated} | ${r.recreated} | ${r.pruned} | ${r.unchanged} |`,
      );
    out.push('');
    for (const r of results) {
      const changed = r.objects.filter((o) => o.action !== 'unchanged');
      if (!changed.length && !r.stages.some((s) => s.objects)) continue;
      out.push(
        `<details><summary>${htmlText(r.target)}: ${changed.length} object${changed.length === 1 ? '' : 's'} written</summary>`,
        '',
      );
      for (const o of changed) out.push(`- ${o.action} ${inlineCode(`${o.apiVersion} ${objectName(o)}`)}`);
      out.push(
        '',
        ...r.stages
          .filter((s) => s.objects || s.ms > 50)
          .map((s) => `- stage ${s.name}: ${s.objects} objects, ${s.ms} ms`),
        '',
        '</details>',
        '',
      );
    }
  }
  if (stopped) {
    // What the stopped target wrote before it stopped, and every step (of it and of the targets never started) not done.
    const written = stopped.target?.objects.filter((o) => o.action !== 'unchanged') ?? [];
    if (stopped.target) {
      out.push(`**${markdownText(stopped.target.target)}: written before it stopped (${written.length})**`, '');
      out.push(
        ...(written.length
          ? written.map((o) => `- ${o.action} ${inlineCode(`${o.apiVersion} ${objectName(o)}`)}`)
          : ['- nothing']),
        '',
      );
    }
    for (const { target, steps } of stopped.notDone) {
      if (!steps.length) continue;
      out.push(
        `**${markdownText(target)}: not done${stopped.target?.target === target ? '' : ' (not started)'} (${steps.length})**`,
        '',
      );
      for (const n of steps)
        out.push(
          `- ${n.kind ? `${n.step} ${inlineCode(`${n.apiVersion} ${objectName({ kind: n.kind, namespace: n.namespace, name: n.name! })}`)}` : n.step}`,
        );
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}
