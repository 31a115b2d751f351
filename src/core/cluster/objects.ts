import type { KubeObject } from '../manifests/types.js';
import type { ClusterClient } from './client.js';
import { resourcePath, type ResourceInfo } from './discovery.js';
import { FIELD_MANAGER } from '../diff/managed-fields.js';

interface ObjectList {
  metadata?: { continue?: string };
  items?: Record<string, unknown>[];
}

/** Every object of one kind in one namespace (or cluster-wide), page by page; items get apiVersion and kind back. */
export async function listLiveObjects(
  client: ClusterClient,
  info: ResourceInfo,
  namespace: string | undefined,
  labelSelector?: string,
): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  let token: string | undefined;
  const apiVersion = info.group === '' ? info.version : `${info.group}/${info.version}`;
  do {
    const res = await client.request<ObjectList>('GET', resourcePath(info, namespace), {
      list: true,
      query: { limit: 500, continue: token, labelSelector },
    });
    for (const item of res.body.items ?? []) objects.push({ ...item, apiVersion, kind: info.kind } as KubeObject);
    token = res.body.metadata?.continue || undefined;
  } while (token);
  return objects;
}

/** Server-side apply as field manager kubeplan; with dryRun nothing is stored and the result is what would be. */
export async function serverSideApply(
  client: ClusterClient,
  info: ResourceInfo,
  object: KubeObject,
  options: { dryRun: boolean; force: boolean },
): Promise<KubeObject> {
  const res = await client.request<KubeObject>(
    'PATCH',
    resourcePath(info, object.metadata.namespace, object.metadata.name),
    {
      query: { fieldManager: FIELD_MANAGER, force: options.force, dryRun: options.dryRun ? 'All' : undefined },
      body: object,
      contentType: 'application/apply-patch+yaml',
    },
  );
  return res.body;
}

/** Whether the current credentials may do `verb` on the resource (a SelfSubjectAccessReview). */
export function canI(
  client: ClusterClient,
  verb: string,
  info: ResourceInfo,
  namespace: string | undefined,
): Promise<boolean> {
  return accessAllowed(client, {
    verb,
    group: info.group,
    resource: info.resource,
    namespace: info.namespaced ? namespace : undefined,
  });
}

/** One SelfSubjectAccessReview: may the current credentials do `verb` on `resource` (in `namespace`, or cluster-wide)? */
export async function accessAllowed(
  client: ClusterClient,
  access: { verb: string; group: string; resource: string; namespace?: string | undefined },
): Promise<boolean> {
  const res = await client.request<{ status?: { allowed?: boolean } }>(
    'POST',
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            verb: access.verb,
            group: access.group,
            resource: access.resource,
            ...(access.namespace ? { namespace: access.namespace } : {}),
          },
        },
      },
    },
  );
  return res.body.status?.allowed === true;
}
