import { deploymentsSource, NotSoakedYet, promoteCommand, type PromoteReport } from '../commands/promote.js';
import { loadConfig } from '../config/load-config.js';
import { KubeplanError, UsageError } from '../errors.js';
import { markdownText } from '../report/escape.js';
import type { PromoteRequest } from './request.js';
import { emptyOutcome, type Outcome, type WorkflowRun } from './types.js';

/**
 * Promotion pull requests (`command: promote`, or `schedule-command: promote`): for each destination (the targets
 * input, or every target with promote in kubeplan.yaml), its upstream's last successful deployment, the soak, and one
 * pull request with exactly the upstream's versions. A destination whose upstream has not soaked yet is a notice (a
 * schedule tries again); a failure since, or a pull request that could not be written, fails the step.
 */
export async function openPromotions(request: PromoteRequest, run: WorkflowRun): Promise<Outcome> {
  const publisher = run.ports.changeRequests;
  const history = run.ports.deployments?.history;
  if (!publisher || !history)
    throw new UsageError(
      `promote reads deployments and opens ${run.ctx.changeRequestName ?? 'pull request'}s, and needs a token for both`,
      {
        where: run.where('token'),
        hint: 'give the job a token with contents: write, pull-requests: write and deployments: read (GitHub)',
      },
    );
  const config = loadConfig(request.config, run.workingDirectory);
  const destinations = request.targets.length
    ? request.targets
    : config.targets.filter((t) => t.promote).map((t) => t.name);
  if (destinations.length === 0)
    throw new UsageError('no target has promote: {from: …} in kubeplan.yaml, and targets names none', {
      where: run.where('targets'),
      hint: 'add promote: {from: <upstream>, soak: 2h} to the destination target, or name it in targets',
    });
  const source = deploymentsSource(
    (environment) => history(environment),
    (d) => run.ctx.commitUrl?.(d.sha),
  );
  const outcome = emptyOutcome();
  const rows: string[] = [];
  const reports: PromoteReport[] = [];
  const failed: string[] = [];
  for (const to of destinations) {
    try {
      const result = await promoteCommand({
        config: request.config,
        cwd: run.workingDirectory,
        env: run.env,
        to,
        from: undefined,
        dryRun: false,
        output: 'text',
        source,
        publisher,
      });
      run.ports.reporter.info(result.output);
      reports.push(result.report);
      const r = result.report;
      const pr = r.pullRequest;
      rows.push(
        `| ${to} | ${r.from} @ \`${r.upstream.sha.slice(0, 12)}\` | ${r.images.map((i) => `${markdownText(i.image)} ${i.from} → ${i.to}`).join('<br>') || 'nothing to change'} | ${pr ? `[#${pr.number}](${pr.url}) ${pr.action}` : '–'} |`,
      );
    } catch (error) {
      if (!(error instanceof KubeplanError)) throw error;
      const message = `${error.message}${error.hint ? ` (${error.hint})` : ''}`;
      rows.push(`| ${to} | – | ${markdownText(message)} | – |`);
      if (error instanceof NotSoakedYet) outcome.annotations.push({ level: 'notice', message });
      else {
        outcome.annotations.push({ level: 'error', message });
        failed.push(to);
      }
    }
  }
  outcome.outputs = {
    'pull-requests': JSON.stringify(reports.flatMap((r) => (r.pullRequest ? [r.pullRequest.url] : []))),
  };
  outcome.summary = run.secrets.mask(
    [
      '### kubeplan promote',
      '',
      '| Destination | Upstream | Versions | Pull request |',
      '|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
  if (failed.length)
    outcome.failed = `kubeplan promote: ${failed.join(', ')} could not be promoted; the others were done`;
  return outcome;
}
