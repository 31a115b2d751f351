import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { findKustomizationFile, parseConfig } from '../config/load-config.js';
import { isSystemError, systemError, UsageError } from '../errors.js';
import { initWorkflows } from './init-workflows.js';

/** One target kubeplan init found. */
export interface FoundTarget {
  name: string;
  kind: 'helm' | 'kustomize' | 'manifests';
  /** Relative to the config file's folder, forward slashes. */
  path: string;
  /** A Helm values file of the chart (`values-prod.yaml`), relative like `path`. */
  values?: string | undefined;
  /** The namespace the source itself names (a kustomization's `namespace:`). */
  namespace?: string | undefined;
  /** A guess for the namespace, written as a comment. */
  namespaceGuess: string;
}

export interface InitOptions {
  cwd: string;
  /** The config file to write, relative to cwd. */
  config: string;
  workflows: boolean;
  force: boolean;
  dryRun: boolean;
  /** The branch apply runs on. */
  branch: string;
}

export interface InitResult {
  /** Each file, relative to cwd, with its text. */
  files: { file: string; text: string }[];
  targets: FoundTarget[];
  /** Folders left out, with why (shown as comments in kubeplan.yaml and on stdout). */
  skipped: { path: string; reason: string }[];
  output: string;
}

/** Folders never scanned: tools' state, dependencies, CI. */
const SKIP_DIRS = new Set(['node_modules', 'vendor', 'dist', 'build', 'out', 'tmp', 'target']);
const MANIFEST_EXT = /\.(ya?ml|json)$/i;
/** Files larger than this are not read to decide whether they hold Kubernetes objects. */
const MAX_SCAN_BYTES = 4 * 1024 * 1024;
/** Path segments that say nothing about what a target is (`apps/api/overlays/prod` → api-prod). */
const GENERIC = new Set([
  'apps',
  'app',
  'charts',
  'chart',
  'helm',
  'overlays',
  'overlay',
  'manifests',
  'k8s',
  'kubernetes',
  'kube',
  'deploy',
  'deployment',
  'deployments',
  'clusters',
  'environments',
  'envs',
  'kustomize',
  'src',
]);

/**
 * `kubeplan init`: finds the charts, Kustomize overlays and manifest folders under the config file's folder, and
 * writes kubeplan.yaml (checked by the same validator `kubeplan diff` uses) and the plan, apply, drift and bump
 * workflows. Refuses, writing nothing, when a file exists (unless force); dry-run prints instead of writing.
 */
export function initCommand(options: InitOptions): InitResult {
  const configFile = path.resolve(options.cwd, options.config);
  const root = path.dirname(configFile);
  if (path.relative(options.cwd, configFile).startsWith('..')) {
    throw new UsageError(`--config ${options.config} is outside this folder, where the workflows go`, {
      where: { via: 'cli', command: 'init', input: 'config' },
      hint: 'run kubeplan init in the repository root and name the config file inside it (--config deploy/kubeplan.yaml)',
    });
  }
  const { targets, skipped } = scanRepository(root);
  if (targets.length === 0) {
    throw new UsageError(`found no Helm chart, Kustomize overlay or folder of Kubernetes manifests under ${root}`, {
      where: { directory: root },
      hint: 'run kubeplan init in the config repository (or pass --config DIR/kubeplan.yaml for a folder of it), or write kubeplan.yaml by hand (README: "kubeplan.yaml")',
    });
  }
  const configText = configYaml(targets, skipped);
  // What init writes must be what kubeplan reads: a scaffold that fails the validator would be a broken first step.
  parseConfig(configText, configFile, options.config);
  const configRel = toPosix(path.relative(options.cwd, configFile));
  const files = [{ file: configRel, text: configText }];
  if (options.workflows) {
    for (const [name, text] of Object.entries(
      initWorkflows({ config: configRel === 'kubeplan.yaml' ? undefined : configRel, branch: options.branch }),
    ))
      files.push({ file: `.github/workflows/${name}`, text });
  }
  const existing = files.filter((f) => existsSync(path.join(options.cwd, f.file))).map((f) => f.file);
  if (existing.length > 0 && !options.force && !options.dryRun) {
    throw new UsageError(
      `${existing.join(', ')} ${existing.length === 1 ? 'exists' : 'exist'}; kubeplan init wrote nothing`,
      {
        where: { directory: options.cwd },
        hint: 'pass --force to overwrite, --dry-run to see what init would write, or move the files away',
      },
    );
  }
  const out: string[] = [];
  if (options.dryRun) {
    for (const f of files)
      out.push(`# ${f.file}${existing.includes(f.file) ? ' (exists; --force overwrites it)' : ''}`, f.text);
  } else {
    for (const f of files) {
      const file = path.join(options.cwd, f.file);
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, f.text);
      } catch (error) {
        if (!isSystemError(error)) throw error;
        throw systemError(error, `write ${f.file}`, {
          where: { file: f.file, path: file },
          hint: `check the folder's permissions${
            out.length
              ? `; already written: ${files
                  .slice(0, out.length)
                  .map((x) => x.file)
                  .join(', ')}`
              : ''
          }`,
        });
      }
      out.push(`${existing.includes(f.file) ? 'overwrote' : 'wrote'} ${f.file}`);
    }
    out.push(
      '',
      `${targets.length} target${targets.length === 1 ? '' : 's'}: ${targets.map((t) => `${t.name} (${t.kind} ${t.path})`).join(', ')}`,
      ...skipped.map((s) => `left out ${s.path}: ${s.reason}`),
      '',
      'Next: check the names and namespaces in kubeplan.yaml, run `kubeplan render` and `kubeplan diff`,',
      options.workflows
        ? 'and add the secrets the workflows name (KUBEPLAN_READONLY_KUBECONFIG, KUBEPLAN_DEPLOY_KUBECONFIG).'
        : 'then `kubeplan init --force` without --no-workflows writes the GitHub workflows.',
    );
  }
  return { files, targets, skipped, output: `${out.join('\n')}\n` };
}

interface DirInfo {
  rel: string;
  abs: string;
  chart: boolean;
  library: boolean;
  kustomization: string | undefined;
  /** Files here that hold Kubernetes objects. */
  manifests: string[];
  /** YAML/JSON files here that are not Kubernetes objects. */
  others: string[];
  children: DirInfo[];
  /** A subfolder with a kubeplan.yaml of its own: another config's, not read. */
  ownConfig?: boolean;
}

/** Walks the folder: charts (not into them), kustomizations, and folders of manifests. */
export function scanRepository(root: string): { targets: FoundTarget[]; skipped: { path: string; reason: string }[] } {
  const tree = readDir(root, '');
  const all: DirInfo[] = [];
  const collect = (d: DirInfo) => {
    all.push(d);
    for (const c of d.children) collect(c);
  };
  collect(tree);

  // What kustomizations use: folders they build on (bases, components) and files they list are not targets.
  const usedDirs = new Set<string>();
  const usedFiles = new Set<string>();
  const namespaces = new Map<string, string>();
  const components = new Set<string>();
  for (const d of all) {
    if (!d.kustomization) continue;
    const k = readKustomization(d.kustomization);
    if (k.component) components.add(d.abs);
    if (k.namespace) namespaces.set(d.abs, k.namespace);
    for (const ref of k.refs) {
      if (/^[a-z]+:\/\//i.test(ref) || ref.includes('?ref=') || /^github\.com\//.test(ref)) continue;
      const abs = path.resolve(d.abs, ref);
      try {
        if (statSync(abs).isDirectory()) usedDirs.add(abs);
        else usedFiles.add(abs);
      } catch {
        // a missing resource: kustomize reports it when the target renders
      }
    }
  }

  const targets: FoundTarget[] = [];
  const skipped: { path: string; reason: string }[] = [];
  /** Whether a folder's subtree holds nothing but manifests (no chart, kustomization or other YAML). */
  const plain = (d: DirInfo): boolean =>
    !d.chart &&
    !d.kustomization &&
    d.others.length === 0 &&
    !usedDirs.has(d.abs) &&
    !d.manifests.some((f) => usedFiles.has(path.join(d.abs, f))) &&
    d.children.every(plain);
  const visit = (d: DirInfo) => {
    if (d.ownConfig) {
      skipped.push({ path: d.rel, reason: 'has a kubeplan.yaml of its own (a config of its own: run kubeplan there)' });
      return;
    }
    if (d.chart) {
      if (d.library) skipped.push({ path: d.rel, reason: 'a library chart (no objects of its own)' });
      else targets.push(...chartTargets(d));
      return;
    }
    if (d.kustomization) {
      if (components.has(d.abs))
        skipped.push({ path: d.rel || '.', reason: 'a Kustomize Component (use it as helm + kustomize post-render)' });
      else if (!usedDirs.has(d.abs))
        targets.push({
          name: d.rel ? '' : slug(path.basename(root)),
          kind: 'kustomize',
          path: d.rel || '.',
          namespace: namespaces.get(d.abs),
          namespaceGuess: lastMeaningful(d.rel || path.basename(root)),
        });
    } else if (d.rel !== '' && d.manifests.length > 0 && !d.kustomization) {
      if (plain(d)) {
        targets.push({
          name: '',
          kind: 'manifests',
          path: d.rel,
          namespace: undefined,
          namespaceGuess: lastMeaningful(d.rel),
        });
        return; // read recursively: its subfolders belong to it
      }
      if (!d.manifests.some((f) => usedFiles.has(path.join(d.abs, f))) && !usedDirs.has(d.abs))
        skipped.push({
          path: d.rel,
          reason:
            d.others.length > 0
              ? `mixes Kubernetes manifests with other YAML (${d.others.slice(0, 3).join(', ')})`
              : 'holds manifests next to a chart or kustomization in a subfolder',
        });
    } else if (d.rel === '' && d.manifests.length > 0) {
      skipped.push({ path: '.', reason: 'manifests at the top of the repository: move them into a folder' });
    }
    for (const c of d.children) visit(c);
  };
  visit(tree);
  pairValuesFiles(targets, all, skipped);
  nameTargets(targets);
  return { targets, skipped };
}

const VALUES_FILE = /^values([-.][\w-]+)?\.ya?ml$/;

/**
 * Values files outside the charts (`envs/prod/values.yaml`, `values-staging.yaml`): with one chart that has none of
 * its own, one target per file (named by the file's suffix or folder); otherwise they are named in a comment.
 */
function pairValuesFiles(targets: FoundTarget[], all: DirInfo[], skipped: { path: string; reason: string }[]) {
  const files = all.flatMap((d) =>
    d.chart ? [] : d.others.filter((f) => VALUES_FILE.test(f)).map((f) => (d.rel ? `${d.rel}/${f}` : f)),
  );
  if (files.length === 0) return;
  const charts = targets.filter((t) => t.kind === 'helm');
  const chart = charts[0];
  if (charts.length !== 1 || !chart || chart.values) {
    skipped.push({ path: files.join(', '), reason: 'Helm values files: add them to the helm targets they belong to' });
    return;
  }
  const envOf = (file: string) => {
    const suffix = /^values[-.]([\w-]+)\.ya?ml$/.exec(path.posix.basename(file))?.[1];
    return slug(suffix ?? path.posix.basename(path.posix.dirname(file)));
  };
  targets.splice(
    targets.indexOf(chart),
    1,
    ...files.map((file) => {
      const name = `${chart.namespaceGuess}-${envOf(file)}`;
      // One namespace per environment: two releases of one chart in one namespace would own the same objects.
      return { ...chart, name, values: file, namespaceGuess: name };
    }),
  );
}

function readDir(abs: string, rel: string): DirInfo {
  const info: DirInfo = {
    rel,
    abs,
    chart: false,
    library: false,
    kustomization: findKustomizationFile(abs),
    manifests: [],
    others: [],
    children: [],
  };
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch {
    return info;
  }
  if (rel !== '' && entries.some((e) => e.isFile() && /^kubeplan\.ya?ml$/.test(e.name))) {
    info.ownConfig = true;
    return info;
  }
  if (entries.some((e) => e.isFile() && e.name === 'Chart.yaml')) {
    info.chart = true;
    info.library = /^type:\s*["']?library/m.test(safeRead(path.join(abs, 'Chart.yaml')));
    return info;
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      if (e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue;
      info.children.push(readDir(path.join(abs, e.name), rel ? `${rel}/${e.name}` : e.name));
    } else if (e.isFile() && MANIFEST_EXT.test(e.name) && !/^kustomization\.ya?ml$/.test(e.name)) {
      if (rel === '' && /^kubeplan(-report)?(\.schema)?\.(ya?ml|json)$/.test(e.name)) continue;
      if (e.name.startsWith('.')) continue;
      (holdsObjects(path.join(abs, e.name)) ? info.manifests : info.others).push(e.name);
    }
  }
  return info;
}

function safeRead(file: string): string {
  try {
    return statSync(file).size > MAX_SCAN_BYTES ? '' : readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Whether a file holds Kubernetes objects: some document with a string apiVersion and kind. */
function holdsObjects(file: string): boolean {
  const text = safeRead(file);
  if (!text) return false;
  const isObject = (v: unknown) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { apiVersion?: unknown }).apiVersion === 'string' &&
    typeof (v as { kind?: unknown }).kind === 'string';
  try {
    if (file.toLowerCase().endsWith('.json')) return isObject(JSON.parse(text));
    return parseAllDocuments(text).some((d) => !('empty' in d) && d.errors.length === 0 && isObject(d.toJS()));
  } catch {
    return false;
  }
}

function readKustomization(file: string): { refs: string[]; namespace: string | undefined; component: boolean } {
  let doc: Record<string, unknown> = {};
  try {
    const parsed = parseAllDocuments(safeRead(file));
    const first = Array.isArray(parsed) ? parsed[0] : parsed;
    const value = first?.toJS();
    if (value && typeof value === 'object') doc = value as Record<string, unknown>;
  } catch {
    // an unreadable kustomization: kustomize says why when the target renders
  }
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const patchFiles = [...list(doc.patchesStrategicMerge), ...(Array.isArray(doc.patches) ? doc.patches : [])]
    .map((p) => (typeof p === 'string' ? p : (p as { path?: unknown })?.path))
    .filter((p): p is string => typeof p === 'string' && !p.includes('\n'));
  return {
    refs: [...list(doc.resources), ...list(doc.bases), ...list(doc.components), ...patchFiles],
    namespace: typeof doc.namespace === 'string' && DNS_LABEL.test(doc.namespace) ? doc.namespace : undefined,
    component: doc.kind === 'Component',
  };
}

/** A chart is one target, or one per `values-<env>.yaml` / `values.<env>.yaml` beside its values.yaml. */
function chartTargets(d: DirInfo): FoundTarget[] {
  let envs: string[] = [];
  try {
    envs = readdirSync(d.abs).filter((f) => /^values[-.][\w-]+\.ya?ml$/.test(f) && !/^values\.ya?ml$/.test(f));
  } catch {
    envs = [];
  }
  const chartName =
    /^name:\s*["']?([\w.-]+)/m.exec(safeRead(path.join(d.abs, 'Chart.yaml')))?.[1] ?? lastMeaningful(d.rel);
  if (envs.length === 0)
    return [{ name: '', kind: 'helm', path: d.rel, namespace: undefined, namespaceGuess: slug(chartName) }];
  return envs.map((f) => ({
    name: `${slug(chartName)}-${slug(f.replace(/^values[-.]/, '').replace(/\.ya?ml$/, ''))}`,
    kind: 'helm',
    path: d.rel,
    values: `${d.rel}/${f}`,
    namespace: undefined,
    namespaceGuess: slug(chartName),
  }));
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function slug(s: string): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 63)
    .replace(/-$/, '');
  return out || 'target';
}

function lastMeaningful(rel: string): string {
  const parts = rel.split('/').filter((p) => p && !GENERIC.has(p.toLowerCase()));
  return slug(parts[0] ?? rel.split('/').pop() ?? 'default');
}

/**
 * Names from the path without the words every repository uses (`apps/api/overlays/prod` → api-prod); when two
 * targets would share a name, both take their whole path.
 */
function nameTargets(targets: FoundTarget[]): void {
  for (const t of targets) {
    if (t.name) continue;
    const parts = t.path.split('/').filter((p) => !GENERIC.has(p.toLowerCase()) && p !== 'base');
    t.name = slug((parts.length ? parts : [t.path.split('/').pop()!]).join('-'));
  }
  const seen = new Map<string, FoundTarget[]>();
  for (const t of targets) seen.set(t.name, [...(seen.get(t.name) ?? []), t]);
  for (const same of seen.values()) {
    if (same.length < 2) continue;
    for (const t of same)
      t.name = slug(`${t.path}${t.values ? `-${path.basename(t.values).replace(/\.ya?ml$/, '')}` : ''}`);
  }
  // Still the same (paths that only differ in punctuation): number them.
  const counts = new Map<string, number>();
  for (const t of targets) {
    const n = (counts.get(t.name) ?? 0) + 1;
    counts.set(t.name, n);
    if (n > 1) t.name = `${t.name.slice(0, 60)}-${n}`;
  }
}

/** kubeplan.yaml for the targets found, with the namespaces to check as comments. */
function configYaml(targets: FoundTarget[], skipped: { path: string; reason: string }[]): string {
  const q = (s: string) => (/^[\w./-]+$/.test(s) && !/^[\d.]+$/.test(s) ? s : JSON.stringify(s));
  const lines = [
    '# kubeplan configuration, scaffolded by `kubeplan init` from the folders of this repository.',
    '# Check the names and namespaces, then run `kubeplan render` and `kubeplan diff`.',
    "# Every key: README (kubeplan.yaml) and kubeplan.schema.json in kubeplan's package, which editors can complete from.",
    'targets:',
  ];
  for (const t of targets) {
    lines.push(`  - name: ${t.name}`);
    if (t.namespace) lines.push(`    namespace: ${t.namespace}`);
    else
      lines.push(
        `    # namespace: ${t.namespaceGuess}   # objects without a namespace go here (also Helm's --namespace)`,
      );
    if (t.kind === 'helm') {
      lines.push('    helm:', `      chart: ${q(t.path)}`);
      if (t.values) lines.push(`      values: [${q(t.values)}]`);
    } else if (t.kind === 'kustomize') {
      lines.push(`    kustomize: ${q(t.path)}`);
    } else {
      lines.push(`    manifests: ${q(t.path)}`);
    }
  }
  if (skipped.length > 0) {
    lines.push('', '# Left out:');
    for (const s of skipped) lines.push(`#   ${s.path}: ${s.reason.replace(/\n/g, ' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
