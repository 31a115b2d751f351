import { ClusterClient, type DirectCredentials } from '../cluster/client.js';
import { ResourceMap } from '../cluster/discovery.js';
import type { Config, IgnoreRule, TargetPolicy } from '../config/types.js';
import { repositoryIdentity } from '../git/repository.js';
import type { OnRetry } from '../http/retry-policy.js';
import { configPathInRepo } from '../config/config-path.js';

/** What every command that reads the cluster takes: which cluster, and how hard to push it. */
export interface ClusterOptions {
  kubeconfig: string | undefined;
  /** A kubeconfig's contents (a named cluster's auth.kubeconfigEnv), instead of a file. */
  kubeconfigText?: string | undefined;
  context: string | undefined;
  /** Cluster pinning (expected server URL and CA sha256). */
  pin?: { server?: string | undefined; caSha256?: string | undefined };
  /** Server, token and CA without a kubeconfig (OIDC ID tokens, CI variables). */
  direct?: DirectCredentials | undefined;
  concurrency: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: the client sends no further write. */
  signal?: AbortSignal | undefined;
  /** Told before each retry of a request to the apiserver (the CLI prints it on stderr). */
  onRetry?: OnRetry | undefined;
}

/**
 * Connects, discovers the cluster's kinds once, and collects each target's ignore rules and policy, and this
 * repository's identity (recorded on inventories), for the planner.
 */
export async function openCluster(config: Config, options: ClusterOptions) {
  // Without a CI context the identity is a git subprocess: it runs while the client connects and discovers.
  const [{ client, resources }, repository] = await Promise.all([
    connectAndDiscover(options),
    repositoryIdentity(config, options.env),
  ]);
  const ignore: ReadonlyMap<string, readonly IgnoreRule[]> = new Map(config.targets.map((t) => [t.name, t.ignore]));
  const policy: ReadonlyMap<string, TargetPolicy> = new Map(config.targets.map((t) => [t.name, t.policy]));
  const configFile = configPathInRepo(config);
  return { client, resources, ignore, policy, repository, configFile };
}

async function connectAndDiscover(options: ClusterOptions) {
  const client = await connectClient(options);
  return { client, resources: await ResourceMap.discover(client) };
}

/** A client of the cluster the options name (no discovery). */
export function connectClient(options: ClusterOptions): Promise<ClusterClient> {
  return ClusterClient.connect({
    kubeconfig: options.kubeconfig,
    ...(options.kubeconfigText !== undefined ? { kubeconfigText: options.kubeconfigText } : {}),
    context: options.context,
    ...(options.pin ? { pin: options.pin } : {}),
    direct: options.direct,
    concurrency: options.concurrency,
    env: options.env,
    cwd: options.cwd,
    signal: options.signal,
    onRetry: options.onRetry,
  });
}
