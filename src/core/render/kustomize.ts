import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import { findKustomizationFile } from '../config/load-config.js';
import type { KustomizePolicy, KustomizeSource, Target } from '../config/types.js';
import { RenderError } from '../errors.js';
import { isRecord, parseDocument, splitYamlStream, toObjects } from '../manifests/parse-stream.js';
import type { Manifest, SourceRef } from '../manifests/types.js';
import type { RenderContext } from './context.js';
import { runTool } from './run-tool.js';

const ORIGIN = 'config.kubernetes.io/origin';

export function buildKustomizeArgs(
  kind: 'kubectl' | 'kustomize',
  dir: string,
  policy: KustomizePolicy,
  helm: string | undefined,
): string[] {
  const args = kind === 'kubectl' ? ['kustomize', dir] : ['build', dir];
  if (policy.allowExecPlugins) args.push('--enable-alpha-plugins', ...(kind === 'kustomize' ? ['--enable-exec'] : []));
  if (policy.allowHelmCharts) args.push('--enable-helm', ...(helm ? ['--helm-command', helm] : []));
  return args;
}

/** Builds a Kustomize overlay. A wrapper kustomization asks for origin annotations so each object keeps its file. */
export async function renderKustomize(target: Target, source: KustomizeSource, ctx: RenderContext): Promise<Manifest[]> {
  if (!ctx.kustomize) throw new Error('renderKustomize called without a kustomize binary');
  const own = checkKustomizationTree(target, source.dir.abs, ctx.repoRoot, ctx.policy);
  if (own.kind === 'Component') {
    throw new RenderError(`${source.dir.rel} is a Kustomize Component, which cannot be built on its own`, {
      where: `target ${target.name}`,
      hint: 'pair it with a helm chart in the same target (post-render), or list it under components: in an overlay',
    });
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kubeplan-kustomize-'));
  try {
    const wrapper = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [path.relative(dir, source.dir.abs)],
      buildMetadata: ['originAnnotations'],
    };
    await writeFile(path.join(dir, 'kustomization.yaml'), JSON.stringify(wrapper, null, 2));
    const result = await runTool(ctx.kustomize.path, buildKustomizeArgs(ctx.kustomize.kind, dir, ctx.policy, ctx.helm), {
      cwd: ctx.repoRoot,
      env: ctx.env,
    });
    if (result.exitCode !== 0) throw kustomizeFailure(target, source, result.stderr || result.stdout, dir, ctx.repoRoot);
    return readOrigins(
      result.stdout,
      target,
      (origin) => originSource(origin, dir, ctx.repoRoot) ?? { file: source.dir.rel },
      { keepOrigin: own.keepsOrigin },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface Origin {
  path?: string;
  configuredIn?: string;
  configuredBy?: { kind?: string; name?: string };
  repo?: string;
  ref?: string;
}

/**
 * Parses kustomize output and turns each object's origin annotation into its source, removing the annotation (and an
 * annotations map left empty) so the objects are exactly what a bare build gives.
 */
export function readOrigins(
  output: string,
  target: Target,
  toSource: (origin: Origin) => SourceRef,
  options: { keepOrigin?: boolean } = {},
): Manifest[] {
  const manifests: Manifest[] = [];
  for (const doc of splitYamlStream(output)) {
    const where = `target ${target.name}: kustomize output`;
    for (const object of toObjects(parseDocument(doc, () => where), { file: '' }, where)) {
      const annotations = object.metadata.annotations;
      const raw = annotations?.[ORIGIN];
      let origin: Origin = {};
      if (typeof raw === 'string') {
        const parsed = load(raw, { schema: CORE_SCHEMA });
        if (isRecord(parsed)) origin = parsed as Origin;
        if (!options.keepOrigin && annotations) {
          delete annotations[ORIGIN];
          if (Object.keys(annotations).length === 0) delete object.metadata.annotations;
        }
      }
      manifests.push({ object, source: toSource(origin) });
    }
  }
  return manifests;
}

function originSource(origin: Origin, wrapperDir: string, repoRoot: string): SourceRef | undefined {
  if (origin.repo) {
    return { file: `${origin.repo}${origin.ref ? `?ref=${origin.ref}` : ''}`, ...(origin.path ? { template: origin.path } : {}) };
  }
  const file = origin.path ?? origin.configuredIn;
  if (!file) return undefined;
  const rel = path.relative(repoRoot, path.resolve(wrapperDir, file)).split(path.sep).join('/');
  const by = origin.configuredBy?.kind;
  return by ? { file: rel, template: by } : { file: rel };
}

function kustomizeFailure(target: Target, source: KustomizeSource, output: string, wrapperDir: string, repoRoot: string): RenderError {
  // kustomize names files relative to our temporary wrapper; show them relative to the repository instead.
  const rel = path.relative(wrapperDir, repoRoot);
  let message = output
    .trim()
    .replace(/^(?:Error|error):\s*/gm, '')
    // Drop the layer our wrapper kustomization adds, so the message reads as for a bare build of the overlay.
    .replace(/accumulating resources: accumulation err='accumulating resources from '[^']*': '[^']*' must resolve to a file': recursed accumulation of path '[^']*': /, '');
  if (rel) message = message.split(`${rel}/`).join('');
  let hint = `run \`kubectl kustomize ${source.dir.rel}\` by hand and fix the kustomization`;
  if (/plugins? (are )?disabled|--enable-alpha-plugins|unable to load external plugin|exec functions? (is|are) disabled/i.test(message)) {
    hint = 'this kustomization runs plugins or exec functions, which are off for pull-request code; opt in with `kustomize: {allowExecPlugins: true}` in kubeplan.yaml';
  } else if (/--enable-helm|helmCharts/i.test(message)) {
    hint = 'this kustomization inflates Helm charts; opt in with `kustomize: {allowHelmCharts: true}` in kubeplan.yaml, or make it a helm target';
  }
  return new RenderError(`kustomize build of ${source.dir.rel} failed:\n${message.split('\n').map((l) => `    ${l}`).join('\n')}`, {
    where: `target ${target.name}`,
    hint,
  });
}

const REMOTE = /^(?:[a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/|gitlab\.com\/|bitbucket\.org\/)|\?ref=|\/\/.*\?/i;

/**
 * Walks the kustomization tree before kustomize runs, because rendering runs on pull-request code: refuses remote
 * resources (unless allowed) and local folders outside the repository. Returns the top kustomization's kind.
 */
export function checkKustomizationTree(
  target: Target,
  root: string,
  repoRoot: string,
  policy: KustomizePolicy,
): { kind: string; keepsOrigin: boolean; folders: string[] } {
  const visited = new Set<string>();
  let top: { kind: string; keepsOrigin: boolean } | undefined;
  const visit = (dir: string) => {
    if (visited.has(dir)) return;
    visited.add(dir);
    const file = findKustomizationFile(dir);
    if (!file) return;
    const relFile = path.relative(repoRoot, file).split(path.sep).join('/');
    let parsed: unknown;
    try {
      parsed = load(readFileSync(file, 'utf8'), { schema: CORE_SCHEMA });
    } catch (error) {
      throw new RenderError(`cannot parse ${relFile}: ${(error as Error).message.split('\n')[0]}`, {
        where: `target ${target.name}`,
        hint: 'fix the YAML of the kustomization',
      });
    }
    const k = isRecord(parsed) ? parsed : {};
    top ??= {
      kind: typeof k.kind === 'string' ? k.kind : 'Kustomization',
      keepsOrigin: Array.isArray(k.buildMetadata) && k.buildMetadata.includes('originAnnotations'),
    };
    for (const field of ['resources', 'bases', 'components']) {
      const entries = k[field];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (typeof entry !== 'string') continue;
        const local = path.resolve(dir, entry);
        if (REMOTE.test(entry) && !existsSync(local)) {
          if (!policy.allowRemoteResources) {
            throw new RenderError(`${relFile} lists the remote ${field.replace(/s$/, '')} "${entry}"`, {
              where: `target ${target.name}`,
              hint: 'remote resources are refused for pull-request code: vendor them into the repository, or opt in with `kustomize: {allowRemoteResources: true}` in kubeplan.yaml',
            });
          }
          continue;
        }
        const rel = path.relative(repoRoot, local);
        if (rel.startsWith('..') || path.isAbsolute(rel)) {
          throw new RenderError(`${relFile} lists "${entry}", which leaves the repository`, {
            where: `target ${target.name}`,
            hint: 'keep every kustomization resource inside the repository',
          });
        }
        if (existsSync(local) && statSync(local).isDirectory()) visit(local);
      }
    }
  };
  visit(root);
  return { ...(top ?? { kind: 'Kustomization', keepsOrigin: false }), folders: [...visited] };
}
