// `npm run demo:canary`: examples/canary on the bench. Starts a bench apiserver, installs the real Gateway API CRDs,
// starts a real Prometheus (built from Go modules, cached) scraping a small exporter this script drives, and plays the
// Deployment controller. Then, in a throw-away git repository holding examples/canary: the first apply (no canary: no
// stable version yet), a new image whose canary serves only 2xx (10 % → 50 % → promoted), and a new image whose canary
// answers 20 % with 5xx (rolled back, exit 1), and `kubeplan canary status`. Everything it starts is stopped at the end.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBench } from '../test/bench/build.mjs';
import { startApiserver } from '../test/bench/servers.mjs';
import { ensurePrometheus } from '../test/tools/prometheus.mjs';
import { startDemoControllers } from './demo-controllers.mjs';
import { setupTools } from './setup-tools.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');
const log = (message) => process.stderr.write(`${message}\n`);
const step = (message) => process.stderr.write(`\n\u001b[1m▶ ${message}\u001b[0m\n`);
const started = Date.now();

const tools = await setupTools({ log });
const { apiserver: binary } = await ensureBench({ log });
const prometheusBinary = await ensurePrometheus({ log });
const work = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-demo-canary-'));
const stops = [];
let failed = false;

try {
  step('starting the bench cluster, the Gateway API CRDs, an exporter and Prometheus');
  const cluster = await startApiserver(binary, { dataDir: path.join(work, 'cluster') });
  stops.push(() => cluster.stop());
  const env = {
    ...process.env,
    KUBECONFIG: cluster.adminKubeconfig,
    KUBEPLAN_HELM: path.join(tools, 'helm'),
    KUBEPLAN_KUBECTL: path.join(tools, 'kubectl'),
  };
  stops.push(startDemoControllers({ server: cluster.server, caFile: cluster.caFile, token: cluster.adminToken }));
  const crds = path.join(gatewayApiDir(), 'config', 'crd', 'standard');
  execFileSync(path.join(tools, 'kubectl'), ['apply', '--server-side', '-f', crds], { env, stdio: 'ignore' });
  execFileSync(
    path.join(tools, 'kubectl'),
    ['wait', '--for=condition=Established', 'crd/httproutes.gateway.networking.k8s.io'],
    {
      env,
      stdio: 'ignore',
    },
  );
  const exporter = await startExporter();
  stops.push(() => exporter.close());
  const prometheus = await startPrometheus(prometheusBinary, exporter.target);
  stops.push(() => prometheus.stop());
  log(`cluster ${cluster.server}, Prometheus ${prometheus.url} scraping ${exporter.target} every second`);

  // The example, its Prometheus address pointed at the bench's.
  const repo = path.join(work, 'repo');
  cpSync(path.join(root, 'examples', 'canary'), repo, { recursive: true });
  const config = path.join(repo, 'kubeplan.yaml');
  writeFileSync(config, readFileSync(config, 'utf8').replace('http://prometheus.monitoring:9090', prometheus.url));
  const git = (...args) =>
    execFileSync('git', ['-c', 'user.name=demo', '-c', 'user.email=demo@example.com', ...args], { cwd: repo });
  git('init', '-q', '-b', 'main');
  const release = (version, message) => {
    const file = path.join(repo, 'app', 'shop.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/shop:\d+\.\d+\.\d+/, `shop:${version}`));
    git('add', '-A');
    git('commit', '-qm', message);
  };
  // Not spawnSync: the controller stand-in runs in this process and must keep running meanwhile.
  const kubeplan = async (...args) => {
    log(`$ kubeplan ${args.join(' ')}`);
    const child = spawn(process.execPath, [cli, ...args], { cwd: repo, env, stdio: ['ignore', 'inherit', 'inherit'] });
    const status = await new Promise((r) => child.on('exit', (code) => r(code)));
    log(`(exit ${status})`);
    return status;
  };
  const expectExit = (got, want, what) => {
    if (got !== want) {
      failed = true;
      log(`demo: ${what} exited ${got}, not ${want}`);
    }
  };

  step('first apply: no stable version yet, so no canary');
  release('1.0.0', 'shop 1.0.0');
  expectExit(await kubeplan('apply'), 0, 'the first apply');

  step('shop 1.1.0: its canary serves only 2xx → 10 % → 50 % → promoted');
  exporter.setRates('shop-canary', { 200: 40 });
  release('1.1.0', 'shop 1.1.0');
  expectExit(await kubeplan('apply'), 0, 'the promoted canary');

  step('shop 1.2.0: its canary answers 20 % with 5xx → rolled back (exit 1), 1.1.0 stays');
  exporter.setRates('shop-canary', { 200: 32, 500: 8 });
  release('1.2.0', 'shop 1.2.0');
  expectExit(await kubeplan('apply'), 1, 'the failing canary');

  step('kubeplan canary status');
  await kubeplan('canary', 'status');
  const image = execFileSync(
    path.join(tools, 'kubectl'),
    ['get', 'deployment', 'shop', '-n', 'shop', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'],
    { env, encoding: 'utf8' },
  );
  log(`the stable Deployment runs ${image}`);
  if (image !== 'ghcr.io/example/shop:1.1.0') failed = true;
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
log(`\n${failed ? 'demo FAILED' : 'demo done'} in ${Math.round((Date.now() - started) / 1000)} s`);
process.exitCode = failed ? 1 : 0;

/** The folder of the pinned sigs.k8s.io/gateway-api module (test/tools/gateway-api) in Go's module cache. */
function gatewayApiDir() {
  const out = execFileSync('go', ['mod', 'download', '-json', 'sigs.k8s.io/gateway-api'], {
    cwd: path.join(root, 'test', 'tools', 'gateway-api'),
    env: { ...process.env, GOTOOLCHAIN: 'local', GOWORK: 'off', GOFLAGS: '-mod=readonly' },
    encoding: 'utf8',
  });
  return JSON.parse(out).Dir;
}

/** `http_requests_total{track,code}` counters growing at the rates the demo sets. */
async function startExporter() {
  const counts = new Map();
  const rates = new Map();
  let at = Date.now();
  const advance = () => {
    const now = Date.now();
    for (const [k, rate] of rates) counts.set(k, (counts.get(k) ?? 0) + (rate * (now - at)) / 1000);
    at = now;
  };
  const server = createServer((_req, res) => {
    advance();
    const lines = ['# TYPE http_requests_total counter'];
    for (const [k, v] of counts) {
      const [track, code] = k.split(' ');
      lines.push(`http_requests_total{track="${track}",code="${code}"} ${Math.floor(v)}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    target: `127.0.0.1:${server.address().port}`,
    setRates(track, r) {
      advance();
      for (const code of ['200', '500']) {
        rates.set(`${track} ${code}`, r[code] ?? 0);
        if (!counts.has(`${track} ${code}`)) counts.set(`${track} ${code}`, 0);
      }
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Prometheus on a free loopback port with a temp data folder, scraping `target` every second. */
async function startPrometheus(binaryPath, target) {
  const port = await freePort();
  writeFileSync(
    path.join(work, 'prometheus.yml'),
    `global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: shop\n    static_configs: [{targets: ["${target}"]}]\n`,
  );
  const logFd = openSync(path.join(work, 'prometheus.log'), 'a');
  const child = spawn(
    binaryPath,
    [
      `--config.file=${path.join(work, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(work, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((r) => child.once('exit', r));
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(readFileSync(path.join(work, 'prometheus.log'), 'utf8'));
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function freePort() {
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return port;
}
