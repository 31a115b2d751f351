// The objects the diff and apply benchmarks plan and apply: a quarter each of Deployments, Services, ConfigMaps and
// Secrets spread over 10 namespaces, and which of them a "6 % changed" run edits.

export const NAMESPACES = 10;
export const KINDS = ['Deployment', 'Service', 'ConfigMap', 'Secret'];

/**
 * `perKind` objects of each kind in the namespaces `<prefix>-0` … `<prefix>-9`, with `labels` on every object;
 * `changed` marks which ones get edited (`Kind/<index>`).
 */
export function workload({ perKind, prefix, labels = {}, changed }) {
  const objects = [];
  for (let i = 0; i < perKind; i++) {
    const ns = `${prefix}-${i % NAMESPACES}`;
    const edit = (kind) => changed.has(`${kind}/${i}`);
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `app-${i}`, namespace: ns, labels: { ...labels, app: `app-${i}` } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: `app-${i}` } },
        template: {
          metadata: { labels: { app: `app-${i}` } },
          spec: {
            containers: [
              {
                name: 'app',
                image: `ghcr.io/example/app:${edit('Deployment') ? '1.1.0' : '1.0.0'}`,
                ports: [{ containerPort: 8080 }],
                resources: { requests: { cpu: '100m', memory: '128Mi' } },
              },
            ],
          },
        },
      },
    });
    const metadata = {
      name: `app-${i}`,
      namespace: ns,
      ...(Object.keys(labels).length ? { labels: { ...labels } } : {}),
    };
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { ...metadata },
      spec: { selector: { app: `app-${i}` }, ports: [{ port: edit('Service') ? 81 : 80, targetPort: 8080 }] },
    });
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { ...metadata },
      data: { INDEX: String(i), MODE: edit('ConfigMap') ? 'debug' : 'production' },
    });
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...metadata },
      data: { token: Buffer.from(`token-${i}-${edit('Secret') ? 'rotated' : 'v1'}`).toString('base64') },
    });
  }
  return objects;
}

/** `n` objects of each kind, spread evenly over the `perKind` indexes: the ones a re-apply or re-plan changes. */
export function chooseChanges(perKind, n) {
  const changed = new Set();
  for (const kind of KINDS) for (let k = 0; k < n; k++) changed.add(`${kind}/${Math.floor((k * perKind) / n)}`);
  return changed;
}
