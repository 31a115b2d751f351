import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { ToolError } from '../errors.js';

export type ToolName = 'helm' | 'kubectl' | 'kustomize';

/** Binaries given explicitly (CLI flag or action input). */
export interface ToolOverrides {
  helm?: string | undefined;
  kubectl?: string | undefined;
  kustomize?: string | undefined;
}

const ENV_VAR: Record<ToolName, string> = {
  helm: 'KUBEPLAN_HELM',
  kubectl: 'KUBEPLAN_KUBECTL',
  kustomize: 'KUBEPLAN_KUSTOMIZE',
};

const INSTALL_HINT: Record<ToolName, string> = {
  helm: 'install Helm 4 (https://helm.sh/docs/intro/install/; GitHub runners have it) or pass --helm PATH / set KUBEPLAN_HELM',
  kubectl:
    'install kubectl 1.35 (https://kubernetes.io/docs/tasks/tools/; GitHub runners have it) or pass --kubectl PATH / set KUBEPLAN_KUBECTL',
  kustomize: 'install kustomize 5 or remove --kustomize / KUBEPLAN_KUSTOMIZE to use `kubectl kustomize`',
};

/** How a binary was found, for messages. */
export interface FoundTool {
  path: string;
  via: 'flag' | 'env' | 'PATH';
}

/**
 * Finds a binary: the explicit flag or input first, then KUBEPLAN_HELM / KUBEPLAN_KUBECTL / KUBEPLAN_KUSTOMIZE, then
 * PATH. Returns undefined only for an optional tool that is nowhere; a named path that is not executable is an error.
 */
export function findTool(
  name: ToolName,
  overrides: ToolOverrides,
  env: NodeJS.ProcessEnv,
  options: { required: boolean; cwd?: string } = { required: true },
): FoundTool | undefined {
  const explicit = overrides[name];
  if (explicit)
    return {
      path: checkExecutable(name, path.resolve(options.cwd ?? process.cwd(), explicit), `--${name}`),
      via: 'flag',
    };
  const fromEnv = env[ENV_VAR[name]];
  if (fromEnv)
    return {
      path: checkExecutable(name, path.resolve(options.cwd ?? process.cwd(), fromEnv), ENV_VAR[name]),
      via: 'env',
    };
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return { path: candidate, via: 'PATH' };
  }
  if (!options.required) return undefined;
  throw new ToolError(`${name} not found on PATH`, { hint: INSTALL_HINT[name] });
}

function checkExecutable(name: ToolName, file: string, origin: string): string {
  if (!isExecutableFile(file)) {
    throw new ToolError(`${name} at ${file} (from ${origin}) is not an executable file`, { hint: INSTALL_HINT[name] });
  }
  return file;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
