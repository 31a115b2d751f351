import { describe, expect, it } from 'vitest';
import { countChanges, type Change, type Plan } from '../../src/core/diff/types.js';
import { packCommentParts } from '../../src/core/report/comment-parts.js';

function planOf(n: number, diffLines = 20): Plan {
  const changes: Change[] = Array.from({ length: n }, (_, i) => ({
    action: i % 10 === 0 ? 'delete' : 'update',
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: 'ns',
    name: `cm-${i}`,
    paths: ['data.A'],
    digest: ['data: ~A'],
    diff: Array.from({ length: diffLines }, (_, k) => `-  A${k}: old\n+  A${k}: new`).join('\n'),
    via: 'dry-run',
  }));
  return {
    mode: 'server',
    modeReason: 'test',
    targets: [{ target: 't', namespace: 'ns', changes, summary: countChanges(changes), hidden: {} }],
    summary: countChanges(changes),
    stats: { objects: n, fastPath: 0, dryRuns: n, lists: 1, requests: n },
  };
}

describe('packCommentParts', () => {
  const marker = (i: number, n: number) => `<!-- kubeplan:plan:k part:${i}/${n} -->`;

  it('keeps every part within the limit, the summary and a capped table first, deletes before updates', () => {
    const parts = packCommentParts(planOf(1200), {
      limit: 65_536,
      marker,
      fullReportHint: 'see the job summary',
      maxParts: 100,
    });
    expect(parts.length).toBeGreaterThan(5);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(65_536);
    expect(parts[0]).toContain('### kubeplan: Plan:');
    expect(parts[0]).toContain('| | … and 1100 more | |');
    const all = parts.join('\n');
    expect(all.lastIndexOf('- delete <code>')).toBeLessThan(all.indexOf('~ update <code>'));
    expect(parts.map((p) => /part:(\d+)\/(\d+)/.exec(p)!.slice(1).join('/'))).toEqual(
      parts.map((_, i) => `${i + 1}/${parts.length}`),
    );
  });

  it('cuts the diff of a single section that alone exceeds the limit, keeping the fences closed', () => {
    // The job summary shows every diff in full (comments collapse a deleted body this large to its digest).
    const parts = packCommentParts(planOf(1, 5000), {
      limit: 65_536,
      marker,
      fullReportHint: 'see the job summary',
      maxParts: 5,
      full: true,
    });
    expect(parts.join('')).toMatch(/… \d+ more diff lines cut to fit the comment; see the job summary/);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(65_536);
      expect((p.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
  });

  it('shows a created or deleted body over the budget as its digest in comments, in full in the job summary', () => {
    const plan = planOf(1, 400);
    const body = plan.targets[0]!.changes[0]!.diff;
    expect(body.length).toBeGreaterThan(8 * 1024);
    const [comment] = packCommentParts(plan, {
      limit: 65_536,
      marker,
      fullReportHint: 'see the job summary',
      maxParts: 5,
    });
    expect(comment).not.toContain('A399: old');
    expect(comment).toMatch(/`ConfigMap v1`, \d+\.\d KiB of YAML/);
    expect(comment).toContain('the full text is in the job summary');
    const [summary] = packCommentParts(plan, {
      limit: 1024 * 1024,
      marker: () => '',
      fullReportHint: 'see the report',
      maxParts: 1,
      full: true,
    });
    expect(summary).toContain(body);
  });

  it('stops after maxParts parts, and the last says how many objects it leaves out and where the full plan is', () => {
    // 100,000 changed objects once made 629 comments on one pull request.
    const plan = planOf(20_000, 3);
    const parts = packCommentParts(plan, {
      limit: 65_536,
      marker,
      fullReportHint: 'the full plan is in the job summary',
      maxParts: 5,
    });
    expect(parts).toHaveLength(5);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(65_536);
    const shown = parts.join('\n').match(/<summary>/g)!.length;
    expect(shown).toBeGreaterThan(100);
    const note =
      /(\d+) more changed objects are not shown here \(a plan gets at most 5 comments\); the full plan is in the job summary\./.exec(
        parts[4]!,
      );
    expect(note, parts[4]!.slice(-500)).not.toBeNull();
    expect(Number(note![1]) + shown).toBe(20_000);
    expect(parts[4]).toContain('part:5/5');
    for (const p of parts) expect((p.match(/^```/gm) ?? []).length % 2).toBe(0);
  });

  it('a plan that fits says nothing about left-out objects', () => {
    const parts = packCommentParts(planOf(30), {
      limit: 65_536,
      marker,
      fullReportHint: 'see the job summary',
      maxParts: 1,
    });
    expect(parts).toHaveLength(1);
    expect(parts[0]).not.toContain('not shown');
  });

  it('a single part (the job summary) ends with the note when the plan is bigger', () => {
    const parts = packCommentParts(planOf(5000), {
      limit: 65_536,
      marker,
      fullReportHint: 'the full report is kubeplan-report.json',
      maxParts: 1,
    });
    expect(parts).toHaveLength(1);
    expect(parts[0]!.length).toBeLessThanOrEqual(65_536);
    expect(parts[0]).toMatch(/\d+ more changed objects are not shown here; the full report is kubeplan-report\.json\./);
  });
});
