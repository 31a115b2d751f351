import type { Plan } from '../diff/types.js';
import { planFooter, planHeader, planSections } from './markdown.js';

export interface PackOptions {
  /** The forge's limit for one body (GitHub: 65,536 characters). */
  limit: number;
  /** The hidden marker that starts part `index` of `total`. */
  marker: (index: number, total: number) => string;
  /** Where the full report is, for truncated sections and continuation parts. */
  fullReportHint: string;
  /**
   * At most this many bodies: a huge plan is not worth hundreds of comments. The last body says how many objects it
   * leaves out and points to the full report.
   */
  maxParts: number;
  /** Every diff in full (the job summary); comments show large created bodies as their digest (markdown.ts). */
  full?: boolean;
  /** A line under the footer of every body: what was planned, where, when (workflows/plan.ts stamp()). */
  stamp?: string | undefined;
}

/** Room kept for the marker and the "part N/M" line that are added once the number of parts is known. */
const RESERVE = 300;

/**
 * Packs a plan into comment bodies within the limit: part 1 starts with the summary and tables; sections follow by
 * priority; a body is split only between sections (never inside a code fence or <details>). A single section that is
 * too big on its own has its diff cut, with a pointer to the full report.
 */
export function packCommentParts(plan: Plan, options: PackOptions): string[] {
  const budget = options.limit - RESERVE;
  const header = planHeader(plan, { full: options.full ?? false }).join('\n');
  const footer = options.stamp ? `${planFooter(plan)}\n\n${options.stamp}` : planFooter(plan);
  const maxParts = Math.max(1, options.maxParts);
  const bodies: string[] = [];
  const sections = planSections(plan, { full: options.full ?? false });
  // The last allowed body keeps room for the note on what was left out, in case sections are.
  const noteRoom = 200 + options.fullReportHint.length;
  const room = () => (bodies.length + 1 >= maxParts ? budget - noteRoom : budget);
  let current =
    header.length + footer.length + 2 > room()
      ? truncateText(header, room() - footer.length - 2, options.fullReportHint)
      : header;
  let omitted = 0;
  for (const [i, lines] of sections.entries()) {
    let text = lines.join('\n');
    // Small enough to fit a body of its own, also the last one with its note.
    const most = budget - noteRoom - footer.length - 2;
    if (text.length > most) text = shrinkSection(lines, most, options.fullReportHint);
    if (current.length + text.length + footer.length + 2 > room()) {
      if (bodies.length + 1 >= maxParts) {
        omitted = sections.length - i;
        break;
      }
      bodies.push(current);
      current = '';
    }
    current = current ? `${current}\n${text}` : text;
  }
  if (omitted > 0) {
    const cap = maxParts > 1 ? ` (a plan gets at most ${maxParts} comments)` : '';
    current += `\n\n> [!NOTE]\n> ${omitted} more changed object${omitted === 1 ? ' is' : 's are'} not shown here${cap}; ${options.fullReportHint}.`;
  }
  bodies.push(current);
  const total = bodies.length;
  return bodies.map((body, i) => {
    const part = total > 1 ? `<sub>part ${i + 1}/${total}${i > 0 ? ' (continued)' : ''}</sub>\n\n` : '';
    return `${options.marker(i + 1, total)}\n${part}${body}\n\n${footer}\n`;
  });
}

/** Keeps a section's structure (details, summary, closing fence) and cuts its diff lines to fit. */
function shrinkSection(sectionLines: string[], budget: number, hint: string): string {
  // Section entries may hold several lines (the fenced diff is one entry).
  const lines = sectionLines.join('\n').split('\n');
  const fenceStart = lines.findIndex((l) => /^`{3,}diff$/.test(l));
  const fenceEnd = fenceStart === -1 ? -1 : lines.findIndex((l, i) => i > fenceStart && /^`{3,}$/.test(l));
  if (fenceStart === -1 || fenceEnd === -1) return truncateText(lines.join('\n'), budget, hint);
  const before = lines.slice(0, fenceStart + 1);
  const after = lines.slice(fenceEnd);
  const diff = lines.slice(fenceStart + 1, fenceEnd);
  const note = (n: number) => `… ${n} more diff lines cut to fit the comment; ${hint}`;
  let kept = diff.length;
  const size = (k: number) => [...before, ...diff.slice(0, k), note(diff.length - k), ...after].join('\n').length;
  while (kept > 0 && size(kept) > budget) kept = Math.floor(kept * 0.8);
  return [...before, ...diff.slice(0, kept), note(diff.length - kept), ...after].join('\n');
}

function truncateText(text: string, budget: number, hint: string): string {
  const note = `\n\n… cut to fit; ${hint}`;
  return text.length <= budget ? text : text.slice(0, Math.max(0, budget - note.length)) + note;
}
