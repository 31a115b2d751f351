import { info } from './log.js';
import { rollbackCommand } from '../../core/commands/rollback.js';
import { UsageError } from '../../core/errors.js';
import { fencedBlock } from '../../core/report/escape.js';
import type { CiContext } from '../types.js';
import { setOutput, writeSummary } from './outputs.js';
import { CLUSTER_INPUTS, clusterOptions } from './cluster.js';
import type { ActionInputs } from './inputs.js';

/**
 * A rollback by hand from a workflow (workflow_dispatch with the target as an input): re-applies a stored revision
 * of one target, or lists the revisions when to-revision is `list`; the job summary and the `rolled-back` output say
 * what happened.
 */
export async function runRollback(
  inputs: ActionInputs,
  ctx: CiContext,
  env: NodeJS.ProcessEnv,
  version: string,
): Promise<void> {
  if (ctx.pullRequest || ctx.event.startsWith('pull_request')) {
    throw new UsageError('kubeplan never rolls back from a pull request event', {
      where: 'action input command',
      hint: 'run rollback from workflow_dispatch',
    });
  }
  if (inputs.targets.length !== 1)
    throw new UsageError('rollback needs exactly one target', {
      where: 'action input targets',
      hint: 'set targets to the one target to roll back',
    });
  const cluster = await clusterOptions(inputs, env);
  if (!cluster)
    throw new UsageError('rollback needs a cluster', {
      where: 'action input kubeconfig',
      hint: `pass ${CLUSTER_INPUTS}`,
    });
  const to = inputs.rollback.toRevision;
  if (to !== undefined && to !== 'list' && !/^[1-9]\d*$/.test(to)) {
    throw new UsageError(`input to-revision must be a revision number or list, not "${to}"`, {
      where: 'action input to-revision',
    });
  }
  const list = to === 'list';
  const result = await rollbackCommand({
    ...cluster,
    config: inputs.config,
    target: inputs.targets[0]!,
    toRevision: to === undefined || list ? undefined : Number(to),
    list,
    forceConflicts: inputs.forceConflicts,
    waitTimeoutMs: inputs.wait ? inputs.timeoutMs : undefined,
    output: 'text',
    tooling: `kubeplan/v${version}`,
    onProgress: (message) => info(message),
  });
  info(result.report);
  const newest = result.revisions.at(-1);
  setOutput(
    'rolled-back',
    list
      ? ''
      : JSON.stringify({
          target: inputs.targets[0],
          revision: newest?.rollbackOf ?? null,
          recordedAs: newest?.number ?? null,
          created: result.result?.created ?? 0,
          updated: result.result?.updated ?? 0,
          pruned: result.result?.pruned ?? 0,
        }),
    inputs.secrets,
  );
  await writeSummary(
    `### kubeplan rollback: ${inputs.targets[0]}\n\n${fencedBlock(result.report.replace(/\n$/, ''), 'text')}\n`,
    inputs.secrets,
  );
}
