import { rollbackCommand } from '../commands/rollback.js';
import { UsageError } from '../errors.js';
import { fencedBlock } from '../report/escape.js';
import { namedClusterRun, namesClusters, refuseClustersInput } from './named-clusters.js';
import type { RollbackRequest } from './request.js';
import { emptyOutcome, type Outcome, type WorkflowRun } from './types.js';

/**
 * A rollback by hand (a workflow_dispatch or a manual job with the target as an input): re-applies a stored revision
 * of one target, or lists the revisions; the summary and the `rolled-back` output say what happened.
 */
export async function rollBack(request: RollbackRequest, run: WorkflowRun): Promise<Outcome> {
  const { ctx } = run;
  if (ctx.pullRequest || /^(pull_request|merge_request)/.test(ctx.event)) {
    throw new UsageError(`kubeplan never rolls back from a ${ctx.changeRequestName ?? 'pull request'} event`, {
      where: run.where('command'),
      hint: 'run rollback from workflow_dispatch (GitLab: a manual job)',
    });
  }
  const named = namesClusters(run, request.config);
  if (!named) refuseClustersInput(run, request);
  const cluster = named ? namedClusterRun(run, request) : run.cluster.options;
  if (!cluster)
    throw new UsageError('rollback needs a cluster', {
      where: run.where('kubeconfig'),
      hint: `pass ${run.cluster.inputs}`,
    });
  const result = await rollbackCommand({
    ...cluster,
    config: request.config,
    target: request.target,
    toRevision: request.toRevision,
    list: request.list,
    forceConflicts: request.forceConflicts,
    waitTimeoutMs: request.waitTimeoutMs,
    output: 'text',
    tooling: `kubeplan/v${run.version}`,
    onProgress: (message) => run.ports.reporter.info(message),
  });
  run.ports.reporter.info(result.report);
  const newest = result.revisions.at(-1);
  const outcome = emptyOutcome();
  outcome.outputs = {
    'rolled-back': request.list
      ? ''
      : JSON.stringify({
          target: request.target,
          revision: newest?.rollbackOf ?? null,
          recordedAs: newest?.number ?? null,
          created: result.result?.created ?? 0,
          updated: result.result?.updated ?? 0,
          pruned: result.result?.pruned ?? 0,
        }),
  };
  outcome.summary = run.secrets.mask(
    `### kubeplan rollback: ${request.target}\n\n${fencedBlock(result.report.replace(/\n$/, ''), 'text')}\n`,
  );
  return outcome;
}
