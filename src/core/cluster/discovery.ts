import type { KubeObject } from '../manifests/types.js';
import { apiGroup } from '../manifests/scope.js';
import type { ClusterClient } from './client.js';

/** How to reach one kind: its REST resource and scope. */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
  verbs: string[];
}

interface DiscoveryResource {
  resource: string;
  responseKind?: { group?: string; version?: string; kind?: string };
  scope: 'Namespaced' | 'Cluster';
  verbs?: string[];
}
interface DiscoveryList {
  items?: { metadata?: { name?: string }; versions?: { version: string; resources?: DiscoveryResource[] }[] }[];
}

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;q=0.9';

/** The cluster's kinds, read once per run with two aggregated-discovery requests (/api and /apis). */
export class ResourceMap {
  private readonly byGVK = new Map<string, ResourceInfo>();
  /** The first version discovery lists for a group/kind is the server's preferred one. */
  private readonly preferredByGK = new Map<string, ResourceInfo>();

  static async discover(client: ClusterClient): Promise<ResourceMap> {
    const map = new ResourceMap();
    const [core, groups] = await Promise.all([
      client.request<DiscoveryList>('GET', '/api', { accept: AGGREGATED }),
      client.request<DiscoveryList>('GET', '/apis', { accept: AGGREGATED }),
    ]);
    for (const list of [core.body, groups.body]) {
      for (const group of list.items ?? []) {
        const groupName = group.metadata?.name ?? '';
        for (const version of group.versions ?? []) {
          for (const r of version.resources ?? []) {
            const kind = r.responseKind?.kind;
            if (!kind || r.resource.includes('/')) continue;
            const info: ResourceInfo = {
              group: groupName,
              version: version.version,
              kind,
              resource: r.resource,
              namespaced: r.scope === 'Namespaced',
              verbs: r.verbs ?? [],
            };
            map.byGVK.set(`${groupName}/${version.version}/${kind}`, info);
            if (!map.preferredByGK.has(`${groupName}/${kind}`)) map.preferredByGK.set(`${groupName}/${kind}`, info);
          }
        }
      }
    }
    return map;
  }

  lookup(object: Pick<KubeObject, 'apiVersion' | 'kind'>): ResourceInfo | undefined {
    const group = apiGroup(object.apiVersion);
    const version = object.apiVersion.slice(object.apiVersion.indexOf('/') + 1);
    return this.byGVK.get(`${group}/${version}/${object.kind}`);
  }

  preferred(group: string, kind: string): ResourceInfo | undefined {
    return this.preferredByGK.get(`${group}/${kind}`);
  }

  /** Whether the group/kind exists at any version (for "wrong apiVersion" messages). */
  versionsOf(group: string, kind: string): string[] {
    return [...this.byGVK.values()].filter((r) => r.group === group && r.kind === kind).map((r) => r.version);
  }
}

/** The REST path of a collection (namespace undefined: cluster-wide) or of one object. */
export function resourcePath(info: ResourceInfo, namespace: string | undefined, name?: string): string {
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${info.resource}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}
