import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { parseDurationText } from '../duration.js';
import { ConfigError, ErrorList, formatWhere, type FileWhere } from '../errors.js';
import { DEFAULT_POLICY, policyProblem, type TagPolicy } from '../images/policy.js';
import { decodeUtf8, limitedYamlValue, tooDeepToParse, UTF8_HINT } from '../manifests/input-limits.js';
import { parseImageRef } from '../images/registry.js';
import { type RawCanary, readCanary } from './canary-config.js';
import type {
  ChartRef,
  ClusterConfig,
  Config,
  HelmSource,
  ImageConfig,
  KustomizePolicy,
  RepoPath,
  Target,
  TargetSource,
} from './types.js';
import { validate as validateConfig } from './validate-config.generated.js';

export const DEFAULT_CONFIG_FILE = 'kubeplan.yaml';

/** The raw shape after schema validation (see kubeplan.schema.json). */
interface RawHelm {
  chart: string;
  repo?: string;
  version?: string;
  releaseName?: string;
  values?: string[];
  set?: Record<string, unknown>;
  kubeVersion?: string;
  apiVersions?: string[];
  includeCRDs?: boolean;
}
interface RawTarget {
  name: string;
  namespace?: string;
  environment?: string;
  production?: boolean;
  apply?: {
    forceConflicts?: boolean;
    recreate?: string[];
    allowEmpty?: boolean;
    rollback?: boolean;
    binding?: 'off' | 'warn' | 'strict';
  };
  policy?: { namespaces?: string[]; clusterScoped?: string[] };
  ignore?: {
    group?: string;
    kind?: string;
    name?: string;
    namespace?: string;
    paths?: string[];
    managers?: string[];
  }[];
  helm?: RawHelm;
  kustomize?: string;
  manifests?: string;
  clusters?: string[];
  dependsOn?: string[];
  rollout?: { waves: string[][] };
  promote?: { from: string; soak?: string };
  canary?: RawCanary;
}
interface RawCluster {
  server: string;
  caFile?: string;
  ca?: string;
  caSha256?: string;
  auth: { oidcAudience?: string; tokenEnv?: string; kubeconfigEnv?: string; context?: string };
}
interface RawConfig {
  targets: RawTarget[];
  clusters?: Record<string, RawCluster>;
  policy?: { namespaces?: string[]; clusterScoped?: string[] };
  kustomize?: Partial<KustomizePolicy>;
  helm?: { allowRepositories?: string[] };
  images?: {
    name: string;
    files?: string[];
    policy?: TagPolicy;
    exclude?: string[];
    pin?: 'digest';
    group?: string;
    skip?: boolean;
  }[];
  registries?: { host: string; insecure?: boolean; endpoint?: string; tokenRealm?: string }[];
  bump?: {
    labels?: string[];
    branchPrefix?: string;
    reviewers?: string[];
    assignees?: string[];
    commitMessagePrefix?: string;
    dashboard?: boolean;
  };
  repository?: string;
}

/** Reads, parses and fully validates a kubeplan.yaml; every problem found is reported at once with its line. */
export function loadConfig(configPath: string, cwd: string = process.cwd()): Config {
  const file = path.resolve(cwd, configPath);
  const shown = path.relative(cwd, file) || file;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? 'config file not found' : `cannot read config file (${code})`, {
      where: { file: shown, path: file },
      cause: error,
      hint:
        code === 'ENOENT'
          ? 'create kubeplan.yaml at the repository root (see the README) or pass --config PATH'
          : 'check the path and its permissions',
    });
  }
  const decoded = decodeUtf8(bytes);
  if ('invalid' in decoded) {
    throw new ConfigError('the config file is not valid UTF-8', {
      where: { file: shown, line: decoded.invalid.line, column: decoded.invalid.column, path: file },
      hint: UTF8_HINT,
    });
  }
  return parseConfig(decoded.text, file, shown);
}

/** Parses config text; `file` is its absolute path (paths in it are relative to its folder). */
export function parseConfig(text: string, file: string, shown: string = path.basename(file)): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number | undefined): number => (offset === undefined ? 1 : lines.linePos(offset).line);
  if (doc.errors.length > 0 && tooDeepToParse(doc) === undefined) {
    throw new ErrorList(
      doc.errors.map(
        (e) =>
          new ConfigError(`YAML syntax error: ${firstLine(e.message)}`, {
            where: { file: shown, line: lineOf(e.pos[0]), path: file },
            hint: 'fix the YAML syntax (indentation, quotes, colons) at that line',
          }),
      ),
    );
  }
  const limited = limitedYamlValue(doc);
  if ('problem' in limited)
    throw new ConfigError(limited.problem.message, {
      where: { file: shown, line: lineOf(limited.offset), path: file },
      hint: limited.problem.hint,
    });
  const raw = limited.value;
  const locate = new Locator(doc, lineOf, shown, file);
  if (raw === null || raw === undefined) {
    throw new ConfigError('the config file is empty', {
      where: { file: shown, line: 1, path: file },
      hint: 'add a `targets:` list (see the README)',
    });
  }
  validateSchema(raw, locate);
  const config = raw as RawConfig;

  const repoRoot = findRepoRoot(path.dirname(file));
  const errors: ConfigError[] = [];
  const seen = new Map<string, number>();
  const targets: Target[] = [];
  config.targets.forEach((t, i) => {
    const where = locate.where(['targets', i]);
    const firstIndex = seen.get(t.name);
    if (firstIndex !== undefined) {
      errors.push(
        new ConfigError(
          `duplicate target name "${t.name}" (first defined at ${formatWhere(locate.where(['targets', firstIndex]))})`,
          {
            where: locate.where(['targets', i, 'name']),
            hint: 'give every target a unique name',
          },
        ),
      );
      return;
    }
    seen.set(t.name, i);
    const resolver = new PathResolver(path.dirname(file), repoRoot, locate, ['targets', i], t.name);
    const source = resolveSource(t, resolver, locate, i);
    errors.push(...resolver.errors);
    const ignore = (t.ignore ?? []).map((rule) => ({
      ...rule,
      paths: rule.paths ?? [],
      managers: rule.managers ?? [],
    }));
    const apply = {
      forceConflicts: t.apply?.forceConflicts ?? false,
      recreate: t.apply?.recreate ?? [],
      allowEmpty: t.apply?.allowEmpty ?? false,
      rollback: t.apply?.rollback ?? false,
      binding: t.apply?.binding ?? 'warn',
    };
    const policySource = t.policy ?? config.policy;
    const policy = { namespaces: policySource?.namespaces, clusterScoped: policySource?.clusterScoped };
    const deployment = { environment: t.environment ?? t.name, production: t.production ?? true };
    const canary =
      t.canary &&
      readCanary(
        t.canary,
        {
          target: t.name,
          namespace: t.namespace,
          rollback: t.apply?.rollback,
          clusters: t.clusters ? 'target' : config.clusters ? 'file' : undefined,
          at: (...rest) => locate.where(['targets', i, ...rest]),
        },
        errors,
      );
    if (source)
      targets.push({
        name: t.name,
        namespace: t.namespace,
        source,
        ignore,
        apply,
        policy,
        deployment,
        where,
        ...(t.clusters ? { clusters: t.clusters } : {}),
        ...(t.dependsOn ? { dependsOn: t.dependsOn } : {}),
        ...(t.rollout ? { rollout: t.rollout } : {}),
        ...(t.promote
          ? {
              promote: {
                from: t.promote.from,
                soakMs: parseDurationText(t.promote.soak ?? '0s', locate.where(['targets', i, 'promote', 'soak'])),
              },
            }
          : {}),
        ...(canary ? { canary } : {}),
      });
  });
  const clusters = config.clusters ? readClusters(config.clusters, locate, errors, file, repoRoot) : undefined;
  checkPlacement(config, locate, errors);
  const images = readImages(
    config,
    locate,
    errors,
    path.relative(repoRoot, path.dirname(file)).split(path.sep).join('/'),
  );
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new ErrorList(errors);
  return {
    file,
    repoRoot,
    targets,
    kustomize: {
      allowExecPlugins: config.kustomize?.allowExecPlugins ?? false,
      allowRemoteResources: config.kustomize?.allowRemoteResources ?? false,
      allowHelmCharts: config.kustomize?.allowHelmCharts ?? false,
    },
    helm: { allowRepositories: config.helm?.allowRepositories ?? [] },
    images,
    registries: (config.registries ?? []).map((r) => ({
      host: r.host,
      insecure: r.insecure ?? false,
      endpoint: r.endpoint?.replace(/\/$/, ''),
      tokenRealm: r.tokenRealm,
    })),
    bump: {
      labels: config.bump?.labels ?? [],
      branchPrefix: config.bump?.branchPrefix ?? 'kubeplan/bump/',
      reviewers: config.bump?.reviewers ?? [],
      assignees: config.bump?.assignees ?? [],
      commitMessagePrefix: config.bump?.commitMessagePrefix ?? '',
      dashboard: config.bump?.dashboard ?? false,
    },
    ...(config.repository ? { repository: config.repository } : {}),
    ...(clusters ? { clusters } : {}),
  };
}

/** kubeplan.yaml `clusters`: each cluster's server, CA (read from caFile here) and pin, and how to authenticate. */
function readClusters(
  raw: Record<string, RawCluster>,
  locate: Locator,
  errors: ConfigError[],
  file: string,
  repoRoot: string,
): ClusterConfig[] {
  return Object.entries(raw).flatMap(([name, c]) => {
    const at = (...rest: string[]) => locate.where(['clusters', name, ...rest]);
    const label = `cluster "${name}"`;
    const before = errors.length;
    let caPem = c.ca;
    if (c.ca !== undefined && c.caFile !== undefined)
      errors.push(
        new ConfigError(`${label}: ca and caFile exclude each other`, {
          where: at('ca'),
          hint: 'keep one of them: the CA as PEM text (ca) or the path of its file (caFile)',
        }),
      );
    else if (c.caFile !== undefined) {
      const resolver = new PathResolver(path.dirname(file), repoRoot, locate, ['clusters', name], name, label);
      const ca = resolver.resolve(c.caFile, ['caFile'], 'file');
      errors.push(...resolver.errors);
      if (ca) {
        caPem = readFileSync(ca.abs, 'utf8');
        if (!caPem.includes('-----BEGIN CERTIFICATE-----'))
          errors.push(
            new ConfigError(`${label}: caFile "${c.caFile}" is not a PEM certificate`, {
              where: at('caFile'),
              hint: 'point caFile at the CA certificate (-----BEGIN CERTIFICATE-----), as kubectl config view --raw shows it base64-decoded',
            }),
          );
      }
    }
    const auth: ClusterConfig['auth'] | undefined =
      c.auth.oidcAudience !== undefined
        ? { kind: 'oidc', audience: c.auth.oidcAudience }
        : c.auth.tokenEnv !== undefined
          ? { kind: 'token', env: c.auth.tokenEnv }
          : c.auth.kubeconfigEnv !== undefined && c.auth.context !== undefined
            ? { kind: 'kubeconfig', env: c.auth.kubeconfigEnv, context: c.auth.context }
            : undefined;
    if (c.caSha256 !== undefined && caPem === undefined && auth?.kind !== 'kubeconfig')
      errors.push(
        new ConfigError(`${label}: caSha256 pins a CA, and the cluster has none`, {
          where: at('caSha256'),
          hint: 'add caFile or ca (the CA the pin names), or remove caSha256 to trust the system CAs',
        }),
      );
    if (errors.length > before || !auth) return [];
    return [
      {
        name,
        server: c.server.replace(/\/+$/, ''),
        caPem,
        caSha256: c.caSha256?.replace(/:/g, '').toLowerCase(),
        auth,
        where: at(),
      },
    ];
  });
}

/**
 * Targets' `clusters`, `dependsOn` and `rollout.waves`: every name known, waves a partition of the target's clusters,
 * no dependency cycle. Without a top-level `clusters:` no target may name one.
 */
function checkPlacement(config: RawConfig, locate: Locator, errors: ConfigError[]): void {
  const known = Object.keys(config.clusters ?? {});
  const targetNames = new Set(config.targets.map((t) => t.name));
  config.targets.forEach((t, i) => {
    const at = (...rest: (string | number)[]) => locate.where(['targets', i, ...rest]);
    const label = `target "${t.name}"`;
    if (!config.clusters) {
      if (t.clusters || t.rollout)
        errors.push(
          new ConfigError(`${label} names clusters, and kubeplan.yaml has no top-level clusters:`, {
            where: at(t.clusters ? 'clusters' : 'rollout'),
            hint: "define the clusters under a top-level clusters: map (server, caFile or ca, auth), or remove the target's clusters and rollout",
          }),
        );
    } else if (!t.clusters) {
      errors.push(
        new ConfigError(`${label} has no clusters`, {
          where: at(),
          hint: `list the clusters it runs on, e.g. clusters: [${known.join(', ')}]`,
        }),
      );
    }
    (t.clusters ?? []).forEach((c, j) => {
      if (config.clusters && !known.includes(c))
        errors.push(
          new ConfigError(`${label}: unknown cluster "${c}"`, {
            where: at('clusters', j),
            hint: `the clusters defined under clusters: are ${known.join(', ')}`,
          }),
        );
    });
    (t.dependsOn ?? []).forEach((d, j) => {
      if (d === t.name || !targetNames.has(d))
        errors.push(
          new ConfigError(
            d === t.name ? `${label} depends on itself` : `${label}: dependsOn names unknown target "${d}"`,
            {
              where: at('dependsOn', j),
              hint: `name other targets of this file: ${[...targetNames].filter((n) => n !== t.name).join(', ') || 'none'}`,
            },
          ),
        );
    });
    if (t.promote && (t.promote.from === t.name || !targetNames.has(t.promote.from)))
      errors.push(
        new ConfigError(
          t.promote.from === t.name
            ? `${label} promotes from itself`
            : `${label}: promote.from names unknown target "${t.promote.from}"`,
          {
            where: at('promote', 'from'),
            hint: `name the upstream target, one of: ${[...targetNames].filter((n) => n !== t.name).join(', ') || 'none'}`,
          },
        ),
      );
    if (t.rollout && t.clusters) {
      const seen = new Set<string>();
      t.rollout.waves.forEach((wave, w) => {
        wave.forEach((c, j) => {
          const problem = !t.clusters!.includes(c)
            ? `wave ${w + 1} names cluster "${c}", which is not in the target's clusters`
            : seen.has(c)
              ? `cluster "${c}" is in more than one wave`
              : undefined;
          seen.add(c);
          if (problem)
            errors.push(
              new ConfigError(`${label}: ${problem}`, {
                where: at('rollout', 'waves', w, j),
                hint: `put each of the target's clusters (${t.clusters!.join(', ')}) in exactly one wave`,
              }),
            );
        });
      });
      const missing = t.clusters.filter((c) => !seen.has(c));
      if (missing.length)
        errors.push(
          new ConfigError(`${label}: cluster${missing.length === 1 ? '' : 's'} ${missing.join(', ')} in no wave`, {
            where: at('rollout', 'waves'),
            hint: 'add every cluster of the target to one wave (a wave of its own runs last)',
          }),
        );
    }
  });
  const cycle = dependencyCycle(config.targets);
  if (cycle)
    errors.push(
      new ConfigError(`targets depend on each other in a cycle: ${cycle.join(' → ')}`, {
        where: locate.where(['targets', config.targets.findIndex((t) => t.name === cycle[0]), 'dependsOn']),
        hint: 'remove one of the dependsOn entries so the targets can be applied one after the other',
      }),
    );
}

function dependencyCycle(targets: RawTarget[]): string[] | undefined {
  const deps = new Map(targets.map((t) => [t.name, t.dependsOn ?? []]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const d of deps.get(name) ?? []) {
      if (d === name || !deps.has(d)) continue;
      const found = visit(d);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const t of targets) {
    const found = visit(t.name);
    if (found) return found;
  }
  return undefined;
}

function readImages(config: RawConfig, locate: Locator, errors: ConfigError[], base: string): ImageConfig[] {
  const seen = new Map<string, number>();
  return (config.images ?? []).flatMap((image, i) => {
    const where = locate.where(['images', i]);
    const ref = parseImageRef(image.name);
    if (ref.tag !== undefined || ref.digest !== undefined) {
      errors.push(
        new ConfigError(`image "${image.name}" has a tag or digest`, {
          where: locate.where(['images', i, 'name']),
          hint: 'write the image name only; the policy chooses the tag',
        }),
      );
      return [];
    }
    const key = `${ref.registry}/${ref.repository}`;
    const scope = `${key} ${JSON.stringify(image.files ?? null)}`;
    const first = seen.get(scope);
    if (first !== undefined) {
      errors.push(
        new ConfigError(
          `image "${image.name}" is listed twice${image.files ? ' with the same files' : ' without files'} (first at ${formatWhere(locate.where(['images', first]))})`,
          { where, hint: image.files ? 'merge the two entries' : 'merge the two entries, or give one of them files' },
        ),
      );
      return [];
    }
    seen.set(scope, i);
    const files = image.files
      ? { globs: image.files, match: image.files.map((g) => globToRegExp(base && base !== '' ? `${base}/${g}` : g)) }
      : undefined;
    const exclude = image.exclude ?? [];
    const problem =
      image.policy || exclude.length > 0 ? policyProblem(image.policy ?? DEFAULT_POLICY, exclude) : undefined;
    if (problem) {
      errors.push(
        new ConfigError(`image "${image.name}": ${problem}`, {
          where: locate.where(['images', i, image.policy ? 'policy' : 'exclude']),
          hint: 'fix the policy (see the README, Image bumps)',
        }),
      );
      return [];
    }
    const rules = image.policy || exclude.length > 0 ? { policy: image.policy ?? DEFAULT_POLICY, exclude } : undefined;
    return [
      {
        name: image.name,
        key,
        files,
        rules,
        pin: image.pin === 'digest',
        group: image.group,
        skip: image.skip ?? false,
        where,
      },
    ];
  });
}

/** `values/*.yaml`, `envs/**` → a regular expression over repository-relative paths. */
function globToRegExp(pattern: string): RegExp {
  const glob = pattern.replace(/(^|\/)\.\//g, '$1');
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function resolveSource(t: RawTarget, paths: PathResolver, locate: Locator, i: number): TargetSource | undefined {
  const at = (...rest: (string | number)[]) => locate.where(['targets', i, ...rest]);
  const targetLabel = `target "${t.name}"`;
  if (t.manifests !== undefined && (t.helm !== undefined || t.kustomize !== undefined)) {
    paths.errors.push(
      new ConfigError(`${targetLabel}: manifests cannot be combined with ${t.helm ? 'helm' : 'kustomize'}`, {
        where: at('manifests'),
        hint: 'split it into two targets, or list the folder as a resource of a kustomization',
      }),
    );
    return undefined;
  }
  if (t.manifests !== undefined) {
    const dir = paths.resolve(t.manifests, ['manifests'], 'dir');
    return dir && { type: 'manifests', dir };
  }
  if (t.helm !== undefined) {
    const h = t.helm;
    const chart = resolveChart(h, paths, at, targetLabel);
    const values = (h.values ?? []).map((v, j) => paths.resolve(v, ['helm', 'values', j], 'file'));
    const postRender =
      t.kustomize === undefined ? undefined : paths.resolve(t.kustomize, ['kustomize'], 'kustomization');
    if (!chart || values.some((v) => v === undefined) || (t.kustomize !== undefined && !postRender)) return undefined;
    const source: HelmSource = {
      type: 'helm',
      chart,
      releaseName: h.releaseName ?? t.name,
      values: values as RepoPath[],
      set: h.set ?? {},
      kubeVersion: h.kubeVersion,
      apiVersions: h.apiVersions ?? [],
      includeCRDs: h.includeCRDs ?? true,
      postRender,
    };
    return source;
  }
  if (t.kustomize !== undefined) {
    const dir = paths.resolve(t.kustomize, ['kustomize'], 'kustomization');
    return dir && { type: 'kustomize', dir };
  }
  paths.errors.push(
    new ConfigError(`${targetLabel} has no source`, {
      where: at(),
      hint: 'set one of helm (a chart), kustomize (an overlay folder) or manifests (a folder of YAML/JSON files)',
    }),
  );
  return undefined;
}

function resolveChart(
  h: RawHelm,
  paths: PathResolver,
  at: (...rest: (string | number)[]) => FileWhere,
  targetLabel: string,
): ChartRef | undefined {
  if (h.chart.startsWith('oci://')) {
    if (h.repo !== undefined) {
      paths.errors.push(
        new ConfigError(`${targetLabel}: an oci:// chart cannot also have repo`, {
          where: at('helm', 'repo'),
          hint: 'remove repo; the oci:// reference names the registry',
        }),
      );
      return undefined;
    }
    return { kind: 'oci', ref: h.chart, version: h.version };
  }
  if (h.repo !== undefined) {
    if (h.chart.includes('/')) {
      paths.errors.push(
        new ConfigError(`${targetLabel}: with repo, chart must be a chart name, not "${h.chart}"`, {
          where: at('helm', 'chart'),
          hint: 'write the chart name only (for example chart: ingress-nginx) and the repository URL in repo',
        }),
      );
      return undefined;
    }
    return { kind: 'repo', repo: h.repo, name: h.chart, version: h.version };
  }
  if (h.version !== undefined) {
    paths.errors.push(
      new ConfigError(`${targetLabel}: version applies to remote charts only`, {
        where: at('helm', 'version'),
        hint: 'remove version (a local chart is rendered as it is in git), or set repo / an oci:// chart',
      }),
    );
    return undefined;
  }
  const chartPath = paths.resolve(h.chart, ['helm', 'chart'], 'chart');
  return chartPath && { kind: 'local', path: chartPath };
}

type PathKind = 'file' | 'dir' | 'chart' | 'kustomization';

/** Resolves paths relative to the config file and refuses any that leave the repository or do not exist. */
class PathResolver {
  readonly errors: ConfigError[] = [];
  constructor(
    private readonly base: string,
    private readonly repoRoot: string,
    private readonly locate: Locator,
    private readonly prefix: (string | number)[],
    targetName: string,
    private readonly label = `target "${targetName}"`,
  ) {}

  resolve(value: string, at: (string | number)[], kind: PathKind): RepoPath | undefined {
    const where = this.locate.where([...this.prefix, ...at]);
    const label = this.label;
    const fail = (message: string, hint: string) => {
      this.errors.push(new ConfigError(`${label}: ${message}`, { where, hint }));
      return undefined;
    };
    if (path.isAbsolute(value) || /^[a-z]+:\/\//i.test(value)) {
      return fail(`"${value}" must be a path relative to the config file`, 'write the path relative to kubeplan.yaml');
    }
    const abs = path.resolve(this.base, value);
    if (!isInside(this.repoRoot, abs)) {
      return fail(
        `"${value}" leaves the repository (${this.repoRoot})`,
        'keep every path inside the repository that holds kubeplan.yaml',
      );
    }
    if (!existsSync(abs)) {
      return fail(
        `"${value}" does not exist`,
        `check the path; it is resolved from ${path.relative(process.cwd(), this.base) || '.'}`,
      );
    }
    const real = realpathSync(abs);
    if (!isInside(realpathSync(this.repoRoot), real)) {
      return fail(
        `"${value}" is a symlink that leaves the repository`,
        'replace the symlink with the files it points to',
      );
    }
    const isDir = statSync(real).isDirectory();
    if (kind === 'file' && isDir) return fail(`"${value}" is a folder, not a file`, 'name a values file');
    if (kind !== 'file' && !isDir) return fail(`"${value}" is a file, not a folder`, kindHint(kind));
    if (kind === 'chart' && !existsSync(path.join(abs, 'Chart.yaml'))) {
      return fail(
        `"${value}" is not a Helm chart (no Chart.yaml)`,
        'point chart at the folder that holds Chart.yaml, or use an oci:// reference or repo',
      );
    }
    if (kind === 'kustomization' && !findKustomizationFile(abs)) {
      return fail(`"${value}" has no kustomization.yaml`, 'point kustomize at a folder holding kustomization.yaml');
    }
    return { abs, rel: toPosix(path.relative(this.repoRoot, abs)) || '.' };
  }
}

function kindHint(kind: PathKind): string {
  switch (kind) {
    case 'chart':
      return 'point chart at the chart folder';
    case 'kustomization':
      return 'point kustomize at the folder holding kustomization.yaml';
    default:
      return 'point manifests at a folder';
  }
}

export function findKustomizationFile(dir: string): string | undefined {
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function findRepoRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start);
    dir = parent;
  }
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

/** Maps a path in the parsed config (['targets', 0, 'helm']) to `kubeplan.yaml:LINE`. */
class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lineOf: (offset: number | undefined) => number,
    readonly shown: string,
    /** Absolute path of the config file. */
    readonly file: string,
  ) {}

  line(pathSegments: (string | number)[]): number {
    // Walk down as far as the path exists, so a missing leaf points at its parent.
    for (let n = pathSegments.length; n >= 0; n--) {
      const node = this.doc.getIn(pathSegments.slice(0, n), true) as Node | undefined;
      if (node && typeof node === 'object' && 'range' in node && node.range) {
        // For a key's value, prefer the key's line (a block value starts on the next line).
        const keyLine = this.keyLine(pathSegments.slice(0, n));
        return keyLine ?? this.lineOf(node.range[0]);
      }
    }
    return 1;
  }

  keyLine(pathSegments: (string | number)[]): number | undefined {
    const last = pathSegments.at(-1);
    if (typeof last !== 'string') return undefined;
    const parent = this.doc.getIn(pathSegments.slice(0, -1), true);
    if (!isMap(parent)) return undefined;
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
    const key = pair?.key;
    return isScalar(key) && key.range ? this.lineOf(key.range[0]) : undefined;
  }

  where(pathSegments: (string | number)[]): FileWhere {
    return this.at(this.line(pathSegments));
  }

  at(line: number): FileWhere {
    return { file: this.shown, line, path: this.file };
  }
}

function validateSchema(raw: unknown, locate: Locator): void {
  if (validateConfig(raw)) return;
  const all = dedupe(validateConfig.errors ?? []);
  // An anyOf explains itself; the failures of its branches would only repeat it.
  const anyOfPaths = all.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  const errors = all
    .filter((e) => !anyOfPaths.some((p) => e.schemaPath.startsWith(p)))
    .map((e) => schemaError(e, raw, locate));
  throw errors.length === 1 ? errors[0]! : new ErrorList(errors);
}

function dedupe(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function schemaError(e: ErrorObject, raw: unknown, locate: Locator): ConfigError {
  const segments = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const context = describeContext(segments, raw);
  const field = segments.filter((s) => typeof s === 'string').at(-1);
  const fieldPath = segments
    .map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))
    .join('')
    .replace(/^\./, '');
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = closest(key, allowed);
      return new ConfigError(`${context}unknown field "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}`, {
        where: locate.at(locate.keyLine([...segments, key]) ?? locate.line(segments)),
        hint: `allowed here: ${allowed.join(', ')}`,
      });
    }
    case 'required': {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      return new ConfigError(`${context}missing required field "${missing}"`, {
        where: locate.where(segments),
        hint:
          missing === 'targets'
            ? 'add a `targets:` list (see the README)'
            : `add ${missing}: to ${fieldPath || 'the top level'}`,
      });
    }
    case 'pattern':
    case 'maxLength':
      if (field === 'name' || field === 'namespace' || field === 'releaseName') {
        return new ConfigError(`${context}${field} ${JSON.stringify(e.data)} is not valid`, {
          where: locate.where(segments),
          hint: `use lower-case letters, digits and dashes, starting and ending with a letter or digit, at most ${field === 'releaseName' ? 53 : 63} characters`,
        });
      }
      if (field === 'server' && segments[0] === 'clusters') {
        return new ConfigError(`${context}server ${JSON.stringify(e.data)} is not an https:// URL`, {
          where: locate.where(segments),
          hint: 'write the apiserver URL as kubectl cluster-info prints it (https://host:6443)',
        });
      }
      if ((field === 'reviewers' || field === 'assignees') && segments[0] === 'bump') {
        return new ConfigError(`${fieldPath} ${JSON.stringify(e.data)} is not a login`, {
          where: locate.where(segments),
          hint:
            field === 'reviewers'
              ? 'write a GitHub login or org/team (a GitLab username), without @'
              : 'write a GitHub login (a GitLab username), without @',
        });
      }
      if (field === 'commitMessagePrefix') {
        return new ConfigError(`bump.commitMessagePrefix must be one line of at most 100 characters`, {
          where: locate.where(segments),
          hint: 'write the prefix of the first line only, e.g. "chore(deps): "',
        });
      }
      if (field === 'caSha256') {
        return new ConfigError(`${context}caSha256 ${JSON.stringify(e.data)} is not a sha256 fingerprint`, {
          where: locate.where(segments),
          hint: 'write the 64 hex digits openssl x509 -noout -fingerprint -sha256 -in ca.pem prints (colons allowed)',
        });
      }
      if (field === 'tokenRealm') {
        return new ConfigError(
          `${fieldPath} ${JSON.stringify(e.data)} is not a token service URL kubeplan sends credentials to`,
          {
            where: locate.where(segments),
            hint: 'write the https:// URL of the realm the registry names in its WWW-Authenticate challenge, without a query (http:// only for localhost or 127.x)',
          },
        );
      }
      if (field === 'kustomize' || field === 'manifests' || segments.includes('values')) {
        return new ConfigError(`${context}"${String(e.data)}" must be a path relative to the config file`, {
          where: locate.where(segments),
          hint: 'write the path relative to kubeplan.yaml',
        });
      }
      break;
    case 'type':
      return new ConfigError(
        `${context}${fieldPath || 'the config'} must be ${article((e.params as { type: string }).type)}`,
        {
          where: locate.where(segments),
          hint: 'see the config reference in the README or kubeplan.schema.json',
        },
      );
    case 'anyOf': {
      const options = ((e.schema as { required?: string[] }[] | undefined) ?? []).flatMap((b) => b.required ?? []);
      return new ConfigError(`${context}${fieldPath} needs ${options.map((o) => `"${o}"`).join(' or ')}`, {
        where: locate.where(segments),
        hint: `add ${options.join(' or ')} (see the config reference in the README)`,
      });
    }
    case 'oneOf':
      if (field === 'auth') {
        return new ConfigError(`${context}auth must be one of {oidcAudience}, {tokenEnv} or {kubeconfigEnv, context}`, {
          where: locate.where(segments),
          hint: 'oidcAudience: a GitHub OIDC ID token for that audience; tokenEnv: the variable holding a bearer token; kubeconfigEnv + context: the variable holding a kubeconfig (its path or contents) and the context in it',
        });
      }
      break;
    case 'not':
      return new ConfigError(`${context}${fieldPath}: ${JSON.stringify(e.data)} is not allowed here`, {
        where: locate.where(segments),
        hint: segments.includes('recreate')
          ? 'CustomResourceDefinitions, Namespaces and PersistentVolumeClaims are never recreated automatically: their data or dependants would be lost'
          : 'see the config reference in the README or kubeplan.schema.json',
      });
    case 'minItems':
      return new ConfigError(`${context}${fieldPath} must not be empty`, {
        where: locate.where(segments),
        hint: 'list at least one target',
      });
  }
  return new ConfigError(`${context}${fieldPath || 'the config'} ${e.message ?? 'is invalid'}`, {
    where: locate.where(segments),
    hint: 'see the config reference in the README or kubeplan.schema.json',
  });
}

function article(type: string): string {
  return type === 'object' ? 'a mapping' : type === 'array' ? 'a list' : `a ${type}`;
}

function describeContext(segments: (string | number)[], raw: unknown): string {
  if (segments[0] === 'clusters' && typeof segments[1] === 'string') return `cluster "${segments[1]}": `;
  if (segments[0] !== 'targets' || typeof segments[1] !== 'number') return '';
  const target = (raw as RawConfig).targets?.[segments[1]] as Partial<RawTarget> | undefined;
  const name =
    target && typeof target === 'object' && typeof target.name === 'string'
      ? `"${target.name}"`
      : `#${segments[1] + 1}`;
  return `target ${name}: `;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
