import { describe, expect, it } from 'vitest';
import { countChanges, emptyCounts, type Change, type Plan, type TargetPlan } from '../../src/core/diff/types.js';
import { formatPlanMarkdown } from '../../src/core/report/markdown.js';
import { formatPlanText } from '../../src/core/report/text.js';

const change = (action: Change['action'], name: string): Change => ({
  action,
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: 'ns',
  name,
  paths: [],
  digest: [],
  diff: action === 'unchanged' ? '' : `--- live\n+++ planned\n@@ -1 +1 @@\n-a: 1\n+a: 2`,
  via: 'dry-run',
});

const target = (name: string, changes: Change[]): TargetPlan => ({
  target: name,
  namespace: 'ns',
  changes,
  summary: countChanges(changes),
  hidden: {},
});

function planOf(targets: TargetPlan[], mode: Plan['mode'] = 'server'): Plan {
  const summary = emptyCounts();
  for (const t of targets) for (const c of t.changes) summary[c.action]++;
  return {
    mode,
    modeReason: 'test',
    targets,
    summary,
    stats: { objects: 0, fastPath: 0, dryRuns: 0, lists: 0, requests: 0 },
  };
}

describe('the plan comment', () => {
  it('collapses the targets where nothing changes into one line, and keeps a heading for the changed one', () => {
    const md = formatPlanMarkdown(
      planOf([
        target('web', [change('update', 'a'), change('unchanged', 'b')]),
        target('jobs', [change('unchanged', 'c'), change('unchanged', 'd')]),
        target('cron', [change('unchanged', 'e')]),
      ]),
    );
    expect(md).toContain('#### web — 1 change, 1 unchanged');
    expect(md).not.toContain('#### jobs');
    expect(md).not.toContain('#### cron');
    expect(md).toContain('= 2 targets unchanged (3 objects): `jobs`, `cron`');
  });

  it('names one unchanged target in the singular', () => {
    const md = formatPlanMarkdown(
      planOf([target('web', [change('create', 'a')]), target('jobs', [change('unchanged', 'c')])]),
    );
    expect(md).toContain('= 1 target unchanged (1 object): `jobs`');
  });

  it('leaves zero counts out of the summary line', () => {
    const plan = planOf([
      target('web', [
        ...['a', 'b', 'c'].map((n) => change('create', n)),
        ...['d', 'e', 'f', 'g', 'h'].map((n) => change('update', n)),
      ]),
    ]);
    const md = formatPlanMarkdown(plan);
    expect(md).toContain('### kubeplan: Plan: +3 to create, ~5 to update.\n');
    expect(md.split('\n')[0]).not.toMatch(/±0|-0 to delete|0 unchanged/);
    // The terminal report keeps every count.
    expect(formatPlanText(plan, { color: false })).toContain(
      'Plan: +3 to create, ~5 to update, ±0 to replace, -0 to delete, 0 unchanged.',
    );
  });

  it('says in the title that an intent-only plan read no cluster', () => {
    const changed = formatPlanMarkdown(planOf([target('web', [change('create', 'a')])], 'intent'));
    expect(changed).toContain('### kubeplan: Intent diff, no cluster. Plan: +1 to create.');
    const same = formatPlanMarkdown(planOf([target('web', [change('unchanged', 'a')])], 'intent'));
    expect(same).toContain('### kubeplan: Intent diff, no cluster. No changes. 1 objects match the base.');
    expect(formatPlanMarkdown(planOf([target('web', [change('create', 'a')])]))).not.toContain('Intent diff');
  });
});
