import { describe, expect, it } from 'vitest';
import { countChanges, type Change, type Plan } from '../../src/core/diff/types.js';
import { formatPlanMarkdown } from '../../src/core/report/markdown.js';
import { formatPlanText } from '../../src/core/report/text.js';

const change = (action: Change['action'], name: string, extra: Partial<Change> = {}): Change => ({
  action,
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: 'ns',
  name,
  paths: [],
  digest: [],
  diff:
    action === 'unchanged' || action === 'error'
      ? ''
      : `--- live/configmap/ns/${name}\n+++ planned/configmap/ns/${name}\n@@ -1 +1 @@\n-a: 1\n+a: 2`,
  via: 'dry-run',
  ...extra,
});

function planWith(changes: Change[]): Plan {
  return {
    mode: 'server',
    modeReason: 'test',
    targets: [{ target: 'app', namespace: 'ns', changes, summary: countChanges(changes), hidden: {} }],
    summary: countChanges(changes),
    stats: { objects: changes.length, fastPath: 0, dryRuns: changes.length, lists: 1, requests: changes.length },
  };
}

describe('target headers', () => {
  const plan = planWith([
    change('update', 'a'),
    change('create', 'b'),
    change('error', 'c', { error: { message: 'admission webhook denied the request' } }),
    change('unchanged', 'd'),
  ]);

  it('count objects that could not be planned as errors, not as changes (text)', () => {
    const text = formatPlanText(plan, { color: false });
    expect(text).toContain('── target app (namespace ns): 2 changes, 1 error, 1 unchanged');
  });

  it('count objects that could not be planned as errors, not as changes (markdown)', () => {
    expect(formatPlanMarkdown(plan)).toContain('#### app — 2 changes, 1 error, 1 unchanged');
  });

  it('say "no changes" with the errors when every object failed', () => {
    const failed = planWith([change('error', 'c', { error: { message: 'forbidden' } })]);
    expect(formatPlanText(failed, { color: false })).toContain(
      '── target app (namespace ns): no changes, 1 error, 0 unchanged',
    );
    expect(formatPlanMarkdown(failed)).toContain('#### app — no changes, 1 error, 0 unchanged');
  });
});
