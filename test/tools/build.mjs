// Builds (once) and caches actionlint, which `npm test` runs on .github/workflows. Dependency-free Node ESM, the way
// test/bench/build.mjs builds the bench: the module in test/tools/actionlint pins the version (go.mod, go.sum), and the
// binary is cached in <repo>/.bench/bin/actionlint-<hash>/ where <hash> covers those files and the build flags. A cold
// build takes seconds with Go's build cache, under a minute without it. Concurrent callers each build into their own
// folder; the first rename wins.
//
//   import { ensureActionlint } from './test/tools/build.mjs';
//   node test/tools/build.mjs      # builds if needed, prints the path

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TOOLS_DIR = path.dirname(fileURLToPath(import.meta.url));
const MODULE_DIR = path.join(TOOLS_DIR, 'actionlint');
const CACHE_ROOT = path.join(TOOLS_DIR, '..', '..', '.bench', 'bin');
const PKG = 'github.com/rhysd/actionlint/cmd/actionlint';
const ARGS = ['build', '-mod=readonly', '-trimpath', '-buildvcs=false', '-ldflags', '-s -w'];

/** sha256 over the module's files and the build flags. */
async function moduleHash() {
  const h = createHash('sha256').update(`${ARGS.join(' ')}\0${PKG}\0`);
  for (const f of (await fs.readdir(MODULE_DIR)).sort())
    h.update(`${f}\0`).update(await fs.readFile(path.join(MODULE_DIR, f)));
  return h.digest('hex').slice(0, 16);
}

/**
 * The path of the actionlint binary, built from test/tools/actionlint when the cache has none.
 * @param {{ log?: (msg: string) => void }} [options]
 * @returns {Promise<string>}
 */
export async function ensureActionlint({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const dir = path.join(CACHE_ROOT, `actionlint-${await moduleHash()}`);
  const bin = path.join(dir, 'actionlint');
  if (existsSync(bin)) return bin;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(tmp, { recursive: true });
  try {
    log(`building actionlint from ${path.relative(process.cwd(), MODULE_DIR) || '.'}…`);
    const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOWORK: 'off', GOFLAGS: '' };
    await new Promise((resolve, reject) =>
      execFile(
        'go',
        [...ARGS, '-o', path.join(tmp, 'actionlint'), PKG],
        { cwd: MODULE_DIR, env },
        (err, _out, stderr) => {
          if (err?.code === 'ENOENT')
            reject(
              new Error('npm test lints the workflows with actionlint, built with Go; install Go >= 1.25 and retry.'),
            );
          else if (err) reject(new Error(`go build of actionlint failed in ${MODULE_DIR}:\n${stderr.trim()}`));
          else resolve(undefined);
        },
      ),
    );
    await fs.rename(tmp, dir).catch(async (err) => {
      // Another caller's rename won.
      if (!existsSync(bin)) throw err;
    });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  return bin;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  ensureActionlint().then(
    (bin) => process.stdout.write(`${bin}\n`),
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
