import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ProxyRecord {
  /** CONNECT for a tunnel, else the forwarded request's method. */
  method: string;
  /** host:port the client asked for, as it named it. */
  target: string;
  /** The path of a forwarded request (a tunnel's requests are encrypted: none). */
  path: string | undefined;
  /** False when the proxy wanted credentials and the request had none or wrong ones (answered 407). */
  authorized: boolean;
}

export interface RecordingProxy {
  /** http://127.0.0.1:PORT (with user:password@ when the proxy wants credentials). */
  url: string;
  records: ProxyRecord[];
  /** The records for one target host:port. */
  to(target: string): ProxyRecord[];
  stop(): Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1, as a corporate one: forwards absolute-URI requests (http://) and opens CONNECT tunnels
 * (https://), recording each. With `auth` it answers 407 unless Proxy-Authorization carries that user and password.
 * `hosts` maps names to the address the proxy connects to (`kubernetes.default.svc` → 127.0.0.1): clients never look
 * a name up when a proxy carries their request, so tests can use names that no DNS knows, and that are not loopback
 * (which clients never send through a proxy).
 */
export async function startRecordingProxy(
  options: { auth?: { username: string; password: string }; hosts?: Record<string, string> } = {},
): Promise<RecordingProxy> {
  const records: ProxyRecord[] = [];
  const sockets = new Set<net.Socket>();
  const expected = options.auth
    ? `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`
    : undefined;
  const authorized = (req: http.IncomingMessage) => !expected || req.headers['proxy-authorization'] === expected;
  const resolve = (host: string) => options.hosts?.[host.toLowerCase()] ?? host;

  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('not a proxy request (no absolute URI)');
      return;
    }
    const target = `${url.hostname}:${url.port || 80}`;
    const ok = authorized(req);
    records.push({ method: req.method ?? '', target, path: url.pathname + url.search, authorized: ok });
    if (!ok) {
      req.resume();
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="bench"' }).end();
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const forward = http.request(
      {
        host: resolve(url.hostname),
        port: url.port || 80,
        path: url.pathname + url.search,
        method: req.method,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });

  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const target = req.url ?? '';
    const ok = authorized(req);
    records.push({ method: 'CONNECT', target, path: undefined, authorized: ok });
    if (!ok) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="bench"\r\n\r\n');
      return;
    }
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const upstream = net.connect(Number(target.slice(colon + 1)), resolve(host), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.username)}:${encodeURIComponent(options.auth.password)}@`
    : '';
  return {
    url: `http://${credentials}127.0.0.1:${port}`,
    records,
    to: (target) => records.filter((r) => r.target === target),
    stop: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
