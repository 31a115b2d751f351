import { bumpCommand } from '../commands/bump.js';
import { KubeplanError, UsageError } from '../errors.js';
import { DASHBOARD_LABEL, DASHBOARD_MARKER, DASHBOARD_TITLE, formatBumpDashboard } from '../report/bump-dashboard.js';
import type { BumpReport } from '../report/bump.js';
import { inlineCode, markdownText } from '../report/escape.js';
import type { BumpRequest } from './request.js';
import type { IssueTracker } from '../../platform/types.js';
import { emptyOutcome, type Outcome, type WorkflowRun } from './types.js';

/**
 * Open bumps: one change request per image or group that has a newer version, through the ChangeRequests port; the
 * summary, and the outputs `bumps` and `pull-requests`. An image whose registry failed, or a change request that could
 * not be written, fails the step; the others are still done.
 */
export async function openBumps(
  request: BumpRequest,
  run: WorkflowRun,
  registryCredentials: ReadonlyMap<string, { username: string; password: string }> = new Map(),
): Promise<Outcome> {
  const publisher = run.ports.changeRequests;
  if (!publisher)
    throw new UsageError(`bump opens ${run.ctx.changeRequestName ?? 'pull request'}s and needs a token`, {
      where: run.where('token'),
      hint: 'give the job a token that may push branches and open them (GitHub: contents: write and pull-requests: write; GitLab: a project access token with the api scope and the Developer role)',
    });
  const result = await bumpCommand({
    config: request.config,
    cwd: run.workingDirectory,
    env: run.env,
    request: { only: request.images, dispatch: request.dispatch, explain: false },
    mode: 'pull-requests',
    output: 'text',
    endpoints: [],
    credentials: registryCredentials,
    publisher,
    onSecret: (value) => run.ports.reporter.mask(value),
  });
  run.ports.reporter.info(result.output);
  const { plan, pullRequests } = result.report;
  const pullOf = (key: string) => pullRequests.find((p) => p.images.includes(key) && p.action !== 'closed');
  const outcome = emptyOutcome();
  outcome.outputs = {
    bumps: JSON.stringify(
      plan.images.map((i) => ({
        image: i.image,
        status: i.status,
        from: i.from ?? null,
        to: i.to ? i.to.tag : null,
        pullRequest: pullOf(i.id)?.url ?? null,
      })),
    ),
    'pull-requests': JSON.stringify(
      pullRequests
        .filter((p) => p.url && (p.action === 'created' || p.action === 'updated' || p.action === 'unchanged'))
        .map((p) => p.url),
    ),
  };
  outcome.summary = run.secrets.mask(bumpSummaryMarkdown(result.report));
  const failed = [
    ...plan.images.filter((i) => i.status === 'error').map((i) => `${i.image}: ${i.reason}`),
    ...pullRequests.filter((p) => p.action === 'error').map((p) => `${p.branch}: ${p.reason}`),
  ];
  for (const f of failed) outcome.annotations.push({ level: 'error', message: f });
  for (const p of pullRequests)
    for (const w of p.warnings ?? [])
      outcome.annotations.push({ level: 'warning', message: `${p.number ? `#${p.number}` : p.branch}: ${w}` });
  // The dashboard shows every image: a run for some images (--image, a dispatch) leaves it as it is.
  if (result.config.bump.dashboard && request.images.length === 0 && request.dispatch === undefined) {
    const said = await updateBumpDashboard(
      run.ports.issues,
      run.secrets.mask(formatBumpDashboard(result.report, run.ctx)),
    );
    if (said.level === 'warning') outcome.annotations.push({ level: 'warning', message: said.message });
    else run.ports.reporter.info(said.message);
  }
  if (failed.length > 0)
    outcome.failed = `kubeplan bump: ${failed.length} image${failed.length === 1 ? '' : 's'} or pull request${failed.length === 1 ? '' : 's'} failed; the others were done`;
  return outcome;
}

/**
 * Keeps the one dashboard issue up to date: the open issue with the label and marker that this token opened, edited in
 * place when its text differs, opened when there is none. It only reports: a forge that refuses says so in a warning,
 * and the bumps stand.
 */
export async function updateBumpDashboard(
  issues: IssueTracker | undefined,
  body: string,
): Promise<{ level: 'info' | 'warning'; message: string }> {
  if (!issues)
    return {
      level: 'warning',
      message: 'bump.dashboard is set, but this run cannot write issues (no token); the dashboard was not updated',
    };
  try {
    // Only an issue this token opened: anyone who can label an issue could otherwise have kubeplan rewrite theirs.
    const me = await issues.identity();
    const mine = (await issues.listOpenIssues(DASHBOARD_LABEL)).filter(
      (i) => i.author === me && i.body.startsWith(DASHBOARD_MARKER),
    );
    const issue = mine.sort((a, b) => a.number - b.number)[0];
    if (!issue) {
      const number = await issues.createIssue(DASHBOARD_TITLE, body, [DASHBOARD_LABEL]);
      return { level: 'info', message: `dashboard: opened issue #${number}` };
    }
    if (issue.body === body && issue.title === DASHBOARD_TITLE)
      return { level: 'info', message: `dashboard: issue #${issue.number} is up to date` };
    await issues.updateIssue(issue.number, { title: DASHBOARD_TITLE, body });
    return { level: 'info', message: `dashboard: updated issue #${issue.number}` };
  } catch (error) {
    if (!(error instanceof KubeplanError)) throw error;
    return {
      level: 'warning',
      message: `the dashboard issue was not updated: ${error.message}${error.hint ? ` (${error.hint})` : ''}`,
    };
  }
}

function bumpSummaryMarkdown(report: BumpReport): string {
  const rows = report.plan.images.map((i) => {
    const pr = report.pullRequests.find((p) => p.images.includes(i.id) && p.action !== 'closed');
    const state =
      i.status === 'bump'
        ? `${i.from} → ${i.to!.tag}`
        : i.status === 'current'
          ? `current (${i.from})`
          : `${i.skippedBy ? `${i.from} → ${i.to!.tag} ` : ''}${i.status}: ${markdownText(i.reason ?? '')}`;
    return `| ${inlineCode(i.image, { table: true })} | ${state} | ${pr?.url ? `[#${pr.number}](${pr.url}) ${pr.action}` : pr ? `${pr.action}${pr.reason ? `: ${markdownText(pr.reason)}` : ''}` : '–'} | ${i.requests} |`;
  });
  const closed = report.pullRequests
    .filter((p) => p.action === 'closed')
    .map((p) => `- closed #${p.number}: ${markdownText(p.reason ?? '')}`);
  const warnings = report.pullRequests.flatMap((p) =>
    (p.warnings ?? []).map(
      (w) => `- warning, ${p.number ? `#${p.number}` : markdownText(p.branch)}: ${markdownText(w)}`,
    ),
  );
  return [
    '### kubeplan bump',
    '',
    '| Image | Version | Pull request | Registry requests |',
    '|---|---|---|---|',
    ...rows,
    '',
    ...closed,
    ...warnings,
    '',
  ].join('\n');
}
