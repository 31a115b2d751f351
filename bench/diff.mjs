// `npm run bench` (diff part): on the bench apiserver, a bundle of Deployments, Services, ConfigMaps and Secrets across
// 10 namespaces is applied, 6 % of it is changed, and the plan is timed: kubeplan diff against kubectl diff
// --server-side (serial, its default), kubectl diff --concurrency 16, and a bare loop that sends one server-side
// dry-run per object at concurrency 16 and does nothing else. Same apiserver, same run; medians of BENCH_RUNS.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { ensureBench } from '../test/bench/build.mjs';
import { startApiserver } from '../test/bench/servers.mjs';
import { setupTools } from '../scripts/setup-tools.mjs';
import { chooseChanges, NAMESPACES, workload } from './workload.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const sizes = (process.env.BENCH_DIFF_SIZES ?? '1000,10000').split(',').map(Number);
const log = (m) => process.stderr.write(`${m}\n`);
const tools = await setupTools({ log });
const kubectlBin = path.join(tools, 'kubectl');
const { apiserver: binary } = await ensureBench({ log });
const cli = path.join(root, 'dist', 'cli.js');

const TARGET = 'bench';
const parentId = `applyset-${createHash('sha256')
  .update([`kubeplan-${TARGET}`, 'default', 'ConfigMap', ''].join('.'))
  .digest('base64url')}-v1`;
const label = { 'applyset.kubernetes.io/part-of': parentId };

/** `count` objects, a quarter of each kind, spread over 10 namespaces; `changed` marks which ones get edited. */
const bundle = (count, changed) =>
  workload({ perKind: Math.floor(count / 4), prefix: 'bench', labels: label, changed });

// 6 % of the objects, spread over the four kinds.
const changesOf = (count) => chooseChanges(Math.floor(count / 4), Math.round((count * 0.06) / 4));

function time(fn) {
  const started = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

async function timeAsync(fn) {
  const started = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function kubectl(args, kubeconfig, input) {
  return spawnSync(kubectlBin, ['--kubeconfig', kubeconfig, ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, KUBECTL_EXTERNAL_DIFF: '' },
  });
}

/** Objects kubectl diff reports: its diff headers name `group.version.Kind.namespace.name`. */
function kubectlChanged(stdout) {
  const names = new Set();
  for (const m of stdout.matchAll(/^diff -u -N \S+\/LIVE-\d+\/(\S+) /gm)) {
    const parts = m[1].split('.');
    const [ns, name] = parts.slice(-2);
    const kind = parts.at(-3);
    names.add(`${kind}/${ns}/${name}`);
  }
  return names;
}

const results = [];
for (const size of sizes) {
  log(`\n== ${size} objects ==`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-bench-diff-'));
  const cluster = await startApiserver(binary, { dataDir: path.join(work, 'cluster') });
  try {
    const changed = changesOf(size);
    const base = bundle(size, new Set());
    const head = bundle(size, changed);
    const namespaces = Array.from({ length: NAMESPACES }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: `bench-${i}` },
    }));
    const toStream = (objects) => objects.map((o) => JSON.stringify(o)).join('\n');
    log('applying the bundle with kubectl…');
    const applied = time(() =>
      kubectl(
        ['apply', '--server-side', '--field-manager=kubeplan', '-f', '-'],
        cluster.adminKubeconfig,
        toStream([...namespaces, ...base]),
      ),
    );
    if (applied.result.status !== 0) throw new Error(applied.result.stderr);
    log(`applied in ${(applied.ms / 1000).toFixed(1)}s`);
    // The config repository with the changed bundle, one file per namespace.
    const repo = path.join(work, 'repo');
    mkdirSync(path.join(repo, 'manifests'), { recursive: true });
    mkdirSync(path.join(repo, '.git'));
    for (let i = 0; i < NAMESPACES; i++) {
      const items = head.filter((o) => o.metadata.namespace === `bench-${i}`);
      writeFileSync(
        path.join(repo, 'manifests', `ns-${i}.json`),
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
      );
    }
    writeFileSync(path.join(repo, 'kubeplan.yaml'), `targets:\n  - name: ${TARGET}\n    manifests: manifests\n`);
    const expected = new Set(
      [...changed].map((c) => {
        const [kind, i] = c.split('/');
        return `${kind}/bench-${Number(i) % NAMESPACES}/app-${i}`;
      }),
    );

    const measure = async (name, fn, check) => {
      const times = [];
      let reported;
      for (let r = 0; r < runs; r++) {
        const t = await timeAsync(fn);
        times.push(t.ms);
        reported = t.result;
      }
      const same = check ? check(reported) : undefined;
      const ms = median(times);
      log(
        `${name}: ${(ms / 1000).toFixed(2)} s${same === undefined ? '' : same ? ' (same changed objects)' : ' (DIFFERENT changed objects)'}`,
      );
      return { name, ms, same };
    };
    const sameAs = (set) => set.size === expected.size && [...expected].every((e) => set.has(e));
    const kubectlDiff = (extra) => () =>
      kubectl(
        [
          'diff',
          '--server-side',
          '--field-manager=kubeplan',
          '--force-conflicts',
          ...extra,
          '-f',
          path.join(repo, 'manifests'),
        ],
        cluster.adminKubeconfig,
      );

    const row = { size, changed: expected.size };
    const doSerial = size <= 2000 || process.env.BENCH_KUBECTL_ALL === '1';
    row.kubectl = doSerial
      ? await measure('kubectl diff --server-side', kubectlDiff([]), (r) => sameAs(kubectlChanged(r.stdout)))
      : undefined;
    row.kubectl16 = await measure(
      'kubectl diff --server-side --concurrency 16',
      kubectlDiff(['--concurrency', '16']),
      (r) => sameAs(kubectlChanged(r.stdout)),
    );
    row.loop = await measure('bare dry-run loop (concurrency 16)', () => dryRunLoop(cluster, head, 16));
    row.kubeplan = await measure(
      'kubeplan diff',
      () =>
        spawnSync(
          process.execPath,
          [cli, 'diff', '--mode', 'server', '-o', 'json', '--kubeconfig', cluster.adminKubeconfig],
          { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 30 },
        ),
      (r) => {
        if (r.status !== 0 || !r.stdout) throw new Error(`kubeplan diff failed (${r.status}): ${r.stderr}`);
        const report = JSON.parse(r.stdout);
        const set = new Set(report.targets.flatMap((t) => t.changes.map((c) => `${c.kind}/${c.namespace}/${c.name}`)));
        row.stats = report.stats;
        return sameAs(set);
      },
    );
    results.push(row);
  } finally {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** One server-side apply dry-run per object, 16 in flight, over keep-alive connections; nothing else. */
async function dryRunLoop(cluster, objects, concurrency) {
  const dispatcher = new Agent({ connect: { ca: readFileSync(cluster.caFile) }, connections: concurrency });
  const plural = { Deployment: 'deployments', Service: 'services', ConfigMap: 'configmaps', Secret: 'secrets' };
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const o = objects[next++];
      const base = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
      const url = `${cluster.server}${base}/namespaces/${o.metadata.namespace}/${plural[o.kind]}/${o.metadata.name}?fieldManager=kubeplan&force=true&dryRun=All`;
      const res = await request(url, {
        method: 'PATCH',
        dispatcher,
        headers: { authorization: `Bearer ${cluster.adminToken}`, 'content-type': 'application/apply-patch+yaml' },
        body: JSON.stringify(o),
      });
      await res.body.text();
      if (res.statusCode >= 300) throw new Error(`dry-run ${o.kind}: ${res.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await dispatcher.close();
}

const fmt = (r) => (r ? `${(r.ms / 1000).toFixed(2)} s` : 'not run');
const ratio = (a, b) => (a && b ? `${(a.ms / b.ms).toFixed(1)}× faster` : '–');
console.log(
  `\nkubeplan diff against the anchors, ${runs} runs each (median), ${os.cpus().length} cores, node ${process.version}\n`,
);
console.log(
  '| objects (changed) | kubectl diff | kubectl diff --concurrency 16 | bare dry-run loop | kubeplan diff | kubeplan vs kubectl | vs kubectl -c16 | vs loop | kubeplan requests |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.size} (${r.changed}) | ${fmt(r.kubectl)} | ${fmt(r.kubectl16)} | ${fmt(r.loop)} | ${fmt(r.kubeplan)} | ${ratio(r.kubectl, r.kubeplan)} | ${ratio(r.kubectl16, r.kubeplan)} | ${ratio(r.loop, r.kubeplan)} | ${r.stats ? `${r.stats.lists} lists, ${r.stats.dryRuns} dry-runs, ${r.stats.fastPath} fast-path` : ''} |`,
  );
}
