// `npm run cluster`: the bench kube-apiserver in the foreground, for trying kubeplan by hand. Writes
// admin.kubeconfig and limited.kubeconfig into $KUBEPLAN_CLUSTER_DIR (default .cluster/), prints
// `ready: KUBECONFIG=<admin.kubeconfig>` once /readyz passes, and on SIGINT/SIGTERM stops apiserver and etcd and
// removes their data.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBench } from '../test/bench/build.mjs';
import { startApiserver } from '../test/bench/servers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.resolve(process.env.KUBEPLAN_CLUSTER_DIR || path.join(root, '.cluster'));
const log = (message) => process.stderr.write(`${message}\n`);

const { apiserver: binary } = await ensureBench({ log });
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
log(`starting kube-apiserver v1.35 with embedded etcd (data in ${dir})`);
const cluster = await startApiserver(binary, {
  dataDir: dir,
  logFile: path.join(dir, 'apiserver.log'),
  keepData: true,
});
log(`kube-apiserver at ${cluster.server}, ready in ${cluster.startupSeconds.toFixed(1)}s`);
log(`limited user (no rights): KUBECONFIG=${cluster.limitedKubeconfig}`);
log('stop with Ctrl-C');
console.log(`ready: KUBECONFIG=${cluster.adminKubeconfig}`);

let stopping = false;
const shutdown = async (signal) => {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping kube-apiserver and etcd`);
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
  log('stopped; data removed');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
