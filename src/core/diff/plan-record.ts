/**
 * Where a reviewed plan is kept for the apply on merge (README: "Plan binding"): its digests, the commit it was planned
 * at and, when they fit, its canonical changes, written into the `kubeplan plan` check run's output (a fenced JSON
 * block) and into the sticky comment's hidden marker (the fallback without `checks: write`). Read back from a forge,
 * so every field is checked: a record that does not have the shape is ignored, never trusted half.
 */
import type { CanonicalChange, PlanDigests } from './plan-digest.js';
import { ACTIONS } from './types.js';

/** What a plan records for the apply on merge. */
export interface PlanRecord {
  /** The commit planned (the pull request's head). */
  head: string;
  digests: PlanDigests;
  /** Per target, the canonical changes (omitted when too large for where it is kept). */
  changes?: Record<string, CanonicalChange[]> | undefined;
}

/** The check run a plan keeps its digests on (GitHub). */
export const PLAN_CHECK_NAME = 'kubeplan plan';

/** The changes go along only while they stay this small (a comment and a check run's text hold 65,535 characters). */
const CHANGES_LIMIT = { marker: 8 * 1024, check: 48 * 1024 };

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const SHA = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/** JSON that can sit in an HTML comment or a fenced block: no `<`, `>`, `&`, `@` or backtick (no tag, no mention). */
function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>`&@]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function withChanges(record: PlanRecord, limit: number): PlanRecord {
  const { head, digests, changes } = record;
  if (changes && JSON.stringify(changes).length <= limit) return { head, digests, changes };
  return { head, digests };
}

/** The sticky comment's hidden marker: `<!-- kubeplan:digests {…} -->`. */
export function digestsMarker(record: PlanRecord): string {
  return `<!-- kubeplan:digests ${safeJson(withChanges(record, CHANGES_LIMIT.marker))} -->`;
}

/** Every well-formed digests marker in a comment body. */
export function parseDigestsMarkers(body: string): PlanRecord[] {
  const out: PlanRecord[] = [];
  for (const m of body.matchAll(/<!-- kubeplan:digests (\{.*?\}) -->/g)) {
    const record = readRecord(parseJson(m[1]!));
    if (record) out.push(record);
  }
  return out;
}

/** The `kubeplan plan` check run's output text: a line a person reads, then the record in a fenced JSON block. */
export function checkRunText(record: PlanRecord): string {
  const rows = Object.entries(record.digests.targets).map(
    ([t, d]) => `| ${t.replace(/[|`]/g, '')} | \`${d.render.slice(0, 19)}\` | \`${d.plan.slice(0, 19)}\` |`,
  );
  return [
    `Plan ${record.digests.plan} of \`${record.head.slice(0, 7)}\` against ${record.digests.cluster.server.replace(/[`<>]/g, '')}.`,
    'The apply on merge compares what it computes with these digests (kubeplan.yaml `apply.binding`).',
    '',
    '| target | render | plan |',
    '| --- | --- | --- |',
    ...rows,
    '',
    '```json kubeplan-plan-record',
    safeJson(withChanges(record, CHANGES_LIMIT.check)),
    '```',
    '',
  ].join('\n');
}

/** The record in a check run's output text, if it holds a well-formed one. */
export function parseCheckRunText(text: string | null | undefined): PlanRecord | undefined {
  const m = /```json kubeplan-plan-record\n(.*)\n```/.exec(text ?? '');
  return m ? readRecord(parseJson(m[1]!)) : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A PlanRecord, or undefined when anything in it is not of its shape. */
export function readRecord(v: unknown): PlanRecord | undefined {
  if (!isObject(v) || typeof v.head !== 'string' || !SHA.test(v.head)) return undefined;
  const digests = readDigests(v.digests);
  if (!digests) return undefined;
  const changes = v.changes === undefined ? undefined : readChanges(v.changes);
  return { head: v.head, digests, ...(changes ? { changes } : {}) };
}

/** PlanDigests as the JSON report, a marker or a check run holds them; undefined when not of that shape. */
export function readDigests(v: unknown): PlanDigests | undefined {
  if (!isObject(v) || typeof v.plan !== 'string' || !DIGEST.test(v.plan)) return undefined;
  if (typeof v.semantics !== 'number' || !Number.isSafeInteger(v.semantics)) return undefined;
  const c = v.cluster;
  if (!isObject(c) || typeof c.server !== 'string') return undefined;
  if (c.caSha256 !== null && c.caSha256 !== undefined && typeof c.caSha256 !== 'string') return undefined;
  if (!isObject(v.targets)) return undefined;
  const targets: PlanDigests['targets'] = {};
  for (const [name, d] of Object.entries(v.targets)) {
    if (!isObject(d) || typeof d.render !== 'string' || typeof d.plan !== 'string') return undefined;
    if (!DIGEST.test(d.render) || !DIGEST.test(d.plan)) return undefined;
    targets[name] = { render: d.render, plan: d.plan };
  }
  return {
    semantics: v.semantics,
    cluster: { server: c.server, caSha256: typeof c.caSha256 === 'string' ? c.caSha256 : undefined },
    plan: v.plan,
    targets,
  };
}

function readChanges(v: unknown): Record<string, CanonicalChange[]> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, CanonicalChange[]> = {};
  for (const [target, list] of Object.entries(v)) {
    if (!Array.isArray(list)) return undefined;
    const changes: CanonicalChange[] = [];
    for (const c of list) {
      if (!isObject(c) || typeof c.action !== 'string' || !(ACTIONS as readonly string[]).includes(c.action))
        return undefined;
      if (typeof c.group !== 'string' || typeof c.kind !== 'string' || typeof c.name !== 'string') return undefined;
      if (c.namespace !== null && typeof c.namespace !== 'string') return undefined;
      if (!Array.isArray(c.paths) || !c.paths.every((p) => typeof p === 'string')) return undefined;
      if (c.planned !== null && (typeof c.planned !== 'string' || !DIGEST.test(c.planned))) return undefined;
      changes.push({
        action: c.action as CanonicalChange['action'],
        group: c.group,
        kind: c.kind,
        namespace: c.namespace as string | null,
        name: c.name,
        paths: c.paths as string[],
        planned: c.planned as string | null,
      });
    }
    out[target] = changes;
  }
  return out;
}
