import { spawn } from 'node:child_process';
import type http from 'node:http';

/**
 * Serves one smart-HTTP git request through `git http-backend` run as a CGI program over the bare repositories under
 * `projectRoot` (the request path is the path inside it, e.g. `/acme/config.git/info/refs`). The forges put their own
 * authentication in front; `onStatus` receives the status git answered with, for their request logs.
 */
export function serveGitHttpBackend(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: { projectRoot: string; url: URL; remoteUser: string; onStatus: (status: number) => void },
): void {
  const { url } = options;
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: options.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method,
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
      REMOTE_USER: options.remoteUser,
      REMOTE_ADDR: '127.0.0.1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  req.pipe(child.stdin);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  child.stderr.resume();
  child.on('close', () => {
    const out = Buffer.concat(chunks);
    let split = out.indexOf('\r\n\r\n');
    let sep = 4;
    if (split === -1) {
      split = out.indexOf('\n\n');
      sep = 2;
    }
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of out.subarray(0, split).toString('utf8').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon === -1) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'status') status = Number(value.split(' ')[0]);
      else headers[name] = value;
    }
    options.onStatus(status);
    res.writeHead(status, headers);
    res.end(out.subarray(split + sep));
  });
}
