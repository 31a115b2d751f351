/**
 * Plan binding at merge (README: "Plan binding"): the apply of a push finds the merged pull request, the commit its
 * reviewers approved and the plan recorded there (the `kubeplan plan` check run, else the sticky comment's marker),
 * and compares it per target with the plan it computes now. Per target, kubeplan.yaml `apply.binding` says what a
 * difference does: off (not checked), warn (applied, with a warning) or strict (nothing of that target written).
 */
import { parseDigestsMarkers, parseCheckRunText, type PlanRecord } from '../diff/plan-record.js';
import { type CanonicalChange, changesDrift, combinedPlanDigest, type PlanDigests } from '../diff/plan-digest.js';
import type { BindingMode } from '../config/types.js';
import { ownComments } from '../../platform/sticky-comments.js';
import type { PullRequestReview } from '../../platform/types.js';
import type { WorkflowRun } from './types.js';

/** What the forge says about the pull request a push merged. */
export interface ReviewEvidence {
  /** The merged pull request; undefined for a push that merged none. */
  pullRequest: number | undefined;
  /** Its head commit: what the reviewers saw. */
  head: string | undefined;
  /** Whose approval holds: an APPROVED review of the head commit, not withdrawn later. */
  approvers: string[];
  /** Approvals of an older commit (the pull request changed after them), not withdrawn later. */
  stale: { user: string; commit: string }[];
  /**
   * Plans recorded at the head commit: check runs first (newest first, each with the time it was made), then comment
   * markers (no time: a comment is edited in place).
   */
  records: (PlanRecord & { at?: string | undefined })[];
  /** When the newest approval that holds was given. */
  approvedAt?: string | undefined;
  /** What could not be read (a token without the permission, a forge failure). */
  problems: string[];
}

export type BindingKind = 'bound' | 'intent-drift' | 'plan-drift' | 'stale-approval' | 'unreviewed';

/** The outcome for one target. */
export interface TargetBinding {
  target: string;
  mode: Exclude<BindingMode, 'off'>;
  kind: BindingKind;
  /** One line: what happened. */
  headline: string;
  /** The detail: render(head) → render(merge), the diff of plans. */
  lines: string[];
  /** The digest `kubeplan apply --target T --expect-plan` takes for the plan computed now. */
  expectPlan: string;
  /** The plan digest of this target applied now. */
  planDigest: string;
  /** Strict and not bound: nothing of this target is written. */
  held: boolean;
}

/**
 * Who approved which commit. Reviews are read in order; a reviewer's latest APPROVED, CHANGES_REQUESTED or DISMISSED
 * review counts (a later request for changes or a dismissal withdraws an approval; comments do not).
 */
export function approvalsOf(
  reviews: readonly PullRequestReview[],
  head: string,
): { approvers: string[]; stale: { user: string; commit: string }[]; approvedAt: string | undefined } {
  const latest = new Map<string, PullRequestReview>();
  const ordered = [...reviews].sort((a, b) => (a.submittedAt ?? '').localeCompare(b.submittedAt ?? '') || a.id - b.id);
  for (const r of ordered)
    if (r.state === 'APPROVED' || r.state === 'CHANGES_REQUESTED' || r.state === 'DISMISSED') latest.set(r.user, r);
  const approvers: string[] = [];
  const stale: { user: string; commit: string }[] = [];
  let approvedAt: string | undefined;
  for (const [user, r] of latest) {
    if (r.state !== 'APPROVED') continue;
    if (r.commitId === head) {
      approvers.push(user);
      if (r.submittedAt && (!approvedAt || r.submittedAt > approvedAt)) approvedAt = r.submittedAt;
    } else stale.push({ user, commit: r.commitId ?? '' });
  }
  return { approvers: approvers.sort(), stale, approvedAt };
}

/** Reads the evidence of a merge commit from the forge; what cannot be read is a problem, not an error. */
export async function reviewEvidence(run: WorkflowRun, sha: string): Promise<ReviewEvidence> {
  const evidence: ReviewEvidence = {
    pullRequest: undefined,
    head: undefined,
    approvers: [],
    stale: [],
    records: [],
    problems: [],
  };
  const platform = run.ports.comments;
  const cr = run.ctx.changeRequestName ?? 'pull request';
  if (!platform) {
    evidence.problems.push(`no token that may read ${cr}s (github-token)`);
    return evidence;
  }
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (error) {
      const hint = (error as { hint?: string }).hint;
      evidence.problems.push(
        `cannot ${what}: ${error instanceof Error ? error.message : String(error)}${hint ? ` (${hint})` : ''}`,
      );
      return undefined;
    }
  };
  evidence.pullRequest = await attempt(`find the ${cr} of ${sha.slice(0, 7)}`, () => platform.mergedPullRequest(sha));
  const pr = evidence.pullRequest;
  if (pr === undefined) return evidence;
  const ref = cr === 'merge request' ? `!${pr}` : `#${pr}`;
  if (!platform.pullRequestHeadSha || !platform.pullRequestReviews) {
    evidence.problems.push(`this forge does not tell kubeplan who approved a ${cr}`);
    return evidence;
  }
  const head = await attempt(`read ${cr} ${ref}`, () => platform.pullRequestHeadSha!(pr));
  if (!head) return evidence;
  evidence.head = head;
  const reviews = await attempt(`read the reviews of ${cr} ${ref}`, () => platform.pullRequestReviews!(pr));
  if (reviews) Object.assign(evidence, approvalsOf(reviews, head));
  const checks = run.ports.checks;
  if (checks) {
    const found = await attempt(`read the ${'`kubeplan plan`'} check runs of ${head.slice(0, 7)}`, () =>
      checks.planChecks(head),
    );
    for (const c of found ?? []) {
      const record = parseCheckRunText(c.text);
      if (record && record.head === head) evidence.records.push({ ...record, at: c.completedAt });
    }
  }
  // The comment marker: the fallback for a plan run without `checks: write`; only kubeplan's own comments count.
  const comments = await attempt(`read the comments of ${cr} ${ref}`, () => ownComments(platform, pr));
  for (const c of comments ?? [])
    for (const record of parseDigestsMarkers(c.body)) if (record.head === head) evidence.records.push(record);
  return evidence;
}

/** The outcome for each target whose binding is not off, from the evidence and the plan computed now. */
export function bindTargets(
  evidence: ReviewEvidence,
  now: PlanDigests,
  changes: Record<string, CanonicalChange[]>,
  modes: Record<string, BindingMode>,
  changeRequestName = 'pull request',
): TargetBinding[] {
  const cr = changeRequestName;
  const sameCluster = (r: PlanRecord) =>
    r.digests.cluster.server === now.cluster.server && r.digests.cluster.caSha256 === now.cluster.caSha256;
  const records = evidence.records.filter(sameCluster);
  const out: TargetBinding[] = [];
  for (const [target, digests] of Object.entries(now.targets)) {
    const mode = modes[target] ?? 'warn';
    if (mode === 'off') continue;
    // The plan that was current when the approval was given: the newest one recorded no later than it. A plan of the
    // head recorded only after it (a re-run against a changed cluster) is not what was approved.
    const candidates = records.filter((r) => r.digests.targets[target]);
    const approved = evidence.approvedAt ? Date.parse(evidence.approvedAt) : Number.NaN;
    const timed = candidates.filter((r) => r.at !== undefined && !Number.isNaN(Date.parse(r.at)));
    const before = Number.isNaN(approved)
      ? timed
      : timed.filter((r) => Math.floor(Date.parse(r.at!) / 1000) <= Math.floor(approved / 1000));
    const replannedAfterApproval = timed.length > 0 && before.length === 0;
    const reviewed = timed.length ? before[0] : candidates[0];
    const base = {
      target,
      mode,
      expectPlan: combinedPlanDigest(now.cluster, [digests.plan]),
      planDigest: digests.plan,
    };
    const drift = reviewed ? driftLines(reviewed, target, now, changes[target] ?? []) : undefined;
    const pr = evidence.pullRequest;
    const ref = cr === 'merge request' ? `!${pr}` : `#${pr}`;
    let kind: BindingKind;
    let headline: string;
    let lines: string[] = drift?.lines ?? [];
    if (pr === undefined) {
      kind = 'unreviewed';
      headline = evidence.problems.length
        ? `no reviewed plan: kubeplan could not tell which ${cr} this push merged`
        : `no reviewed plan: this push merged no ${cr}`;
      lines = [...evidence.problems];
    } else if (evidence.approvers.length === 0 && evidence.stale.length > 0) {
      kind = 'stale-approval';
      headline = `stale approval: ${cr} ${ref} was approved on an older commit (${evidence.stale
        .map((s) => `${s.user} on ${s.commit.slice(0, 7)}`)
        .join(', ')}), not on its head ${evidence.head?.slice(0, 7)}`;
    } else if (evidence.approvers.length === 0) {
      kind = 'unreviewed';
      headline =
        `no reviewed plan: ${cr} ${ref} has no approval of its head ${evidence.head?.slice(0, 7) ?? ''}`.trim();
      lines = [...evidence.problems, ...lines];
    } else if (replannedAfterApproval) {
      kind = 'stale-approval';
      headline = `stale approval: ${cr} ${ref} was approved (${evidence.approvers.join(', ')}) before the plan of its head recorded now was made`;
      lines = candidates[0] ? driftLines(candidates[0], target, now, changes[target] ?? []).lines : [];
    } else if (!reviewed) {
      kind = 'unreviewed';
      const elsewhere = evidence.records.some((r) => r.digests.targets[target]);
      headline = `no reviewed plan: no plan of target ${target} ${elsewhere ? `against ${now.cluster.server} ` : ''}was recorded on ${cr} ${ref}'s head ${evidence.head?.slice(0, 7)}`;
      lines = [
        ...(elsewhere ? ['the plan recorded there was made against another cluster'] : []),
        ...evidence.problems,
      ];
    } else if (drift!.kind !== 'bound') {
      kind = drift!.kind;
      headline =
        kind === 'intent-drift'
          ? `intent drift: the merge commit renders target ${target} differently from ${cr} ${ref}'s reviewed head ${evidence.head?.slice(0, 7)}`
          : `plan drift: the cluster changed since ${cr} ${ref} was planned: the plan of target ${target} is not the reviewed one`;
    } else {
      kind = 'bound';
      headline = `applied exactly the reviewed plan ${digests.plan} (${cr} ${ref}, approved by ${evidence.approvers.join(', ')})`;
    }
    out.push({ ...base, kind, headline, lines, held: mode === 'strict' && kind !== 'bound' });
  }
  return out;
}

/** Render and plan of one target against the recorded plan: which drift, and both diffs. */
function driftLines(
  reviewed: PlanRecord,
  target: string,
  now: PlanDigests,
  changes: CanonicalChange[],
): { kind: BindingKind; lines: string[] } {
  const was = reviewed.digests.targets[target]!;
  const cur = now.targets[target]!;
  if (was.render === cur.render && was.plan === cur.plan) return { kind: 'bound', lines: [] };
  const lines: string[] = [];
  const kind: BindingKind = was.render !== cur.render ? 'intent-drift' : 'plan-drift';
  if (kind === 'intent-drift')
    lines.push(
      `render: target ${target} renders something else than at review (${was.render.slice(0, 19)}… at the reviewed head → ${cur.render.slice(0, 19)}… at the merge commit)`,
    );
  if (was.plan === cur.plan) {
    lines.push(`plan: the same as reviewed (${cur.plan.slice(0, 19)}…)`);
    return { kind, lines };
  }
  lines.push(`plan: reviewed ${was.plan.slice(0, 19)}…, now ${cur.plan.slice(0, 19)}…`);
  if (reviewed.changes?.[target]) {
    const diff = changesDrift(reviewed.changes[target]!, changes);
    lines.push(...(diff.length ? diff.map((l) => `  ${l}`) : ['  (the same changes, with other values)']));
  } else {
    lines.push('  (the reviewed plan was too large to keep its changes; the plan now:)');
    lines.push(
      ...changes.map(
        (c) =>
          `  ${c.action} ${c.group ? `${c.group}/` : ''}${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`,
      ),
    );
  }
  return { kind, lines };
}

/** The error of a strict refusal: what was not applied and why, and the way out. */
export function refusalMessage(held: readonly TargetBinding[]): { message: string; hint: string } {
  const message = [
    `not the reviewed plan; nothing of ${held.map((h) => h.target).join(', ')} was written (apply.binding: strict)`,
    ...held.flatMap((h) => [`  ${h.target}: ${h.headline}`, ...h.lines.map((l) => `    ${l}`)]),
  ].join('\n');
  // An instance of a named cluster (`target@cluster`) is applied on its cluster alone.
  const apply = (name: string) => {
    const at = name.lastIndexOf('@');
    return at < 0 ? `--target ${name}` : `--target ${name.slice(0, at)} --cluster ${name.slice(at + 1)}`;
  };
  const hint = `review the plan now (kubeplan diff shows it), then apply it with ${held
    .map((h) => `kubeplan apply ${apply(h.target)} --expect-plan ${h.expectPlan}`)
    .join(
      ' and ',
    )} (for example from a workflow_dispatch job whose environment has required reviewers: the action's expect-plan input, kubeplan ci --expect-plan on GitLab)`;
  return { message, hint };
}
