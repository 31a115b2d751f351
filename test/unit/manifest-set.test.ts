import { describe, expect, it } from 'vitest';
import { buildManifestSet } from '../../src/core/manifests/manifest-set.js';
import { redactObject } from '../../src/core/manifests/redact.js';
import type { KubeObject, Manifest } from '../../src/core/manifests/types.js';

const m = (
  apiVersion: string,
  kind: string,
  name: string,
  extra: Partial<KubeObject> = {},
  namespace?: string,
): Manifest => ({
  object: { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...extra } as KubeObject,
  source: { file: `${kind}.yaml` },
});

describe('buildManifestSet', () => {
  it('fills the namespace of namespaced kinds only, learning scopes from CRDs in the set', () => {
    const set = buildManifestSet('t', 'shop', [
      m('v1', 'ConfigMap', 'a'),
      m('rbac.authorization.k8s.io/v1', 'ClusterRole', 'r'),
      m('v1', 'Namespace', 'shop'),
      m('example.com/v1', 'Widget', 'w'),
      m('example.com/v1', 'Gadget', 'g'),
      m('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', {
        spec: { group: 'example.com', scope: 'Cluster', names: { kind: 'Widget' } },
      }),
      m('v1', 'Secret', 'kept', {}, 'other'),
    ]);
    const ns = Object.fromEntries(set.manifests.map((x) => [x.object.kind, x.object.metadata.namespace]));
    expect(ns).toEqual({
      Namespace: undefined,
      CustomResourceDefinition: undefined,
      ClusterRole: undefined,
      ConfigMap: 'shop',
      Widget: undefined,
      Gadget: 'shop',
      Secret: 'other',
    });
  });

  it('orders Namespaces, CRDs, then kind, namespace, name', () => {
    const set = buildManifestSet('t', undefined, [
      m('v1', 'Service', 'b', {}, 'y'),
      m('v1', 'Service', 'a', {}, 'y'),
      m('v1', 'Service', 'z', {}, 'x'),
      m('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'c.example.com'),
      m('v1', 'ConfigMap', 'q', {}, 'x'),
      m('v1', 'Namespace', 'x'),
    ]);
    expect(
      set.manifests.map((x) => `${x.object.kind}/${x.object.metadata.namespace ?? ''}/${x.object.metadata.name}`),
    ).toEqual([
      'Namespace//x',
      'CustomResourceDefinition//c.example.com',
      'ConfigMap/x/q',
      'Service/x/z',
      'Service/y/a',
      'Service/y/b',
    ]);
  });

  it('treats one object under two API versions as a duplicate', () => {
    expect(() =>
      buildManifestSet('t', 'ns', [
        m('autoscaling/v1', 'HorizontalPodAutoscaler', 'h'),
        m('autoscaling/v2', 'HorizontalPodAutoscaler', 'h'),
      ]),
    ).toThrow(/rendered twice: by HorizontalPodAutoscaler\.yaml and by HorizontalPodAutoscaler\.yaml/);
  });
});

describe('redactObject', () => {
  it('replaces Secret values and last-applied annotations, keeping keys, without touching the input', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"k":"c2VjcmV0"}}' },
      },
      data: { k: 'c2VjcmV0' },
      stringData: { p: 'hunter2' },
    } as KubeObject;
    const { object, redacted } = redactObject(secret);
    expect(redacted).toBe(3);
    expect(JSON.stringify(object)).not.toMatch(/c2VjcmV0|hunter2/);
    expect(object.data).toEqual({ k: '(redacted)' });
    expect(secret.data).toEqual({ k: 'c2VjcmV0' });
  });
});
