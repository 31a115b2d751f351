import path from 'node:path';
import { checkKustomizationTree } from '../render/kustomize.js';
import type { Config, Target } from './types.js';
import { configPathInRepo } from './config-path.js';

/**
 * The files and folders a target is rendered from, relative to the repository root: the chart folder and values
 * files, the overlay or Component and every folder its kustomization reaches, or the manifests folder. Undefined when
 * they cannot all be known (a kustomization that cannot be read): the caller then treats the target as affected.
 */
export function targetInputs(target: Target, config: Config): string[] | undefined {
  const rel = (abs: string) => path.relative(config.repoRoot, abs).split(path.sep).join('/');
  const source = target.source;
  const kustomizeFolders = (dir: string) => {
    try {
      return checkKustomizationTree(
        target,
        dir,
        config.repoRoot,
        { allowExecPlugins: true, allowHelmCharts: true, allowRemoteResources: true },
        'any',
      ).folders.map(rel);
    } catch {
      return undefined;
    }
  };
  switch (source.type) {
    case 'manifests':
      return [source.dir.rel];
    case 'kustomize':
      return kustomizeFolders(source.dir.abs);
    case 'helm': {
      const inputs = source.values.map((v) => v.rel);
      if (source.chart.kind === 'local') inputs.push(source.chart.path.rel);
      if (source.postRender) {
        const folders = kustomizeFolders(source.postRender.abs);
        if (!folders) return undefined;
        inputs.push(...folders);
      }
      return inputs;
    }
  }
}

/**
 * The targets a change touches, given the files it changed (repository-relative). A change to the config file itself
 * affects every target.
 */
export function affectedTargets(config: Config, changedFiles: readonly string[]): string[] {
  const configFile = configPathInRepo(config);
  if (changedFiles.includes(configFile)) return config.targets.map((t) => t.name);
  return config.targets
    .filter((t) => {
      const inputs = targetInputs(t, config);
      if (!inputs) return true;
      return changedFiles.some((f) => inputs.some((i) => i === '.' || f === i || f.startsWith(`${i}/`)));
    })
    .map((t) => t.name);
}
