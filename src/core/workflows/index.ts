import type { Reporter } from '../../platform/types.js';
import { applyPush } from './apply.js';
import { openBumps } from './bump.js';
import { canaryCommand } from './canary.js';
import { commentFromReport } from './comment.js';
import { openPromotions } from './promote.js';
import { trackDrift } from './drift.js';
import { type PlanLimits, planPullRequest } from './plan.js';
import { renderTargetsToFiles } from './render.js';
import type { WorkflowRequest } from './request.js';
import { rollBack } from './rollback.js';
import type { Outcome, WorkflowRun } from './types.js';

/** Runs the workflow a request names. */
export function runWorkflow(
  request: WorkflowRequest,
  run: WorkflowRun,
  extras: {
    registryCredentials?: ReadonlyMap<string, { username: string; password: string }>;
    limits?: PlanLimits;
  } = {},
): Promise<Outcome> {
  switch (request.command) {
    case 'render':
      return renderTargetsToFiles(request, run);
    case 'plan':
      return planPullRequest(request, run, extras.limits);
    case 'apply':
      return applyPush(request, run);
    case 'drift':
      return trackDrift(request, run);
    case 'bump':
      return openBumps(request, run, extras.registryCredentials);
    case 'rollback':
      return rollBack(request, run);
    case 'promote':
      return openPromotions(request, run);
    case 'comment':
      return commentFromReport(request, run, extras.limits);
    case 'canary':
      return canaryCommand(request, run);
  }
}

/** Writes a workflow's outcome through the reporter: outputs, the summary, annotations. */
export async function deliver(outcome: Outcome, reporter: Reporter): Promise<void> {
  for (const [name, value] of Object.entries(outcome.outputs)) reporter.output(name, value);
  await reporter.summary(outcome.summary);
  for (const a of outcome.annotations) reporter.annotate(a);
}
