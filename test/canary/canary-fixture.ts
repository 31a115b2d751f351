import { BROKEN } from '../harness/deploy-controller.js';
import { api, bench } from '../harness/kube.js';
import { runCliAsync } from '../helpers/run-cli.js';

/** The shop app of the canary tests: a Deployment, its Service and an HTTPRoute that sends to it. */
const route = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'shop' },
  spec: { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [{ name: 'shop', port: 80 }] }] },
};
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'shop' },
  spec: { selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] },
};
/** The shop Deployment at `image`; `broken`: its pods never become available; `env`: plain env values. */
export const deployment = (image: string, options: { broken?: boolean; env?: Record<string, string> } = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'shop' } },
    template: {
      metadata: { labels: { app: 'shop' }, ...(options.broken ? { annotations: { [BROKEN]: 'true' } } : {}) },
      spec: {
        containers: [
          {
            name: 'shop',
            image,
            ...(options.env ? { env: Object.entries(options.env).map(([name, value]) => ({ name, value })) } : {}),
          },
        ],
      },
    },
  },
});

/**
 * app/app.json: the shop at `image` (`broken`: its pods never become available), its route (`route: null`: none),
 * plus `extra` objects.
 */
export const app = (
  image: string,
  options: { broken?: boolean; env?: Record<string, string>; extra?: object[]; route?: object | null } = {},
) =>
  JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        deployment(image, options),
        service,
        ...(options.route === null ? [] : [options.route ?? route]),
        ...(options.extra ?? []),
      ],
    },
    null,
    2,
  );

export const SUCCESS_RATE =
  'sum(rate(http_requests_total{track="{{ canary }}",code!~"5.."}[5s])) / sum(rate(http_requests_total{track="{{ canary }}"}[5s])) * 100';

/** A query with a sample once Prometheus has scraped the canary's requests twice (a rate needs two samples). */
export const SCRAPED = 'sum(rate(http_requests_total{track="shop-canary"}[5s])) > 0';

/** kubeplan.yaml with the shop target and its canary; `steps` as YAML flow lines. */
export const canaryConfig = (
  ns: string,
  prometheusUrl: string,
  options: { steps?: string[]; checks?: number; tokenEnv?: string; traffic?: string; query?: string } = {},
) => `targets:
  - name: shop
    namespace: ${ns}
    manifests: app
    apply: {rollback: true}
    canary:
      workload: {kind: Deployment, name: shop}
      service: shop
      traffic:
        ${options.traffic ?? 'gatewayAPI: {route: shop}'}
      steps:
${(options.steps ?? ['{weight: 10, pause: 1s}', '{weight: 50}']).map((s) => `        - ${s}`).join('\n')}
      analysis:
        interval: 1s
        checks: ${options.checks ?? 2}
        prometheus: {address: ${prometheusUrl}${options.tokenEnv ? `, tokenEnv: ${options.tokenEnv}` : ''}}
        metrics:
          - name: success-rate
            query: ${options.query ?? SUCCESS_RATE}
            min: 99
      timeout: 10m
      maxUnattended: 10m
`;

/** The built CLI against the bench apiserver, health waits of 30 s. */
export const kubeplan = (repo: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCliAsync([...args, '--kubeconfig', bench().adminKubeconfig, '--timeout', '30s'], { cwd: repo, env });

interface RouteBody {
  spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] };
}

/** The canary's weight in the route now (undefined: the route does not split). */
export async function canaryWeight(ns: string): Promise<number | undefined> {
  const got = await api<RouteBody>('GET', `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/shop`);
  return got.status === 200
    ? got.body.spec.rules[0]?.backendRefs.find((b) => b.name === 'shop-canary')?.weight
    : undefined;
}

/** The route's backends now: name → weight. */
export async function routeWeights(ns: string): Promise<Record<string, number | undefined>> {
  const got = await api<RouteBody>('GET', `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/shop`);
  return Object.fromEntries((got.body.spec.rules[0]?.backendRefs ?? []).map((b) => [b.name, b.weight]));
}

/** Reads the route's canary weight every 100 ms while `during` runs; the distinct weights in order, and the last. */
export function watchWeights<T>(ns: string, during: Promise<T>): Promise<{ result: T; weights: number[] }> {
  return watchValues(() => canaryWeight(ns), during).then(({ result, values }) => ({ result, weights: values }));
}

/** Calls `read` every 100 ms while `during` runs, and once after it: the distinct defined values in order. */
export async function watchValues<T, V>(
  read: () => Promise<V | undefined>,
  during: Promise<T>,
): Promise<{ result: T; values: V[] }> {
  const values: V[] = [];
  const take = async () => {
    const v = await read();
    if (v !== undefined && values.at(-1) !== v) values.push(v);
  };
  let done = false;
  const watcher = (async () => {
    while (!done) {
      await take();
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const result = await during;
  done = true;
  await watcher;
  await take(); // where the run left it
  return { result, values };
}

export const getDeployment = (ns: string, name: string) =>
  api<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(
    'GET',
    `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
  );

export const image = async (ns: string, name = 'shop') =>
  (await getDeployment(ns, name)).body.spec.template.spec.containers[0]!.image;

export interface StoredCanary {
  phase: string;
  step: number;
  weight: number;
  commit: string;
  failedTemplates: string[];
  holder?: { run: string };
  message?: string;
}

export async function canaryState(ns: string): Promise<StoredCanary | undefined> {
  const cm = await api<{ data: { 'state.json': string } }>(
    'GET',
    `/api/v1/namespaces/${ns}/configmaps/kubeplan-canary-shop`,
  );
  return cm.status === 200 ? (JSON.parse(cm.body.data['state.json']) as StoredCanary) : undefined;
}

export const revisionCount = async (ns: string) =>
  (
    await api<{ items: unknown[] }>(
      'GET',
      `/api/v1/namespaces/${ns}/secrets?fieldSelector=type%3Dkubeplan.dev%2Frevision`,
    )
  ).body.items.length;

/** Every object of the namespace kubeplan could write, as kind/name → resourceVersion. */
export async function resourceVersions(ns: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const path of [
    `/apis/apps/v1/namespaces/${ns}/deployments`,
    `/api/v1/namespaces/${ns}/services`,
    `/api/v1/namespaces/${ns}/configmaps`,
    `/api/v1/namespaces/${ns}/secrets`,
    `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes`,
  ]) {
    const list = await api<{ kind: string; items: { metadata: { name: string; resourceVersion: string } }[] }>(
      'GET',
      path,
    );
    for (const o of list.body.items) out[`${list.body.kind}/${o.metadata.name}`] = o.metadata.resourceVersion;
  }
  return out;
}
