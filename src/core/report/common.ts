import { formatSource } from '../manifests/manifest-set.js';
import {
  type Action,
  type CanaryPlanInfo,
  type Change,
  type Counts,
  HOOK_PHASES,
  type Plan,
  type TargetPlan,
} from '../diff/types.js';
import { oneLine } from './escape.js';

export const SYMBOL: Record<Action, string> = {
  create: '+',
  update: '~',
  replace: '±',
  delete: '-',
  adopt: '→',
  unchanged: '=',
  error: '!',
};

/** `+3 ~5 -1 ±1` plus errors: the line that opens every report. */
export function summaryLine(counts: Counts): string {
  const parts = [
    `+${counts.create} to create`,
    `~${counts.update} to update`,
    `±${counts.replace} to replace`,
    `-${counts.delete} to delete`,
  ];
  // Objects that only join the inventory are counted apart (and only when there are some: older lines stay as they were).
  if (counts.adopt) parts.push(`${counts.adopt} to adopt`);
  let line = `Plan: ${parts.join(', ')}, ${counts.unchanged} unchanged`;
  if (counts.error) line += `, ${counts.error} error${counts.error === 1 ? '' : 's'}`;
  return `${line}.`;
}

/**
 * The comment's summary: only the counts that are not zero (`Plan: +3 to create, ~5 to update, 12 unchanged.`), so a
 * reviewer reads what happens, not a row of zeros. The text report keeps the full line (summaryLine).
 */
export function compactSummaryLine(counts: Counts): string {
  const parts: string[] = [];
  if (counts.create) parts.push(`+${counts.create} to create`);
  if (counts.update) parts.push(`~${counts.update} to update`);
  if (counts.replace) parts.push(`±${counts.replace} to replace`);
  if (counts.delete) parts.push(`-${counts.delete} to delete`);
  if (counts.adopt) parts.push(`${counts.adopt} to adopt`);
  if (counts.unchanged) parts.push(`${counts.unchanged} unchanged`);
  if (counts.error) parts.push(`${counts.error} error${counts.error === 1 ? '' : 's'}`);
  return `Plan: ${parts.length ? parts.join(', ') : 'nothing to plan'}.`;
}

/** A target header's counts: `2 changes, 1 error, 3 unchanged`; an object that could not be planned is no change. */
export function targetCounts(target: Pick<TargetPlan, 'changes' | 'summary'>): string {
  const changes = target.changes.filter(
    (c) => c.action !== 'unchanged' && c.action !== 'error' && c.action !== 'adopt',
  ).length;
  const errors = target.changes.filter((c) => c.action === 'error').length;
  const adopts = target.changes.filter((c) => c.action === 'adopt').length;
  const parts = [changes ? `${changes} change${changes === 1 ? '' : 's'}` : 'no changes'];
  if (errors) parts.push(`${errors} error${errors === 1 ? '' : 's'}`);
  if (adopts) parts.push(`${adopts} to adopt`);
  return `${parts.join(', ')}, ${target.summary.unchanged} unchanged`;
}

/** `Kind namespace/name` on one line: a kind or name from the pull request can hold a newline (a quoted YAML key). */
export function objectName(c: Pick<Change, 'kind' | 'namespace' | 'name'>): string {
  return oneLine(`${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`);
}

/** The file (and line) an object came from, on one line: file names can hold newlines and backticks. */
export function sourceOf(c: Change): string | undefined {
  return c.source?.file ? oneLine(formatSource(c.source)) : undefined;
}

/** The order reviewers need: what destroys first, then what changes, then what is new, errors on top. */
export const PRIORITY: Record<Action, number> = {
  error: 0,
  delete: 1,
  replace: 2,
  update: 3,
  create: 4,
  adopt: 5,
  unchanged: 6,
};

/** A Helm hook as reports list it: never its contents. */
export interface HookRow {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** The phases it runs in (`pre-install`, `post-upgrade`, …). */
  events: string[];
  weight: number;
  /** `helm.sh/hook-delete-policy` (empty: `before-hook-creation`, as Helm). */
  deletePolicies: string[];
}

/** The hooks apply runs for a target, in the order they run: by phase, then weight, then name. */
export function hookRows(target: TargetPlan): HookRow[] {
  const phases: readonly string[] = HOOK_PHASES;
  const first = (events: string[]) =>
    Math.min(...events.map((e) => phases.indexOf(e)).filter((i) => i >= 0), phases.length);
  return (target.hooks ?? [])
    .map((h) => ({
      apiVersion: h.object.apiVersion,
      kind: h.object.kind,
      ...(h.object.metadata.namespace ? { namespace: h.object.metadata.namespace } : {}),
      name: h.object.metadata.name,
      events: h.hook.events.filter((e) => phases.includes(e)),
      weight: h.hook.weight,
      deletePolicies: h.hook.deletePolicies,
    }))
    .sort((a, b) => first(a.events) - first(b.events) || a.weight - b.weight || a.name.localeCompare(b.name));
}

/** `helm v4.1.4 · kubectl v1.35.2 (kustomize v5.7.1)`; empty when no tool ran. */
export function toolVersionsLine(tools: Plan['tools']): string {
  if (!tools) return '';
  const parts: string[] = [];
  if (tools.helm) parts.push(`helm ${tools.helm}`);
  if (tools.kubectl) parts.push(`kubectl ${tools.kubectl}${tools.kustomize ? ` (kustomize ${tools.kustomize})` : ''}`);
  else if (tools.kustomize) parts.push(`kustomize ${tools.kustomize}`);
  return parts.join(' · ');
}

/** One line per named cluster: `prod-eu (eu.example:6443): 1 to create, …` or why it could not be planned. */
export function clusterLines(
  plan: Pick<Plan, 'clusters'>,
): { name: string; host: string; line: string; failed: boolean }[] {
  return (plan.clusters ?? []).map((c) => {
    let host = c.server;
    try {
      host = new URL(c.server).host;
    } catch {
      // not a URL: shown as it is
    }
    return {
      name: c.name,
      host,
      line: c.error ? `not planned: ${c.error.message}` : compactSummaryLine(c.summary).replace(/^Plan: /, ''),
      failed: c.error !== undefined,
    };
  });
}

/** What a canary's template diff is: the template a canary runs, or the one held back after a failed canary. */
export function templateDiffTitle(canary: CanaryPlanInfo): string {
  return canary.start === 'held'
    ? "the template held back: git's pod template against the stable one"
    : "what the canary runs: git's pod template against the stable one";
}
