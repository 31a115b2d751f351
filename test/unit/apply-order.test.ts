import { describe, expect, it } from 'vitest';
import { orderTargets } from '../../src/core/apply/order.js';
import type { Change, TargetPlan } from '../../src/core/diff/types.js';
import type { KubeObject } from '../../src/core/manifests/types.js';

const create = (object: KubeObject): Change => ({
  action: 'create',
  apiVersion: object.apiVersion,
  kind: object.kind,
  name: object.metadata.name,
  paths: [],
  digest: [],
  diff: '',
  via: 'client',
  object,
});
const target = (name: string, objects: KubeObject[], namespace = 'default'): TargetPlan => ({
  target: name,
  namespace,
  changes: objects.map(create),
  summary: {} as TargetPlan['summary'],
  hidden: {},
});
const crd = (group: string, kind: string): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${kind.toLowerCase()}s.${group}` },
  spec: { group, names: { kind } },
});

describe('the order apply runs targets in', () => {
  it('puts the target that creates a CRD before the one using its kind, and keeps the config order otherwise', () => {
    const order = orderTargets([
      target('a', [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } }]),
      target('uses', [{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' } }]),
      target('crds', [crd('example.com', 'Widget')]),
      target('z', [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'y', namespace: 'default' } }]),
    ]);
    expect(order.map((t) => t.target)).toEqual(['a', 'crds', 'uses', 'z']);
  });

  it('a cycle keeps the config order', () => {
    const order = orderTargets([
      target(
        'one',
        [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n1' } },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n2' } },
        ],
        'n1',
      ),
      target(
        'two',
        [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n2' } },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n1' } },
        ],
        'n2',
      ),
    ]);
    expect(order.map((t) => t.target)).toEqual(['one', 'two']);
  });
});
