import {
  APPLYSET_ID,
  applySetParent,
  CONFIG_FILE,
  foreignRepository,
  readInventory,
  TOOLING,
} from '../cluster/applyset.js';
import type { ClusterClient } from '../cluster/client.js';
import type { ResourceMap } from '../cluster/discovery.js';
import { listLiveObjects } from '../cluster/objects.js';
import type { Config } from '../config/types.js';
import { inlineCode } from '../report/escape.js';

/**
 * Targets this config once applied and no longer has: their inventories (`kubeplan-<target>` ConfigMaps kubeplan wrote
 * for this repository and config file) in the namespaces the config uses. Removing a target from kubeplan.yaml prunes
 * nothing (nobody plans it any more), so the plan says that its objects stay, and how to delete them.
 */
export async function removedTargetNotices(
  client: ClusterClient,
  resources: ResourceMap,
  config: Pick<Config, 'targets'>,
  identity: { repository: string | undefined; configFile: string },
  /** Where to look: the namespaces of these targets (a named cluster: every target's, also those not on it). */
  lookIn: Pick<Config, 'targets'> = config,
  /** Says where the notice is about: ` on cluster prod-eu`. */
  on = '',
): Promise<string[]> {
  const configMaps = resources.lookup({ apiVersion: 'v1', kind: 'ConfigMap' });
  if (!configMaps) return [];
  const names = new Set(config.targets.map((t) => t.name));
  const namespaces = [...new Set(lookIn.targets.map((t) => applySetParent(t.name, t.namespace).namespace))].sort();
  const notices: string[] = [];
  for (const namespace of namespaces) {
    let parents: Awaited<ReturnType<typeof listLiveObjects>>;
    try {
      parents = await listLiveObjects(client, configMaps, namespace, APPLYSET_ID);
    } catch {
      continue; // no right to list ConfigMaps there: nothing to say
    }
    for (const parent of parents.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
      const annotations = parent.metadata.annotations ?? {};
      const target = parent.metadata.name.replace(/^kubeplan-/, '');
      if (target === parent.metadata.name || names.has(target)) continue;
      if (!(annotations[TOOLING] ?? '').startsWith('kubeplan/')) continue;
      // Another repository's or another config file's target is not this config's to report.
      if (foreignRepository(parent, identity.repository, target)) continue;
      if ((annotations[CONFIG_FILE] ?? identity.configFile) !== identity.configFile) continue;
      notices.push(await describeRemoved(client, resources, target, namespace, identity.configFile, on));
    }
  }
  return notices;
}

async function describeRemoved(
  client: ClusterClient,
  resources: ResourceMap,
  target: string,
  namespace: string,
  configFile: string,
  on: string,
): Promise<string> {
  const parent = applySetParent(target, namespace);
  let members: Awaited<ReturnType<typeof readInventory>>['members'] = [];
  try {
    members = (await readInventory(client, resources, parent)).members;
  } catch {
    // listed above, unreadable now: still worth naming
  }
  const byNamespace = new Map<string, string[]>();
  for (const { object, info } of members) {
    const ns = info.namespaced ? (object.metadata.namespace ?? namespace) : '';
    const ref = `${info.group ? `${info.resource}.${info.group}` : info.resource}/${object.metadata.name}`;
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), ref]);
  }
  const commands = [...byNamespace]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([ns, refs]) => `kubectl delete ${ns ? `--namespace ${ns} ` : ''}${refs.sort().join(' ')}`);
  commands.push(`kubectl delete --namespace ${namespace} configmap/${parent.name}`);
  const count = `${members.length} object${members.length === 1 ? '' : 's'}`;
  return (
    `Target ${inlineCode(target)} is no longer in ${inlineCode(configFile)}${on ? `${on.replace(/^ on /, ' for ')}` : ''}, but its inventory ` +
    `${inlineCode(`${namespace}/${parent.name}`)}${on} still lists ${count}: kubeplan leaves them in the cluster (removing ` +
    `a target prunes nothing). To delete them${on ? ` (with a kubeconfig for that cluster)` : ''}: ${commands.map((c) => inlineCode(c)).join(', then ')}. To keep ` +
    `them managed, add the target back (a target of another name takes them over with ` +
    `${inlineCode('kubeplan.dev/adopt: "true"')}).`
  );
}
