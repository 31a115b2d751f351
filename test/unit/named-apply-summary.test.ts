import { describe, expect, it } from 'vitest';
import type { InstanceOutcome } from '../../src/core/commands/named-apply.js';
import { ApplyError } from '../../src/core/apply/apply-error.js';
import { emptyCounts } from '../../src/core/diff/types.js';
import { applySummary } from '../../src/core/workflows/apply.js';

// The apply summary over named clusters, as a reader of the job summary sees it: a table per cluster with every
// instance, including the ones that never started and why, in markdown that an error message cannot break.

const result = (target: string, created: number) => ({
  target,
  created,
  updated: 0,
  recreated: 0,
  pruned: 0,
  unchanged: 2,
  objects: Array.from({ length: created }, (_, i) => ({
    action: 'created' as const,
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: 'shop',
    name: `cm-${i}`,
  })),
  stages: [],
  notes: [],
});

const instances: InstanceOutcome[] = [
  {
    name: 'shop@eu',
    target: 'shop',
    cluster: 'eu',
    status: 'failed',
    result: result('shop@eu', 1),
    error: new ApplyError('ConfigMap shop/cm-1: admission webhook denied | a\nsecond line', {}),
    environment: 'production@eu',
    ms: 2345,
  },
  {
    name: 'web@eu',
    target: 'web',
    cluster: 'eu',
    status: 'skipped',
    reason: 'shop@eu failed before it on cluster eu',
    cause: 'stopped',
    environment: 'web@eu',
  },
  {
    name: 'shop@us',
    target: 'shop',
    cluster: 'us',
    status: 'skipped',
    reason: 'waits for shop@eu, which failed',
    cause: 'wave',
    environment: 'production@us',
  },
  {
    name: 'api@us',
    target: 'api',
    cluster: 'us',
    status: 'skipped',
    reason: 'the apply was cancelled',
    cause: 'cancelled',
    environment: 'api@us',
  },
  {
    name: 'web@us',
    target: 'web',
    cluster: 'us',
    status: 'applied',
    result: result('web@us', 2),
    environment: 'web@us',
    ms: 812,
  },
];
const clusters = [
  { name: 'eu', server: 'https://eu.example:6443', summary: emptyCounts() },
  { name: 'us', server: 'https://us.example:6443', summary: emptyCounts() },
];

describe('the apply summary over named clusters', () => {
  const summary = applySummary(
    'a'.repeat(40),
    [instances[4]!.result!],
    'shop@eu',
    new ApplyError('1 instance failed, 3 skipped', {}),
    undefined,
    [],
    { instances, clusters },
  );
  const table = (cluster: string) => {
    const start = summary.indexOf(`**Cluster \`${cluster}\`**`);
    expect(start).toBeGreaterThanOrEqual(0);
    return summary.slice(start, summary.indexOf('\n\n', summary.indexOf('| --- ', start)));
  };

  it('has a table per cluster with every instance: status, objects written, duration, environment and why', () => {
    expect(table('eu').split('\n')).toEqual([
      '**Cluster `eu`** (eu.example:6443): 1 failed, 1 skipped',
      '',
      '| instance | status | objects written | duration | environment | why |',
      '| --- | --- | --- | --- | --- | --- |',
      '| shop@eu | ❌ failed | 1 (1 created) | 2.3 s | production@eu | ConfigMap shop/cm-1: admission webhook denied \\| a |',
      '| web@eu | ⏭️ skipped | – | – | web@eu | shop@eu failed before it on cluster eu |',
    ]);
    expect(table('us').split('\n')).toEqual([
      '**Cluster `us`** (us.example:6443): 1 applied, 2 skipped',
      '',
      '| instance | status | objects written | duration | environment | why |',
      '| --- | --- | --- | --- | --- | --- |',
      '| shop@us | ⏭️ skipped | – | – | production@us | an earlier rollout wave did not apply: waits for shop@eu, which failed |',
      '| api@us | ⏭️ skipped | – | – | api@us | the apply was cancelled |',
      '| web@us | ✅ applied | 2 (2 created) | 0.8 s | web@us |  |',
    ]);
  });

  it('replaces the one-cluster target table, and keeps what each instance wrote', () => {
    expect(summary).not.toContain('| target | created |');
    expect(summary).toContain('<details><summary>web@us: 2 objects written</summary>');
  });
});
