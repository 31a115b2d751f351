import type { BumpPlan, FileEdit, ImageBump } from '../images/bump.js';
import type { TagPolicy } from '../images/policy.js';

export type BumpMode = 'dry-run' | 'local' | 'pull-requests';

/** What a pull request run did for a branch (set by the platform adapter). */
export interface PullRequestOutcome {
  branch: string;
  images: string[];
  action: 'created' | 'updated' | 'unchanged' | 'skipped' | 'closed' | 'error';
  number?: number;
  url?: string;
  reason?: string;
  /** What the forge refused without failing the pull request (a reviewer who is not a collaborator). */
  warnings?: string[];
}

export interface BumpReport {
  mode: BumpMode;
  plan: BumpPlan;
  /** Every image's edits applied together, one per file (what --local writes and dry-run shows). */
  edits: FileEdit[];
  written: string[];
  pullRequests: PullRequestOutcome[];
}

export function bumpSummary(plan: BumpPlan): Record<'bump' | 'current' | 'skipped' | 'error', number> {
  const count = (s: ImageBump['status']) => plan.images.filter((i) => i.status === s).length;
  return { bump: count('bump'), current: count('current'), skipped: count('skipped'), error: count('error') };
}

export function describePolicy(policy: TagPolicy): string {
  if ('semver' in policy) return `semver ${policy.semver}`;
  return `pattern ${policy.pattern}${policy.extract ? ` extract ${policy.extract}` : ''} (${policy.order ?? 'numerical'})`;
}

/** The documented `kubeplan bump -o json` schema, version 1 (README, "Image bumps"). */
export function formatBumpJson(report: BumpReport): string {
  const { plan } = report;
  return `${JSON.stringify(
    {
      version: 1,
      mode: report.mode,
      summary: bumpSummary(plan),
      images: plan.images.map((i) => ({
        image: i.image,
        key: i.key,
        files: i.files ?? null,
        group: i.group ?? null,
        status: i.status,
        reason: i.reason ?? null,
        from: i.from ?? null,
        to: i.to ? { tag: i.to.tag, digest: i.to.digest ?? null } : null,
        policy: {
          source: i.policy.source,
          ...i.policy.rules.policy,
          exclude: i.policy.rules.exclude,
          pin: i.pin ? 'digest' : null,
        },
        requests: i.requests,
        references: i.references.map((r) => ({
          file: r.file,
          line: r.line,
          kind: r.kind,
          current: r.current,
          to: r.to ?? null,
        })),
        edits: i.edits.map((e) => ({ file: e.file, diff: e.diff })),
        ...(i.skippedBy ? { skippedBy: i.skippedBy } : {}),
        ...(i.candidates
          ? { candidates: i.candidates.map((c) => ({ tag: c.tag, rejected: c.rejected ?? null })) }
          : {}),
      })),
      ...(plan.skippedFiles.length > 0 ? { skippedFiles: plan.skippedFiles } : {}),
      written: report.written,
      pullRequests: report.pullRequests,
    },
    null,
    2,
  )}\n`;
}

export function formatBumpText(report: BumpReport, options: { explain: boolean }): string {
  const { plan } = report;
  const out: string[] = [];
  const width = Math.max(0, ...plan.images.flatMap((i) => i.references.map((r) => `${r.file}:${r.line}`.length)));
  for (const i of plan.images) {
    const requests = `${i.requests} registry request${i.requests === 1 ? '' : 's'}`;
    const policy = `${describePolicy(i.policy.rules.policy)}${i.policy.source === 'default' ? ', the default' : i.policy.source === 'flux' ? ', from a Flux ImagePolicy' : ''}`;
    const head =
      i.status === 'bump'
        ? `${i.from} → ${i.to!.tag}${i.to!.digest ? `@${i.to!.digest}` : ''}`
        : i.status === 'current'
          ? `current (${i.from})`
          : i.status === 'skipped'
            ? `${i.skippedBy ? `${i.to!.tag} ` : ''}skipped: ${i.reason}`
            : `error: ${i.reason}`;
    out.push(`${i.image}${i.files ? ` (in ${i.files.join(', ')})` : ''}: ${head}  [${policy}; ${requests}]`);
    for (const r of i.references) {
      out.push(
        `  ${`${r.file}:${r.line}`.padEnd(width)}  ${r.kind.padEnd(16)} ${r.current}${r.to ? ` → ${r.to}` : ''}`,
      );
    }
    if (options.explain && i.candidates) {
      out.push('  candidates:');
      for (const c of i.candidates)
        out.push(
          `    ${c.tag.padEnd(24)} ${c.rejected ?? (c.tag === i.to?.tag ? (i.skippedBy ? `chosen, but ${i.reason}` : 'chosen') : 'current')}`,
        );
    }
  }
  if (options.explain && plan.skippedFiles.length > 0) {
    out.push('files not read:');
    for (const f of plan.skippedFiles) out.push(`  ${f.file}: ${f.reason}`);
  }
  if (report.edits.length > 0 && report.mode !== 'pull-requests') {
    out.push('');
    for (const e of report.edits) out.push(e.diff.replace(/^=+\n/, '').replace(/\n$/, ''));
  }
  for (const pr of report.pullRequests) {
    out.push(`${pr.branch}: ${pr.action}${pr.url ? ` ${pr.url}` : ''}${pr.reason ? ` (${pr.reason})` : ''}`);
    for (const w of pr.warnings ?? []) out.push(`  warning: ${w}`);
  }
  for (const f of report.written) out.push(`wrote ${f}`);
  const s = bumpSummary(plan);
  out.push(
    `${s.bump} to bump, ${s.current} current, ${s.skipped} skipped, ${s.error} failed${report.mode === 'dry-run' ? ' (dry run: nothing written)' : ''}`,
  );
  return `${out.join('\n')}\n`;
}
