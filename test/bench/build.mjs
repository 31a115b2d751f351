// Builds (once) and caches the Go test-bench binaries: kube-apiserver (+ embedded
// etcd) and the Distribution registry. Dependency-free Node ESM (Node >= 20).
//
//   import { ensureBench } from './test/bench/build.mjs';
//   const { apiserver, registry } = await ensureBench({ log: console.error });
//
//   node test/bench/build.mjs      # builds if needed, prints the paths as JSON
//
// Binaries are cached in <repo>/.bench/bin/<hash>/ where <hash> covers every
// go.mod, go.sum and .go file under test/bench plus the build flags below.
// Concurrent callers are safe: one builds (lock file), the others wait; the
// finished directory appears via an atomic rename.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { acquireBuildLock } from './build-lock.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '..', '..');
const CACHE_ROOT = path.join(REPO_ROOT, '.bench', 'bin');
const EXE = process.platform === 'win32' ? '.exe' : '';

const K8S_VERSION = 'v1.35.4';
const LDFLAGS = [
  '-s',
  '-w',
  ...['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${K8S_VERSION}`,
    `-X ${pkg}.gitMajor=1`,
    `-X ${pkg}.gitMinor=35`,
    `-X ${pkg}.gitTreeState=clean`,
  ]),
].join(' ');

// Each binary: module directory (relative to test/bench) and package to build.
const TARGETS = [
  {
    key: 'apiserver',
    name: 'kube-apiserver',
    moduleDir: '.',
    pkg: './cmd/kube-apiserver',
    ldflags: LDFLAGS,
    note: 'cold build takes several minutes',
  },
  {
    key: 'registry',
    name: 'registry',
    moduleDir: 'cmd/registry',
    pkg: '.',
    ldflags: '-s -w',
    note: 'cold build takes a minute or two',
  },
];

function defaultLog(msg) {
  process.stderr.write(`${msg}\n`);
}

async function listSourceFiles(dir, rel = '') {
  const out = [];
  const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name.startsWith('.') || e.name === 'node_modules' || e.name === 'testdata') continue;
      out.push(...(await listSourceFiles(dir, r)));
    } else if (e.isFile() && (e.name === 'go.mod' || e.name === 'go.sum' || e.name.endsWith('.go'))) {
      out.push(r);
    }
  }
  return out;
}

/** sha256 over the sorted go.mod/go.sum/.go files under test/bench and the build flags. */
export async function benchHash() {
  const files = (await listSourceFiles(BENCH_DIR)).sort();
  const h = createHash('sha256');
  h.update(`flags\0${LDFLAGS}\0`);
  for (const f of files) {
    h.update(`${f}\0`);
    h.update(await fs.readFile(path.join(BENCH_DIR, f)));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 20);
}

function run(cmd, args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      reject(err);
      return;
    }
    let output = '';
    const onData = (buf) => {
      output += buf;
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(output);
      else {
        const err = new Error(
          `${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}) in ${cwd}:\n${output.trim()}`,
        );
        err.output = output;
        reject(err);
      }
    });
  });
}

async function checkGo(env) {
  let out;
  try {
    out = await run('go', ['env', 'GOVERSION'], { cwd: BENCH_DIR, env });
  } catch (err) {
    if (err.code === 'ENOENT') {
      throw new Error(
        'The test bench needs the Go toolchain to build kube-apiserver and the registry, but `go` was not found on PATH. ' +
          'Install Go >= 1.26 (the registry module needs go 1.26; kube-apiserver needs >= 1.25) from https://go.dev/dl/ and retry.',
      );
    }
    throw err;
  }
  const version = out.trim();
  const m = /^go(\d+)\.(\d+)/.exec(version);
  if (m && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 26))) {
    throw new Error(
      `The test bench needs Go >= 1.26 (found ${version}; kube-apiserver needs >= 1.25, the Distribution registry module needs 1.26).`,
    );
  }
  return version;
}

async function isComplete(dir) {
  return TARGETS.every((t) => existsSync(path.join(dir, t.name + EXE)));
}

function resultFor(dir) {
  return Object.fromEntries(TARGETS.map((t) => [t.key, path.join(dir, t.name + EXE)]));
}

/**
 * Ensures the test-bench binaries are built and returns their absolute paths.
 * @param {{ log?: (msg: string) => void }} [options]
 * @returns {Promise<{ apiserver: string, registry: string }>}
 */
export async function ensureBench({ log = defaultLog } = {}) {
  const hash = await benchHash();
  const finalDir = path.join(CACHE_ROOT, hash);
  if (await isComplete(finalDir)) return resultFor(finalDir);

  await fs.mkdir(CACHE_ROOT, { recursive: true });
  const lockPath = path.join(CACHE_ROOT, `${hash}.lock`);
  const mine = await acquireBuildLock(lockPath, {
    done: () => isComplete(finalDir),
    what: 'the test bench binaries',
    log,
  });
  if (!mine) return resultFor(finalDir);
  try {
    if (await isComplete(finalDir)) return resultFor(finalDir);

    const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOWORK: 'off' };
    const goVersion = await checkGo(env);
    const tmpDir = path.join(CACHE_ROOT, `.tmp-${hash}-${process.pid}-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(tmpDir, { recursive: true });
    try {
      for (const t of TARGETS) {
        log(`building ${t.name} with ${goVersion} (${t.note})…`);
        const started = Date.now();
        const out = path.join(tmpDir, t.name + EXE);
        await run(
          'go',
          ['build', '-mod=readonly', '-trimpath', '-buildvcs=false', '-ldflags', t.ldflags, '-o', out, t.pkg],
          { cwd: path.join(BENCH_DIR, t.moduleDir), env },
        );
        log(`built ${t.name} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      }
      try {
        await fs.rename(tmpDir, finalDir);
      } catch (err) {
        // Someone else's rename won (only possible after a stale-lock takeover).
        if (!['EEXIST', 'ENOTEMPTY', 'EPERM'].includes(err.code) || !(await isComplete(finalDir))) throw err;
      }
    } finally {
      await fs.rm(tmpDir, { recursive: true, force: true });
    }
    log(`test bench binaries ready in ${finalDir}`);
    return resultFor(finalDir);
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  ensureBench().then(
    (paths) => {
      process.stdout.write(`${JSON.stringify(paths, null, 2)}\n`);
    },
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
