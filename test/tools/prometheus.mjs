// Builds (once) and caches Prometheus for the canary tests, the way test/bench/build.mjs builds the bench: the module in
// test/tools/prometheus pins the version (go.mod, go.sum), and the binary is cached in
// <repo>/.bench/bin/prometheus-<hash>/ where <hash> covers those files and the build flags. A cold build takes about
// 470 CPU-seconds, four minutes on two idle cores (no web UI assets: the tests use the HTTP API only). Concurrent callers are safe: one
// builds (lock file), the others wait; the finished folder appears by an atomic rename. Dependency-free Node ESM.
//
//   import { ensurePrometheus } from './test/tools/prometheus.mjs';
//   node test/tools/prometheus.mjs      # builds if needed, prints the path

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { acquireBuildLock } from '../bench/build-lock.mjs';

const TOOLS_DIR = path.dirname(fileURLToPath(import.meta.url));
const MODULE_DIR = path.join(TOOLS_DIR, 'prometheus');
const CACHE_ROOT = path.join(TOOLS_DIR, '..', '..', '.bench', 'bin');
const PKG = 'github.com/prometheus/prometheus/cmd/prometheus';
// remove_all_sd leaves out Prometheus' service-discovery plugins (AWS, Azure, GCE, Kubernetes, …): the tests scrape
// static targets, and the plugins' SDKs are more than half of a cold build.
const ARGS = ['build', '-tags', 'remove_all_sd', '-mod=readonly', '-trimpath', '-buildvcs=false', '-ldflags', '-s -w'];

/** sha256 over the module's files and the build flags. */
async function moduleHash() {
  const h = createHash('sha256').update(`${ARGS.join(' ')}\0${PKG}\0`);
  for (const f of (await fs.readdir(MODULE_DIR)).sort())
    h.update(`${f}\0`).update(await fs.readFile(path.join(MODULE_DIR, f)));
  return h.digest('hex').slice(0, 16);
}

/**
 * The path of the Prometheus binary, built from test/tools/prometheus when the cache has none.
 * @param {{ log?: (msg: string) => void }} [options]
 * @returns {Promise<string>}
 */
export async function ensurePrometheus({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const hash = await moduleHash();
  const dir = path.join(CACHE_ROOT, `prometheus-${hash}`);
  const bin = path.join(dir, 'prometheus');
  if (existsSync(bin)) return bin;
  await fs.mkdir(CACHE_ROOT, { recursive: true });
  const lockPath = path.join(CACHE_ROOT, `prometheus-${hash}.lock`);
  if (!(await acquireBuildLock(lockPath, { done: () => existsSync(bin), what: 'Prometheus', log }))) return bin;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    if (existsSync(bin)) return bin;
    await fs.mkdir(tmp, { recursive: true });
    log(
      `building Prometheus from ${path.relative(process.cwd(), MODULE_DIR) || '.'} (a cold build takes about 4 minutes on two idle cores)…`,
    );
    const started = Date.now();
    const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOWORK: 'off', GOFLAGS: '' };
    await new Promise((resolve, reject) =>
      execFile(
        'go',
        [...ARGS, '-o', path.join(tmp, 'prometheus'), PKG],
        { cwd: MODULE_DIR, env, maxBuffer: 16 * 1024 * 1024 },
        (err, _out, stderr) => {
          if (err?.code === 'ENOENT')
            reject(new Error('the canary tests run Prometheus, built with Go; install Go >= 1.26 and retry.'));
          else if (err) reject(new Error(`go build of Prometheus failed in ${MODULE_DIR}:\n${stderr.trim()}`));
          else resolve(undefined);
        },
      ),
    );
    await fs.rename(tmp, dir).catch(async (err) => {
      // Only after a stale-lock takeover can another rename have won.
      if (!existsSync(bin)) throw err;
    });
    log(`built Prometheus in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return bin;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.rm(lockPath, { force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  ensurePrometheus().then(
    (bin) => process.stdout.write(`${bin}\n`),
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
