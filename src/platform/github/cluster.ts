import * as core from '@actions/core';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import type { ClusterOptions } from '../../core/commands/cluster-run.js';
import { runnerTempOf, type ActionInputs } from './inputs.js';

/**
 * How every action command reaches the cluster: the kubeconfig input written to a private file under RUNNER_TEMP
 * (removed by run() after the step), pinning, concurrency, and the working directory.
 */
export function clusterOptions(inputs: ActionInputs, env: NodeJS.ProcessEnv): ClusterOptions {
  const dir = runnerTempOf(inputs, env);
  mkdirSync(dir, { recursive: true });
  return {
    kubeconfig: inputs.kubeconfig ? writeKubeconfig(inputs.kubeconfig, dir) : undefined,
    context: undefined,
    pin: inputs.pin,
    concurrency: inputs.concurrency,
    cwd: inputs.workingDirectory,
    env,
  };
}

export function kubeconfigPath(dir: string): string {
  return path.join(dir, 'kubeplan-kubeconfig');
}

/** Writes the kubeconfig input to a private file and masks every credential in it. */
function writeKubeconfig(contents: string, dir: string): string {
  try {
    const parsed = load(contents, { schema: CORE_SCHEMA }) as { users?: { user?: Record<string, unknown> }[] } | undefined;
    for (const u of parsed?.users ?? []) {
      for (const field of ['token', 'password', 'client-key-data', 'client-certificate-data']) {
        const value = u.user?.[field];
        if (typeof value === 'string' && value !== '') core.setSecret(value);
      }
    }
  } catch {
    // not YAML: the apiserver client reports it; mask the whole input anyway
    core.setSecret(contents);
  }
  const file = kubeconfigPath(dir);
  writeFileSync(file, contents, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
