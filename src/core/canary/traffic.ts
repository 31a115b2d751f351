/**
 * The objects of a canary, derived from what git renders (#19, not wired into apply yet): the stable Deployment keeps
 * the last good pod template, `<name>-canary` runs git's new one, `<service>-stable` / `<service>-canary` Services
 * select each track, and the route (a Gateway API HTTPRoute or an Istio VirtualService from git) sends `weight` percent
 * to the canary. Pods carry `kubeplan.dev/track: stable | canary` so the two Services can tell them apart (a Service
 * selector cannot exclude); the stable Deployment's selector stays as git has it (selectors are immutable), the canary
 * Deployment's selector adds the track. In `replicas` mode (no mesh) there are no derived Services: the canary's pods
 * carry the Service's labels and the share is the canary's part of all ready pods.
 *
 * Everything here is pure: input objects are never changed, and bad input is a list of errors naming the object and
 * what to do, found before anything is written.
 */
import { ErrorList, KubeplanError, objectWhere, type Where } from '../errors.js';
import { isRecord } from '../manifests/parse-stream.js';
import type { KubeObject } from '../manifests/types.js';

export const TRACK = 'kubeplan.dev/track';

export type TrafficSpec =
  | { mode: 'gatewayAPI'; route: string }
  | { mode: 'istio'; virtualService: string }
  | { mode: 'replicas' };

export interface CanarySpec {
  target: string;
  /** The target's namespace: objects rendered without one are in it. */
  namespace: string;
  workload: { kind: 'Deployment'; name: string };
  service: string;
  traffic: TrafficSpec;
}

/** Bad canary input: exit 2, nothing written. */
export class CanaryInputError extends KubeplanError {}

export interface CanaryParts {
  workload: KubeObject;
  service: KubeObject;
  route: KubeObject | undefined;
}

const nsOf = (o: KubeObject, spec: CanarySpec) => o.metadata.namespace ?? spec.namespace;
const where = (o: KubeObject, spec: CanarySpec): Where =>
  objectWhere({ apiVersion: o.apiVersion, kind: o.kind, namespace: nsOf(o, spec), name: o.metadata.name });
const groupOf = (o: KubeObject) => (o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '');
const clone = <T>(v: T): T => structuredClone(v);

/** `matchLabels` ⊆ `labels`. */
function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}

function podLabels(workload: KubeObject): Record<string, string> {
  const template = isRecord(workload.spec) && isRecord(workload.spec.template) ? workload.spec.template : {};
  const metadata = isRecord(template.metadata) ? template.metadata : {};
  return isRecord(metadata.labels) ? (metadata.labels as Record<string, string>) : {};
}

function serviceSelector(service: KubeObject): Record<string, string> {
  const spec = isRecord(service.spec) ? service.spec : {};
  return isRecord(spec.selector) ? (spec.selector as Record<string, string>) : {};
}

/**
 * Finds the workload, Service and route the canary config names in a target's render, and checks them: each is
 * rendered; the Service selects the workload's pods and no other Deployment's (overlapping selectors would put
 * foreign pods behind the canary's Services); the route sends to the Service; git gives the canary no traffic of its
 * own; no HorizontalPodAutoscaler scales the workload in `replicas` mode (it would undo the replica share).
 */
export function canaryParts(objects: readonly KubeObject[], spec: CanarySpec): CanaryParts {
  const errors: CanaryInputError[] = [];
  const find = (apiGroup: string, kind: string, name: string) =>
    objects.find(
      (o) => o.kind === kind && groupOf(o) === apiGroup && o.metadata.name === name && nsOf(o, spec) === spec.namespace,
    );
  const missing = (what: string, key: string, hint: string) =>
    errors.push(
      new CanaryInputError(`target ${spec.target} renders no ${what}, which its canary.${key} names`, {
        where: { target: spec.target },
        hint,
      }),
    );
  const workload = find('apps', 'Deployment', spec.workload.name);
  if (!workload)
    missing(
      `Deployment ${spec.namespace}/${spec.workload.name}`,
      'workload',
      'name a Deployment of this target in canary.workload (a canary runs a Deployment)',
    );
  const service = find('', 'Service', spec.service);
  if (!service)
    missing(
      `Service ${spec.namespace}/${spec.service}`,
      'service',
      'name the Service in front of the workload in canary.service',
    );
  if (workload && service) {
    const selector = serviceSelector(service);
    if (!selects(selector, podLabels(workload)))
      errors.push(
        new CanaryInputError(
          `Service ${spec.service} does not select the pods of Deployment ${spec.workload.name} (its selector ${JSON.stringify(selector)} is not among the pod labels)`,
          { where: where(service, spec), hint: 'make the Service select the workload’s pod labels' },
        ),
      );
    const others = objects.filter(
      (o) =>
        o !== workload &&
        o.kind === 'Deployment' &&
        groupOf(o) === 'apps' &&
        nsOf(o, spec) === spec.namespace &&
        selects(selector, podLabels(o)),
    );
    for (const other of others)
      errors.push(
        new CanaryInputError(
          `Service ${spec.service} also selects the pods of Deployment ${other.metadata.name}: overlapping selectors would send the canary's traffic to pods that are not the canary's`,
          {
            where: where(other, spec),
            hint: `give Deployment ${other.metadata.name}'s pods a label that Service ${spec.service}'s selector does not match`,
          },
        ),
      );
  }
  let route: KubeObject | undefined;
  if (spec.traffic.mode === 'gatewayAPI') {
    route = find('gateway.networking.k8s.io', 'HTTPRoute', spec.traffic.route);
    if (!route)
      missing(
        `HTTPRoute ${spec.namespace}/${spec.traffic.route}`,
        'traffic.gatewayAPI.route',
        'render the HTTPRoute that sends traffic to the Service in this target',
      );
  } else if (spec.traffic.mode === 'istio') {
    route = find('networking.istio.io', 'VirtualService', spec.traffic.virtualService);
    if (!route)
      missing(
        `VirtualService ${spec.namespace}/${spec.traffic.virtualService}`,
        'traffic.istio.virtualService',
        'render the VirtualService that sends traffic to the Service in this target',
      );
  } else if (workload) {
    const hpa = objects.find((o) => {
      if (o.kind !== 'HorizontalPodAutoscaler' || nsOf(o, spec) !== spec.namespace) return false;
      const ref = isRecord(o.spec) && isRecord(o.spec.scaleTargetRef) ? o.spec.scaleTargetRef : {};
      return ref.kind === 'Deployment' && ref.name === spec.workload.name;
    });
    if (hpa)
      errors.push(
        new CanaryInputError(
          `HorizontalPodAutoscaler ${hpa.metadata.name} scales Deployment ${spec.workload.name}, whose canary share is set by replica counts (canary.traffic.replicas)`,
          {
            where: where(hpa, spec),
            hint: 'use canary.traffic.gatewayAPI or istio (weights do not depend on replica counts), or drop the HPA',
          },
        ),
      );
  }
  if (route && service) {
    try {
      weightedRoute(route, spec, 0);
    } catch (error) {
      if (error instanceof ErrorList) errors.push(...(error.errors as CanaryInputError[]));
      else throw error;
    }
  }
  if (errors.length) throw errors.length === 1 ? errors[0]! : new ErrorList(errors);
  return { workload: workload!, service: service!, route };
}

/** `<service>-stable` and `<service>-canary`: the Service's ports, its selector plus the track. */
export function derivedServices(service: KubeObject): [KubeObject, KubeObject] {
  const make = (track: 'stable' | 'canary'): KubeObject => {
    const spec = isRecord(service.spec) ? clone(service.spec) : {};
    // Addresses are the apiserver's: a copy must get its own.
    delete spec.clusterIP;
    delete spec.clusterIPs;
    delete spec.externalIPs;
    delete spec.loadBalancerIP;
    if (spec.type === 'LoadBalancer' || spec.type === 'NodePort') spec.type = 'ClusterIP';
    for (const port of Array.isArray(spec.ports) ? spec.ports : []) if (isRecord(port)) delete port.nodePort;
    spec.selector = { ...serviceSelector(service), [TRACK]: track };
    const metadata: KubeObject['metadata'] = {
      name: `${service.metadata.name}-${track}`,
      labels: { ...(service.metadata.labels ?? {}), [TRACK]: track },
    };
    if (service.metadata.namespace) metadata.namespace = service.metadata.namespace;
    return { apiVersion: 'v1', kind: 'Service', metadata, spec };
  };
  return [make('stable'), make('canary')];
}

/** A Deployment's pods labelled with their track; the canary's copy also gets its own name and selector. */
export function trackDeployment(workload: KubeObject, track: 'stable' | 'canary', replicas?: number): KubeObject {
  const copy = clone(workload);
  const spec = isRecord(copy.spec) ? copy.spec : (copy.spec = {});
  const template = isRecord(spec.template) ? spec.template : (spec.template = {});
  const metadata = isRecord(template.metadata) ? template.metadata : (template.metadata = {});
  metadata.labels = { ...(isRecord(metadata.labels) ? metadata.labels : {}), [TRACK]: track };
  if (track === 'canary') {
    copy.metadata = {
      ...copy.metadata,
      name: `${workload.metadata.name}-canary`,
      labels: { ...(copy.metadata.labels ?? {}), [TRACK]: 'canary' },
    };
    const selector = isRecord(spec.selector) ? spec.selector : (spec.selector = {});
    selector.matchLabels = { ...(isRecord(selector.matchLabels) ? selector.matchLabels : {}), [TRACK]: 'canary' };
  }
  if (replicas !== undefined) spec.replicas = replicas;
  return copy;
}

/**
 * The route with `weight` percent to the canary. Every rule that sends to the Service sends to `-stable` and
 * `-canary` instead (100 − weight and weight); a route that git already writes that way gets its weights set. A rule
 * that mixes the Service with other backends, a route that never sends to it, or a canary backend with a weight in git
 * is bad input (thrown as an ErrorList).
 */
export function weightedRoute(route: KubeObject, spec: CanarySpec, weight: number): KubeObject {
  if (!(weight >= 0 && weight <= 100)) throw new RangeError(`canary weight ${weight} is not within 0–100`);
  const copy = clone(route);
  const errors: CanaryInputError[] = [];
  const svc = spec.service;
  const at = where(route, spec);
  let sends = 0;
  const rules = (key: 'rules' | 'http'): unknown[] =>
    isRecord(copy.spec) && Array.isArray(copy.spec[key]) ? (copy.spec[key] as unknown[]) : [];
  const check = (name: string, w: unknown, path: string) => {
    if (name === `${svc}-canary` && w !== undefined && w !== 0)
      errors.push(
        new CanaryInputError(
          `${path} gives the canary Service ${svc}-canary weight ${JSON.stringify(w)} in git; kubeplan sets the canary's weight itself`,
          { where: at, hint: `set its weight to 0 in git, or send to Service ${svc} and let kubeplan split it` },
        ),
      );
  };
  if (route.kind === 'HTTPRoute') {
    for (const [i, rule] of rules('rules').entries()) {
      if (!isRecord(rule) || !Array.isArray(rule.backendRefs)) continue;
      const refs = rule.backendRefs.filter(isRecord);
      const isService = (r: Record<string, unknown>) =>
        (r.group ?? '') === '' &&
        (r.kind ?? 'Service') === 'Service' &&
        (r.namespace === undefined || r.namespace === nsOf(route, spec));
      refs.forEach((r, j) => {
        check(String(r.name), r.weight, `spec.rules[${i}].backendRefs[${j}]`);
      });
      const plain = refs.filter((r) => isService(r) && r.name === svc);
      const split = refs.filter((r) => isService(r) && (r.name === `${svc}-stable` || r.name === `${svc}-canary`));
      if (plain.length === 0 && split.length === 0) continue;
      sends++;
      const others = refs.filter((r) => !plain.includes(r) && !split.includes(r));
      if (others.length || plain.length > 1 || (plain.length && split.length)) {
        errors.push(
          new CanaryInputError(
            `spec.rules[${i}] sends to Service ${svc} and also to ${others.map((r) => String(r.name)).join(', ') || 'it again'}; a canary splits a rule that sends to the Service alone`,
            { where: at, hint: `give the other backends their own rule (matches), or send this rule to ${svc} only` },
          ),
        );
        continue;
      }
      const base = plain[0] ?? split[0]!;
      const { weight: _w, ...ref } = base;
      rule.backendRefs = [
        { ...ref, name: `${svc}-stable`, weight: 100 - weight },
        { ...ref, name: `${svc}-canary`, weight },
      ];
    }
  } else {
    const hosts = (name: string) => {
      const ns = nsOf(route, spec);
      return [name, `${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`];
    };
    const suffixOf = (host: string) => host.slice(host.indexOf('.') < 0 ? host.length : host.indexOf('.'));
    for (const [i, http] of rules('http').entries()) {
      if (!isRecord(http) || !Array.isArray(http.route)) continue;
      const dests = http.route.filter(isRecord);
      const hostOf = (d: Record<string, unknown>) =>
        isRecord(d.destination) && typeof d.destination.host === 'string' ? d.destination.host : '';
      dests.forEach((d, j) => {
        const host = hostOf(d);
        if (hosts(`${svc}-canary`).includes(host)) check(`${svc}-canary`, d.weight, `spec.http[${i}].route[${j}]`);
      });
      const plain = dests.filter((d) => hosts(svc).includes(hostOf(d)));
      const split = dests.filter((d) => [...hosts(`${svc}-stable`), ...hosts(`${svc}-canary`)].includes(hostOf(d)));
      if (plain.length === 0 && split.length === 0) continue;
      sends++;
      const others = dests.filter((d) => !plain.includes(d) && !split.includes(d));
      if (others.length || plain.length > 1 || (plain.length && split.length)) {
        errors.push(
          new CanaryInputError(
            `spec.http[${i}] sends to ${svc} and also to ${others.map(hostOf).join(', ') || 'it again'}; a canary splits a route that sends to the Service alone`,
            {
              where: at,
              hint: `give the other destinations their own http route (match), or send this one to ${svc} only`,
            },
          ),
        );
        continue;
      }
      const base = plain[0] ?? split[0]!;
      const destination = isRecord(base.destination) ? base.destination : {};
      const suffix = suffixOf(String(destination.host));
      const { weight: _w, ...rest } = base;
      http.route = [
        { ...rest, destination: { ...destination, host: `${svc}-stable${suffix}` }, weight: 100 - weight },
        { ...rest, destination: { ...destination, host: `${svc}-canary${suffix}` }, weight },
      ];
    }
  }
  if (sends === 0)
    errors.push(
      new CanaryInputError(`${route.kind} ${route.metadata.name} never sends traffic to Service ${svc}`, {
        where: at,
        hint: `add a backend that sends to Service ${svc}: the canary's traffic is split there`,
      }),
    );
  if (errors.length) throw new ErrorList(errors);
  return copy;
}

/**
 * `replicas` mode: how many canary pods give about `weight` percent of the pods next to `stable` ones, and the share
 * that really is. A share far from the asked one (more than 5 points) is worth a warning: few replicas cannot split
 * finely (2 stable pods: 1 canary pod is 33 %).
 */
export function replicaShare(
  weight: number,
  stable: number,
): { canary: number; share: number; warning: string | undefined } {
  if (weight <= 0) return { canary: 0, share: 0, warning: undefined };
  if (weight >= 100) return { canary: Math.max(stable, 1), share: 100, warning: undefined };
  const canary = Math.max(1, Math.round((weight * stable) / (100 - weight)));
  const share = Math.round((canary / (canary + stable)) * 1000) / 10;
  const warning =
    Math.abs(share - weight) > 5
      ? `with ${stable} stable replica${stable === 1 ? '' : 's'}, ${canary} canary ${canary === 1 ? 'pod takes' : 'pods take'} about ${share} % of the traffic, not ${weight} %; more replicas split finer`
      : undefined;
  return { canary, share, warning };
}
