import type { Plan, TargetPlan } from '../diff/types.js';
import { hookRows } from './common.js';

/** Version of the JSON report schema (README: "JSON report"). Bumped only for incompatible changes. */
export const REPORT_VERSION = 1;

/**
 * The stable JSON report: summary counts, then per target the changes (unchanged objects are only counted). `head`:
 * the commit planned, where the caller knows it (a pull request's head), so `command: comment` can stamp it.
 */
export function formatPlanJson(plan: Plan, options: { head?: string | undefined } = {}): string {
  return `${JSON.stringify(
    {
      version: REPORT_VERSION,
      head: options.head || null,
      mode: plan.mode,
      modeReason: plan.modeReason,
      base: plan.base ?? null,
      cluster: plan.cluster ? { server: plan.cluster.server, context: plan.cluster.context ?? null } : null,
      notices: plan.notices ?? [],
      summary: plan.summary,
      stats: plan.stats,
      targets: targetsJson(plan.targets),
      drift: plan.drift
        ? { mode: plan.drift.mode, summary: plan.drift.summary, targets: targetsJson(plan.drift.targets) }
        : null,
    },
    null,
    2,
  )}\n`;
}

function targetsJson(targets: TargetPlan[]) {
  return targets.map((t) => ({
    name: t.target,
    namespace: t.namespace ?? null,
    summary: t.summary,
    hidden: t.hidden,
    missingAccess: t.missingAccess
      ? {
          rights: t.missingAccess.missing.map((m) => ({ ...m, namespace: m.namespace ?? null })),
          user: t.missingAccess.user ?? null,
          grant: t.missingAccess.grant,
        }
      : null,
    changes: t.changes
      .filter((c) => c.action !== 'unchanged')
      .map((c) => ({
        action: c.action,
        apiVersion: c.apiVersion,
        kind: c.kind,
        namespace: c.namespace ?? null,
        name: c.name,
        source: c.source ?? null,
        hook: c.hook ?? null,
        paths: c.paths,
        digest: c.digest,
        diff: c.diff,
        secrets: c.secrets ?? null,
        replaceFields: c.replaceFields ?? null,
        destructive: c.destructive ?? false,
        notes: c.notes ?? [],
        error: c.error ?? null,
        via: c.via,
      })),
    hooks: hookRows(t).map((h) => ({ ...h, namespace: h.namespace ?? null })),
  }));
}
