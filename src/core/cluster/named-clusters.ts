import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClusterOptions } from '../commands/cluster-run.js';
import type { DirectCredentials } from './client.js';
import type { ClusterConfig, Config } from '../config/types.js';
import { UsageError, type Where } from '../errors.js';
import { parse as parseYaml } from 'yaml';
import { inlineCode } from '../report/escape.js';
import { kubeconfigCredentials } from '../report/secret-mask.js';
import { applySetId, applySetParent, CONTAINS_GROUP_KINDS, PART_OF } from './applyset.js';
import { caFingerprint } from './client.js';
import { renewingToken } from './token-source.js';
import { configPathInRepo } from '../config/config-path.js';

/** A target on one named cluster: `shop-prod@prod-eu`. Its own inventory, plan section and apply. */
export interface Instance {
  target: string;
  cluster: string;
  /** `target@cluster`. */
  name: string;
}

export function instanceName(target: string, cluster: string): string {
  return `${target}@${cluster}`;
}

/**
 * The instances a run covers: every selected target on each of its clusters, in config order (targets, then each
 * target's clusters), only on the clusters `--cluster` names when it names any. An unknown cluster name is refused.
 */
export function selectInstances(
  config: Config,
  targets: readonly string[],
  clusters: readonly string[],
  where?: Where,
): Instance[] {
  const known = (config.clusters ?? []).map((c) => c.name);
  for (const name of clusters) {
    if (!known.includes(name))
      throw new UsageError(`unknown cluster "${name}"`, {
        where,
        hint: known.length
          ? `the clusters in ${path.basename(config.file)} are ${known.join(', ')}`
          : `${path.basename(config.file)} has no clusters: (--cluster selects among named clusters)`,
      });
  }
  const out: Instance[] = [];
  for (const t of config.targets) {
    if (targets.length > 0 && !targets.includes(t.name)) continue;
    for (const c of t.clusters ?? []) {
      if (clusters.length > 0 && !clusters.includes(c)) continue;
      out.push({ target: t.name, cluster: c, name: instanceName(t.name, c) });
    }
  }
  return out;
}

/**
 * The targets a command over named clusters renders when `--cluster` names some: only those with an instance there,
 * so a target that runs elsewhere is neither rendered by this job nor able to fail it (a CI fan-out runs one job per
 * cluster). A name that is not a target stays in the list (the render refuses it). Undefined: no cluster named (or no
 * named clusters), render the targets asked for.
 */
export function targetsOnClusters(
  config: Config,
  targets: readonly string[],
  clusters: readonly string[],
): string[] | undefined {
  if (!config.clusters || clusters.length === 0) return undefined;
  const on = (name: string) =>
    config.targets.find((t) => t.name === name)?.clusters?.some((c) => clusters.includes(c)) ?? true;
  return (targets.length > 0 ? targets : config.targets.map((t) => t.name)).filter(on);
}

/** The config as one cluster sees it: only the targets that run there (a target that left it is "removed" there). */
export function configOnCluster(config: Config, cluster: string): Config {
  return { ...config, targets: config.targets.filter((t) => (t.clusters ?? []).includes(cluster)) };
}

/** What a run adds to a named cluster's connection: how to get an ID token, and where credentials are masked. */
export interface NamedClusterContext {
  /** Masks a credential the moment it is read (the CLI's and the action's secret masks). */
  onSecret?: ((value: string) => void) | undefined;
}

/**
 * How to reach a named cluster: its server and CA from kubeplan.yaml, the credential from where its auth says (a
 * variable, a GitHub OIDC ID token, a kubeconfig in a variable), and the pin (server and CA sha256). A CA that is not
 * the pinned one is refused here, before any credential is even read, let alone sent.
 */
export async function namedClusterOptions(
  cluster: ClusterConfig,
  base: ClusterOptions,
  context: NamedClusterContext = {},
): Promise<ClusterOptions> {
  const where = cluster.where;
  const label = `cluster ${cluster.name}`;
  const pinnedCa = cluster.caSha256 ?? (cluster.caPem ? caFingerprint(cluster.caPem) : undefined);
  if (cluster.caSha256 && cluster.caPem) {
    const actual = caFingerprint(cluster.caPem);
    if (actual !== cluster.caSha256)
      throw new UsageError(
        `${label}: its CA ${actual ? `has sha256 ${actual}` : 'is not a certificate'}, not the pinned ${cluster.caSha256}; nothing was sent`,
        {
          where,
          hint: 'the CA in kubeplan.yaml (ca or caFile) is not the one caSha256 pins: check which changed, and trust neither until you know why',
        },
      );
  }
  const common = {
    concurrency: base.concurrency,
    cwd: base.cwd,
    env: base.env,
    signal: base.signal,
    onRetry: base.onRetry,
    pin: { server: cluster.server, caSha256: pinnedCa },
  };
  const auth = cluster.auth;
  if (auth.kind === 'kubeconfig') {
    const value = base.env[auth.env];
    if (!value?.trim())
      throw new UsageError(`${label}: the variable ${auth.env} (auth.kubeconfigEnv) is empty or not set`, {
        where,
        hint: `set ${auth.env} to the path of the kubeconfig for ${cluster.name}, or to its contents (from a CI secret)`,
      });
    // A kubeconfig's contents hold a new line; a path does not.
    const text = value.includes('\n') ? value : readKubeconfig(value, base.cwd, label, auth.env, where);
    for (const secret of kubeconfigCredentials(text)) context.onSecret?.(secret);
    return { ...common, kubeconfig: undefined, kubeconfigText: text, context: auth.context };
  }
  const onSecret = (value: string) => context.onSecret?.(value);
  let token: DirectCredentials['token'];
  if (auth.kind === 'token') {
    token = tokenFromEnv(base.env, auth.env, label, where);
    onSecret(token);
  } else {
    // An ID token expires minutes after it is issued: the client asks for a new one (masked as it arrives) in time.
    token = await renewingToken(() => oidcToken(base.env, auth.audience, label, where), onSecret);
  }
  return {
    ...common,
    kubeconfig: undefined,
    context: undefined,
    direct: {
      server: cluster.server,
      token,
      caPem: cluster.caPem,
      source: auth.kind === 'token' ? `the token in $${auth.env}` : `a GitHub OIDC token (audience ${auth.audience})`,
    },
  };
}

function readKubeconfig(file: string, cwd: string, label: string, variable: string, where: ClusterConfig['where']) {
  try {
    return readFileSync(path.resolve(cwd, file.trim()), 'utf8');
  } catch (error) {
    throw new UsageError(
      `${label}: cannot read the kubeconfig $${variable} names (${(error as NodeJS.ErrnoException).code})`,
      { where, hint: `set ${variable} to the path of a readable kubeconfig, or to its contents` },
    );
  }
}

function tokenFromEnv(env: NodeJS.ProcessEnv, variable: string, label: string, where: ClusterConfig['where']) {
  const token = env[variable]?.trim();
  if (!token)
    throw new UsageError(`${label}: the variable ${variable} (auth.tokenEnv) is empty or not set`, {
      where,
      hint: `export ${variable} with the cluster's bearer token (in GitLab CI: id_tokens: {${variable}: {aud: ...}})`,
    });
  return token;
}

/**
 * A GitHub Actions OIDC ID token for `audience`, from the runner's token endpoint (what @actions/core's getIDToken
 * asks): the job needs `permissions: id-token: write`.
 */
async function oidcToken(env: NodeJS.ProcessEnv, audience: string, label: string, where: ClusterConfig['where']) {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer)
    throw new UsageError(`${label}: auth.oidcAudience needs a GitHub OIDC token, and this job cannot get one`, {
      where,
      hint: 'add `permissions: id-token: write` to the job (a pull request from a fork never gets it); outside GitHub Actions use auth.tokenEnv',
    });
  const request = new URL(url);
  request.searchParams.set('audience', audience);
  let answer: { value?: unknown };
  try {
    const res = await fetch(request, { headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    answer = (await res.json()) as { value?: unknown };
  } catch (error) {
    throw new UsageError(
      `${label}: cannot get a GitHub OIDC token for audience ${audience}: ${(error as Error).message}`,
      {
        where,
        hint: 'retry; check the job has `permissions: id-token: write`',
      },
    );
  }
  if (typeof answer.value !== 'string' || answer.value === '')
    throw new UsageError(`${label}: the runner's token endpoint gave no OIDC token for audience ${audience}`, {
      where,
      hint: 'retry; check the job has `permissions: id-token: write`',
    });
  return answer.value;
}

/** One job of a fan-out matrix: an instance (target@cluster) and its rollout wave (1 without waves). */
export interface MatrixEntry {
  target: string;
  cluster?: string;
  instance?: string;
  wave?: number;
}

/**
 * `-o matrix`: the jobs a CI fan-out runs, from kubeplan.yaml alone (no render, no cluster): one `{target, cluster,
 * instance, wave}` per selected instance; without named clusters one `{target}` per selected target.
 */
export function instanceMatrix(
  config: Config,
  targets: readonly string[],
  clusters: readonly string[],
  where?: Where,
): MatrixEntry[] {
  const known = new Set(config.targets.map((t) => t.name));
  for (const t of targets)
    if (!known.has(t))
      throw new UsageError(`unknown target "${t}"`, {
        where,
        hint: `the targets in ${path.basename(config.file)} are ${[...known].join(', ')}`,
      });
  if (!config.clusters) {
    if (clusters.length)
      throw new UsageError(`--cluster ${clusters[0]}: ${path.basename(config.file)} has no clusters:`, {
        where,
        hint: 'name the clusters under a top-level clusters: map, or drop --cluster',
      });
    return config.targets
      .filter((t) => targets.length === 0 || targets.includes(t.name))
      .map((t) => ({ target: t.name }));
  }
  return selectInstances(config, targets, clusters, where).map((i) => {
    const waves = config.targets.find((t) => t.name === i.target)?.rollout?.waves ?? [];
    const wave = waves.findIndex((w) => w.includes(i.cluster));
    return { target: i.target, cluster: i.cluster, instance: i.name, wave: wave + 1 || 1 };
  });
}

/**
 * Clusters the committed config at the base named and this one does not: nobody plans, applies or checks them any
 * more, and nothing there is pruned. The plan says so, with what stays there (each instance's inventory) and how to
 * delete it. The base text is read leniently: anything unreadable names no cluster.
 */
export function removedClusterNotices(baseText: string, config: Config): string[] {
  let raw: unknown;
  try {
    raw = parseYaml(baseText, { maxAliasCount: 100 });
  } catch {
    return [];
  }
  const base = raw as { clusters?: unknown; targets?: unknown } | null;
  if (!base || typeof base.clusters !== 'object' || base.clusters === null) return [];
  const now = new Set((config.clusters ?? []).map((c) => c.name));
  const targets = Array.isArray(base.targets)
    ? (base.targets as { name?: unknown; namespace?: unknown; clusters?: unknown }[])
    : [];
  const file = configPathInRepo(config);
  return Object.keys(base.clusters)
    .filter((name) => !now.has(name))
    .map((name) => {
      const there = targets.filter(
        (t) => t && typeof t.name === 'string' && Array.isArray(t.clusters) && t.clusters.includes(name),
      );
      const inventories = there.map((t) => {
        const parent = applySetParent(String(t.name), typeof t.namespace === 'string' ? t.namespace : undefined);
        return `${inlineCode(instanceName(String(t.name), name))} (inventory ${inlineCode(`${parent.namespace}/${parent.name}`)}, objects labelled ${inlineCode(`${PART_OF}=${applySetId(parent)}`)})`;
      });
      return (
        `Cluster ${inlineCode(name)} is no longer in ${inlineCode(file)}: kubeplan no longer plans, applies or checks ` +
        `drift there, and removing a cluster prunes nothing. What it applied there stays${inventories.length ? `: ${inventories.join(', ')}` : ''}. ` +
        `To delete it, with a kubeconfig for that cluster: ${inlineCode(`kubectl delete KINDS --all-namespaces -l ${PART_OF}=ID`)} (the kinds are in the inventory's ${inlineCode(CONTAINS_GROUP_KINDS)} annotation), then ${inlineCode('kubectl delete configmap -n NAMESPACE kubeplan-TARGET')}.`
      );
    });
}
