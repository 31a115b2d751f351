// Bundles src/index.ts (the action) and src/cli-main.ts (the CLI) into dist/, with src/cli.ts, the bin that checks the
// Node.js version before it loads the CLI, and the cluster client's libraries in dist/vendor/. With --check, builds
// into a temporary folder and fails when the committed dist/ differs (CI runs this through `npm test`).
import { build } from 'esbuild';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFile, generateValidator } from './generate-validator.mjs';
import { generateSubActions } from './sub-actions.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

// Large libraries that only the commands talking to a cluster or through a proxy need are bundled once into files of
// their own under dist/vendor/, which the CLI and the action load by the dynamic import() that needs them: `kubeplan
// render` and `--version` never read, compile or evaluate them (nor the Node built-ins they import: http, tls, net...).
// Fixed names, not content-hashed chunks, so a commit that changes a command does not rename files.
const vendorDir = 'vendor';
// undici is CommonJS: its vendor file re-exports by name every `module.exports.X` of its index.js (read, not run: the
// build may run on an older Node.js), and the whole module as `default`. A static import of a name missing here fails
// the build below.
const undiciExports = [
  ...(await readFile(path.join(root, 'node_modules', 'undici', 'index.js'), 'utf8')).matchAll(
    /^module\.exports\.([A-Za-z_$][\w$]*)\s*=/gm,
  ),
]
  .map((m) => m[1])
  .filter((name, i, all) => all.indexOf(name) === i)
  .sort();
for (const name of ['Agent', 'ProxyAgent', 'fetch', 'request']) {
  if (!undiciExports.includes(name)) throw new Error(`undici's index.js no longer assigns module.exports.${name}`);
}
const vendorModules = {
  undici: `import undici from 'undici';\nexport default undici;\nexport const { ${undiciExports.join(', ')} } = undici;\n`,
  // The two client-node modules ClusterClient imports, as one file (they share client-node's own modules).
  'kubernetes-client': [
    "export { KubeConfig } from '@kubernetes/client-node/dist/config.js';",
    "export { HttpMethod, RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';",
    '',
  ].join('\n'),
};
const hoistedUndici = await realpath(path.join(root, 'node_modules', 'undici', 'index.js'));
/** Which vendor file an import resolves to, when it is one of the vendored libraries (the hoisted undici, not a copy). */
function vendorOf(specifier, resolvedPath) {
  if (specifier === 'undici' && resolvedPath === hoistedUndici) return 'undici';
  if (specifier.startsWith('@kubernetes/client-node')) return 'kubernetes-client';
  return undefined;
}

/** Marks the vendored libraries external, as the relative path of their file under dist/vendor/ (from `fromDir`). */
function vendorExternals(fromDir, own) {
  return {
    name: 'vendor-externals',
    setup(b) {
      b.onResolve({ filter: /^(undici|@kubernetes\/client-node)(\/|$)/ }, async (args) => {
        if (args.pluginData?.vendor) return undefined;
        const resolved = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { vendor: true },
        });
        const name = vendorOf(args.path, resolved.path);
        if (!name || name === own) return resolved.errors.length > 0 ? undefined : resolved;
        return { path: `./${path.posix.join(fromDir, `${name}.js`)}`, external: true };
      });
    },
  };
}

// An ES module's `import ... from 'node:x'` is hoisted to the top of the bundle, so every Node built-in any bundled
// module imports was loaded (and its ESM facade built: for node:http that loads Node's own undici) before the first
// line ran. As require() calls they load with the module that needs them, when that module first runs.
const builtinsOnUse = {
  name: 'builtins-on-use',
  setup(b) {
    b.onResolve({ filter: /^[a-z_/:]+$/ }, (args) =>
      args.kind === 'import-statement' && isBuiltin(args.path) && !args.importer.endsWith(path.join('src', 'cli.ts'))
        ? { path: args.path, namespace: 'builtin' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  // Bundled CommonJS dependencies may call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __kubeplanCreateRequire } from 'node:module'; const require = __kubeplanCreateRequire(import.meta.url);",
  },
  legalComments: 'eof',
  sourcemap: false,
  // No comments or indentation: a smaller bundle that is also plain ASCII (a bundled comment's non-ASCII character
  // made Node read the whole source as a two-byte string), so every run reads and compiles less. Names are kept.
  minifyWhitespace: true,
  logLevel: 'warning',
};

async function bundle(outdir) {
  await rm(outdir, { recursive: true, force: true });
  await build({
    ...common,
    entryPoints: { index: 'src/index.ts', cli: 'src/cli.ts', 'cli-main': 'src/cli-main.ts' },
    outdir,
    // One self-contained file per entry, no shared chunks: content-hashed chunk names renamed megabytes of dist/ in
    // every commit. Lazy command imports are still deferred: esbuild turns them into functions run on first use.
    splitting: false,
    define: {
      __KUBEPLAN_VERSION__: JSON.stringify(JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')).version),
    },
    plugins: [vendorExternals(vendorDir), builtinsOnUse],
  });
  for (const [name, contents] of Object.entries(vendorModules)) {
    const outfile = path.join(outdir, vendorDir, `${name}.js`);
    await build({
      ...common,
      stdin: { contents, resolveDir: root, loader: 'js', sourcefile: `${vendorDir}/${name}.js` },
      outfile,
      plugins: [vendorExternals('.', name), builtinsOnUse],
    });
    for (const m of (await readFile(outfile, 'utf8')).matchAll(/import\s*\{([^}]*)\}\s*from\s*"\.\/undici\.js"/g)) {
      for (const imported of m[1].split(',').map((s) => s.trim().split(/\s+as\s+/)[0])) {
        if (imported && !undiciExports.includes(imported)) {
          throw new Error(`${vendorDir}/${name}.js imports ${imported} from undici: add it to undiciExports`);
        }
      }
    }
  }
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
