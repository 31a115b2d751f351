// `npm run bench` (apply part): on the bench apiserver, a bundle of 10 Namespaces and Deployments, Services,
// ConfigMaps and Secrets (a quarter each) is applied into empty namespaces, then applied again with 6 % of it changed.
// Timed: kubeplan apply --no-wait against kubectl apply --server-side, a bare write loop (one server-side apply PATCH
// per object, 16 in flight, in its own Node process) and, for the re-apply, a floor that LISTs once per kind and
// namespace, checks locally which objects already hold every field, and writes only the others. Every contestant
// starts from the same state: its own fresh namespaces in each run, and the objects of the contestant before it
// deleted. After each apply the cluster is read back object by object, so a fast wrong answer cannot win. Medians of BENCH_RUNS; sizes from BENCH_APPLY_SIZES (default 1000;
// BENCH_APPLY_SIZES=1000,10000 for the large run).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { ensureBench } from '../test/bench/build.mjs';
import { startApiserver } from '../test/bench/servers.mjs';
import { setupTools } from '../scripts/setup-tools.mjs';
import { chooseChanges, KINDS, NAMESPACES, workload } from './workload.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const sizes = (process.env.BENCH_APPLY_SIZES ?? '1000').split(',').map(Number);
const log = (m) => process.stderr.write(`${m}\n`);
const tools = await setupTools({ log });
const kubectlBin = path.join(tools, 'kubectl');
const { apiserver: binary } = await ensureBench({ log });
const cli = path.join(root, 'dist', 'cli.js');
const loopScript = path.join(root, 'bench', 'apply-loop.mjs');
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const PLURAL = { Deployment: 'deployments', Service: 'services', ConfigMap: 'configmaps', Secret: 'secrets' };

/**
 * `count` objects: 10 Namespaces named `<prefix>-<n>` and the rest a quarter of each kind spread over them;
 * `changed` marks which ones get edited (the diff benchmark's workload, without its ApplySet label: each tool adds its
 * own).
 */
function bundle(count, prefix, changed) {
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: `${prefix}-${i}` },
  }));
  return [...namespaces, ...workload({ perKind: Math.floor((count - NAMESPACES) / 4), prefix, changed })];
}

// 6 % of the objects that are not Namespaces, spread over the four kinds.
function changesOf(count) {
  const perKind = Math.floor((count - NAMESPACES) / 4);
  return chooseChanges(perKind, Math.round((perKind * 4 * 0.06) / 4));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs a command; wall time, and the peak RSS of the process (GNU time, else polling VmHWM in /proc). */
function run(cmd, args, { cwd, env, rss = false } = {}) {
  const timed = rss && gnuTime;
  const [file, argv] = timed ? [gnuTime, ['-f', 'BENCH_MAXRSS_KB %M BENCH_CPU_S %U %S', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hwm = 0;
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const poll =
      rss && !gnuTime
        ? setInterval(() => {
            try {
              const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
              if (m) hwm = Math.max(hwm, Number(m[1]));
            } catch {}
          }, 10)
        : undefined;
    child.on('error', reject);
    child.on('close', (status) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (poll) clearInterval(poll);
      const m = /BENCH_MAXRSS_KB (\d+)/.exec(stderr);
      const rssKb = m ? Number(m[1]) : hwm || undefined;
      // CPU seconds (user + system) of the process: less disturbed than wall time on a shared machine.
      const cpu = /BENCH_CPU_S ([\d.]+) ([\d.]+)/.exec(stderr);
      const cpuMs = cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined;
      if (status !== 0)
        reject(
          new Error(`${path.basename(cmd)} ${args.slice(0, 2).join(' ')} failed (${status}): ${stderr.slice(-2000)}`),
        );
      else resolve({ ms, stdout, stderr, rssKb, cpuMs });
    });
  });
}

/** Reads the cluster back: every object of the bundle must hold every field of it, and nothing else is there. */
async function checkState(cluster, objects) {
  const dispatcher = new Agent({ connect: { ca: readFileSync(cluster.caFile) }, connections: 8 });
  const headers = { authorization: `Bearer ${cluster.adminToken}` };
  const get = async (url) => {
    const res = await request(`${cluster.server}${url}`, { dispatcher, headers });
    const body = await res.body.json();
    if (res.statusCode >= 300) throw new Error(`GET ${url}: ${res.statusCode}`);
    return body;
  };
  const problems = [];
  try {
    const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
    for (const ns of namespaces) {
      await get(`/api/v1/namespaces/${ns}`);
      for (const kind of KINDS) {
        const base = kind === 'Deployment' ? '/apis/apps/v1' : '/api/v1';
        const live = new Map(
          (await get(`${base}/namespaces/${ns}/${PLURAL[kind]}`)).items.map((o) => [o.metadata.name, o]),
        );
        const want = objects.filter((o) => o.kind === kind && o.metadata.namespace === ns);
        for (const o of want) {
          if (!holds(fields(o), live.get(o.metadata.name))) problems.push(`${kind} ${ns}/${o.metadata.name} differs`);
          live.delete(o.metadata.name);
        }
        for (const name of live.keys()) problems.push(`${kind} ${ns}/${name} should not exist`);
      }
    }
  } finally {
    await dispatcher.close();
  }
  if (problems.length) throw new Error(`wrong end state (${problems.length}): ${problems.slice(0, 5).join('; ')}`);
}

/** An object without apiVersion and kind, which the items of a LIST do not carry. */
const fields = ({ apiVersion, kind, ...rest }) => rest;

function holds(desired, live) {
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => holds(d, live[i]));
  }
  if (desired && typeof desired === 'object') {
    return !!live && typeof live === 'object' && Object.entries(desired).every(([k, v]) => holds(v, live[k]));
  }
  return desired === live;
}

/**
 * Deletes what a contestant wrote (every object of the bundle's kinds in its namespaces, one DELETE collection per
 * kind and namespace), so the apiserver holds the same amount for every contestant after it. The Namespaces stay:
 * without a namespace controller their deletion would never finish.
 */
async function cleanUp(cluster, objects) {
  const dispatcher = new Agent({ connect: { ca: readFileSync(cluster.caFile) }, connections: 8 });
  const headers = { authorization: `Bearer ${cluster.adminToken}` };
  try {
    const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
    const urls = namespaces.flatMap((ns) =>
      KINDS.map((kind) => `${kind === 'Deployment' ? '/apis/apps/v1' : '/api/v1'}/namespaces/${ns}/${PLURAL[kind]}`),
    );
    await Promise.all(
      urls.map(async (url) => {
        const res = await request(`${cluster.server}${url}`, { method: 'DELETE', dispatcher, headers });
        await res.body.text();
        if (res.statusCode >= 300) throw new Error(`DELETE ${url}: ${res.statusCode}`);
      }),
    );
  } finally {
    await dispatcher.close();
  }
}

/** A config repository with one target whose manifests are `objects`, one file per namespace. */
function writeRepo(dir, target, objects) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'manifests'), { recursive: true });
  mkdirSync(path.join(dir, '.git'));
  const groups = Map.groupBy(objects, (o) => o.metadata.namespace ?? '_namespaces');
  for (const [ns, items] of groups) {
    writeFileSync(path.join(dir, 'manifests', `${ns}.json`), JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  }
  writeFileSync(path.join(dir, 'kubeplan.yaml'), `targets:\n  - name: ${target}\n    manifests: manifests\n`);
}

const results = [];
for (const size of sizes) {
  log(`\n== ${size} objects ==`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-bench-apply-'));
  const cluster = await startApiserver(binary, { dataDir: path.join(work, 'cluster') });
  try {
    const changed = changesOf(size);
    const total = bundle(size, 'x', new Set()).length;
    const doKubectl = size <= 2000 || process.env.BENCH_KUBECTL_ALL === '1';

    /** The contestants: each applies `objects` (a whole bundle in its own namespaces) in `dir`. */
    const contestants = [
      ...(doKubectl
        ? [
            {
              key: 'kubectl',
              apply: (dir, target, objects) => {
                writeRepo(dir, target, objects);
                return run(kubectlBin, [
                  '--kubeconfig',
                  cluster.adminKubeconfig,
                  'apply',
                  '--server-side',
                  '--field-manager=kubeplan',
                  '-f',
                  path.join(dir, 'manifests'),
                ]);
              },
            },
          ]
        : []),
      { key: 'loop', apply: (dir, _target, objects) => bareLoop('write', dir, objects) },
      { key: 'floor', apply: (dir, _target, objects) => bareLoop('floor', dir, objects) },
      {
        key: 'kubeplan',
        apply: async (dir, target, objects) => {
          writeRepo(dir, target, objects);
          const r = await run(
            process.execPath,
            [cli, 'apply', '--no-wait', '-o', 'json', '--kubeconfig', cluster.adminKubeconfig],
            { cwd: dir, rss: true },
          );
          const t = JSON.parse(r.stdout).targets[0];
          r.stats = { created: t.created, updated: t.updated, unchanged: t.unchanged, stages: t.stages };
          return r;
        },
      },
    ];
    const bareLoop = (mode, dir, objects) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'objects.json'), JSON.stringify(objects));
      const job = {
        server: cluster.server,
        caFile: cluster.caFile,
        token: cluster.adminToken,
        objectsFile: path.join(dir, 'objects.json'),
        fieldManager: 'kubeplan',
        concurrency: 16,
      };
      writeFileSync(path.join(dir, 'job.json'), JSON.stringify(job));
      return run(process.execPath, [loopScript, mode, path.join(dir, 'job.json')]).then((r) => ({
        ...r,
        stats: JSON.parse(r.stdout),
      }));
    };

    const times = Object.fromEntries(
      contestants.map((c) => [c.key, { first: [], again: [], cpuFirst: [], cpuAgain: [], stats: {} }]),
    );
    for (let r = 1; r <= runs; r++) {
      for (const c of contestants) {
        // Fresh namespaces and a target of their own for every contestant and run: the same starting state for all.
        const prefix = `${c.key}-r${r}`;
        const dir = path.join(work, prefix);
        const base = bundle(size, prefix, new Set());
        const head = bundle(size, prefix, changed);
        const first = await c.apply(dir, prefix, base);
        await checkState(cluster, base);
        const again = await c.apply(dir, prefix, head);
        await checkState(cluster, head);
        await cleanUp(cluster, head);
        const t = times[c.key];
        t.first.push(first.ms);
        t.again.push(again.ms);
        if (first.cpuMs !== undefined) t.cpuFirst.push(first.cpuMs);
        if (again.cpuMs !== undefined) t.cpuAgain.push(again.cpuMs);
        t.stats = { first: first.stats, again: again.stats };
        t.rssFirst = Math.max(t.rssFirst ?? 0, first.rssKb ?? 0);
        t.rssAgain = Math.max(t.rssAgain ?? 0, again.rssKb ?? 0);
        log(
          `run ${r} ${c.key}: first apply ${(first.ms / 1000).toFixed(2)} s, re-apply ${(again.ms / 1000).toFixed(2)} s${first.rssKb ? `, peak RSS ${Math.round(first.rssKb / 1024)} / ${Math.round(again.rssKb / 1024)} MiB` : ''}${first.cpuMs !== undefined ? `, CPU ${(first.cpuMs / 1000).toFixed(2)} / ${(again.cpuMs / 1000).toFixed(2)} s` : ''} (end state checked)${again.stats?.stages ? `\n  kubeplan re-apply stages: ${again.stats.stages.map((st) => `${st.name} ${Math.round(st.ms)} ms`).join(', ')}` : ''}`,
        );
      }
    }
    const row = { size, total, changed: changed.size };
    for (const c of contestants) {
      const t = times[c.key];
      row[c.key] = {
        first: median(t.first),
        again: median(t.again),
        rssFirst: t.rssFirst,
        rssAgain: t.rssAgain,
        cpuFirst: t.cpuFirst.length ? median(t.cpuFirst) : undefined,
        cpuAgain: t.cpuAgain.length ? median(t.cpuAgain) : undefined,
        stats: t.stats,
      };
    }
    results.push(row);
  } finally {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

const s = (ms) => (ms === undefined ? 'not run' : `${(ms / 1000).toFixed(2)} s`);
const ratio = (anchor, kp) => (anchor !== undefined && kp !== undefined ? `${(anchor / kp).toFixed(1)}×` : '–');
const writes = (st) => `${st.created} created + ${st.updated} updated (${st.unchanged} unchanged)`;
const mib = (kb) => (kb ? `${Math.round(kb / 1024)} MiB` : '–');
console.log(
  `\nkubeplan apply --no-wait against the anchors, ${runs} runs each (median), ${os.cpus().length} cores, node ${process.version}\n`,
);
console.log(
  '| objects | scenario | kubectl apply --server-side | bare write loop (16) | list-and-write floor | kubeplan apply | kubectl ÷ kubeplan | loop ÷ kubeplan | floor ÷ kubeplan | kubeplan CPU (user+sys) | kubeplan peak RSS |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  for (const [scenario, key, rss, cpu] of [
    ['first apply, empty namespaces', 'first', 'rssFirst', 'cpuFirst'],
    [`re-apply, ${r.changed} changed (6 %)`, 'again', 'rssAgain', 'cpuAgain'],
  ]) {
    console.log(
      `| ${r.total} | ${scenario} | ${s(r.kubectl?.[key])} | ${s(r.loop[key])} | ${s(r.floor[key])} | ${s(r.kubeplan[key])} | ${ratio(r.kubectl?.[key], r.kubeplan[key])} | ${ratio(r.loop[key], r.kubeplan[key])} | ${ratio(r.floor[key], r.kubeplan[key])} | ${s(r.kubeplan[cpu])} | ${mib(r.kubeplan[rss])} |`,
    );
  }
}
console.log(
  `\nRequests in the last run (first apply / re-apply): ${results
    .map(
      (r) =>
        `${r.total} objects: bare loop ${r.loop.stats.first?.writes} / ${r.loop.stats.again?.writes} writes; floor ${r.floor.stats.first?.lists} lists + ${r.floor.stats.first?.writes} writes / ${r.floor.stats.again?.lists} lists + ${r.floor.stats.again?.writes} writes; kubeplan ${writes(r.kubeplan.stats.first)} / ${writes(r.kubeplan.stats.again)}`,
    )
    .join('; ')}`,
);
