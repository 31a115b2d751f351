import * as core from '@actions/core';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DirectCredentials } from '../../core/cluster/client.js';
import { renewingToken } from '../../core/cluster/token-source.js';
import type { ClusterOptions } from '../../core/commands/cluster-run.js';
import { UsageError } from '../../core/errors.js';
import { kubeconfigCredentials, type SecretMask } from '../../core/report/secret-mask.js';
import { type ActionSettings, addSecret } from './inputs.js';

/**
 * How every action command reaches the cluster, in this order of preference: a GitHub OIDC ID token (oidc-audience),
 * a token input (cluster-token), both with cluster-server and cluster-ca and no file at all; else the kubeconfig input
 * written to a private file under RUNNER_TEMP (removed by run() after the step); else $KUBECONFIG. Undefined when
 * there is no cluster at all.
 */
export async function clusterOptions(
  inputs: ActionSettings,
  env: NodeJS.ProcessEnv,
  tempDir: string,
): Promise<ClusterOptions | undefined> {
  const direct = await directCredentials(inputs, env);
  let kubeconfig: string | undefined;
  if (inputs.kubeconfig) maskKubeconfig(inputs.kubeconfig, inputs.secrets);
  if (!direct && inputs.kubeconfig) {
    mkdirSync(tempDir, { recursive: true });
    kubeconfig = writeKubeconfig(inputs.kubeconfig, tempDir);
  } else if (!direct && env.KUBECONFIG) {
    // The runner's own kubeconfig (set by an earlier step): its credentials are as secret as the input's.
    for (const file of env.KUBECONFIG.split(path.delimiter).filter(Boolean)) {
      try {
        maskKubeconfig(readFileSync(file, 'utf8'), inputs.secrets);
      } catch {
        // unreadable: the cluster client says so
      }
    }
  }
  if (!direct && !kubeconfig && !env.KUBECONFIG) return undefined;
  return {
    kubeconfig,
    context: undefined,
    pin: inputs.pin,
    direct,
    concurrency: inputs.concurrency,
    cwd: inputs.workingDirectory,
    env,
  };
}

/** The names of the inputs that give a cluster, for messages. */
export const CLUSTER_INPUTS = 'kubeconfig, or cluster-server with oidc-audience (GitHub OIDC) or cluster-token';

async function directCredentials(
  inputs: ActionSettings,
  env: NodeJS.ProcessEnv,
): Promise<DirectCredentials | undefined> {
  const { server, ca, token, oidcAudience } = inputs.cluster;
  const where = {
    input: oidcAudience ? 'oidc-audience' : token ? 'cluster-token' : 'cluster-ca',
    via: 'action',
  } as const;
  if (!oidcAudience && !token) return undefined;
  if (!server)
    throw new UsageError(
      `${oidcAudience ? 'oidc-audience' : 'cluster-token'} needs cluster-server, the apiserver URL`,
      { where, hint: 'set cluster-server (and cluster-ca unless the server has a publicly trusted certificate)' },
    );
  if (oidcAudience) {
    if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
      throw new UsageError('GitHub OIDC needs the id-token permission, and this job does not have it', {
        where,
        hint: 'add `permissions: id-token: write` to the job (a pull request from a fork never gets it)',
      });
    }
    const idToken = async () => {
      try {
        return await core.getIDToken(oidcAudience);
      } catch (error) {
        throw new UsageError(
          `cannot get a GitHub OIDC token for audience ${oidcAudience}: ${(error as Error).message}`,
          { where, hint: 'retry; check the job has `permissions: id-token: write`' },
        );
      }
    };
    // An ID token expires minutes after it is issued: the client asks for a new one (masked as it arrives) in time.
    const token = await renewingToken(idToken, (value) => addSecret(inputs.secrets, value));
    return { server, token, caPem: ca, source: `a GitHub OIDC token (audience ${oidcAudience})` };
  }
  return { server, token: token!, caPem: ca, source: 'the cluster-token input' };
}

export function kubeconfigPath(dir: string): string {
  return path.join(dir, 'kubeplan-kubeconfig');
}

/** Masks every credential in a kubeconfig: tokens, passwords, client keys (also decoded, as a chart could hold them). */
function maskKubeconfig(contents: string, secrets: SecretMask): void {
  for (const value of kubeconfigCredentials(contents)) addSecret(secrets, value);
}

/** Writes the kubeconfig input to a private file. */
function writeKubeconfig(contents: string, dir: string): string {
  const file = kubeconfigPath(dir);
  writeFileSync(file, contents, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
