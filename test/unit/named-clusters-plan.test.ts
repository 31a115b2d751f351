import { describe, expect, it } from 'vitest';
import { emptyCounts, type Plan } from '../../src/core/diff/types.js';
import { planMatrix, planVerdict } from '../../src/core/workflows/plan.js';

// What a pull request's plan over named clusters decides: the step fails when a cluster could not be planned (an
// unreachable cluster is never a green plan), and the matrix output lists the instances with changes as pairs.

const target = (name: string, action: 'create' | 'unchanged') => ({
  target: name,
  namespace: undefined,
  changes: [{ action } as never],
  summary: { ...emptyCounts(), [action]: 1 },
  hidden: {} as never,
});

function plan(clusters: Plan['clusters']): Plan {
  return {
    mode: 'server',
    modeReason: '',
    targets: [target('shop@prod-eu', 'create'), target('shop@prod-us', 'unchanged'), target('web@stg', 'create')],
    summary: { ...emptyCounts(), create: 2, unchanged: 1 },
    stats: { objects: 3, fastPath: 0, dryRuns: 0, lists: 0, requests: 0 },
    ...(clusters ? { clusters } : {}),
  };
}

describe('a plan over named clusters', () => {
  it('fails the step when a cluster could not be planned, whatever fail-on says', () => {
    const ok = { name: 'prod-eu', server: 'https://eu', summary: emptyCounts() };
    expect(planVerdict(plan([ok]), 'never')).toBeUndefined();
    expect(
      planVerdict(
        plan([
          ok,
          {
            name: 'prod-us',
            server: 'https://us',
            summary: emptyCounts(),
            error: { message: 'down', hint: undefined },
          },
        ]),
        'never',
      ),
    ).toBe('cluster prod-us could not be planned; see the job summary');
  });

  it('lists the instances with changes as {target, cluster} for a job matrix; target names without clusters', () => {
    expect(planMatrix(plan([{ name: 'prod-eu', server: 'https://eu', summary: emptyCounts() }]))).toEqual([
      { target: 'shop', cluster: 'prod-eu' },
      { target: 'web', cluster: 'stg' },
    ]);
    expect(planMatrix(plan(undefined))).toEqual(['shop@prod-eu', 'web@stg']);
  });
});
