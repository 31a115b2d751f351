import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CORE_SCHEMA, load, loadAll } from 'js-yaml';
import { findKustomizationFile } from '../config/load-config.js';
import type { KustomizePolicy, KustomizeSource, Target } from '../config/types.js';
import { RenderError, type Where } from '../errors.js';
import { isRecord, parseDocument, splitYamlStream, toObjects } from '../manifests/parse-stream.js';
import type { KubeObject, Manifest, SourceRef } from '../manifests/types.js';
import { documentsOf, SourceLines } from '../manifests/locate.js';
import { podSpecOf } from '../manifests/pod-spec.js';
import type { RenderContext } from './context.js';
import { repositoryAllowed } from './allowed-repositories.js';
import { isInside, RepoBounds } from './repo-bounds.js';
import { decodeManifestText } from './plain.js';
import { runTool } from './run-tool.js';

const ORIGIN = 'config.kubernetes.io/origin';
const TRANSFORMATIONS = 'alpha.config.kubernetes.io/transformations';

/** The kustomization field behind each built-in transformer, as users write it. */
const TRANSFORMER_FIELDS: Record<string, string> = {
  PatchTransformer: 'patches',
  PatchStrategicMergeTransformer: 'patchesStrategicMerge',
  PatchJson6902Transformer: 'patchesJson6902',
  ImageTagTransformer: 'images',
  PrefixTransformer: 'namePrefix',
  SuffixTransformer: 'nameSuffix',
  PrefixSuffixTransformer: 'namePrefix/nameSuffix',
  LabelTransformer: 'labels',
  AnnotationsTransformer: 'commonAnnotations',
  NamespaceTransformer: 'namespace',
  ReplicaCountTransformer: 'replicas',
  ReplacementTransformer: 'replacements',
};

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
export async function renderKustomize(
  target: Target,
  source: KustomizeSource,
  ctx: RenderContext,
): Promise<Manifest[]> {
  if (!ctx.kustomize) throw new Error('renderKustomize called without a kustomize binary');
  const own = checkKustomizationTree(target, source.dir.abs, ctx.repoRoot, ctx.policy, ctx.allowRepositories);
  if (own.kind === 'Component') {
    throw new RenderError(`${source.dir.rel} is a Kustomize Component, which cannot be built on its own`, {
      where: { target: target.name },
      hint: 'pair it with a helm chart in the same target (post-render), or list it under components: in an overlay',
    });
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kubeplan-kustomize-'));
  try {
    const wrapper = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [path.relative(dir, source.dir.abs)],
      buildMetadata: ['originAnnotations', 'transformerAnnotations'],
    };
    await writeFile(path.join(dir, 'kustomization.yaml'), JSON.stringify(wrapper, null, 2));
    const result = await runTool(
      ctx.kustomize.path,
      buildKustomizeArgs(ctx.kustomize.kind, dir, ctx.policy, ctx.helm),
      {
        cwd: ctx.repoRoot,
        env: ctx.env,
      },
    );
    if (result.exitCode !== 0)
      throw kustomizeFailure(target, source, result.stderr || result.stdout, dir, ctx.repoRoot);
    // A base file in the repository: an object's source names the line its document starts on.
    const lines = new SourceLines(ctx.repoRoot);
    return readOrigins(
      result.stdout,
      target,
      (origin, object, transformations) => {
        const src = originSource(origin, dir, ctx.repoRoot);
        if (!src) return { file: source.dir.rel };
        const located = origin.repo || !origin.path ? src : lines.locate(src, object);
        const changedBy = overlaysOf(transformations, object, dir, ctx.repoRoot);
        return changedBy.length ? { ...located, changedBy } : located;
      },
      { keepOrigin: own.keepsOrigin, keepTransformations: own.keepsTransformations },
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
  toSource: (origin: Origin, object: KubeObject, transformations: Transformation[]) => SourceRef,
  options: { keepOrigin?: boolean; keepTransformations?: boolean } = {},
): Manifest[] {
  const manifests: Manifest[] = [];
  for (const doc of splitYamlStream(output)) {
    const where: Where = { target: target.name, part: 'kustomize output' };
    for (const object of toObjects(
      parseDocument(doc, () => where),
      { file: '' },
      where,
    )) {
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
      const transformations: Transformation[] = [];
      const rawTransformations = object.metadata.annotations?.[TRANSFORMATIONS];
      if (typeof rawTransformations === 'string') {
        const parsed = load(rawTransformations, { schema: CORE_SCHEMA });
        if (Array.isArray(parsed)) transformations.push(...parsed.filter(isRecord).map((t) => t as Transformation));
        const current = object.metadata.annotations;
        if (!options.keepTransformations && current) {
          delete current[TRANSFORMATIONS];
          if (Object.keys(current).length === 0) delete object.metadata.annotations;
        }
      }
      manifests.push({ object, source: toSource(origin, object, transformations) });
    }
  }
  return manifests;
}

/** One entry of kustomize's transformations annotation: the kustomization and the transformer that changed an object. */
export interface Transformation {
  configuredIn?: string;
  configuredBy?: { apiVersion?: string; kind?: string; name?: string };
}

/**
 * The overlays that changed an object, from kustomize's transformations annotation: one entry per kustomization file,
 * naming its fields that did (`patches: replicas.yaml`, `images`, `namePrefix`), in the order kustomize ran them.
 */
function overlaysOf(
  transformations: readonly Transformation[],
  object: KubeObject,
  wrapperDir: string,
  repoRoot: string,
): string[] {
  const byFile = new Map<string, { abs: string; fields: string[] }>();
  for (const t of transformations) {
    if (!t.configuredIn || typeof t.configuredIn !== 'string') continue;
    const abs = path.resolve(wrapperDir, t.configuredIn);
    if (!isInside(repoRoot, abs)) continue;
    const rel = path.relative(repoRoot, abs).split(path.sep).join('/');
    const entry = byFile.get(rel) ?? { abs, fields: [] };
    byFile.set(rel, entry);
    const kind = t.configuredBy?.kind ?? 'transformer';
    const field = TRANSFORMER_FIELDS[kind] ?? kind;
    if (!entry.fields.includes(field)) entry.fields.push(field);
  }
  // kustomize names a transformer for every object it visited; keep those that can have changed this one.
  const withPods = podSpecOf(object) !== undefined;
  const spec = isRecord(object.spec) ? object.spec : {};
  return [...byFile]
    .map(([rel, { abs, fields }]) => {
      const named = fields.flatMap((field) => {
        if (field.startsWith('patches')) {
          const files = patchFilesFor(abs, field, object);
          return files.length ? [`${field}: ${files.join(', ')}`] : [];
        }
        if (field === 'images' && !withPods) return [];
        if (field === 'replicas' && !('replicas' in spec)) return [];
        return [field];
      });
      return named.length ? `${rel} (${named.join('; ')})` : '';
    })
    .filter(Boolean);
}

/** The patch files a kustomization lists under `field` that aim at `object` (by their target, else their own kind/name). */
function patchFilesFor(kustomization: string, field: string, object: KubeObject): string[] {
  let parsed: unknown;
  try {
    parsed = load(readFileSync(kustomization, 'utf8'), { schema: CORE_SCHEMA });
  } catch {
    return [];
  }
  const list = isRecord(parsed) && Array.isArray(parsed[field]) ? (parsed[field] as unknown[]) : [];
  const dir = path.dirname(kustomization);
  const files: string[] = [];
  for (const item of list) {
    const file = typeof item === 'string' ? item : isRecord(item) && typeof item.path === 'string' ? item.path : '';
    if (!file || file.includes('\n')) continue;
    const target = isRecord(item) && isRecord(item.target) ? item.target : undefined;
    let aims: boolean;
    if (target) {
      aims =
        (typeof target.kind !== 'string' || target.kind === object.kind) &&
        (typeof target.name !== 'string' || nameMatches(target.name, object.metadata.name));
    } else {
      let text = '';
      try {
        text = readFileSync(path.resolve(dir, file), 'utf8');
      } catch {
        continue;
      }
      aims = documentsOf(text).some(
        (d) => d.kind === object.kind && (d.name === undefined || object.metadata.name.includes(d.name)),
      );
    }
    if (aims) files.push(file);
  }
  return files;
}

/** A patch target's name (a regular expression to kustomize) against an object's name, a prefix or suffix allowed. */
function nameMatches(pattern: string, name: string): boolean {
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return name.includes(pattern);
  }
}

function originSource(origin: Origin, wrapperDir: string, repoRoot: string): SourceRef | undefined {
  if (origin.repo) {
    return {
      file: `${origin.repo}${origin.ref ? `?ref=${origin.ref}` : ''}`,
      ...(origin.path ? { template: origin.path } : {}),
    };
  }
  const file = origin.path ?? origin.configuredIn;
  if (!file) return undefined;
  const rel = path.relative(repoRoot, path.resolve(wrapperDir, file)).split(path.sep).join('/');
  const by = origin.configuredBy?.kind;
  return by ? { file: rel, template: by } : { file: rel };
}

function kustomizeFailure(
  target: Target,
  source: KustomizeSource,
  output: string,
  wrapperDir: string,
  repoRoot: string,
): RenderError {
  // kustomize names files relative to our temporary wrapper; show them relative to the repository instead.
  const rel = path.relative(wrapperDir, repoRoot);
  let message = output
    .trim()
    .replace(/^(?:Error|error):\s*/gm, '')
    // Drop the layer our wrapper kustomization adds, so the message reads as for a bare build of the overlay.
    .replace(
      /accumulating resources: accumulation err='accumulating resources from '[^']*': '[^']*' must resolve to a file': recursed accumulation of path '[^']*': /,
      '',
    );
  if (rel) message = message.split(`${rel}/`).join('');
  let hint = `run \`kubectl kustomize ${source.dir.rel}\` by hand and fix the kustomization`;
  if (
    /plugins? (are )?disabled|--enable-alpha-plugins|unable to load external plugin|exec functions? (is|are) disabled/i.test(
      message,
    )
  ) {
    hint =
      'this kustomization runs plugins or exec functions, which are off for pull-request code; opt in with `kustomize: {allowExecPlugins: true}` in kubeplan.yaml (read from the base branch on pull requests)';
  } else if (/--enable-helm|helmCharts/i.test(message)) {
    hint =
      'this kustomization inflates Helm charts; opt in with `kustomize: {allowHelmCharts: true}` in kubeplan.yaml (read from the base branch on pull requests), or make it a helm target';
  }
  return new RenderError(
    `kustomize build of ${source.dir.rel} failed:\n${message
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n')}`,
    {
      where: { target: target.name },
      hint,
    },
  );
}

/**
 * A reference kustomize would fetch instead of reading from the repository: any scheme or `::` form before the first
 * slash (`https:`, `git::http:`, `oci:`, `file:`, `git@host:`, `host:port/`), a `?ref=` or `//path?query`.
 */
const REMOTE = /^[^/]*:|::|\?ref=|\/\/.*\?/;
/** `github.com/org/repo`: a host name as first segment; remote when no such folder exists in the repository. */
const HOST_LIKE = /^[\w-]+(?:\.[\w-]+)+\//;

/** Fields whose entries are kustomizations (folders), resource files or remote references. */
const TREE_FIELDS = ['resources', 'bases', 'components', 'generators', 'transformers', 'validators'] as const;

/**
 * Walks the kustomization tree before kustomize runs, because rendering runs on pull-request code. Every field that
 * names a file, folder or URL is followed: remote references are refused unless allowed, Helm chart repositories must
 * be listed in `helm.allowRepositories`, and every local path must really (symlinks resolved) stay inside the
 * repository. Returns the top kustomization's kind and the folders reached.
 */
export function checkKustomizationTree(
  target: Target,
  root: string,
  repoRoot: string,
  policy: KustomizePolicy,
  allowRepositories: readonly string[] | 'any' = [],
): { kind: string; keepsOrigin: boolean; keepsTransformations: boolean; folders: string[] } {
  const bounds = new RepoBounds(repoRoot, { target: target.name });
  const visited = new Set<string>();
  const folders: string[] = [];
  let top: { kind: string; keepsOrigin: boolean; keepsTransformations: boolean } | undefined;
  const visit = (dir: string) => {
    const realDir = bounds.check(dir);
    if (realDir === undefined || visited.has(realDir)) return;
    visited.add(realDir);
    folders.push(dir);
    const file = findKustomizationFile(dir);
    if (!file) return;
    const relFile = bounds.rel(file);
    bounds.check(file);
    checkInputLimits(file, relFile);
    let parsed: unknown;
    try {
      parsed = load(readFileSync(file, 'utf8'), { schema: CORE_SCHEMA });
    } catch (error) {
      throw new RenderError(`cannot parse ${relFile}: ${(error as Error).message.split('\n')[0]}`, {
        where: { target: target.name },
        cause: error,
        hint: 'fix the YAML of the kustomization',
      });
    }
    const k = isRecord(parsed) ? parsed : {};
    top ??= {
      kind: typeof k.kind === 'string' ? k.kind : 'Kustomization',
      keepsOrigin: Array.isArray(k.buildMetadata) && k.buildMetadata.includes('originAnnotations'),
      keepsTransformations: Array.isArray(k.buildMetadata) && k.buildMetadata.includes('transformerAnnotations'),
    };
    /** Checks one path or URL the kustomization names; returns the local path when it is an existing one. */
    const entry = (value: unknown, what: string): string | undefined => {
      if (typeof value !== 'string' || value === '' || value.includes('\n')) return undefined; // inline YAML
      const local = path.resolve(dir, value);
      if (REMOTE.test(value) || (HOST_LIKE.test(value) && !existsSync(local))) {
        if (!policy.allowRemoteResources) {
          throw new RenderError(`${relFile} lists the remote ${what} "${value}"`, {
            where: { target: target.name },
            hint: 'remote resources are refused for pull-request code: vendor them into the repository, or opt in with `kustomize: {allowRemoteResources: true}` in kubeplan.yaml (read from the base branch on pull requests)',
          });
        }
        return undefined;
      }
      if (!isInside(repoRoot, local)) {
        throw new RenderError(`${relFile} lists "${value}", which leaves the repository`, {
          where: { target: target.name },
          hint: 'keep every file and folder a kustomization names inside the repository',
        });
      }
      const real = bounds.check(local, `${relFile}: ${value} (${bounds.rel(local)})`);
      if (real === undefined) return undefined;
      // kustomize itself has no alias or depth limit: a bomb in a file it reads would pin it until the tool timeout.
      if (!/generator/i.test(what) && /\.(ya?ml|json)$/i.test(local) && statSync(local).isFile())
        checkInputLimits(local, bounds.rel(local));
      return local;
    };
    const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
    const field = (v: unknown, key: string): unknown => (isRecord(v) ? v[key] : undefined);

    const generatorFiles = (generator: unknown, what: string) => {
      for (const value of list(field(generator, 'files')))
        entry(typeof value === 'string' ? value.replace(/^[^=]*=/, '') : value, what);
      for (const value of [...list(field(generator, 'envs')), field(generator, 'env')]) entry(value, what);
    };
    const inflate = (chart: unknown, where: string) => {
      const repo = field(chart, 'repo') ?? field(chart, 'chartRepoUrl');
      if (typeof repo === 'string' && repo !== '' && !repositoryAllowed(repo, allowRepositories)) {
        throw new RenderError(
          `${where} inflates the chart "${String(field(chart, 'name') ?? field(chart, 'chartName'))}" from ${repo}, which is not an allowed chart repository`,
          {
            where: { target: target.name },
            hint: `list the repository under \`helm: {allowRepositories: [${repo}]}\` in kubeplan.yaml (read from the base branch on pull requests), or vendor the chart into the repository`,
          },
        );
      }
      for (const value of [
        field(chart, 'valuesFile'),
        field(chart, 'values'),
        ...list(field(chart, 'additionalValuesFiles')),
      ])
        entry(value, 'Helm values file');
      const home = entry(field(chart, 'chartHome'), 'chart home');
      if (home) bounds.checkTree(home);
    };
    /** A plugin's configuration (a file, or inline YAML): kustomize's builtin plugins name files and charts too. */
    const pluginConfig = (text: string, where: string) => {
      let docs: unknown[];
      try {
        docs = loadAll(text, null, { schema: CORE_SCHEMA });
      } catch {
        return; // kustomize reports the YAML error
      }
      for (const doc of docs) {
        if (!isRecord(doc)) continue;
        const what = `file in ${where}`;
        generatorFiles(doc, what);
        for (const value of [field(doc, 'path'), ...list(field(doc, 'paths'))]) entry(value, what);
        for (const value of list(field(doc, 'replacements'))) entry(field(value, 'path'), what);
        if (doc.kind === 'HelmChartInflationGenerator' && policy.allowHelmCharts) inflate(doc, where);
      }
    };

    for (const name of TREE_FIELDS) {
      for (const value of list(k[name])) {
        const plugin = name === 'generators' || name === 'transformers' || name === 'validators';
        if (plugin && typeof value === 'string' && value.includes('\n'))
          pluginConfig(value, `${relFile} (inline ${name.replace(/s$/, '')})`);
        const local = entry(value, name.replace(/s$/, ''));
        if (!local) continue;
        if (statSync(local).isDirectory()) visit(local);
        else if (plugin) pluginConfig(readFileSync(local, 'utf8'), bounds.rel(local));
      }
    }
    for (const name of ['crds', 'configurations']) for (const value of list(k[name])) entry(value, `file in ${name}`);
    for (const value of list(k.patchesStrategicMerge)) entry(value, 'patch');
    for (const name of ['patches', 'patchesJson6902', 'replacements'])
      for (const value of list(k[name])) entry(field(value, 'path'), `file in ${name}`);
    entry(field(k.openapi, 'path'), 'openapi file');
    for (const name of ['configMapGenerator', 'secretGenerator'])
      for (const generator of list(k[name])) generatorFiles(generator, `file in ${name}`);
    const charts = [...list(k.helmCharts), ...list(k.helmChartInflationGenerator)];
    if (charts.length > 0 && policy.allowHelmCharts) {
      for (const chart of charts) inflate(chart, relFile);
      for (const key of ['chartHome', 'configHome']) {
        const home = entry(field(k.helmGlobals, key), `helmGlobals.${key}`);
        if (home) bounds.checkTree(home);
      }
      // Without helmGlobals.chartHome, kustomize looks for the charts in ./charts.
      if (field(k.helmGlobals, 'chartHome') === undefined && existsSync(path.join(dir, 'charts')))
        bounds.checkTree(path.join(dir, 'charts'));
    }
  };
  visit(root);
  return { ...(top ?? { kind: 'Kustomization', keepsOrigin: false, keepsTransformations: false }), folders };
}

/**
 * A YAML or JSON file kustomize will read, held to the limits every other input has (aliases, depth, UTF-8): refused
 * with file:line before kustomize runs.
 */
function checkInputLimits(file: string, rel: string): void {
  const json = /\.json$/i.test(file);
  const text = decodeManifestText(readFileSync(file), rel, json, file);
  if (!json) for (const doc of splitYamlStream(text)) parseDocument(doc, (line) => ({ file: rel, line, path: file }));
}
