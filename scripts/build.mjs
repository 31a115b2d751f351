// Bundles src/index.ts (the action) and src/cli-main.ts (the CLI) into dist/, with src/cli.ts, the bin that checks the
// Node.js version before it loads the CLI. With --check, builds into a temporary folder and fails when the committed
// dist/ differs (CI runs this through `npm test`).
import { build } from 'esbuild';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFile, generateValidator } from './generate-validator.mjs';
import { generateSubActions } from './sub-actions.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

async function bundle(outdir) {
  await rm(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { index: 'src/index.ts', cli: 'src/cli.ts', 'cli-main': 'src/cli-main.ts' },
    outdir,
    bundle: true,
    // One self-contained file per entry, no shared chunks: content-hashed chunk names renamed megabytes of dist/ in
    // every commit. Lazy command imports are still deferred: esbuild turns them into functions run on first use.
    splitting: false,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    // Bundled CommonJS dependencies may call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);",
    },
    legalComments: 'eof',
    define: {
      __KUBEPLAN_VERSION__: JSON.stringify(JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')).version),
    },
    sourcemap: false,
    // No comments or indentation: a smaller bundle that is also plain ASCII (a bundled comment's non-ASCII character
    // made Node read the whole source as a two-byte string), so every run reads and compiles less. Names are kept.
    minifyWhitespace: true,
    logLevel: 'warning',
  });
}

async function listFiles(dir) {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
      .sort();
  } catch {
    return [];
  }
}

const validator = await generateValidator();
if ((await readFile(generatedFile, 'utf8').catch(() => '')) !== validator) {
  if (check) {
    console.error(`${path.relative(root, generatedFile)} is stale: run \`npm run build\` and commit it`);
    process.exit(1);
  }
  await writeFile(generatedFile, validator);
}

// The per-command actions are committed next to action.yml; they follow it.
const problems = [];
for (const [file, text] of Object.entries(await generateSubActions(root))) {
  if ((await readFile(path.join(root, file), 'utf8').catch(() => '')) === text) continue;
  if (check) problems.push(file);
  else {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
}
if (problems.length > 0) {
  console.error(`${problems.join(', ')} stale: run \`npm run build\` and commit them`);
  process.exit(1);
}

if (!check) {
  await bundle(path.join(root, 'dist'));
  console.log(`built dist/: ${(await listFiles(path.join(root, 'dist'))).join(', ')}`);
} else {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kubeplan-dist-'));
  try {
    await bundle(tmp);
    const fresh = await listFiles(tmp);
    const committed = await listFiles(path.join(root, 'dist'));
    const problems = [];
    for (const f of new Set([...fresh, ...committed])) {
      if (!fresh.includes(f)) problems.push(`dist/${f} is not produced by the build any more`);
      else if (!committed.includes(f)) problems.push(`dist/${f} is missing`);
      else if (!(await readFile(path.join(tmp, f))).equals(await readFile(path.join(root, 'dist', f))))
        problems.push(`dist/${f} is stale`);
    }
    if (problems.length > 0) {
      console.error(
        `dist/ does not match the sources:\n  ${problems.join('\n  ')}\nrun \`npm run build\` and commit dist/`,
      );
      process.exitCode = 1;
    } else {
      console.log(`dist/ is up to date (${fresh.length} files)`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
