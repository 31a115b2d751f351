import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { HelmSource, Target } from '../config/types.js';
import { RenderError, type FileWhere, type Where } from '../errors.js';
import { parseDocument, splitYamlStream, toObjects, type RawDocument } from '../manifests/parse-stream.js';
import type { HelmHook, KubeObject, Manifest, SourceRef } from '../manifests/types.js';
import { SourceLines } from '../manifests/locate.js';
import type { RenderContext } from './context.js';
import { buildKustomizeArgs, checkKustomizationTree, readOrigins } from './kustomize.js';
import { repositoryAllowed } from './allowed-repositories.js';
import { RepoBounds } from './repo-bounds.js';
import { runTool } from './run-tool.js';

/** The `helm template` arguments for a target (exported for tests and for the benchmark's anchor). */
export function helmTemplateArgs(target: Pick<Target, 'name' | 'namespace'>, source: HelmSource): string[] {
  const args = ['template', source.releaseName];
  switch (source.chart.kind) {
    case 'local':
      args.push(source.chart.path.abs);
      break;
    case 'oci':
      args.push(source.chart.ref);
      if (source.chart.version) args.push('--version', source.chart.version);
      break;
    case 'repo':
      args.push(source.chart.name, '--repo', source.chart.repo);
      if (source.chart.version) args.push('--version', source.chart.version);
      break;
  }
  // An explicit namespace keeps rendering independent of whatever kubeconfig the machine has.
  args.push('--namespace', target.namespace ?? 'default');
  if (source.includeCRDs) args.push('--include-crds');
  for (const values of source.values) args.push('--values', values.abs);
  for (const [key, value] of Object.entries(source.set)) args.push('--set-json', `${key}=${JSON.stringify(value)}`);
  if (source.kubeVersion) args.push('--kube-version', source.kubeVersion);
  for (const apiVersion of source.apiVersions) args.push('--api-versions', apiVersion);
  return args;
}

/** Renders a Helm target with `helm template`, then the post-render Component if the target has one. */
export async function renderHelm(target: Target, source: HelmSource, ctx: RenderContext): Promise<Manifest[]> {
  if (!ctx.helm) throw new Error('renderHelm called without a helm binary');
  checkChartOrigin(target, source, ctx);
  const args = helmTemplateArgs(target, source);
  const result = await runTool(ctx.helm, args, { cwd: ctx.repoRoot, env: ctx.env });
  if (result.exitCode !== 0)
    throw helmFailure(target, source, result.stderr || result.stdout, formatCommand('helm', args), ctx.repoRoot);
  const docs = splitYamlStream(result.stdout);
  const sourceOf = (doc: RawDocument): SourceRef => templateSource(source, doc.helmSource);
  // A local chart's templates are in the repository: an object's source names the line its document starts on.
  const lines = source.chart.kind === 'local' ? new SourceLines(ctx.repoRoot) : undefined;
  const locate = (src: SourceRef, object: KubeObject) => (lines && src.template ? lines.locate(src, object) : src);
  if (source.postRender) return postRender(target, source, docs, sourceOf, locate, ctx);
  return docs.flatMap((doc) => {
    const src = sourceOf(doc);
    const where = templateWhere(target, source, src, ctx.repoRoot);
    return toObjects(
      parseDocument(doc, () => where),
      src,
      where,
    ).map((object) => withHook({ object, source: locate(src, object) }));
  });
}

/**
 * Before helm reads anything: a local chart (subcharts, templates, files, values.yaml) must really lie inside the
 * repository, since `.Files.Get` puts any file it can reach into the output; a remote chart must come from a
 * repository the config allows, since pulling it is a request from CI to wherever the pull request says.
 */
function checkChartOrigin(target: Target, source: HelmSource, ctx: RenderContext): void {
  const chart = source.chart;
  if (chart.kind === 'local') {
    new RepoBounds(ctx.repoRoot, { target: target.name }).checkTree(chart.path.abs);
    return;
  }
  const ref = chart.kind === 'oci' ? chart.ref : chart.repo;
  if (!repositoryAllowed(ref, ctx.allowRepositories)) {
    throw new RenderError(
      `target "${target.name}" pulls its chart from ${ref}, which is not an allowed chart repository`,
      {
        where: target.where,
        hint: `list it under \`helm: {allowRepositories: [${ref}]}\` at the top of kubeplan.yaml (read from the base branch on pull requests), or vendor the chart into the repository`,
      },
    );
  }
}

/** Maps Helm's `# Source: shop/charts/cache/templates/x.yaml` to the file in the repository. */
function templateSource(source: HelmSource, template: string | undefined): SourceRef {
  if (template === undefined) return { file: chartLabel(source) };
  if (source.chart.kind !== 'local') return { file: chartLabel(source), template };
  const withinChart = template.split('/').slice(1).join('/');
  const file = source.chart.path.rel === '.' ? withinChart : `${source.chart.path.rel}/${withinChart}`;
  return { file, template };
}

/** A template of the target's chart: repository-relative, with its absolute path when the chart is in the repository. */
function templateWhere(target: Target, source: HelmSource, src: SourceRef, repoRoot: string, line?: number): FileWhere {
  const local = source.chart.kind === 'local' && src.template !== undefined;
  return { target: target.name, file: src.file, line, path: local ? path.join(repoRoot, src.file) : undefined };
}

function chartLabel(source: HelmSource): string {
  switch (source.chart.kind) {
    case 'local':
      return source.chart.path.rel;
    case 'oci':
      return source.chart.version ? `${source.chart.ref}@${source.chart.version}` : source.chart.ref;
    case 'repo':
      return `${source.chart.repo} ${source.chart.name}${source.chart.version ? `@${source.chart.version}` : ''}`;
  }
}

function helmFailure(
  target: Target,
  source: HelmSource,
  output: string,
  command: string,
  repoRoot: string,
): RenderError {
  const message = output.trim().replace(/^(?:Error|error):\s*/gm, '');
  const template =
    /template: ([^\s:()]+\.(?:ya?ml|tpl|txt|json)):(\d+)/.exec(message) ??
    /error at \(([^\s:()]+\.(?:ya?ml|tpl|txt|json)):(\d+)/.exec(message) ??
    // Helm 4 opens a template's execution error with the place alone: `shop/templates/x.yaml:6:15`.
    /^([^\s:()]+\.(?:ya?ml|tpl|txt|json)):(\d+)(?::\d+)?$/m.exec(message) ??
    /YAML parse error on ([^\s:]+\.(?:ya?ml|tpl)):/.exec(message);
  const where: Where = template
    ? templateWhere(
        target,
        source,
        templateSource(source, template[1]),
        repoRoot,
        template[2] ? Number(template[2]) : undefined,
      )
    : { target: target.name };
  let hint = `fix the chart or its values; reproduce with: ${command}`;
  if (/missing in charts\/ directory|found in Chart\.yaml, but missing/.test(message)) {
    hint = 'vendor the chart dependencies: run `helm dependency build` in the chart folder and commit charts/';
  } else if (
    /repo .* not found|no cached repo|failed to fetch|could not find protocol handler|dial tcp|lookup .* on/.test(
      message,
    )
  ) {
    hint = 'the chart could not be downloaded: check the chart reference, version and network access to the repository';
  }
  return new RenderError(`helm template failed:\n${indent(message)}`, { where, hint });
}

/**
 * Post-renders the chart's output with a Kustomize Component: as if a kustomization listed the output as resources
 * and the folder as a component. Each Helm document goes into its own file so kustomize's origin annotation tells
 * which template every resulting object came from.
 */
async function postRender(
  target: Target,
  source: HelmSource,
  docs: RawDocument[],
  sourceOf: (doc: RawDocument) => SourceRef,
  locate: (src: SourceRef, object: KubeObject) => SourceRef,
  ctx: RenderContext,
): Promise<Manifest[]> {
  const component = source.postRender!;
  const kind = checkKustomizationTree(target, component.abs, ctx.repoRoot, ctx.policy, ctx.allowRepositories).kind;
  if (kind !== 'Component') {
    throw new RenderError(`${component.rel} is a ${kind}, but post-rendering a chart needs a Kustomize Component`, {
      where: { target: target.name },
      hint: 'set `apiVersion: kustomize.config.k8s.io/v1alpha1` and `kind: Component` in its kustomization.yaml',
    });
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kubeplan-post-render-'));
  try {
    const byFile = new Map<string, SourceRef>();
    const resources: string[] = [];
    for (const [i, doc] of docs.entries()) {
      const src = sourceOf(doc);
      const where = templateWhere(target, source, src, ctx.repoRoot);
      // Parse first so that YAML or non-object errors name the template, not a temporary file.
      if (
        toObjects(
          parseDocument(doc, () => where),
          src,
          where,
        ).length === 0
      )
        continue;
      const name = `helm-${String(i).padStart(4, '0')}.yaml`;
      await writeFile(path.join(dir, name), doc.text);
      byFile.set(name, src);
      resources.push(name);
    }
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources,
      components: [path.relative(dir, component.abs)],
      buildMetadata: ['originAnnotations'],
    };
    await writeFile(path.join(dir, 'kustomization.yaml'), JSON.stringify(kustomization, null, 2));
    const output = await runKustomizeBuild(target, dir, ctx, `post-render with ${component.rel}`);
    return readOrigins(output, target, (origin, object) => {
      const file = origin.path ? path.basename(origin.path) : undefined;
      const src = file ? byFile.get(file) : undefined;
      return src ? locate(src, object) : { file: component.rel };
    }).map(withHook);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runKustomizeBuild(target: Target, dir: string, ctx: RenderContext, what: string): Promise<string> {
  if (!ctx.kustomize) throw new Error('kustomize requested without a binary');
  const result = await runTool(ctx.kustomize.path, buildKustomizeArgs(ctx.kustomize.kind, dir, ctx.policy, ctx.helm), {
    cwd: ctx.repoRoot,
    env: ctx.env,
  });
  if (result.exitCode !== 0) {
    throw new RenderError(
      `kustomize ${what} failed:\n${indent((result.stderr || result.stdout).trim().replace(/^(?:Error|error):\s*/gm, ''))}`,
      {
        where: { target: target.name },
        hint: 'check the Component: it must be `kind: Component` and its patches must match objects the chart renders',
      },
    );
  }
  return result.stdout;
}

/** Marks Helm hooks (`helm.sh/hook`) so the apply stage can run them at the right time. */
function withHook(manifest: Manifest): Manifest {
  const annotations = manifest.object.metadata.annotations;
  const events = annotations?.['helm.sh/hook'];
  if (typeof events !== 'string' || events.trim() === '') return manifest;
  const hook: HelmHook = {
    events: splitList(events),
    weight: Number.parseInt(annotations?.['helm.sh/hook-weight'] ?? '0', 10) || 0,
    deletePolicies: splitList(annotations?.['helm.sh/hook-delete-policy'] ?? ''),
  };
  return { ...manifest, hook };
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** A copy-pasteable command line for hints (arguments quoted only where a shell needs it). */
export function formatCommand(bin: string, args: readonly string[]): string {
  return [bin, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
