import os from 'node:os';
import type { Config, Target } from '../config/types.js';
import { UsageError } from '../errors.js';
import { buildManifestSet } from '../manifests/manifest-set.js';
import type { ManifestSet } from '../manifests/types.js';
import type { RenderContext } from './context.js';
import { renderHelm } from './helm.js';
import { renderKustomize } from './kustomize.js';
import { renderPlain } from './plain.js';
import { findTool, type ToolOverrides } from './tools.js';

export interface RenderOptions {
  /** Names of the targets to render; empty means all. */
  targets: string[];
  tools: ToolOverrides;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** At most this many targets render at once (default: the number of cores). */
  concurrency?: number;
}

/** Picks the named targets (all when none are named); an unknown name is an error that lists the known ones. */
export function selectTargets(config: Config, names: string[]): Target[] {
  if (names.length === 0) return config.targets;
  const known = new Map(config.targets.map((t) => [t.name, t]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new UsageError(`unknown target${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, {
      hint: `targets in ${config.file}: ${config.targets.map((t) => t.name).join(', ')}`,
    });
  }
  return [...new Set(names)].map((n) => known.get(n)!);
}

/** Finds the binaries the selected targets need, before anything runs. */
export function prepareRenderContext(config: Config, targets: Target[], options: RenderOptions): RenderContext {
  const needsHelm = targets.some((t) => t.source.type === 'helm') || config.kustomize.allowHelmCharts;
  const needsKustomize = targets.some(
    (t) => t.source.type === 'kustomize' || (t.source.type === 'helm' && t.source.postRender),
  );
  const helm = needsHelm
    ? findTool('helm', options.tools, options.env, { required: true, cwd: options.cwd })!.path
    : undefined;
  let kustomize: RenderContext['kustomize'];
  if (needsKustomize) {
    const standalone = findTool('kustomize', options.tools, options.env, { required: false, cwd: options.cwd });
    // A standalone kustomize is used only when asked for; PATH lookup prefers kubectl's built-in one.
    if (standalone && standalone.via !== 'PATH') kustomize = { kind: 'kustomize', path: standalone.path };
    else
      kustomize = {
        kind: 'kubectl',
        path: findTool('kubectl', options.tools, options.env, { required: true, cwd: options.cwd })!.path,
      };
  }
  return {
    repoRoot: config.repoRoot,
    env: options.env,
    helm,
    kustomize,
    policy: config.kustomize,
    allowRepositories: config.helm.allowRepositories,
  };
}

/** Renders one target to its manifest set. */
export async function renderTarget(target: Target, ctx: RenderContext): Promise<ManifestSet> {
  const source = target.source;
  const manifests =
    source.type === 'helm'
      ? await renderHelm(target, source, ctx)
      : source.type === 'kustomize'
        ? await renderKustomize(target, source, ctx)
        : await renderPlain(target, source, ctx.repoRoot);
  return buildManifestSet(target.name, target.namespace, manifests);
}

/** Renders the selected targets concurrently (bounded by cores); results keep the config's target order. */
export async function renderTargets(config: Config, options: RenderOptions): Promise<ManifestSet[]> {
  const targets = selectTargets(config, options.targets);
  const ctx = prepareRenderContext(config, targets, options);
  const limit = Math.max(1, options.concurrency ?? os.availableParallelism());
  return mapConcurrent(targets, limit, (t) => renderTarget(t, ctx));
}

/** Like Promise.all over `items.map(fn)`, with at most `limit` calls in flight; the first failure rejects. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (error) {
        failed = true; // start nothing new; the first error is what the caller sees
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
