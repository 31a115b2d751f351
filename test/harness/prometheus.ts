import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { ensurePrometheus } from '../tools/prometheus.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Prometheus binary, when the run includes a test that needs it (the global set-up builds it then). */
    prometheusBinary?: string;
  }
}

export interface BenchPrometheus {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Waits until every scrape target is up and one query gives a sample (scrapes run every second). */
  waitForScrape(query: string, timeoutMs?: number): Promise<void>;
  /** Stops it and removes its data folder. */
  stop(): Promise<void>;
}

/** A free loopback port (Prometheus logs the address it was given, not the one it got, so it cannot take port 0). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/**
 * Starts a real Prometheus (built by test/tools/prometheus.mjs) on 127.0.0.1 with a temp data folder, scraping each
 * target (`host:port` serving /metrics) every second as job `job`. Resolves once /-/ready answers; `stop` ends it and
 * removes the data. It runs under a shell that kills it when this process's pipe closes, so a crashed test run leaves
 * no Prometheus behind.
 */
export async function startPrometheus(options: { targets: string[]; job?: string }): Promise<BenchPrometheus> {
  const binary = inject('prometheusBinary') ?? (await ensurePrometheus());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-prometheus-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    `  - job_name: ${JSON.stringify(options.job ?? 'app')}`,
    '    static_configs:',
    `      - targets: ${JSON.stringify(options.targets)}`,
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const logFile = path.join(dir, 'prometheus.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const logFd = openSync(logFile, 'a');
    const child = spawn(
      'sh',
      [
        '-c',
        // Prometheus in the background, killed when stdin (the pipe from this process) closes. A background job's
        // stdin is /dev/null unless redirected explicitly: the pipe is kept on fd 3 for the watcher.
        'exec 3<&0; "$@" </dev/null & p=$!; (cat <&3 >/dev/null; kill $p 2>/dev/null) & wait $p',
        'prometheus',
        binary,
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['pipe', logFd, logFd] },
    );
    closeSync(logFd);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const stop = async () => {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    };
    if (await waitReady(url, child, 60_000)) {
      return {
        url,
        waitForScrape: (query, timeoutMs = 30_000) => waitForScrape(url, query, timeoutMs),
        async stop() {
          await stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await stop();
    // The port was taken between the probe and the start: try another.
    if (attempt < 3 && /address already in use/i.test(readFileSync(logFile, 'utf8'))) continue;
    const log = readFileSync(logFile, 'utf8').slice(-2000);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Prometheus did not become ready at ${url}; its log:\n${log}`);
  }
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function waitForScrape(url: string, query: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
    last = await res.text();
    const body = JSON.parse(last) as { data?: { result?: { value: [number, string] }[] } };
    const value = body.data?.result?.[0]?.value[1];
    if (value !== undefined && value !== 'NaN') return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Prometheus at ${url} had no sample for ${query} after ${timeoutMs / 1000}s: ${last}`);
}

/** A track label value: stable and canary start at 0; any other (a Deployment name) once given a rate. */
type Track = string;
type Code = '200' | '500';

export interface Exporter {
  /** `127.0.0.1:PORT`, a scrape target. */
  target: string;
  /**
   * Requests per second each track serves from now on, by status code: the counters grow at these rates between
   * scrapes, as a real service's would.
   */
  setRates(track: Track, rates: Partial<Record<Code, number>>): void;
  /** The counters now (for assertions). */
  counters(): Record<string, number>;
  close(): Promise<void>;
}

/**
 * A tiny exporter on 127.0.0.1 serving `http_requests_total{track="stable|canary",code="200|500"}` counters, driven by
 * the test through request rates.
 */
export async function startExporter(): Promise<Exporter> {
  const counts = new Map<string, number>();
  const rates = new Map<string, number>();
  let at = Date.now();
  const key = (track: Track, code: Code) => `${track} ${code}`;
  for (const track of ['stable', 'canary'] as const)
    for (const code of ['200', '500'] as const) counts.set(key(track, code), 0);
  const advance = () => {
    const now = Date.now();
    for (const [k, rate] of rates) counts.set(k, (counts.get(k) ?? 0) + (rate * (now - at)) / 1000);
    at = now;
  };
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    advance();
    const lines = ['# HELP http_requests_total Requests served.', '# TYPE http_requests_total counter'];
    for (const [k, v] of counts) {
      const [track, code] = k.split(' ');
      lines.push(`http_requests_total{track="${track}",code="${code}"} ${Math.floor(v)}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    setRates(track, r) {
      advance();
      for (const code of ['200', '500'] as const) rates.set(key(track, code), r[code] ?? 0);
    },
    counters() {
      advance();
      return Object.fromEntries(counts);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
