import { foreignHookError, HOOK_OF, isHookOf } from '../cluster/applyset.js';
import { throwIfCancelled } from '../cancel.js';
import type { ClusterClient } from '../cluster/client.js';
import { resourcePath, type ResourceMap } from '../cluster/discovery.js';
import { serverSideApply } from '../cluster/objects.js';
import type { Change, PlannedHook } from '../diff/types.js';
import { ClusterError, formatWhere, objectWhere, type Where } from '../errors.js';
import type { KubeObject } from '../manifests/types.js';
import { ApplyError } from './apply-error.js';
import { waitHealthy } from './health.js';

export type HookPhase = 'pre-install' | 'pre-upgrade' | 'post-install' | 'post-upgrade';

/**
 * Runs the Helm hooks of one phase as Helm does: by ascending `helm.sh/hook-weight` (then name), each one created,
 * waited for (a Job until Complete), and deleted as `helm.sh/hook-delete-policy` says (`before-hook-creation` when
 * none is given). `test` hooks never run. Returns the names it ran.
 */
export async function runHooks(
  hooks: PlannedHook[],
  phase: HookPhase,
  client: ClusterClient,
  resources: ResourceMap,
  options: { timeoutMs: number; onProgress?: (message: string) => void; signal?: AbortSignal | undefined },
): Promise<string[]> {
  const selected = hooks
    .filter((h) => h.hook.events.includes(phase))
    .sort((a, b) => a.hook.weight - b.hook.weight || a.object.metadata.name.localeCompare(b.object.metadata.name));
  const ran: string[] = [];
  for (const h of selected) {
    throwIfCancelled(options.signal, `the ${phase} hook ${h.object.kind} ${h.object.metadata.name}`);
    const resource = h.resource ?? resources.lookup(h.object);
    const change: Change = {
      action: 'create',
      apiVersion: h.object.apiVersion,
      kind: h.object.kind,
      ...(h.object.metadata.namespace ? { namespace: h.object.metadata.namespace } : {}),
      name: h.object.metadata.name,
      paths: [],
      digest: [],
      diff: '',
      via: 'intent',
      object: h.object,
      ...(resource ? { resource } : {}),
    };
    const where: Where = { ...objectWhere(change), hook: phase };
    const shown = formatWhere(where);
    if (!resource)
      throw new ApplyError(`the cluster has no kind ${h.object.kind} in ${h.object.apiVersion}`, {
        where,
        hint: 'install its CRD first',
      });
    const policies = h.hook.deletePolicies.length ? h.hook.deletePolicies : ['before-hook-creation'];
    await refuseForeignObject(client, change, h.object.metadata.labels?.[HOOK_OF] ?? '', where);
    if (policies.includes('before-hook-creation')) await deleteAndWait(client, change);
    try {
      await serverSideApply(client, resource, h.object, { dryRun: false, force: true });
      options.onProgress?.(`running ${shown}`);
      await waitHealthy(client, [change], {
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        ...(options.onProgress
          ? { onProgress: (p) => options.onProgress!(`waiting ${p[0]!.seconds}s for ${shown}: ${p[0]!.reason}`) }
          : {}),
      });
    } catch (error) {
      if (policies.includes('hook-failed')) await deleteAndWait(client, change).catch(() => undefined);
      // `where` names the hook once: the message says only what happened to it.
      if (error instanceof ApplyError || error instanceof ClusterError)
        throw new ApplyError(`failed: ${error.message}`, { where, hint: error.hint, cause: error });
      throw error;
    }
    if (policies.includes('hook-succeeded')) await deleteAndWait(client, change);
    ran.push(`${phase} ${h.object.kind} ${h.object.metadata.name}`);
  }
  return ran;
}

/** The plan checked this too; the cluster may have changed since. Nothing but this target's own hook is replaced. */
async function refuseForeignObject(client: ClusterClient, c: Change, id: string, where: Where): Promise<void> {
  let live: KubeObject;
  try {
    live = (await client.request<KubeObject>('GET', resourcePath(c.resource!, c.namespace, c.name))).body;
  } catch (error) {
    if (error instanceof ClusterError && error.status === 404) return;
    if (error instanceof ClusterError)
      throw new ApplyError(`failed: ${error.message}`, { where, hint: error.hint, cause: error });
    throw error;
  }
  if (isHookOf(live, id)) return;
  const { message, hint } = foreignHookError(live);
  throw new ApplyError(message, { where, hint });
}

/** Deletes an object and waits until it is gone (used for hook policies and for recreating). */
export async function deleteAndWait(client: ClusterClient, c: Change): Promise<void> {
  const url = resourcePath(c.resource!, c.namespace, c.name);
  try {
    await client.request('DELETE', url, { query: { propagationPolicy: 'Background' } });
  } catch (error) {
    if (error instanceof ClusterError && error.status === 404) return;
    throw error;
  }
  for (let i = 0; i < 600; i++) {
    try {
      await client.request('GET', url);
    } catch (error) {
      if (error instanceof ClusterError && error.status === 404) return;
      throw error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new ApplyError('was not deleted within 60s (a finalizer?)', {
    where: objectWhere(c),
    hint: 'check its finalizers',
  });
}
