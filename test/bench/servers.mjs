// Starts the bench servers as child processes. Shared by the test harness (vitest global set-up, test files) and by
// `npm run cluster`, so both run the apiserver the same way. Plain ESM so scripts can use it without a build.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Starts a bench binary with stdin held open (it exits when stdin closes, so a crashed test run leaves nothing
 * behind), logs stderr to a file, and resolves once a stdout line matches `ready`.
 */
export function startServerProcess(bin, args, { ready, logFile, timeoutMs, name }) {
  return new Promise((resolve, reject) => {
    // stderr goes straight to the log file, not through this process: a caller that blocks its event loop (spawnSync)
    // must never stall a chatty server on a full pipe.
    const logFd = openSync(logFile, 'a');
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', logFd] });
    closeSync(logFd);
    let buffered = '';
    let settled = false;
    const exited = new Promise((r) => child.once('exit', () => r()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      child.stdin?.destroy();
    };
    const fail = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`${name} was not ready after ${timeoutMs / 1000}s; its log: ${logFile}`)),
      timeoutMs,
    );
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffered += chunk;
      const match = buffered.match(ready);
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, match, stop });
      }
    });
    child.once('exit', (code, signal) =>
      fail(new Error(`${name} exited (${signal ?? code}) before it was ready; its log: ${logFile}`)),
    );
    child.once('error', fail);
  });
}

/**
 * Starts the bench kube-apiserver (v1.35 with embedded etcd) on a free loopback port and waits for /readyz. No
 * controllers or kubelet run: tests that need status write it themselves through the status subresource.
 */
export async function startApiserver(
  binary,
  { dataDir, extraFlags = [], timeoutMs = 60_000, keepData = false, logFile } = {},
) {
  const dir = dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'kubeplan-apiserver-'));
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const proc = await startServerProcess(
    binary,
    ['--data-dir', dir, '--exit-on-stdin-eof', ...(extraFlags.length ? ['--', ...extraFlags] : [])],
    {
      ready: /kube-apiserver ready on (\S+)/,
      logFile: logFile ?? path.join(dir, 'apiserver.log'),
      timeoutMs,
      name: 'kube-apiserver',
    },
  );
  const info = JSON.parse(readFileSync(path.join(dir, 'info.json'), 'utf8'));
  return {
    server: info.server,
    caFile: info.caFile,
    adminToken: info.adminToken,
    limitedToken: info.limitedToken,
    adminKubeconfig: info.adminKubeconfig,
    limitedKubeconfig: info.limitedKubeconfig,
    dataDir: dir,
    startupSeconds: (Date.now() - started) / 1000,
    pid: proc.child.pid,
    async stop() {
      await proc.stop();
      if (!keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the bench registry (CNCF Distribution v3) on a free loopback port, storage in `dir`: anonymous by default;
 * the test harness (test/harness/registry.ts) passes the htpasswd and token modes with their flags.
 */
export async function startBenchRegistry(binary, { dir, auth = 'anonymous', authArgs = [] }) {
  mkdirSync(dir, { recursive: true });
  const proc = await startServerProcess(
    binary,
    ['--storage', path.join(dir, 'storage'), '--port', '0', '--auth', auth, ...authArgs, '--exit-on-stdin-eof'],
    {
      ready: /registry listening on (http\S+)/,
      logFile: path.join(dir, 'registry.log'),
      timeoutMs: 30_000,
      name: 'registry',
    },
  );
  const url = proc.match[1];
  return { url, host: new URL(url).host, stop: proc.stop };
}
