import { api } from './kube.js';

/** Pods of a template with this annotation never become available (the test's "bad image"). */
export const BROKEN = 'bench.kubeplan.dev/broken';

interface Deployment {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; generation?: number };
  spec: { replicas?: number; template?: { metadata?: { annotations?: Record<string, string> } } };
  status?: { observedGeneration?: number };
}

/**
 * Plays the Deployment controller on the bench apiserver (no controllers run there): every few hundred milliseconds
 * each Deployment of the namespace whose generation is not observed yet gets a status. A template annotated
 * {@link BROKEN} reports its progress deadline exceeded; any other one all replicas updated and available. `seen`
 * lists every (name, image) status written, in order, so a test can follow the rollout.
 */
export function startDeploymentController(namespace: string) {
  let running = true;
  const seen: { name: string; generation: number; broken: boolean }[] = [];
  const loop = (async () => {
    while (running) {
      const list = await api<{ items: Deployment[] }>('GET', `/apis/apps/v1/namespaces/${namespace}/deployments`);
      for (const d of list.status === 200 ? list.body.items : []) {
        const generation = d.metadata.generation ?? 1;
        if (d.status?.observedGeneration === generation) continue;
        const replicas = d.spec.replicas ?? 1;
        const broken = d.spec.template?.metadata?.annotations?.[BROKEN] === 'true';
        const status = broken
          ? {
              observedGeneration: generation,
              replicas,
              updatedReplicas: replicas,
              availableReplicas: 0,
              unavailableReplicas: replicas,
              conditions: [
                {
                  type: 'Progressing',
                  status: 'False',
                  reason: 'ProgressDeadlineExceeded',
                  message: `ReplicaSet "${d.metadata.name}" has timed out progressing.`,
                },
              ],
            }
          : {
              observedGeneration: generation,
              replicas,
              updatedReplicas: replicas,
              readyReplicas: replicas,
              availableReplicas: replicas,
              conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }],
            };
        const res = await api('PATCH', `/apis/apps/v1/namespaces/${namespace}/deployments/${d.metadata.name}/status`, {
          body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: d.metadata.name, namespace }, status },
          contentType: 'application/merge-patch+json',
        });
        if (res.status === 200) seen.push({ name: d.metadata.name, generation, broken });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    seen,
    async stop() {
      running = false;
      await loop;
    },
  };
}
