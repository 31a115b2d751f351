import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CanarySpec,
  canaryParts,
  derivedServices,
  replicaShare,
  TRACK,
  trackDeployment,
  weightedRoute,
} from '../../src/core/canary/traffic.js';
import { effectiveManifests, templateHash } from '../../src/core/canary/effective.js';
import { formatError } from '../../src/core/errors.js';
import type { KubeObject } from '../../src/core/manifests/types.js';
import { installCrds, installGatewayApiCrds, testCrd } from '../harness/crds.js';
import { api, freshNamespace } from '../harness/kube.js';

// The objects a canary derives from git's render (stable/canary Deployments and Services, the weighted route), and
// the bad input it refuses before anything is written. The derived objects are checked against the real Gateway API
// schema on the bench apiserver.

const labels = { 'app.kubernetes.io/name': 'shop' };
const deployment = (name: string, podLabels: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 3,
    selector: { matchLabels: podLabels },
    template: {
      metadata: { labels: podLabels },
      spec: { containers: [{ name: 'shop', image: 'ghcr.io/example/shop:2.4.0' }] },
    },
  },
});
const service: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'shop' },
  spec: { type: 'LoadBalancer', clusterIP: '10.0.0.9', selector: labels, ports: [{ port: 80, nodePort: 31000 }] },
};
const httpRoute = (refs: object[]): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'shop' },
  spec: { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: refs }] },
});
const virtualService = (route: object[]): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'shop' },
  spec: { hosts: ['shop.example'], http: [{ route }] },
});
const spec = (traffic: CanarySpec['traffic'], namespace = 'shop'): CanarySpec => ({
  target: 'shop-prod',
  namespace,
  workload: { kind: 'Deployment', name: 'shop' },
  service: 'shop',
  traffic,
});
const gateway = spec({ mode: 'gatewayAPI', route: 'shop' });
/** A derived object seen through the shape a test reads. */
const view = <T>(o: KubeObject) => o as unknown as T;
const errorOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return formatError(error);
  }
  throw new Error('expected an error');
};

describe('canary objects', () => {
  it('splits the route: the Service becomes -stable at 100 − w and -canary at w, and derived Services select by track', () => {
    const objects = [deployment('shop', labels), service, httpRoute([{ name: 'shop', port: 80 }])];
    const parts = canaryParts(objects, gateway);
    const routed = view<{ spec: { rules: { backendRefs: object[] }[] } }>(weightedRoute(parts.route!, gateway, 10));
    expect(routed.spec.rules[0]!.backendRefs).toEqual([
      { name: 'shop-stable', port: 80, weight: 90 },
      { name: 'shop-canary', port: 80, weight: 10 },
    ]);
    // The input is not changed.
    expect((objects[2]!.spec as { rules: { backendRefs: object[] }[] }).rules[0]!.backendRefs).toEqual([
      { name: 'shop', port: 80 },
    ]);
    const [stable, canary] = derivedServices(service);
    expect(stable.metadata.name).toBe('shop-stable');
    expect(stable.spec).toEqual({
      type: 'ClusterIP',
      selector: { ...labels, [TRACK]: 'stable' },
      ports: [{ port: 80 }],
    });
    expect((canary.spec as { selector: object }).selector).toEqual({ ...labels, [TRACK]: 'canary' });
    type DeploymentView = {
      metadata: { name: string };
      spec: { replicas: number; selector: { matchLabels: object }; template: { metadata: { labels: object } } };
    };
    const canaryDeployment = view<DeploymentView>(trackDeployment(parts.workload, 'canary', 1));
    expect(canaryDeployment.metadata.name).toBe('shop-canary');
    expect(canaryDeployment.spec.replicas).toBe(1);
    expect(canaryDeployment.spec.selector.matchLabels).toEqual({ ...labels, [TRACK]: 'canary' });
    // The stable Deployment's selector is immutable: only its pods get the track.
    const stableDeployment = view<DeploymentView>(trackDeployment(parts.workload, 'stable'));
    expect(stableDeployment.spec.selector.matchLabels).toEqual(labels);
    expect(stableDeployment.spec.template.metadata.labels).toEqual({ ...labels, [TRACK]: 'stable' });
  });

  it('an Istio VirtualService keeps the host form and the other fields of the destination', () => {
    const istio = spec({ mode: 'istio', virtualService: 'shop' });
    const vs = virtualService([{ destination: { host: 'shop.shop.svc.cluster.local', port: { number: 80 } } }]);
    const routed = view<{ spec: { http: { route: object[] }[] } }>(weightedRoute(vs, istio, 50));
    expect(routed.spec.http[0]!.route).toEqual([
      { destination: { host: 'shop-stable.shop.svc.cluster.local', port: { number: 80 } }, weight: 50 },
      { destination: { host: 'shop-canary.shop.svc.cluster.local', port: { number: 80 } }, weight: 50 },
    ]);
    // Git may write the split itself, with the canary at 0: kubeplan sets the weights.
    const split = virtualService([
      { destination: { host: 'shop-stable' }, weight: 100 },
      { destination: { host: 'shop-canary' }, weight: 0 },
    ]);
    expect(
      view<{ spec: { http: { route: { weight: number }[] }[] } }>(
        weightedRoute(split, istio, 10),
      ).spec.http[0]!.route.map((r) => r.weight),
    ).toEqual([90, 10]);
  });

  it('refuses bad input with the object and what to do: overlapping selectors, a route without the Service, a canary weight in git, an HPA in replicas mode', () => {
    // Another Deployment's pods behind the same Service.
    expect(
      errorOf(() =>
        canaryParts(
          [
            deployment('shop', labels),
            deployment('shop-admin', { ...labels, role: 'admin' }),
            service,
            httpRoute([{ name: 'shop', port: 80 }]),
          ],
          gateway,
        ),
      ),
    ).toContain(
      'apps/v1 Deployment shop/shop-admin: Service shop also selects the pods of Deployment shop-admin: overlapping selectors',
    );
    // The route never sends to the Service.
    expect(
      errorOf(() =>
        canaryParts([deployment('shop', labels), service, httpRoute([{ name: 'web', port: 80 }])], gateway),
      ),
    ).toContain('gateway.networking.k8s.io/v1 HTTPRoute shop/shop: HTTPRoute shop never sends traffic to Service shop');
    // Git gives the canary traffic.
    expect(
      errorOf(() =>
        canaryParts(
          [
            deployment('shop', labels),
            service,
            httpRoute([
              { name: 'shop-stable', port: 80, weight: 90 },
              { name: 'shop-canary', port: 80, weight: 10 },
            ]),
          ],
          gateway,
        ),
      ),
    ).toContain('spec.rules[0].backendRefs[1] gives the canary Service shop-canary weight 10 in git');
    // A rule that mixes the Service with another backend cannot be split.
    expect(
      errorOf(() =>
        canaryParts(
          [
            deployment('shop', labels),
            service,
            httpRoute([
              { name: 'shop', port: 80 },
              { name: 'legacy', port: 80 },
            ]),
          ],
          gateway,
        ),
      ),
    ).toContain('spec.rules[0] sends to Service shop and also to legacy');
    // An HPA would undo the replica share.
    const hpa: KubeObject = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'shop' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop' }, maxReplicas: 5 },
    };
    expect(
      errorOf(() => canaryParts([deployment('shop', labels), service, hpa], spec({ mode: 'replicas' }))),
    ).toContain('HorizontalPodAutoscaler shop scales Deployment shop, whose canary share is set by replica counts');
    // Missing parts are named by their config key; every problem is reported at once.
    const missing = errorOf(() => canaryParts([], gateway));
    expect(missing).toContain(
      'target shop-prod: target shop-prod renders no Deployment shop/shop, which its canary.workload names',
    );
    expect(missing).toContain('renders no Service shop/shop, which its canary.service names');
    expect(missing).toContain('renders no HTTPRoute shop/shop, which its canary.traffic.gatewayAPI.route names');
  });

  it('replicas mode: the canary pod count nearest the weight, and a warning when few replicas cannot split finely', () => {
    expect(replicaShare(10, 9)).toEqual({ canary: 1, share: 10, warning: undefined });
    expect(replicaShare(50, 4)).toEqual({ canary: 4, share: 50, warning: undefined });
    const coarse = replicaShare(10, 2);
    expect(coarse).toMatchObject({ canary: 1, share: 33.3 });
    expect(coarse.warning).toContain('1 canary pod takes about 33.3 % of the traffic, not 10 %');
    expect(replicaShare(0, 3).canary).toBe(0);
  });
});

describe('canary objects on the bench apiserver', () => {
  beforeAll(async () => {
    await installGatewayApiCrds();
    await installCrds(testCrd('istio-virtualservice'));
  }, 120_000);

  it('the real Gateway API schema and the apiserver accept every derived object', async () => {
    const ns = await freshNamespace('ctraffic');
    const s = spec({ mode: 'gatewayAPI', route: 'shop' }, ns);
    const objects = [deployment('shop', labels), service, httpRoute([{ name: 'shop', port: 80 }])];
    const parts = canaryParts(objects, s);
    const [stableSvc, canarySvc] = derivedServices(parts.service);
    const created = [
      ['/apis/apps/v1', 'deployments', trackDeployment(parts.workload, 'stable')],
      ['/apis/apps/v1', 'deployments', trackDeployment(parts.workload, 'canary', 1)],
      ['/api/v1', 'services', stableSvc],
      ['/api/v1', 'services', canarySvc],
      ['/apis/gateway.networking.k8s.io/v1', 'httproutes', weightedRoute(parts.route!, s, 10)],
    ] as const;
    for (const [group, resource, body] of created) {
      const res = await api('POST', `${group}/namespaces/${ns}/${resource}`, { body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const live = await api<{ spec: { rules: { backendRefs: { name: string; weight: number }[] }[] } }>(
      'GET',
      `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/shop`,
    );
    expect(live.body.spec.rules[0]!.backendRefs.map((b) => [b.name, b.weight])).toEqual([
      ['shop-stable', 90],
      ['shop-canary', 10],
    ]);
  });
});

describe('the objects a canary target applies', () => {
  const manifests = (workload: KubeObject) =>
    [workload, service, httpRoute([{ name: 'shop', port: 80 }])].map((object, i) => ({
      object,
      source: { file: `manifests/${i}.yaml`, line: 1 },
    }));
  const v1 = deployment('shop', labels);
  const v2 = structuredClone(v1) as KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } };
  v2.spec.template.spec.containers[0]!.image = 'ghcr.io/example/shop:2.5.0';

  it('steady: git’s workload on the stable track, derived Services next to the Service, the route at 100/0', () => {
    const { manifests: out } = effectiveManifests(manifests(v1), gateway, { canary: false });
    expect(out.map((m) => `${m.object.kind}/${m.object.metadata.name}@${m.source.file}`)).toEqual([
      'Deployment/shop@manifests/0.yaml',
      'Service/shop@manifests/1.yaml',
      'Service/shop-stable@manifests/1.yaml',
      'Service/shop-canary@manifests/1.yaml',
      'HTTPRoute/shop@manifests/2.yaml',
    ]);
    expect(
      view<{ spec: { rules: { backendRefs: { weight: number }[] }[] } }>(out[4]!.object).spec.rules[0]!.backendRefs.map(
        (r) => r.weight,
      ),
    ).toEqual([100, 0]);
  });

  it('canary: the workload keeps the stable template, -canary runs git’s, the route sends the weight; the template hash tells them apart', () => {
    const stableTemplate = (v1.spec as { template: unknown }).template;
    const { manifests: out } = effectiveManifests(manifests(v2), gateway, { canary: true, stableTemplate, weight: 10 });
    const image = (o: KubeObject) =>
      view<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(o).spec.template.spec.containers[0]!
        .image;
    expect(out.map((m) => m.object.metadata.name)).toEqual([
      'shop',
      'shop-canary',
      'shop',
      'shop-stable',
      'shop-canary',
      'shop',
    ]);
    expect(image(out[0]!.object)).toBe('ghcr.io/example/shop:2.4.0');
    expect(image(out[1]!.object)).toBe('ghcr.io/example/shop:2.5.0');
    expect(
      view<{ spec: { rules: { backendRefs: { weight: number }[] }[] } }>(out[5]!.object).spec.rules[0]!.backendRefs.map(
        (r) => r.weight,
      ),
    ).toEqual([90, 10]);
    expect(templateHash(v1)).not.toBe(templateHash(v2));
    // Key order does not make another template.
    const reordered = { ...v1, spec: Object.fromEntries(Object.entries(v1.spec as object).reverse()) };
    expect(templateHash(reordered)).toBe(templateHash(v1));
  });

  it('replicas mode: no derived Services, the canary’s replica count from the weight, and a warning for a coarse split', () => {
    const replicas = spec({ mode: 'replicas' });
    const stableTemplate = (v1.spec as { template: unknown }).template;
    const { manifests: out, warnings } = effectiveManifests(manifests(v2).slice(0, 2), replicas, {
      canary: true,
      stableTemplate,
      weight: 10,
    });
    expect(out.map((m) => m.object.metadata.name)).toEqual(['shop', 'shop-canary', 'shop']);
    expect(view<{ spec: { replicas: number } }>(out[1]!.object).spec.replicas).toBe(1);
    expect(warnings).toEqual([
      'with 3 stable replicas, 1 canary pod takes about 25 % of the traffic, not 10 %; more replicas split finer',
    ]);
  });
});
