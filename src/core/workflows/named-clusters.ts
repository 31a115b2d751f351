import type { ClusterOptions } from '../commands/cluster-run.js';
import type { NamedClustersRequest } from '../commands/named-plan.js';
import { loadConfig } from '../config/load-config.js';
import { UsageError } from '../errors.js';
import type { WorkflowRun } from './types.js';

/**
 * Whether the config names its clusters (kubeplan.yaml clusters:): then each cluster's server, CA and credentials come
 * from it, and the run's own cluster inputs must be empty. A config that does not load says nothing here: the command
 * reports it with its line.
 */
export function namesClusters(run: WorkflowRun, config: string): boolean {
  try {
    return loadConfig(config, run.workingDirectory).clusters !== undefined;
  } catch {
    return false;
  }
}

/**
 * What a workflow passes for named clusters: the clusters input, the run's masking of every credential read, and the
 * run's concurrency and environment (never its one-cluster credentials, which are refused).
 */
export function namedClusterRun(
  run: WorkflowRun,
  request: { clusters?: string[] | undefined },
): ClusterOptions & NamedClustersRequest {
  const options = run.cluster.options;
  if (options?.kubeconfig || options?.direct || options?.pin?.server || options?.pin?.caSha256)
    throw new UsageError('a cluster input names one cluster, and kubeplan.yaml names its clusters (clusters:)', {
      where: run.where(
        options.kubeconfig
          ? 'kubeconfig'
          : options.direct || options.pin?.server
            ? 'cluster-server'
            : 'cluster-ca-sha256',
      ),
      hint: "leave kubeconfig, cluster-server, cluster-ca, cluster-ca-sha256, cluster-token and oidc-audience empty: each cluster's server, CA, pin and credentials come from kubeplan.yaml (select clusters with the clusters input)",
    });
  return {
    kubeconfig: undefined,
    context: undefined,
    concurrency: options?.concurrency ?? 16,
    cwd: options?.cwd ?? run.workingDirectory,
    env: options?.env ?? run.env,
    clusters: request.clusters ?? [],
    clustersWhere: run.where('clusters'),
    onSecret: (value) => run.secrets.add(value),
  };
}

/** The clusters input selects among named clusters: without kubeplan.yaml clusters: it is refused, not ignored. */
export function refuseClustersInput(run: WorkflowRun, request: { clusters?: string[] | undefined }): void {
  if (request.clusters?.length)
    throw new UsageError(`${request.clusters[0]}: kubeplan.yaml has no clusters:`, {
      where: run.where('clusters'),
      hint: 'name the clusters under a top-level clusters: map and list them in the targets, or leave clusters empty',
    });
}
