import { describe, expect, it } from 'vitest';
import { api, bench, freshNamespace, kubectl } from '../harness/kube.js';

describe('bench kube-apiserver', () => {
  it('is Kubernetes v1.35 to kubectl 1.35', async () => {
    const run = await kubectl(['version', '-o', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const version = JSON.parse(run.stdout) as {
      serverVersion: { gitVersion: string };
      clientVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toMatch(/^v1\.35\.\d+$/);
    expect(version.clientVersion.gitVersion).toMatch(/^v1\.35\.\d+$/);
  });

  it('denies the limited user until a test binds a Role', async () => {
    const ns = await freshNamespace('rbac');
    const limited = { kubeconfig: bench().limitedKubeconfig };
    const before = await kubectl(['auth', 'can-i', 'patch', 'configmaps', '-n', ns], limited);
    expect(before.stdout.trim()).toBe('no');
    await kubectl(['create', 'role', 'cm-editor', '--verb=get,list,patch', '--resource=configmaps', '-n', ns]);
    await kubectl(['create', 'rolebinding', 'cm-editor', '--role=cm-editor', '--user=limited', '-n', ns]);
    const after = await kubectl(['auth', 'can-i', 'patch', 'configmaps', '-n', ns], limited);
    expect(after.stdout.trim()).toBe('yes');
    expect((await kubectl(['auth', 'can-i', 'patch', 'configmaps', '-n', 'default'], limited)).stdout.trim()).toBe(
      'no',
    );
  });

  it('does server-side apply with dryRun=All and a field manager, storing nothing', async () => {
    const ns = await freshNamespace('ssa');
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns },
      data: { LOG_LEVEL: 'debug' },
    };
    const url = `/api/v1/namespaces/${ns}/configmaps/settings?fieldManager=kubeplan`;
    const dry = await api<{ metadata: { managedFields: { manager: string; operation: string }[] } }>(
      'PATCH',
      `${url}&dryRun=All`,
      {
        body: cm,
        contentType: 'application/apply-patch+yaml',
      },
    );
    expect(dry.status).toBe(201);
    expect(dry.body.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'kubeplan', operation: 'Apply' }),
    ]);
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/settings`)).status).toBe(404);
    const real = await api('PATCH', url, { body: cm, contentType: 'application/apply-patch+yaml' });
    expect(real.status).toBe(201);
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/settings`)).body).toMatchObject({
      data: { LOG_LEVEL: 'debug' },
    });
  });

  it('lets a test play the controller through the status subresource', async () => {
    const ns = await freshNamespace('status');
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    };
    expect((await api('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: deploy })).status).toBe(201);
    const status = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      status: { replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2, observedGeneration: 1 },
    };
    const res = await api(
      'PATCH',
      `/apis/apps/v1/namespaces/${ns}/deployments/web/status?fieldManager=test-controller`,
      { body: status, contentType: 'application/apply-patch+yaml' },
    );
    expect(res.status).toBe(200);
    expect(
      (
        (await api('GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).body as {
          status: { readyReplicas: number };
        }
      ).status.readyReplicas,
    ).toBe(2);
  });
});
