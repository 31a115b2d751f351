// `npm run bench` (bump part): 100 images on the bench registry (token auth, as GHCR and Docker Hub do), 50 to 500
// tags each, referenced from a config repository of plain manifests; every tenth image is pinned by digest.
// `kubeplan bump --dry-run -o json` is timed and its requests per image are checked against the goal of 1 token +
// ceil((tags+1)/1000) tag pages (+1 HEAD when pinning). The anchor, in the same run on the same registry, is a bare
// loop that does only those requests (fetch a token, list the tags, HEAD when pinned) at the same concurrency and
// nothing else: no Node start, no file scan, no policy, no edits. Medians of BENCH_RUNS.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBench } from '../test/bench/build.mjs';
import { pushTags } from '../test/bench/oci-push.mjs';
import { startRegistry } from '../test/harness/registry.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 100);
const log = (m) => process.stderr.write(`${m}\n`);
const { registry: registryBinary } = await ensureBench({ log });
const cli = path.join(root, 'dist', 'cli.js');

const work = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-bench-bump-'));
const registry = await startRegistry(registryBinary, 'token');
const basic = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
const tokenFor = async (scope) => {
  const url = new URL(registry.tokenRealm);
  url.searchParams.set('service', 'kubeplan-bench-registry');
  url.searchParams.set('scope', scope);
  const res = await fetch(url, { headers: { authorization: basic } });
  return (await res.json()).token;
};

try {
  const images = Array.from({ length: IMAGES }, (_, i) => ({
    repo: `bench/app-${String(i).padStart(3, '0')}`,
    tags: 50 + Math.round((450 * i) / Math.max(1, IMAGES - 1)),
    pin: i % 10 === 9,
  }));
  const started = Date.now();
  for (const image of images) {
    const token = await tokenFor(`repository:${image.repo}:pull,push`);
    await pushTags(
      registry.url,
      image.repo,
      Array.from({ length: image.tags }, (_, k) => `1.0.${k}`),
      { distinct: false, authorization: `Bearer ${token}` },
    );
  }
  const totalTags = images.reduce((n, i) => n + i.tags, 0);
  log(`pushed ${IMAGES} images, ${totalTags} tags in ${((Date.now() - started) / 1000).toFixed(1)}s`);

  // The config repository: 10 files of Deployments, each image at 1.0.0.
  const repo = path.join(work, 'repo');
  mkdirSync(path.join(repo, '.git'), { recursive: true });
  mkdirSync(path.join(repo, 'apps'));
  for (let f = 0; f < 10; f++) {
    const docs = images
      .filter((_, i) => i % 10 === f)
      .map(
        (image) =>
          `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${image.repo.split('/')[1]}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ${registry.host}/${image.repo}:1.0.0\n`,
      );
    writeFileSync(path.join(repo, 'apps', `apps-${f}.yaml`), docs.join('---\n'));
  }
  const pinned = images.filter((i) => i.pin).map((i) => `  - name: ${registry.host}/${i.repo}\n    pin: digest\n`);
  writeFileSync(
    path.join(repo, 'kubeplan.yaml'),
    `targets:\n  - name: apps\n    namespace: apps\n    manifests: apps\nimages:\n${pinned.join('')}`,
  );
  const docker = path.join(work, 'docker');
  mkdirSync(docker);
  writeFileSync(
    path.join(docker, 'config.json'),
    JSON.stringify({
      auths: { [registry.host]: { auth: Buffer.from(`${registry.username}:${registry.password}`).toString('base64') } },
    }),
  );

  const kubeplanTimes = [];
  let report;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    // Not spawnSync: the registry's token service runs in this process and must keep answering.
    const res = await run(process.execPath, [cli, 'bump', '--dry-run', '-o', 'json'], {
      cwd: repo,
      env: { ...process.env, DOCKER_CONFIG: docker },
    });
    kubeplanTimes.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (res.status !== 0) throw new Error(`kubeplan bump failed: ${res.stderr}${res.stdout.slice(0, 2000)}`);
    report = JSON.parse(res.stdout);
  }
  // Requests per image against the goal.
  let worst = 0;
  let total = 0;
  let goalTotal = 0;
  for (const image of images) {
    const entry = report.images.find((i) => i.key === `${registry.host}/${image.repo}`);
    if (entry?.status !== 'bump' || entry.to.tag !== `1.0.${image.tags - 1}`)
      throw new Error(`${image.repo}: unexpected ${JSON.stringify(entry)}`);
    const goal = 1 + Math.ceil((image.tags + 1) / 1000) + (image.pin ? 1 : 0);
    worst = Math.max(worst, entry.requests - goal);
    total += entry.requests;
    goalTotal += goal;
  }

  // The anchor: only the necessary requests, 8 in flight (kubeplan's per-registry limit).
  const anchorTimes = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    let next = 0;
    const worker = async () => {
      while (next < images.length) {
        const image = images[next++];
        const token = await tokenFor(`repository:${image.repo}:pull`);
        const headers = { authorization: `Bearer ${token}` };
        const res = await fetch(`${registry.url}/v2/${image.repo}/tags/list?n=1000`, { headers });
        const tags = (await res.json()).tags;
        if (image.pin)
          await fetch(`${registry.url}/v2/${image.repo}/manifests/${tags.at(-1)}`, {
            method: 'HEAD',
            headers: { ...headers, accept: 'application/vnd.oci.image.manifest.v1+json' },
          });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    anchorTimes.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const k = median(kubeplanTimes);
  const a = median(anchorTimes);
  console.log(`\n| ${IMAGES} images, ${totalTags} tags | wall time (median of ${runs}) | requests |`);
  console.log('|---|---|---|');
  console.log(
    `| kubeplan bump --dry-run | ${k.toFixed(2)} s (${(k / a).toFixed(1)}× the anchor) | ${total} (goal ${goalTotal}; worst image ${worst >= 0 ? '+' : ''}${worst} over its goal) |`,
  );
  console.log(`| anchor: bare fetch loop, same requests | ${a.toFixed(2)} s | ${goalTotal} |`);
  console.log(
    `\nkubeplan made ${(total / IMAGES).toFixed(2)} requests per image (goal ${(goalTotal / IMAGES).toFixed(2)}), plus one GET /v2/ for the registry.`,
  );
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}

function run(bin, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
