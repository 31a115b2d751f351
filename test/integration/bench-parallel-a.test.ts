import { describe, expect, it } from 'vitest';
import { api, freshNamespace } from '../harness/kube.js';

// bench-parallel-a and bench-parallel-b run at the same time in separate workers, each in its own namespace, writing
// objects with the same names: neither sees the other's.
describe('parallel test file a', () => {
  it('owns its namespace', async () => {
    const ns = await freshNamespace('parallel-a');
    for (let i = 0; i < 20; i++) {
      const cm = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `shared-${i}`, namespace: ns },
        data: { writer: 'a' },
      };
      const res = await api('PATCH', `/api/v1/namespaces/${ns}/configmaps/shared-${i}?fieldManager=test`, {
        body: cm,
        contentType: 'application/apply-patch+yaml',
      });
      expect(res.status).toBe(201);
    }
    const list = await api<{ items: { data: { writer: string } }[] }>('GET', `/api/v1/namespaces/${ns}/configmaps`);
    const writers = new Set(list.body.items.filter((i) => i.data?.writer).map((i) => i.data.writer));
    expect([...writers]).toEqual(['a']);
    expect(list.body.items.filter((i) => i.data?.writer)).toHaveLength(20);
  });
});
