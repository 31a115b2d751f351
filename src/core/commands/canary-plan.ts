/**
 * The canary targets of a plan or a drift check, at their canary's place: the same read apply makes before it plans
 * (prepareCanaries), read-only, with what to grant when the credentials may not read the canary's state.
 */
import type { ClusterClient } from '../cluster/client.js';
import type { Config } from '../config/types.js';
import { ClusterError } from '../errors.js';
import type { ManifestSet } from '../manifests/types.js';
import { prepareCanaries } from './canary-apply.js';

/**
 * Each canary target's set replaced by the objects of its canary's place (others as they are), and what each canary
 * target found. Nothing is written. A refused read names the target and the rights its canary needs.
 */
export async function readCanaryPlaces(
  config: Config,
  sets: ManifestSet[],
  client: ClusterClient,
  onWarning?: (warning: string) => void,
): ReturnType<typeof prepareCanaries> {
  const out: ManifestSet[] = [];
  const preps: Awaited<ReturnType<typeof prepareCanaries>>['preps'] = new Map();
  for (const set of sets) {
    try {
      const one = await prepareCanaries(config, [set], client, { commit: undefined, onWarning });
      out.push(...one.sets);
      for (const [target, prep] of one.preps) preps.set(target, prep);
    } catch (error) {
      if (!(error instanceof ClusterError && error.status === 403)) throw error;
      const namespace = config.targets.find((t) => t.name === set.target)?.namespace ?? '';
      throw new ClusterError(`these credentials may not read where the target's canary stands: ${error.message}`, {
        status: error.status,
        reason: error.reason,
        where: { target: set.target },
        hint: `kubeplan reads the canary's state (ConfigMap kubeplan-canary-${set.target}) and the target's rollback revisions (Secrets of type kubeplan.dev/revision) in namespace ${namespace}: grant get and list on configmaps and secrets there`,
        cause: error,
      });
    }
  }
  return { sets: out, preps };
}
