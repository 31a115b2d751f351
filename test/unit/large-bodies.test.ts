import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/core/diff/field-diff.js';
import { countChanges, type Change, type Plan } from '../../src/core/diff/types.js';
import { formatPlanMarkdown } from '../../src/core/report/markdown.js';
import { bigCrd } from '../helpers/big-crd.js';

function intentPlan(changes: Change[]): Plan {
  return {
    mode: 'intent',
    base: 'main',
    modeReason: 'test',
    targets: [{ target: 'operator', namespace: 'op', changes, summary: countChanges(changes), hidden: {} }],
    summary: countChanges(changes),
    stats: { objects: changes.length, fastPath: 0, dryRuns: 0, lists: 0, requests: 0 },
  };
}

describe('large bodies in markdown', () => {
  it('an intent plan (no cluster, no object kept) still shows a created CRD as group, versions, scope and size', () => {
    const crd = bigCrd('gateway.example.com');
    const change: Change = {
      action: 'create',
      apiVersion: crd.apiVersion,
      kind: crd.kind,
      name: crd.metadata.name,
      paths: [],
      digest: [],
      diff: unifiedDiff(`customresourcedefinition/${crd.metadata.name}`, undefined, crd, ['base', 'head']),
      via: 'intent',
    };
    const md = formatPlanMarkdown(intentPlan([change]));
    expect(md.length).toBeLessThan(4 * 1024);
    expect(md).toContain('group `gateway.example.com` · versions `v1`, `v1beta1` · scope `Namespaced`');
    expect(md).toMatch(/`CustomResourceDefinition apiextensions\.k8s\.io\/v1`, \d+\.\d KiB of YAML/);
  });

  it('a small created CRD collapses too; a small ConfigMap keeps its diff; the full option keeps every diff', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'tiny.example.com' },
      spec: { group: 'example.com', scope: 'Cluster', versions: [{ name: 'v1alpha1' }] },
    };
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'op' },
      data: { LEVEL: 'info' },
    };
    const changes: Change[] = [crd, cm].map((o) => ({
      action: 'create',
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata.name,
      paths: [],
      digest: [],
      diff: unifiedDiff(o.metadata.name, undefined, o, ['base', 'head']),
      via: 'intent',
    }));
    const md = formatPlanMarkdown(intentPlan(changes));
    expect(md).toContain('group `example.com` · version `v1alpha1` · scope `Cluster`');
    expect(md).toContain('_Body not shown (a created CustomResourceDefinition)');
    expect(md).not.toContain('name: v1alpha1');
    expect(md).toContain('+  LEVEL: info');
    expect(formatPlanMarkdown(intentPlan(changes), { full: true })).toContain('name: v1alpha1');
  });
});
