import { describe, expect, it } from 'vitest';
import { planDigests } from '../../src/core/diff/plan-digest.js';
import {
  checkRunText,
  digestsMarker,
  parseCheckRunText,
  parseDigestsMarkers,
  type PlanRecord,
} from '../../src/core/diff/plan-record.js';
import type { Change, TargetPlan } from '../../src/core/diff/types.js';
import { emptyCounts } from '../../src/core/diff/types.js';
import { formatPlanJson, parsePlanJson } from '../../src/core/report/json.js';
import { approvalsOf, bindTargets, type ReviewEvidence } from '../../src/core/workflows/binding.js';

const change = (name: string, value: string, kind = 'ConfigMap'): Change => ({
  action: 'update',
  apiVersion: 'v1',
  kind,
  namespace: 'ns',
  name,
  paths: ['data.V'],
  digest: [],
  diff: '',
  via: 'dry-run',
  object: { apiVersion: 'v1', kind, metadata: { name, namespace: 'ns' }, data: { V: value } },
});
const target = (name: string, changes: Change[]): TargetPlan => ({
  target: name,
  namespace: 'ns',
  summary: emptyCounts(),
  hidden: {},
  changes,
});
const cluster = { server: 'https://k8s.example:6443', caSha256: 'ab'.repeat(32) };
const head = 'c'.repeat(40);

function record(value: string, render = 'one'): PlanRecord {
  const targets = [target('web', [change('settings', value)]), target('jobs', [])];
  const sets = targets.map((t) => ({
    target: t.target,
    manifests: [{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: render } } }],
  })) as never;
  const digests = planDigests({ targets }, sets, cluster);
  return {
    head,
    digests,
    changes: Object.fromEntries(
      targets.map((t) => [
        t.target,
        t.changes.map((c) => ({
          action: c.action,
          group: '',
          kind: c.kind,
          namespace: c.namespace ?? null,
          name: c.name,
          paths: c.paths,
          planned: `sha256:${(value === '2' ? 'e' : 'f').repeat(64)}`,
        })),
      ]),
    ),
  };
}

describe('the plan record a plan leaves for the apply on merge', () => {
  it('round-trips through the comment marker and the check run text, and ignores a forged or broken one', () => {
    const r = record('2');
    const body = `### kubeplan: Plan\n\n<sub>Planned</sub>\n${digestsMarker(r)}\n`;
    expect(parseDigestsMarkers(body)).toEqual([r]);
    expect(parseCheckRunText(checkRunText(r))).toEqual(r);
    // A digest that is no sha256, a head that is no commit: not a record.
    const broken = digestsMarker(r).replace(r.digests.plan, 'sha256:nope');
    expect(parseDigestsMarkers(broken)).toEqual([]);
    expect(parseDigestsMarkers(digestsMarker({ ...r, head: 'main' }))).toEqual([]);
    expect(parseCheckRunText('no record here')).toBeUndefined();
  });

  it('keeps HTML, mentions and backticks of object names out of the marker', () => {
    const r = record('2');
    r.changes!.web![0]!.name = 'x --> <img src=1> @octocat `y`';
    const marker = digestsMarker(r);
    expect(marker.slice(4, -3)).not.toMatch(/-->|<|@|`/);
    expect(parseDigestsMarkers(marker)[0]!.changes!.web![0]!.name).toBe('x --> <img src=1> @octocat `y`');
  });

  it('the JSON report reads its digests back', () => {
    const r = record('2');
    const plan = {
      mode: 'server' as const,
      modeReason: 'test',
      targets: [target('web', [change('settings', '2')]), target('jobs', [])],
      summary: emptyCounts(),
      stats: { objects: 0, fastPath: 0, dryRuns: 0, lists: 0, requests: 0 },
      digests: r.digests,
    };
    expect(parsePlanJson(formatPlanJson(plan), 'r.json').plan.digests).toEqual(r.digests);
    const bad = JSON.parse(formatPlanJson(plan));
    bad.digests.plan = 'sha256:x';
    expect(() => parsePlanJson(JSON.stringify(bad), 'r.json')).toThrow(/digests must be the digests a plan wrote/);
  });
});

describe('plan binding decisions', () => {
  const review = (id: number, user: string, state: string, commitId: string | null) => ({
    id,
    user,
    state,
    commitId,
    submittedAt: `2026-01-01T00:00:${String(id).padStart(2, '0')}Z`,
  });

  it('an approval of the head counts; of an older commit it is stale; a later request for changes withdraws it', () => {
    expect(approvalsOf([review(1, 'alice', 'APPROVED', head)], head)).toEqual({
      approvers: ['alice'],
      stale: [],
      approvedAt: '2026-01-01T00:00:01Z',
    });
    expect(approvalsOf([review(1, 'alice', 'APPROVED', 'a'.repeat(40))], head)).toMatchObject({
      approvers: [],
      stale: [{ user: 'alice', commit: 'a'.repeat(40) }],
    });
    expect(
      approvalsOf([review(1, 'alice', 'APPROVED', head), review(2, 'alice', 'CHANGES_REQUESTED', head)], head),
    ).toMatchObject({ approvers: [], stale: [] });
    expect(
      approvalsOf([review(1, 'bob', 'APPROVED', head), review(2, 'bob', 'COMMENTED', head)], head).approvers,
    ).toEqual(['bob']);
    expect(approvalsOf([review(1, 'bob', 'DISMISSED', head)], head).approvers).toEqual([]);
  });

  it('bound, plan drift with the diff of plans, intent drift, per mode', () => {
    const reviewed = record('2');
    const evidence: ReviewEvidence = {
      pullRequest: 7,
      head,
      approvers: ['alice'],
      stale: [],
      records: [reviewed],
      problems: [],
    };
    const same = bindTargets(evidence, reviewed.digests, reviewed.changes!, { web: 'strict', jobs: 'off' });
    expect(same.map((b) => [b.target, b.kind, b.held])).toEqual([['web', 'bound', false]]);
    expect(same[0]!.headline).toContain(`applied exactly the reviewed plan ${reviewed.digests.targets.web!.plan}`);

    const now = record('3');
    const drift = bindTargets(evidence, now.digests, now.changes!, { web: 'strict', jobs: 'warn' });
    expect(drift.map((b) => [b.target, b.kind, b.held])).toEqual([
      ['jobs', 'bound', false],
      ['web', 'plan-drift', true],
    ]);
    expect(drift[1]!.lines.join('\n')).toContain('~ changed since the plan: update ConfigMap ns/settings');

    const rendered = record('2', 'two');
    const intent = bindTargets(evidence, rendered.digests, rendered.changes!, { web: 'warn' });
    expect(intent.find((b) => b.target === 'web')).toMatchObject({ kind: 'intent-drift', held: false });
    expect(intent.find((b) => b.target === 'web')!.lines[0]).toMatch(/^render: target web renders something else/);

    const stale = bindTargets(
      { ...evidence, approvers: [], stale: [{ user: 'bob', commit: 'a'.repeat(40) }] },
      reviewed.digests,
      reviewed.changes!,
      { web: 'strict' },
    );
    expect(stale.find((b) => b.target === 'web')).toMatchObject({ kind: 'stale-approval', held: true });

    // Check runs carry when each plan was made: the one current at the approval is the reviewed one.
    const approvedAt = '2026-01-01T10:00:00Z';
    const timed = {
      ...evidence,
      approvedAt,
      records: [
        { ...now, at: '2026-01-01T11:00:00Z' },
        { ...reviewed, at: '2026-01-01T09:00:00Z' },
      ],
    };
    expect(bindTargets(timed, reviewed.digests, reviewed.changes!, { web: 'strict', jobs: 'off' })[0]).toMatchObject({
      kind: 'bound',
    });
    expect(bindTargets(timed, now.digests, now.changes!, { web: 'strict', jobs: 'off' })[0]).toMatchObject({
      kind: 'plan-drift',
    });
    // Every plan recorded after the approval: what was approved is not known.
    const late = { ...timed, records: [{ ...now, at: '2026-01-01T11:00:00Z' }] };
    expect(bindTargets(late, now.digests, now.changes!, { web: 'strict', jobs: 'off' })[0]).toMatchObject({
      kind: 'stale-approval',
      held: true,
    });
  });
});
