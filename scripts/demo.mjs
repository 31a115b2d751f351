// `npm run demo`: the main job on the embedded default. Builds (or reuses) the bench apiserver, starts it, puts the
// "previous release" of examples/ in the cluster, prints the plan of the current examples/ as a reviewer sees it (the
// text report here, the pull-request markdown in a file it names), applies it, plans again (no changes), shows the
// edit an image bump would make after a newer image is pushed to the bench registry, and stops the cluster.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { ensureBench } from '../test/bench/build.mjs';
import { pushTags } from '../test/bench/oci-push.mjs';
import { startApiserver, startBenchRegistry } from '../test/bench/servers.mjs';
import { startDemoControllers } from './demo-controllers.mjs';
import { setupTools } from './setup-tools.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = path.join(root, 'examples');
const cli = path.join(root, 'dist', 'cli.js');
const log = (message) => process.stderr.write(`${message}\n`);
const step = (message) => process.stderr.write(`\n\u001b[1m▶ ${message}\u001b[0m\n`);

const tools = await setupTools({ log });
const { apiserver: binary, registry: registryBinary } = await ensureBench({ log });
const work = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-demo-'));
const outDir = path.join(root, 'out');
mkdirSync(outDir, { recursive: true });

step('starting the bench cluster (kube-apiserver v1.35 + etcd)');
const cluster = await startApiserver(binary, { dataDir: path.join(work, 'cluster') });
log(`ready in ${cluster.startupSeconds.toFixed(1)}s at ${cluster.server}`);
const env = {
  ...process.env,
  KUBECONFIG: cluster.adminKubeconfig,
  KUBEPLAN_HELM: path.join(tools, 'helm'),
  KUBEPLAN_KUBECTL: path.join(tools, 'kubectl'),
};

/**
 * The previous release, as a change to today's render: an older shop image, fewer replicas, a ConfigMap key that was
 * since removed, no PodDisruptionBudget yet, and a Service that was since deleted.
 */
function previousRelease(object) {
  if (object.kind === 'PodDisruptionBudget') return undefined;
  const copy = structuredClone(object);
  for (const c of copy.spec?.template?.spec?.containers ?? []) {
    if (c.image === 'ghcr.io/example/shop:2.3.1') c.image = 'ghcr.io/example/shop:2.3.0';
  }
  if (copy.kind === 'Deployment' && copy.metadata.name === 'shop' && copy.metadata.namespace === 'shop')
    copy.spec.replicas = 2;
  if (copy.kind === 'ConfigMap' && copy.metadata.name === 'shop-config' && copy.metadata.namespace === 'shop') {
    copy.data = { ...copy.data, LEGACY_CHECKOUT: 'on' };
  }
  return copy;
}

/** Objects of the previous release that the current one no longer has: the plan deletes them. */
function removedSince(target, namespace) {
  if (target !== 'api-prod') return [];
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'prod-api-legacy', namespace },
      spec: { selector: { 'app.kubernetes.io/name': 'api' }, ports: [{ port: 8080, targetPort: 8000 }] },
    },
  ];
}

try {
  step('applying the previous release of examples/ (server-side apply, field manager kubeplan)');
  const render = run(process.execPath, [cli, 'render', '--out-dir', path.join(work, 'rendered')], {
    cwd: examples,
    env,
  });
  if (render.status !== 0) throw new Error('render failed');
  // The previous release is applied by kubeplan itself, from a repository with the same targets (so the same
  // inventories) holding the edited objects: exactly what a merge of that release would have done.
  const targets = { platform: undefined, 'shop-prod': 'shop', 'shop-staging': 'shop-staging', 'api-prod': 'api' };
  const previousRepo = path.join(work, 'previous');
  const config = ['targets:'];
  let count = 0;
  for (const [target, namespace] of Object.entries(targets)) {
    const objects = loadAll(readFileSync(path.join(work, 'rendered', `${target}.yaml`), 'utf8')).filter(Boolean);
    const previous = [
      ...objects
        .filter((o) => !o.metadata?.annotations?.['helm.sh/hook'])
        .map(previousRelease)
        .filter(Boolean),
      ...removedSince(target, namespace),
    ];
    mkdirSync(path.join(previousRepo, target), { recursive: true });
    writeFileSync(
      path.join(previousRepo, target, 'objects.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: previous }),
    );
    config.push(
      `  - name: ${target}`,
      ...(namespace ? [`    namespace: ${namespace}`] : []),
      `    manifests: ${target}`,
    );
    count += previous.length;
  }
  writeFileSync(path.join(previousRepo, 'kubeplan.yaml'), `${config.join('\n')}\n`);
  const previousApply = run(process.execPath, [cli, 'apply', '--no-wait', '--no-hooks'], { cwd: previousRepo, env });
  if (previousApply.status !== 0) throw new Error('applying the previous release failed');
  log(`${count} objects applied`);

  step('kubeplan diff: the plan of the current examples/ against the cluster');
  const text = run(process.execPath, [cli, 'diff'], { cwd: examples, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const md = run(process.execPath, [cli, 'diff', '-o', 'markdown'], { cwd: examples, env });
  const mdFile = path.join(outDir, 'plan.md');
  writeFileSync(mdFile, md.stdout);
  step(`the pull-request comment body is in ${path.relative(process.cwd(), mdFile)}`);
  if (text.status !== 0) throw new Error(`kubeplan diff exited ${text.status}`);

  step('kubeplan apply: make the cluster match examples/ (staged, hooks, health waits, then prune)');
  // The bench runs no controllers: the demo plays them (rollouts finish, Jobs complete) while apply waits.
  const stopControllers = startDemoControllers({
    server: cluster.server,
    caFile: cluster.caFile,
    token: cluster.adminToken,
  });
  const applied = await runAsync(process.execPath, [cli, 'apply', '--timeout', '2m'], { cwd: examples, env });
  await stopControllers();
  if (applied !== 0) throw new Error(`kubeplan apply exited ${applied}`);

  step('kubeplan diff again: nothing left to do');
  const again = run(process.execPath, [cli, 'diff'], { cwd: examples, env, stdio: ['ignore', 'inherit', 'inherit'] });

  step('kubeplan bump: app CI pushed a newer shop image; the edit a bump pull request would make');
  // The bench registry stands in for ghcr.io (--registry-endpoint); --dry-run prints the edit and writes nothing.
  const registry = await startBenchRegistry(registryBinary, { dir: path.join(work, 'registry') });
  let bumped;
  try {
    const tags = ['2.3.0', '2.3.1', '2.4.0-rc.1', '2.4.0', '3.0.0'];
    await pushTags(registry.url, 'example/shop', tags);
    log(`pushed ghcr.io/example/shop ${tags.join(', ')} to the bench registry at ${registry.url}`);
    bumped = run(
      process.execPath,
      [
        cli,
        'bump',
        '--dry-run',
        '--explain',
        '--image',
        'ghcr.io/example/shop',
        '--registry-endpoint',
        `ghcr.io=${registry.url}`,
      ],
      {
        cwd: examples,
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
  } finally {
    await registry.stop();
  }
  process.exitCode = again.status || bumped.status || 0;
} finally {
  step('stopping the cluster');
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}

/** Like run, without blocking this process (the demo's controllers keep working while the child runs). */
function runAsync(bin, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { ...options, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

function run(bin, args, options) {
  const result = spawnSync(bin, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 28,
    ...options,
  });
  if (result.error) throw result.error;
  return result;
}
