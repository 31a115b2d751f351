// `npm run bench` (named clusters part): three bench apiservers, each with its own CA, are the named clusters of a
// kubeplan.yaml with 4 targets on all 3 of them (12 instances, ≈ 250 objects each: 10 Namespaces and Deployments,
// Services, ConfigMaps and Secrets from the shared workload, ≈ 3,000 objects in all). kubeplan apply writes the base
// on every cluster, then 6 % of every target changes and the plan is timed: `kubeplan diff` over all clusters at once
// against planning each cluster alone (`--cluster X`, one after the other; the sum is what a sequential plan costs,
// the slowest single cluster is the floor for planning them side by side). Every run must report the same changed
// objects per instance. kubeplan is one Node process: its CPU time (GNU time) shows how much of a plan over clusters
// is work no concurrency can overlap. Medians of BENCH_RUNS; objects per instance from BENCH_CLUSTERS_SIZE (default 250).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBench } from '../test/bench/build.mjs';
import { startApiserver } from '../test/bench/servers.mjs';
import { chooseChanges, NAMESPACES, workload } from './workload.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const perInstance = Number(process.env.BENCH_CLUSTERS_SIZE ?? 250);
const log = (m) => process.stderr.write(`${m}\n`);
const { apiserver: binary } = await ensureBench({ log });
const cli = path.join(root, 'dist', 'cli.js');

const CLUSTERS = ['c0', 'c1', 'c2'];
const TARGETS = ['t0', 't1', 't2', 't3'];
const perKind = Math.floor((perInstance - NAMESPACES) / 4);
const changed = chooseChanges(perKind, Math.round((perKind * 4 * 0.06) / 4));

const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs the CLI in `cwd`; wall time, CPU seconds of the process (user + system, with GNU time) and stdout; a non-zero
 * exit (other than `ok`) is an error.
 */
function kubeplan(args, { cwd, env, ok = [0] }) {
  const argv = [cli, ...args];
  const [file, fileArgs] = gnuTime
    ? [gnuTime, ['-f', 'BENCH_CPU_S %U %S', process.execPath, ...argv]]
    : [process.execPath, argv];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, fileArgs, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (status) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (!ok.includes(status))
        return reject(
          new Error(`kubeplan ${args.join(' ')} failed (${status}): ${stderr.slice(-2000)}${stdout.slice(-2000)}`),
        );
      const cpu = /BENCH_CPU_S ([\d.]+) ([\d.]+)/.exec(stderr);
      const cpuMs = cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined;
      resolve({ ms, cpuMs, stdout, stderr });
    });
  });
}

/** A target's objects: its 10 Namespaces `<target>-<n>` and the workload spread over them. */
function targetObjects(target, edits) {
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: `${target}-${i}` },
  }));
  return [...namespaces, ...workload({ perKind, prefix: target, changed: edits })];
}

/** Writes every target's manifests, one file per namespace under `<target>/`. */
function writeManifests(repo, edits) {
  for (const target of TARGETS) {
    const dir = path.join(repo, target);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const groups = Map.groupBy(targetObjects(target, edits), (o) => o.metadata.namespace ?? '_namespaces');
    for (const [ns, items] of groups)
      writeFileSync(path.join(dir, `${ns}.json`), JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  }
}

/** `instance → sorted changed objects` from a JSON plan; fails on a cluster that could not be planned. */
function changesOf(stdout) {
  const report = JSON.parse(stdout);
  for (const c of report.clusters ?? [])
    if (c.error) throw new Error(`cluster ${c.name} could not be planned: ${c.error.message}`);
  const out = {};
  for (const t of report.targets)
    out[t.name] = t.changes
      .filter((c) => c.action !== 'unchanged')
      .map((c) => `${c.action} ${c.kind}/${c.namespace}/${c.name}`)
      .sort();
  return { changes: out, stats: report.stats };
}

const work = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-bench-clusters-'));
const servers = [];
let result;
try {
  log(`starting ${CLUSTERS.length} apiservers…`);
  for (const name of CLUSTERS)
    servers.push(await startApiserver(binary, { dataDir: path.join(work, `cluster-${name}`) }));
  const repo = path.join(work, 'repo');
  mkdirSync(path.join(repo, 'ca'), { recursive: true });
  mkdirSync(path.join(repo, '.git'));
  const env = {};
  const clusterLines = CLUSTERS.map((name, i) => {
    writeFileSync(path.join(repo, 'ca', `${name}.pem`), readFileSync(servers[i].caFile));
    env[`${name.toUpperCase()}_TOKEN`] = servers[i].adminToken;
    return `  ${name}: {server: ${servers[i].server}, caFile: ca/${name}.pem, auth: {tokenEnv: ${name.toUpperCase()}_TOKEN}}\n`;
  });
  writeFileSync(
    path.join(repo, 'kubeplan.yaml'),
    `clusters:\n${clusterLines.join('')}targets:\n${TARGETS.map((t) => `  - {name: ${t}, manifests: ${t}, clusters: [${CLUSTERS.join(', ')}]}\n`).join('')}`,
  );
  const total = TARGETS.length * CLUSTERS.length * targetObjects('x', new Set()).length;

  log(`applying the base: ${TARGETS.length} targets × ${CLUSTERS.length} clusters, ${total} objects…`);
  writeManifests(repo, new Set());
  const applied = await kubeplan(['apply', '--no-wait', '-o', 'json'], { cwd: repo, env });
  const instances = JSON.parse(applied.stdout).instances;
  const notApplied = instances.filter((i) => i.status !== 'applied');
  if (notApplied.length || instances.length !== TARGETS.length * CLUSTERS.length)
    throw new Error(`the base apply left instances unapplied: ${JSON.stringify(notApplied).slice(0, 2000)}`);
  log(`applied in ${(applied.ms / 1000).toFixed(1)}s`);

  writeManifests(repo, changed);
  const diff = (extra) => kubeplan(['diff', '--mode', 'server', '-o', 'json', ...extra], { cwd: repo, env });
  const expected = (changes) => {
    // Each instance changes the same objects: 6 % of its target's, on every cluster.
    const names = Object.keys(changes).sort();
    const want = TARGETS.flatMap((t) => CLUSTERS.map((c) => `${t}@${c}`)).sort();
    if (JSON.stringify(names) !== JSON.stringify(want)) throw new Error(`instances planned: ${names.join(', ')}`);
    for (const n of names)
      if (changes[n].length !== changed.size)
        throw new Error(`${n}: ${changes[n].length} changed objects, not ${changed.size}`);
  };
  const all = [];
  const sum = [];
  const max = [];
  const single = Object.fromEntries(CLUSTERS.map((c) => [c, []]));
  let stats;
  // The apiservers settle (a burst of dry-runs leaves them collecting garbage) before each timed plan, and the order
  // turns each run, so no contestant always follows the heaviest one.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));
  const contestants = [undefined, ...CLUSTERS];
  const cpu = Object.fromEntries(['all', ...CLUSTERS].map((c) => [c, []]));
  for (let r = 0; r < runs; r++) {
    const times = {};
    const alone = {};
    let planned;
    const turn = r % contestants.length;
    for (const c of [...contestants.slice(turn), ...contestants.slice(0, turn)]) {
      await settle();
      const one = await diff(c ? ['--cluster', c] : []);
      times[c ?? 'all'] = one.ms;
      cpu[c ?? 'all'].push(one.cpuMs);
      if (c) {
        Object.assign(alone, changesOf(one.stdout).changes);
        single[c].push(one.ms);
      } else {
        planned = changesOf(one.stdout);
        expected(planned.changes);
        stats = planned.stats;
        all.push(one.ms);
      }
    }
    const canonical = (changes) =>
      JSON.stringify(
        Object.keys(changes)
          .sort()
          .map((k) => [k, changes[k]]),
      );
    if (canonical(alone) !== canonical(planned.changes))
      throw new Error('planning each cluster alone found other changes than planning them together');
    const each = CLUSTERS.map((c) => times[c]);
    sum.push(each.reduce((a, b) => a + b, 0));
    max.push(Math.max(...each));
    log(
      `run ${r + 1}: all clusters ${(times.all / 1000).toFixed(2)} s; alone ${each.map((t) => (t / 1000).toFixed(2)).join(' + ')} s`,
    );
  }
  result = {
    total,
    changedPerInstance: changed.size,
    all: median(all),
    sum: median(sum),
    max: median(max),
    single: Object.fromEntries(CLUSTERS.map((c) => [c, median(single[c])])),
    cpu: gnuTime ? Object.fromEntries(Object.entries(cpu).map(([c, xs]) => [c, median(xs)])) : undefined,
    stats,
  };
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(work, { recursive: true, force: true });
}

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(
  `\nkubeplan diff over ${CLUSTERS.length} named clusters against planning each cluster alone, ${runs} runs each (median), ${os.cpus().length} cores, node ${process.version}\n`,
);
console.log(
  '| instances (objects, changed) | kubeplan diff, all clusters | each cluster alone, one after the other | slowest cluster alone | all vs sequential | all vs slowest alone | kubeplan CPU: all clusters (each alone) | requests |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
const r = result;
console.log(
  `| ${TARGETS.length} targets × ${CLUSTERS.length} clusters (${r.total}, ${r.changedPerInstance * TARGETS.length * CLUSTERS.length}) | ${s(r.all)} | ${s(r.sum)} (${CLUSTERS.map((c) => s(r.single[c])).join(' + ')}) | ${s(r.max)} | ${(r.sum / r.all).toFixed(1)}× faster | ${(r.all / r.max).toFixed(2)}× its time | ${r.cpu ? `${s(r.cpu.all)} (${CLUSTERS.map((c) => s(r.cpu[c])).join(' + ')})` : '–'} | ${r.stats.lists} lists, ${r.stats.dryRuns} dry-runs, ${r.stats.fastPath} fast-path |`,
);
