import { ClusterClient, type DirectCredentials } from '../cluster/client.js';
import { ClusterError } from '../errors.js';
import { ResourceMap } from '../cluster/discovery.js';
import type { Config, IgnoreRule, TargetPolicy } from '../config/types.js';

/** What every command that reads the cluster takes: which cluster, and how hard to push it. */
export interface ClusterOptions {
  kubeconfig: string | undefined;
  context: string | undefined;
  /** Cluster pinning (expected server URL and CA sha256). */
  pin?: { server?: string | undefined; caSha256?: string | undefined };
  /** Server, token and CA without a kubeconfig (OIDC ID tokens, CI variables). */
  direct?: DirectCredentials | undefined;
  concurrency: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Connects, discovers the cluster's kinds once, and collects each target's ignore rules and policy for the planner. */
export async function openCluster(config: Config, options: ClusterOptions) {
  const client = await ClusterClient.connect({
    kubeconfig: options.kubeconfig,
    context: options.context,
    ...(options.pin ? { pin: options.pin } : {}),
    direct: options.direct,
    concurrency: options.concurrency,
    env: options.env,
    cwd: options.cwd,
  });
  let resources: ResourceMap;
  try {
    resources = await ResourceMap.discover(client);
  } catch (error) {
    // The first request: a refused token is a credential problem, and with OIDC the cause is in the trust setup.
    if (error instanceof ClusterError && error.status === 401 && options.direct) {
      throw new ClusterError(`${options.direct.server} refused ${options.direct.source} (401 Unauthorized)`, {
        status: 401,
        where: options.direct.server,
        hint: options.direct.source.includes('OIDC')
          ? "check the apiserver's AuthenticationConfiguration: its jwt issuer must be the token's issuer, its audiences must include the audience kubeplan asked for, and its claim rules must accept this repository and ref"
          : 'check that the token is current and that the apiserver trusts its issuer',
      });
    }
    throw error;
  }
  const ignore: ReadonlyMap<string, readonly IgnoreRule[]> = new Map(config.targets.map((t) => [t.name, t.ignore]));
  const policy: ReadonlyMap<string, TargetPolicy> = new Map(config.targets.map((t) => [t.name, t.policy]));
  return { client, resources, ignore, policy };
}
