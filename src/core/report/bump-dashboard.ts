import type { BumpReport } from './bump.js';
import { inlineCode, markdownText } from './escape.js';

export const DASHBOARD_LABEL = 'kubeplan:dashboard';
export const DASHBOARD_TITLE = 'kubeplan dashboard';
/** What tells kubeplan's dashboard issue apart from any other issue with its label or title. */
export const DASHBOARD_MARKER = '<!-- kubeplan:dashboard -->';

/**
 * The body of the "kubeplan dashboard" issue: per image the version the repository holds, the next one its policy
 * allows, the versions skipped because their pull request was closed without merging, and the open pull request. No
 * time and no run link in it, so a run that finds nothing new leaves the issue as it is.
 */
export function formatBumpDashboard(
  report: BumpReport,
  options: { changeRequestName?: 'pull request' | 'merge request' | undefined } = {},
): string {
  const name = options.changeRequestName ?? 'pull request';
  const sign = name === 'merge request' ? '!' : '#';
  const code = (text: string) => inlineCode(text, { table: true });
  const link = (number: number, url: string | undefined) => (url ? `[${sign}${number}](${url})` : `${sign}${number}`);
  const rows = [...report.plan.images]
    .sort((a, b) => a.image.localeCompare(b.image) || (a.files ?? []).join().localeCompare((b.files ?? []).join()))
    .map((i) => {
      const next =
        i.status === 'bump'
          ? code(i.to!.tag)
          : i.skippedBy
            ? `${code(i.to!.tag)} skipped`
            : i.status === 'current'
              ? 'up to date'
              : `${i.status}: ${markdownText(i.reason ?? '')}`;
      const skipped = (i.skippedVersions ?? []).map((s) => `${code(s.version)} (${link(s.number, s.url)} closed)`);
      const pull = report.pullRequests.find(
        (p) => p.images.includes(i.id) && p.action !== 'closed' && p.action !== 'skipped',
      );
      const pullCell = !pull
        ? '–'
        : pull.action === 'error'
          ? `error: ${markdownText(pull.reason ?? '')}`
          : pull.number !== undefined
            ? link(pull.number, pull.url)
            : '–';
      const image = `${code(i.image)}${i.files ? ` (in ${i.files.map(code).join(', ')})` : ''}`;
      return `| ${image} | ${i.from ? code(i.from) : '–'} | ${next} | ${skipped.join('<br>') || '–'} | ${pullCell} |`;
    });
  return [
    DASHBOARD_MARKER,
    `kubeplan keeps this issue up to date on every scheduled \`kubeplan bump\` run: per image the version the repository holds, the next one its policy allows, the versions skipped because their ${name} was closed without merging (reopen it to get that version again), and the open ${name}.`,
    '',
    `| Image | Current | Next | Skipped | ${name === 'merge request' ? 'Merge request' : 'Pull request'} |`,
    '|---|---|---|---|---|',
    ...(rows.length > 0 ? rows : ['| – | – | – | – | – |']),
    '',
  ].join('\n');
}
