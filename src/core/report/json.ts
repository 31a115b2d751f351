import { canonicalChanges } from '../diff/plan-digest.js';
import { readDigests } from '../diff/plan-record.js';
import {
  ACTIONS,
  CANARY_STARTS,
  type Change,
  type Counts,
  type Plan,
  type PlannedHook,
  type PolicyFinding,
  type TargetPlan,
} from '../diff/types.js';
import { UsageError } from '../errors.js';
import { hookRows } from './common.js';
import { markdownText, oneLine } from './escape.js';

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
      // Plan binding: what `kubeplan apply --plan` compares (README: "Plan binding").
      digests: plan.digests
        ? {
            ...plan.digests,
            cluster: { server: plan.digests.cluster.server, caSha256: plan.digests.cluster.caSha256 ?? null },
            changes: Object.fromEntries(plan.targets.map((t) => [t.target, canonicalChanges(t.changes)])),
          }
        : null,
      notices: plan.notices ?? [],
      // Policies of the change as a whole (promote.soak): an error fails the plan, a warning says what was not checked.
      policy: (plan.policy ?? []).map((p) => ({ ...p, file: p.file ?? null, line: p.line ?? null })),
      // The tools the render ran; a tool it did not run is absent.
      tools: plan.tools ?? {},
      // Named clusters: a summary per cluster, and why one could not be planned (its instances are then absent).
      ...(plan.clusters
        ? {
            clusters: plan.clusters.map((c) => ({
              name: c.name,
              server: c.server,
              summary: c.summary,
              error: c.error ? { message: c.error.message, hint: c.error.hint ?? null } : null,
            })),
          }
        : {}),
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
    // A canary target: where its canary stands and what merging the change does to it.
    canary: t.canary
      ? {
          start: t.canary.start,
          note: t.canary.note,
          state: t.canary.state ?? null,
          templateDiff: t.canary.templateDiff ?? null,
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

/**
 * Reads a JSON report back into a plan (`command: comment`). The report may come from an untrusted run (a fork's pull
 * request), so every field is checked for its type and every count for a whole number: nothing but strings reaches
 * the markdown, which escapes them as it does for a plan it made itself. Notices are kubeplan's own markdown in a
 * plan; from a report they are plain text. Throws a UsageError naming the file and the field.
 */
export function parsePlanJson(text: string, file: string): { plan: Plan; head: string | undefined } {
  const bad = (at: string, what: string): never => {
    throw new UsageError(`${file} is not a kubeplan JSON report: ${at} ${what}`, {
      where: { file },
      hint: 'pass the kubeplan-report.json a plan wrote (its report-path output), unchanged',
    });
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`, {
      where: { file },
      hint: 'pass the kubeplan-report.json a plan wrote (its report-path output), unchanged',
    });
  }
  const r = new Reader(bad);
  const top = r.object(doc, 'the report');
  if (top.version !== REPORT_VERSION)
    throw new UsageError(
      `${file} is a JSON report of version ${oneLine(JSON.stringify(top.version) ?? 'none').slice(0, 40)}; this kubeplan reads version ${REPORT_VERSION}`,
      { where: { file }, hint: 'use the same kubeplan version for the plan and the comment' },
    );
  const head = r.optional(top.head, 'head', (v, at) => {
    const sha = r.string(v, at);
    return /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(sha) ? sha : bad(at, 'must be a commit SHA (40 or 64 hex digits)');
  });
  const cluster = r.optional(top.cluster, 'cluster', (v, at) => {
    const c = r.object(v, at);
    const context = r.optional(c.context, `${at}.context`, r.string);
    return { server: r.string(c.server, `${at}.server`), ...(context !== undefined ? { context } : {}) };
  });
  const clusters = r.optional(top.clusters, 'clusters', (v, at) => {
    if (!Array.isArray(v)) return bad(at, 'must be a list');
    return v.map((item, i) => {
      const c = r.object(item, `${at}[${i}]`);
      const error = r.optional(c.error, `${at}[${i}].error`, (e, eAt) => {
        const o = r.object(e, eAt);
        return {
          message: r.string(o.message, `${eAt}.message`),
          hint: r.optional(o.hint, `${eAt}.hint`, r.string),
        };
      });
      return {
        name: r.string(c.name, `${at}[${i}].name`),
        server: r.string(c.server, `${at}[${i}].server`),
        summary: r.counts(c.summary, `${at}[${i}].summary`),
        ...(error ? { error } : {}),
      };
    });
  });
  const base = r.optional(top.base, 'base', r.string);
  const drift = r.optional(top.drift, 'drift', (v, at) => {
    const d = r.object(v, at);
    return {
      mode: r.oneOf(d.mode, `${at}.mode`, ['server', 'client'] as const),
      summary: r.counts(d.summary, `${at}.summary`),
      targets: r.targets(d.targets, `${at}.targets`),
    };
  });
  // Versions only (a report from a fork is untrusted text): anything else is left out of the footer.
  const tools = Object.fromEntries(
    (['helm', 'kubectl', 'kustomize'] as const).flatMap((name) => {
      const v = r.optional(r.object(top.tools ?? {}, 'tools')[name], `tools.${name}`, r.string);
      return v !== undefined && /^v?\d+\.\d+[0-9A-Za-z.+-]{0,40}$/.test(v) ? [[name, v]] : [];
    }),
  );
  // Plan binding: the digests go on into the sticky comment's marker, so a malformed set is refused, not dropped.
  const digests = r.optional(top.digests, 'digests', (v, at) => {
    const d = readDigests(v);
    return d ?? bad(at, 'must be the digests a plan wrote (sha256: digests of the plan, per target render and plan)');
  });
  const policy = r.array(top.policy ?? [], 'policy').map((v, i): PolicyFinding => {
    const at = `policy[${i}]`;
    const p = r.object(v, at);
    const line = r.optional(p.line, `${at}.line`, (n, a) => r.integer(n, a, 1));
    return {
      level: r.oneOf(p.level, `${at}.level`, ['error', 'warning'] as const),
      policy: r.oneOf(p.policy, `${at}.policy`, ['promote.soak'] as const),
      target: r.string(p.target, `${at}.target`),
      message: r.string(p.message, `${at}.message`),
      hint: r.string(p.hint, `${at}.hint`),
      file: r.optional(p.file, `${at}.file`, r.string),
      line,
    };
  });
  const plan: Plan = {
    ...(policy.length ? { policy } : {}),
    mode: r.oneOf(top.mode, 'mode', ['server', 'client', 'intent'] as const),
    modeReason: r.string(top.modeReason, 'modeReason'),
    ...(base !== undefined ? { base } : {}),
    ...(cluster ? { cluster } : {}),
    ...(clusters ? { clusters } : {}),
    notices: r.strings(top.notices, 'notices').map(markdownText),
    ...(Object.keys(tools).length ? { tools } : {}),
    summary: r.counts(top.summary, 'summary'),
    stats: r.numbers(top.stats, 'stats', ['objects', 'fastPath', 'dryRuns', 'lists', 'requests'] as const),
    targets: r.targets(top.targets, 'targets'),
    ...(drift ? { drift } : {}),
    ...(digests ? { digests } : {}),
  };
  return { plan, head };
}

/** The checks parsePlanJson makes, each naming the field (`targets[2].changes[0].kind`). */
class Reader {
  constructor(private readonly bad: (at: string, what: string) => never) {}

  object(v: unknown, at: string): Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : this.bad(at, 'must be an object');
  }

  array(v: unknown, at: string): unknown[] {
    return Array.isArray(v) ? v : this.bad(at, 'must be a list');
  }

  string = (v: unknown, at: string): string => (typeof v === 'string' ? v : this.bad(at, 'must be a string'));

  strings(v: unknown, at: string): string[] {
    return this.array(v, at).map((s, i) => this.string(s, `${at}[${i}]`));
  }

  integer(v: unknown, at: string, min = 0): number {
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= min
      ? v
      : this.bad(at, `must be a whole number${min === 0 ? ' of 0 or more' : ''}`);
  }

  boolean(v: unknown, at: string): boolean {
    return typeof v === 'boolean' ? v : this.bad(at, 'must be true or false');
  }

  oneOf<const T extends readonly string[]>(v: unknown, at: string, values: T): T[number] {
    return typeof v === 'string' && values.includes(v) ? v : this.bad(at, `must be one of ${values.join(', ')}`);
  }

  optional<T>(v: unknown, at: string, read: (v: unknown, at: string) => T): T | undefined {
    return v === null || v === undefined ? undefined : read(v, at);
  }

  numbers<const K extends readonly string[]>(v: unknown, at: string, keys: K): Record<K[number], number> {
    const o = this.object(v, at);
    return Object.fromEntries(keys.map((k) => [k, this.integer(o[k], `${at}.${k}`)])) as Record<K[number], number>;
  }

  counts(v: unknown, at: string): Counts {
    return this.numbers(v, at, ACTIONS);
  }

  targets(v: unknown, at: string): TargetPlan[] {
    return this.array(v, at).map((t, i) => this.target(t, `${at}[${i}]`));
  }

  target(v: unknown, at: string): TargetPlan {
    const t = this.object(v, at);
    const hidden = this.object(t.hidden ?? {}, `${at}.hidden`);
    const missingAccess = this.optional(t.missingAccess, `${at}.missingAccess`, (m, a) => {
      const o = this.object(m, a);
      return {
        missing: this.array(o.rights, `${a}.rights`).map((x, k) => {
          const n = this.object(x, `${a}.rights[${k}]`);
          const p = `${a}.rights[${k}]`;
          return {
            verb: this.string(n.verb, `${p}.verb`),
            group: this.string(n.group, `${p}.group`),
            resource: this.string(n.resource, `${p}.resource`),
            namespace: this.optional(n.namespace, `${p}.namespace`, this.string),
          };
        }),
        user: this.optional(o.user, `${a}.user`, this.string),
        grant: this.string(o.grant, `${a}.grant`),
      };
    });
    const hooks: PlannedHook[] = this.array(t.hooks ?? [], `${at}.hooks`).map((h, k) => {
      const p = `${at}.hooks[${k}]`;
      const o = this.object(h, p);
      const namespace = this.optional(o.namespace, `${p}.namespace`, this.string);
      return {
        object: {
          apiVersion: this.string(o.apiVersion, `${p}.apiVersion`),
          kind: this.string(o.kind, `${p}.kind`),
          metadata: { name: this.string(o.name, `${p}.name`), ...(namespace !== undefined ? { namespace } : {}) },
        },
        resource: undefined,
        hook: {
          events: this.strings(o.events, `${p}.events`),
          weight: this.integer(o.weight, `${p}.weight`, Number.MIN_SAFE_INTEGER),
          deletePolicies: this.strings(o.deletePolicies, `${p}.deletePolicies`),
        },
      };
    });
    const canary = this.optional(t.canary, `${at}.canary`, (v, a) => {
      const o = this.object(v, a);
      const state = this.optional(o.state, `${a}.state`, (x, p) => {
        const st = this.object(x, p);
        return {
          phase: this.string(st.phase, `${p}.phase`),
          step: this.integer(st.step, `${p}.step`),
          steps: this.integer(st.steps, `${p}.steps`),
          weight: this.integer(st.weight, `${p}.weight`),
          commit: this.string(st.commit, `${p}.commit`),
        };
      });
      const templateDiff = this.optional(o.templateDiff, `${a}.templateDiff`, this.string);
      return {
        start: this.oneOf(o.start, `${a}.start`, CANARY_STARTS),
        note: this.string(o.note, `${a}.note`),
        ...(state ? { state } : {}),
        ...(templateDiff !== undefined ? { templateDiff } : {}),
      };
    });
    return {
      target: this.string(t.name, `${at}.name`),
      namespace: this.optional(t.namespace, `${at}.namespace`, this.string),
      ...(canary ? { canary } : {}),
      summary: this.counts(t.summary, `${at}.summary`),
      // A key is the report's text: shown on one line and short, in case it is wrong.
      hidden: Object.fromEntries(
        Object.entries(hidden).map(([k, n]) => [k, this.integer(n, `${at}.hidden.${oneLine(k).slice(0, 60)}`)]),
      ),
      ...(missingAccess ? { missingAccess } : {}),
      ...(hooks.length ? { hooks } : {}),
      changes: this.array(t.changes, `${at}.changes`).map((c, k) => this.change(c, `${at}.changes[${k}]`)),
    };
  }

  change(v: unknown, at: string): Change {
    const c = this.object(v, at);
    const namespace = this.optional(c.namespace, `${at}.namespace`, this.string);
    const source = this.optional(c.source, `${at}.source`, (s, a) => {
      const o = this.object(s, a);
      const line = this.optional(o.line, `${a}.line`, (n, p) => this.integer(n, p, 1));
      const template = this.optional(o.template, `${a}.template`, this.string);
      const changedBy = this.optional(o.changedBy, `${a}.changedBy`, (f, p) => this.strings(f, p));
      return {
        file: this.string(o.file, `${a}.file`),
        ...(line !== undefined ? { line } : {}),
        ...(template !== undefined ? { template } : {}),
        ...(changedBy !== undefined ? { changedBy } : {}),
      };
    });
    const hook = this.optional(c.hook, `${at}.hook`, (h, a) => {
      const o = this.object(h, a);
      return {
        events: this.strings(o.events, `${a}.events`),
        weight: this.integer(o.weight, `${a}.weight`, Number.MIN_SAFE_INTEGER),
        deletePolicies: this.strings(o.deletePolicies, `${a}.deletePolicies`),
      };
    });
    const error = this.optional(c.error, `${at}.error`, (e, a) => {
      const o = this.object(e, a);
      const hint = this.optional(o.hint, `${a}.hint`, this.string);
      return { message: this.string(o.message, `${a}.message`), ...(hint !== undefined ? { hint } : {}) };
    });
    const replaceFields = this.optional(c.replaceFields, `${at}.replaceFields`, (f, a) => this.strings(f, a));
    return {
      action: this.oneOf(c.action, `${at}.action`, ACTIONS),
      apiVersion: this.string(c.apiVersion, `${at}.apiVersion`),
      kind: this.string(c.kind, `${at}.kind`),
      ...(namespace !== undefined ? { namespace } : {}),
      name: this.string(c.name, `${at}.name`),
      ...(source ? { source } : {}),
      ...(hook ? { hook } : {}),
      paths: this.strings(c.paths, `${at}.paths`),
      digest: this.strings(c.digest, `${at}.digest`),
      diff: this.string(c.diff, `${at}.diff`),
      ...(replaceFields ? { replaceFields } : {}),
      destructive: this.boolean(c.destructive ?? false, `${at}.destructive`),
      notes: this.strings(c.notes ?? [], `${at}.notes`),
      ...(error ? { error } : {}),
      via: this.oneOf(c.via, `${at}.via`, ['fast-path', 'dry-run', 'client', 'intent'] as const),
    };
  }
}
