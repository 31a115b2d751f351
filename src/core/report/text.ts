import { describeNeed } from '../apply/preflight.js';
import type { CanaryPlanInfo, Change, Plan, TargetPlan } from '../diff/types.js';
import {
  clusterLines,
  hookRows,
  objectName,
  sourceOf,
  summaryLine,
  SYMBOL,
  targetCounts,
  templateDiffTitle,
} from './common.js';
import { oneLine } from './escape.js';

const COLOR = {
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  reset: '\u001b[0m',
};

/** The terminal report: per target, every change with its digest and a unified diff; colour only for a TTY. */
export function formatPlanText(plan: Plan, options: { color: boolean; summary?: string }): string {
  const c = (code: keyof typeof COLOR, text: string) => (options.color ? `${COLOR[code]}${text}${COLOR.reset}` : text);
  const out: string[] = [];
  for (const notice of plan.notices ?? []) out.push(c('yellow', `note: ${notice.replace(/`/g, '')}`), '');
  for (const p of plan.policy ?? [])
    out.push(
      c(
        p.level === 'error' ? 'red' : 'yellow',
        `${p.level === 'error' ? 'policy error' : 'policy warning'} (${p.policy}, target ${oneLine(p.target)}): ${oneLine(p.message)}`,
      ),
      c('dim', `  hint: ${oneLine(p.hint)}`),
      '',
    );
  if (plan.base) out.push(c('bold', `What this change does (${plan.base} → working tree):`), '');
  out.push(...formatTargets(plan.targets, c));
  for (const l of clusterLines(plan))
    out.push(c(l.failed ? 'red' : 'bold', `cluster ${oneLine(l.name)} (${oneLine(l.host)}): ${oneLine(l.line)}`));
  for (const failed of plan.clusters?.filter((x) => x.error?.hint) ?? [])
    out.push(c('dim', `  hint (${oneLine(failed.name)}): ${oneLine(failed.error!.hint!)}`));
  out.push(c('bold', options.summary ?? summaryLine(plan.summary)));
  if (plan.drift) {
    out.push(
      '',
      c('bold', `Drift: where the cluster already differs from ${plan.base} (${plan.drift.mode} mode):`),
      '',
    );
    out.push(...formatTargets(plan.drift.targets, c, false));
    out.push(c('bold', `Drift: ${summaryLine(plan.drift.summary)}`));
  }
  out.push(
    c(
      'dim',
      plan.mode === 'intent' && !plan.drift
        ? `mode: intent (${plan.modeReason}); no cluster was read`
        : `mode: ${plan.drift ? `intent + ${plan.drift.mode} drift` : plan.mode} (${plan.modeReason}); ${plan.stats.objects} objects, ${plan.stats.fastPath} unchanged without a request, ${plan.stats.dryRuns} dry-runs, ${plan.stats.requests} requests`,
    ),
  );
  return `${out.join('\n')}\n`;
}

/** `hooks`: list the Helm hooks apply runs (not for drift, which applies nothing). */
function formatTargets(
  targets: TargetPlan[],
  c: (code: keyof typeof COLOR, text: string) => string,
  hooks = true,
): string[] {
  const out: string[] = [];
  for (const target of targets) {
    const changed = target.changes.filter((ch) => ch.action !== 'unchanged');
    out.push(
      c(
        'bold',
        `── target ${oneLine(target.target)}${target.namespace ? ` (namespace ${oneLine(target.namespace)})` : ''}: ${targetCounts(target)}`,
      ),
    );
    if (target.canary) out.push(...formatCanary(target.canary, c));
    for (const ch of changed) out.push(...formatChange(ch, c));
    const rows = hooks ? hookRows(target) : [];
    if (rows.length) {
      out.push(c('bold', `  Helm hooks apply runs when the target changes (${rows.length}):`));
      for (const h of rows) {
        out.push(
          `    ${h.events.join(',')}  weight ${h.weight}  ${oneLine(h.apiVersion)} ${objectName(h)}${c('dim', `  (deleted: ${(h.deletePolicies.length ? h.deletePolicies : ['before-hook-creation']).join(', ')})`)}`,
        );
      }
    }
    const hidden = Object.entries(target.hidden);
    if (hidden.length)
      out.push(c('dim', `  hidden from diffs: ${hidden.map(([rule, n]) => `${rule} (${n})`).join(', ')}`));
    const access = target.missingAccess;
    if (access) {
      out.push(
        c(
          'red',
          `  ! apply would refuse to start: the credentials${access.user ? ` (${access.user})` : ''} lack ${access.missing.map(describeNeed).join('; ')}`,
        ),
      );
      out.push(
        c('dim', '    this grants exactly them:'),
        ...access.grant
          .trimEnd()
          .split('\n')
          .map((l) => c('dim', `    ${l}`)),
      );
    }
    out.push('');
  }
  return out;
}

/** The canary's line under its target and, when a canary would run another template, that template's diff. */
function formatCanary(canary: CanaryPlanInfo, c: (code: keyof typeof COLOR, text: string) => string): string[] {
  const lines = [c('cyan', `  canary: ${oneLine(canary.note)}`)];
  if (canary.templateDiff) {
    lines.push(c('dim', `    ${templateDiffTitle(canary)}`));
    lines.push(...diffLines(canary.templateDiff, c, '      '));
  }
  return lines;
}

function diffLines(diff: string, c: (code: keyof typeof COLOR, text: string) => string, indent: string): string[] {
  return diff.split('\n').map((raw) => {
    const line = oneLine(raw);
    const colored =
      line.startsWith('+') && !line.startsWith('+++')
        ? c('green', line)
        : line.startsWith('-') && !line.startsWith('---')
          ? c('red', line)
          : line.startsWith('@@')
            ? c('cyan', line)
            : line;
    return `${indent}${colored}`;
  });
}

function formatChange(ch: Change, c: (code: keyof typeof COLOR, text: string) => string): string[] {
  const color =
    ch.action === 'create' ? 'green' : ch.action === 'update' ? 'yellow' : ch.action === 'adopt' ? 'cyan' : 'red';
  // Kinds, names, keys and messages come from the pull request: one line each, no control characters (a GitLab
  // section marker needs ESC), so none can start a line of the log.
  const joins = ch.action === 'adopt' ? c('dim', '  (not managed by kubeplan yet: joins the inventory)') : '';
  const lines = [
    `${c(color, `${SYMBOL[ch.action]} ${ch.action}`)} ${oneLine(ch.apiVersion)} ${objectName(ch)}${joins}${sourceOf(ch) ? c('dim', `  ← ${sourceOf(ch)}`) : ''}`,
  ];
  if (ch.hook) lines.push(c('dim', `    helm hook: ${ch.hook.events.join(', ')}`));
  if (ch.destructive) lines.push(c('red', '    destructive: data or dependent objects are lost'));
  for (const d of ch.action === 'adopt' ? [] : ch.digest) lines.push(`    ${oneLine(d)}`);
  for (const n of ch.notes ?? []) lines.push(c('cyan', `    note: ${oneLine(n)}`));
  if (ch.error) {
    lines.push(c('red', `    error: ${oneLine(ch.error.message)}`));
    if (ch.error.hint) lines.push(`    hint: ${oneLine(ch.error.hint)}`);
  }
  // An adopt only adds the inventory label: one line, no diff.
  if (ch.diff && ch.action !== 'adopt') lines.push(...diffLines(ch.diff, c, '    '));
  return lines;
}
