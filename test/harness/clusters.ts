import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { ApiserverInfo } from '../bench/servers.mjs';

import { apiOn } from './kube.js';

export { apiOn };

/** Creates the same fresh namespace on every server given. */
export async function namespaceOn(servers: Pick<ApiserverInfo, 'server' | 'caFile' | 'adminToken'>[], prefix: string) {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  for (const s of servers) {
    const res = await apiOn(s, 'POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    });
    if (res.status !== 201) throw new Error(`cannot create namespace ${name}: ${JSON.stringify(res.body)}`);
  }
  return name;
}

/** A TCP listener that counts connections and closes each at once: a cluster address nothing may be sent to. */
export async function startConnectionCounter(): Promise<{
  server: string;
  connections(): number;
  stop(): Promise<void>;
}> {
  let count = 0;
  const listener = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as net.AddressInfo).port;
  return {
    server: `https://127.0.0.1:${port}`,
    connections: () => count,
    stop: () => new Promise<void>((resolve) => listener.close(() => resolve())),
  };
}

/** Plays the Deployment controller on one server: reports the rollout of `name` done once it exists. */
export async function rollOutOn(
  info: Pick<ApiserverInfo, 'server' | 'caFile' | 'adminToken'>,
  ns: string,
  name: string,
  timeoutMs = 60_000,
): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const got = await apiOn<{ metadata: { generation: number }; spec: { replicas?: number } }>(
      info,
      'GET',
      `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
    );
    if (got.status === 200) {
      const replicas = got.body.spec.replicas ?? 1;
      await apiOn(
        info,
        'PATCH',
        `/apis/apps/v1/namespaces/${ns}/deployments/${name}/status?fieldManager=test-controller&force=true`,
        {
          body: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name, namespace: ns },
            status: {
              replicas,
              updatedReplicas: replicas,
              availableReplicas: replicas,
              readyReplicas: replicas,
              observedGeneration: got.body.metadata.generation,
            },
          },
          contentType: 'application/apply-patch+yaml',
        },
      );
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
