import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export type Fault = '409' | '429' | '500' | '503' | 'reset';

/**
 * A plain-HTTP proxy in front of the bench apiserver (or the bench registry) that injects faults: each request draws a fault from `plan`
 * (a function of the request number), else passes through. Counts what it injected.
 */
export async function startFaultProxy(
  target: { server: string; caFile?: string },
  plan: (n: number, req: http.IncomingMessage) => Fault | undefined,
) {
  const ca = target.caFile ? readFileSync(target.caFile) : undefined;
  const upstream = new URL(target.server);
  const injected: Record<Fault, number> = { '409': 0, '429': 0, '500': 0, '503': 0, reset: 0 };
  let n = 0;
  const server = http.createServer((req, res) => {
    const fault = plan(++n, req);
    if (fault) injected[fault]++;
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault) {
      req.resume();
      res.writeHead(Number(fault), {
        'content-type': 'application/json',
        ...(fault === '429' ? { 'retry-after': '1' } : {}),
      });
      const message =
        fault === '409'
          ? 'Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again (injected 409)'
          : `injected ${fault}`;
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message,
          reason: fault === '409' ? 'Conflict' : undefined,
          code: Number(fault),
        }),
      );
      return;
    }
    const forward = (upstream.protocol === 'https:' ? https : http).request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host },
        ...(ca ? { ca } : {}),
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    injected,
    requests: () => n,
    /** A kubeconfig that reaches the apiserver through this proxy with the given token. */
    kubeconfig: (token: string) =>
      `apiVersion: v1\nkind: Config\nclusters: [{name: proxy, cluster: {server: '${url}', insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: '${token}'}}]\ncontexts: [{name: proxy, context: {cluster: proxy, user: u}}]\ncurrent-context: proxy\n`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
