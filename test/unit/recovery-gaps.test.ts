import { describe, expect, it } from 'vitest';
import { recoveryGaps } from '../../src/core/apply/recovery-gaps.js';
import type { KubeObject } from '../../src/core/manifests/types.js';

// What `kubeplan recover` says git cannot restore, from the objects it writes: every place a Secret can be used.

const obj = (apiVersion: string, kind: string, name: string, rest: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion, kind, metadata: { name, namespace: 'shop' }, ...rest }) as KubeObject;

const pod = (spec: Record<string, unknown>) => ({ template: { spec } });

describe('recoveryGaps', () => {
  it('names the Secrets used by pods, CronJobs, ServiceAccounts and Ingresses that nothing renders or makes', async () => {
    const objects = [
      obj('batch/v1', 'CronJob', 'report', {
        spec: {
          jobTemplate: {
            spec: pod({ containers: [{ name: 'c', envFrom: [{ secretRef: { name: 'smtp' } }] }] }),
          },
        },
      }),
      obj('apps/v1', 'DaemonSet', 'agent', {
        spec: pod({
          initContainers: [
            { name: 'i', env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'agent-key', key: 'k' } } }] },
          ],
          containers: [
            { name: 'c', env: [{ name: 'O', valueFrom: { secretKeyRef: { name: 'maybe', optional: true } } }] },
          ],
          volumes: [{ name: 'p', projected: { sources: [{ secret: { name: 'bundle' } }] } }],
        }),
      }),
      obj('v1', 'ServiceAccount', 'deployer', {
        imagePullSecrets: [{ name: 'regcred' }],
        secrets: [{ name: 'sa-token' }],
      }),
      obj('networking.k8s.io/v1', 'Ingress', 'web', {
        spec: { tls: [{ secretName: 'web-tls' }, { secretName: 'api-tls' }] },
      }),
      // Made from git by controllers: cert-manager, External Secrets; and one rendered as it is.
      obj('cert-manager.io/v1', 'Certificate', 'web', { spec: { secretName: 'web-tls' } }),
      obj('external-secrets.io/v1beta1', 'ExternalSecret', 'smtp', { spec: {} }),
      obj('v1', 'Secret', 'bundle'),
    ];
    const gaps = await recoveryGaps(
      objects.map((object) => ({ object, created: true })),
      async (_ns, name) => name === 'sa-token', // already in the cluster
    );
    expect(gaps.secrets.map((s) => `${s.name} ← ${s.because.join(', ')}`)).toEqual([
      'agent-key ← DaemonSet shop/agent',
      'api-tls ← Ingress shop/web',
      'regcred ← ServiceAccount shop/deployer',
    ]);
  });

  it('lists only the PVCs and LoadBalancers the recovery creates (PVCs filled from a snapshot aside)', async () => {
    const claim = (name: string) => obj('v1', 'PersistentVolumeClaim', name, { spec: {} });
    const lb = (name: string) => obj('v1', 'Service', name, { spec: { type: 'LoadBalancer' } });
    const gaps = await recoveryGaps(
      [
        { object: claim('new'), created: true },
        { object: claim('kept'), created: false },
        {
          object: obj('v1', 'PersistentVolumeClaim', 'from-snapshot', {
            spec: { dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'nightly' } },
          }),
          created: true,
        },
        { object: lb('front'), created: true },
        { object: lb('old'), created: false },
        { object: obj('v1', 'Service', 'internal', { spec: { type: 'ClusterIP' } }), created: true },
      ],
      async () => false,
    );
    expect(gaps.persistentVolumeClaims.map((p) => p.name)).toEqual(['new']);
    expect(gaps.loadBalancers.map((s) => s.name)).toEqual(['front']);
    expect(gaps.secrets).toEqual([]);
  });
});
