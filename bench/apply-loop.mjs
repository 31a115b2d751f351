// The bare anchors of bench/apply.mjs, run as their own small Node process so they pay a Node start like kubeplan:
//   node bench/apply-loop.mjs write JOB   one server-side apply PATCH per object, 16 in flight; nothing else
//   node bench/apply-loop.mjs floor JOB   one LIST per kind and namespace, a local subset check, then a PATCH for
//                                         only the objects whose live state does not already hold every field
// JOB is a JSON file: { server, caFile, token, objectsFile, fieldManager, concurrency }. Namespaces are written
// before the objects in them. Prints { lists, writes } as JSON.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';

const [mode, jobFile] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobFile, 'utf8'));
const objects = JSON.parse(readFileSync(job.objectsFile, 'utf8'));
const concurrency = job.concurrency ?? 16;
const dispatcher = new Agent({ connect: { ca: readFileSync(job.caFile) }, connections: concurrency });
const headers = { authorization: `Bearer ${job.token}` };
const plural = {
  Namespace: 'namespaces',
  Deployment: 'deployments',
  Service: 'services',
  ConfigMap: 'configmaps',
  Secret: 'secrets',
};
const stats = { lists: 0, writes: 0 };

function collection(apiVersion, kind, namespace) {
  const base = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
  return `${job.server}${base}${namespace ? `/namespaces/${namespace}` : ''}/${plural[kind]}`;
}

async function write(o) {
  const url = `${collection(o.apiVersion, o.kind, o.metadata.namespace)}/${o.metadata.name}?fieldManager=${job.fieldManager}&force=true`;
  const res = await request(url, {
    method: 'PATCH',
    dispatcher,
    headers: { ...headers, 'content-type': 'application/apply-patch+yaml' },
    body: JSON.stringify(o),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300)
    throw new Error(`apply ${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${res.statusCode} ${text}`);
  stats.writes++;
}

async function pool(items, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** An object without apiVersion and kind, which the items of a LIST do not carry. */
const fields = ({ apiVersion, kind, ...rest }) => rest;

/** True when `live` holds every field of `desired` with the same value (arrays element by element). */
function holds(desired, live) {
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => holds(d, live[i]));
  }
  if (desired && typeof desired === 'object') {
    return !!live && typeof live === 'object' && Object.entries(desired).every(([k, v]) => holds(v, live[k]));
  }
  return desired === live;
}

/** One LIST per kind and namespace (the Namespaces themselves: one cluster-wide LIST); live objects by key. */
async function listLive() {
  const groups = new Map();
  for (const o of objects) {
    const key = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`;
    if (!groups.has(key)) groups.set(key, { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace });
  }
  const live = new Map();
  await pool([...groups.values()], async (g) => {
    const res = await request(collection(g.apiVersion, g.kind, g.namespace), { dispatcher, headers });
    const body = await res.body.json();
    if (res.statusCode >= 300) throw new Error(`list ${g.kind} ${g.namespace ?? ''}: ${res.statusCode}`);
    stats.lists++;
    for (const item of body.items) live.set(`${g.kind}/${item.metadata.namespace ?? ''}/${item.metadata.name}`, item);
  });
  return live;
}

let todo = objects;
if (mode === 'floor') {
  const live = await listLive();
  todo = objects.filter(
    (o) => !holds(fields(o), live.get(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)),
  );
} else if (mode !== 'write') {
  throw new Error(`usage: node bench/apply-loop.mjs write|floor JOB (got ${mode})`);
}
await pool(
  todo.filter((o) => o.kind === 'Namespace'),
  write,
);
await pool(
  todo.filter((o) => o.kind !== 'Namespace'),
  write,
);
await dispatcher.close();
process.stdout.write(`${JSON.stringify(stats)}\n`);
