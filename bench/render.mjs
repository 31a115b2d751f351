// `npm run bench` (render part): kubeplan render against bare helm / kubectl kustomize on the same inputs, in the
// same run, on this machine. Reports medians and the ratio kubeplan / bare (goal: <= 1.05).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupTools } from '../scripts/setup-tools.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 15);
const tools = await setupTools();
const helm = path.join(tools, 'helm');
const kubectl = path.join(tools, 'kubectl');
const cli = path.join(root, 'dist', 'cli.js');
const examples = path.join(root, 'examples');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kubeplan-bench-'));
const env = { ...process.env, KUBEPLAN_HELM: helm, KUBEPLAN_KUBECTL: kubectl };

function run(argv, cwd) {
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  return ms;
}

/** Runs each side once to warm caches, then alternates them `runs` times; returns medians. */
function measure(name, bare, kubeplan) {
  for (const steps of [bare, kubeplan]) for (const s of steps) run(s.argv, s.cwd);
  const times = { bare: [], kubeplan: [] };
  for (let i = 0; i < runs; i++) {
    for (const side of ['bare', 'kubeplan']) {
      const steps = side === 'bare' ? bare : kubeplan;
      times[side].push(steps.reduce((t, s) => t + run(s.argv, s.cwd), 0));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const result = { name, bare: median(times.bare), kubeplan: median(times.kubeplan) };
  result.ratio = result.kubeplan / result.bare;
  process.stderr.write(
    `${name}: bare ${result.bare.toFixed(0)} ms, kubeplan ${result.kubeplan.toFixed(0)} ms, ratio ${result.ratio.toFixed(2)}\n`,
  );
  return result;
}

const kp = (...args) => ({
  argv: [process.execPath, cli, 'render', '--out-dir', path.join(scratch, 'out'), ...args],
  cwd: examples,
});

// A large generated chart: 300 Deployments, Services and ConfigMaps (900 objects), for per-object overhead.
const big = path.join(scratch, 'big');
mkdirSync(path.join(big, 'chart', 'templates'), { recursive: true });
mkdirSync(path.join(big, '.git'));
writeFileSync(path.join(big, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: big\nversion: 1.0.0\n');
writeFileSync(path.join(big, 'chart', 'values.yaml'), 'count: 300\nimage: ghcr.io/example/app:1.0.0\n');
writeFileSync(
  path.join(big, 'chart', 'templates', 'apps.yaml'),
  `{{- range $i := until (int .Values.count) }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{{ $i }}
  labels: {app: app-{{ $i }}, tier: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: app-{{ $i }}}}
  template:
    metadata: {labels: {app: app-{{ $i }}}}
    spec:
      containers:
        - name: app
          image: {{ $.Values.image }}
          ports: [{containerPort: 8080}]
          resources: {requests: {cpu: 100m, memory: 128Mi}}
          envFrom: [{configMapRef: {name: app-{{ $i }}}}]
---
apiVersion: v1
kind: Service
metadata: {name: app-{{ $i }}}
spec:
  selector: {app: app-{{ $i }}}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-{{ $i }}}
data: {INDEX: "{{ $i }}", MODE: production}
{{- end }}
`,
);
writeFileSync(
  path.join(big, 'kubeplan.yaml'),
  'targets:\n  - name: big\n    namespace: big\n    helm:\n      chart: chart\n',
);

// The bare equivalent of a helm target post-rendered by a Component.
const postDir = path.join(scratch, 'post');
mkdirSync(postDir);
const helmProd = [
  helm,
  'template',
  'shop',
  'charts/shop',
  '--namespace',
  'shop',
  '--include-crds',
  '--values',
  'envs/prod/values.yaml',
  '--set-json',
  'service.port=9090',
];
writeFileSync(
  path.join(postDir, 'kustomization.yaml'),
  `resources: [chart.yaml]\ncomponents: [${path.relative(postDir, path.join(examples, 'components/hardening'))}]\n`,
);
const bashPipe = (cmd) => ({ argv: ['bash', '-c', cmd], cwd: examples });
const q = (a) => `'${a}'`;

const results = [
  measure(
    'helm chart (examples: shop-staging, 6 objects)',
    [
      {
        argv: [
          helm,
          'template',
          'shop',
          'charts/shop',
          '--namespace',
          'shop-staging',
          '--values',
          'envs/staging/values.yaml',
        ],
        cwd: examples,
      },
    ],
    [kp('--target', 'shop-staging')],
  ),
  measure(
    'helm chart + Component post-render (examples: shop-prod, 8 objects)',
    [
      bashPipe(
        `${helmProd.map(q).join(' ')} > ${q(path.join(postDir, 'chart.yaml'))} && ${q(kubectl)} kustomize ${q(postDir)} > /dev/null`,
      ),
    ],
    [kp('--target', 'shop-prod')],
  ),
  measure(
    'kustomize overlay (examples: api-prod, 4 objects)',
    [{ argv: [kubectl, 'kustomize', 'apps/api/overlays/prod'], cwd: examples }],
    [kp('--target', 'api-prod')],
  ),
  measure(
    'large chart (900 objects)',
    [{ argv: [helm, 'template', 'big', 'chart', '--namespace', 'big', '--include-crds'], cwd: big }],
    [{ argv: [process.execPath, cli, 'render', '--out-dir', path.join(scratch, 'out-big')], cwd: big }],
  ),
  measure(
    'all 4 example targets (bare: one after another; kubeplan: concurrently)',
    [
      {
        argv: [
          helm,
          'template',
          'shop',
          'charts/shop',
          '--namespace',
          'shop-staging',
          '--values',
          'envs/staging/values.yaml',
        ],
        cwd: examples,
      },
      bashPipe(
        `${helmProd.map(q).join(' ')} > ${q(path.join(postDir, 'chart.yaml'))} && ${q(kubectl)} kustomize ${q(postDir)} > /dev/null`,
      ),
      { argv: [kubectl, 'kustomize', 'apps/api/overlays/prod'], cwd: examples },
    ],
    [kp()],
  ),
];

rmSync(scratch, { recursive: true, force: true });
const table = [
  '| case | bare (median) | kubeplan (median) | ratio |',
  '| --- | --- | --- | --- |',
  ...results.map(
    (r) => `| ${r.name} | ${r.bare.toFixed(0)} ms | ${r.kubeplan.toFixed(0)} ms | ${r.ratio.toFixed(2)} |`,
  ),
].join('\n');
console.log(
  `\nrender overhead, ${runs} runs per side, median wall time, ${os.cpus().length} cores, node ${process.version}\n\n${table}`,
);
