import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayApiCrds, installCrds, installGatewayApiCrds, testCrd } from '../harness/crds.js';
import { api, bench } from '../harness/kube.js';
import { makeRepo } from '../helpers/fixture-repo.js';
import { runCliAsync } from '../helpers/run-cli.js';

/**
 * The traffic APIs a canary shifts weights in, on the bench apiserver: the real Gateway API CRDs (the pinned
 * sigs.k8s.io/gateway-api module's config/crd/standard, read from Go's module cache) and Istio's VirtualService (test
 * data). kubeplan applies routes with weighted backends like any object.
 */
const uniq = () => `route-${Math.random().toString(36).slice(2, 8)}`;

const route = (weights: [number, number]) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'shop' },
  spec: {
    parentRefs: [{ name: 'public' }],
    rules: [
      {
        backendRefs: [
          { name: 'shop-stable', port: 80, weight: weights[0] },
          { name: 'shop-canary', port: 80, weight: weights[1] },
        ],
      },
    ],
  },
});
const virtualService = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'shop' },
  spec: {
    hosts: ['shop'],
    http: [
      {
        route: [
          { destination: { host: 'shop-stable' }, weight: 90 },
          { destination: { host: 'shop-canary' }, weight: 10 },
        ],
      },
    ],
  },
};

function repoWith(ns: string, objects: object[]) {
  return makeRepo({
    'kubeplan.yaml': `targets:\n  - name: shop\n    namespace: ${ns}\n    manifests: manifests\n`,
    'manifests/all.json': JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, ...objects],
    }),
  });
}
const apply = (repo: string) =>
  runCliAsync(['apply', '--no-wait', '--kubeconfig', bench().adminKubeconfig], { cwd: repo });

beforeAll(async () => {
  await installGatewayApiCrds();
  await installCrds(testCrd('istio-virtualservice'));
}, 120_000);

describe('traffic CRDs on the bench', () => {
  it('installs the Gateway API v1.6 standard CRDs from the Go module', async () => {
    const names = (await gatewayApiCrds()).map((c) => c.metadata.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'gatewayclasses.gateway.networking.k8s.io',
        'gateways.gateway.networking.k8s.io',
        'httproutes.gateway.networking.k8s.io',
        'grpcroutes.gateway.networking.k8s.io',
        'referencegrants.gateway.networking.k8s.io',
      ]),
    );
    const crd = await api<{ metadata: { annotations: Record<string, string> } }>(
      'GET',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/httproutes.gateway.networking.k8s.io',
    );
    expect(crd.body.metadata.annotations['gateway.networking.k8s.io/bundle-version']).toBe('v1.6.3');
    expect(crd.body.metadata.annotations['gateway.networking.k8s.io/channel']).toBe('standard');
  });

  it('kubeplan applies an HTTPRoute with weighted backends and an Istio VirtualService, and changes a weight', async () => {
    const ns = uniq();
    const repo = repoWith(ns, [route([90, 10]), virtualService]);
    const first = await apply(repo);
    expect(first.code, first.stderr).toBe(0);
    const live = await api<{ spec: { rules: { backendRefs: { name: string; weight: number }[] }[] } }>(
      'GET',
      `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/shop`,
    );
    expect(live.body.spec.rules[0]!.backendRefs.map((b) => [b.name, b.weight])).toEqual([
      ['shop-stable', 90],
      ['shop-canary', 10],
    ]);
    const vs = await api('GET', `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices/shop`);
    expect(vs.status).toBe(200);
    // The same object through an older served version of Istio's API.
    expect((await api('GET', `/apis/networking.istio.io/v1alpha3/namespaces/${ns}/virtualservices/shop`)).status).toBe(
      200,
    );

    const repo2 = repoWith(ns, [route([50, 50]), virtualService]);
    const second = await apply(repo2);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`updated   gateway.networking.k8s.io/v1 HTTPRoute ${ns}/shop`);
  });

  it("the real Gateway API schema refuses a weight out of its range, and kubeplan names the route's field", async () => {
    const ns = uniq();
    const run = await apply(repoWith(ns, [route([90, -1])]));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`HTTPRoute ${ns}/shop`);
    expect(run.stderr).toMatch(/spec\.rules\[0\]\.backendRefs\[1\]\.weight/);
    expect((await api('GET', `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/shop`)).status).toBe(404);
  });
});
