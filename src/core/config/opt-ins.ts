import { execa } from 'execa';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';
import { inlineCode } from '../report/escape.js';
import { removedClusterNotices } from '../cluster/named-clusters.js';
import type { Config, HelmPolicy, KustomizePolicy } from './types.js';
import { configPathInRepo } from './config-path.js';

/**
 * The settings that let rendering run or fetch code: exec plugins, remote resources, Helm charts in kustomizations,
 * and the chart repositories remote charts may come from. A pull request must not turn them on for itself, so its
 * plan takes them from the base commit's config.
 */
export interface OptIns {
  kustomize: KustomizePolicy;
  helm: HelmPolicy;
}

export const NO_OPT_INS: OptIns = {
  kustomize: { allowExecPlugins: false, allowRemoteResources: false, allowHelmCharts: false },
  helm: { allowRepositories: [] },
};

/** Where the opt-ins of a run came from, and what the report should say about them. */
export interface TrustedOptIns {
  config: Config;
  /** Sentences for the plan: the pull request changes an opt-in, or the base config could not be read. */
  notices: string[];
}

/**
 * Replaces the config's opt-ins with those of the same config file at `ref` (none when the file does not exist
 * there). `fetch`: when the commit is not in the clone (a shallow checkout), fetch it from origin once.
 */
export async function withOptInsFrom(
  config: Config,
  ref: string,
  env: NodeJS.ProcessEnv,
  options: { fetch?: boolean } = {},
): Promise<TrustedOptIns> {
  const relConfig = configPathInRepo(config);
  const committed = await readCommittedFile(config.repoRoot, ref, relConfig, env, options.fetch ?? false);
  let base: OptIns = NO_OPT_INS;
  const notices: string[] = [];
  if (committed.kind === 'missing-commit') {
    if (options.fetch) {
      if (anyOn(optInsOf(config))) {
        notices.push(
          `The base commit ${ref.slice(0, 12)} is not in the clone, so the opt-ins of ${relConfig} (kustomize.allow*, helm.allowRepositories) are off for this plan; fetch it (actions/checkout with fetch-depth: 0).`,
        );
      }
      return { config: { ...config, ...NO_OPT_INS }, notices };
    }
    throw new UsageError(`--opt-ins-from ${ref}: no such commit, branch or tag in ${config.repoRoot}`, {
      hint: 'fetch it first (git fetch origin <branch>), or name another ref',
    });
  }
  if (committed.kind === 'file') {
    base = readOptIns(committed.text);
    // A cluster the base named and this config does not: nothing there is pruned; the plan says what stays.
    notices.push(...removedClusterNotices(committed.text, config));
  }
  notices.push(...describeChanges(base, optInsOf(config), ref, relConfig, committed.kind === 'file'));
  return { config: { ...config, kustomize: base.kustomize, helm: base.helm }, notices };
}

export function optInsOf(config: Pick<Config, 'kustomize' | 'helm'>): OptIns {
  return { kustomize: config.kustomize, helm: config.helm };
}

function anyOn(o: OptIns): boolean {
  return (
    o.kustomize.allowExecPlugins ||
    o.kustomize.allowRemoteResources ||
    o.kustomize.allowHelmCharts ||
    o.helm.allowRepositories.length > 0
  );
}

/** The opt-ins of a committed config; anything unreadable counts as off. */
export function readOptIns(text: string): OptIns {
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 100 });
  } catch {
    return NO_OPT_INS;
  }
  const get = (o: unknown, key: string): unknown =>
    o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>)[key] : undefined;
  const kustomize = get(raw, 'kustomize');
  const repositories = get(get(raw, 'helm'), 'allowRepositories');
  return {
    kustomize: {
      allowExecPlugins: get(kustomize, 'allowExecPlugins') === true,
      allowRemoteResources: get(kustomize, 'allowRemoteResources') === true,
      allowHelmCharts: get(kustomize, 'allowHelmCharts') === true,
    },
    helm: {
      allowRepositories: Array.isArray(repositories)
        ? repositories.filter((r): r is string => typeof r === 'string')
        : [],
    },
  };
}

function describeChanges(base: OptIns, head: OptIns, ref: string, relConfig: string, baseHasConfig: boolean): string[] {
  const changes: string[] = [];
  for (const key of ['allowExecPlugins', 'allowRemoteResources', 'allowHelmCharts'] as const) {
    if (base.kustomize[key] !== head.kustomize[key])
      changes.push(`\`kustomize.${key}\` from ${base.kustomize[key]} to ${head.kustomize[key]}`);
  }
  const added = head.helm.allowRepositories.filter((r) => !base.helm.allowRepositories.includes(r));
  const removed = base.helm.allowRepositories.filter((r) => !head.helm.allowRepositories.includes(r));
  if (added.length) changes.push(`adds ${added.map((r) => inlineCode(r)).join(', ')} to \`helm.allowRepositories\``);
  if (removed.length)
    changes.push(`removes ${removed.map((r) => inlineCode(r)).join(', ')} from \`helm.allowRepositories\``);
  if (changes.length === 0) return [];
  const where = baseHasConfig
    ? `the base commit ${ref.slice(0, 12)}`
    : `the base commit ${ref.slice(0, 12)} (which has no ${relConfig}: everything off)`;
  return [
    `This change sets ${changes.join('; ')} in ${relConfig}. Opt-ins are read from ${where}, so this plan renders without the change; it takes effect once merged.`,
  ];
}

type Committed = { kind: 'file'; text: string } | { kind: 'no-file' } | { kind: 'missing-commit' };

async function readCommittedFile(
  repoRoot: string,
  ref: string,
  file: string,
  env: NodeJS.ProcessEnv,
  fetch: boolean,
): Promise<Committed> {
  const git = (args: string[]) =>
    execa('git', args, { cwd: repoRoot, env, extendEnv: false, reject: false, stdin: 'ignore' });
  const commitOf = async () => {
    const r = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return r.exitCode === 0 ? String(r.stdout).trim() : undefined;
  };
  let commit = await commitOf();
  if (commit === undefined && fetch && /^[0-9a-f]{40}$/i.test(ref)) {
    await git(['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', '--depth=1', 'origin', ref]);
    commit = await commitOf();
  }
  if (commit === undefined) return { kind: 'missing-commit' };
  const shown = await git(['show', `${commit}:${file}`]);
  return shown.exitCode === 0 ? { kind: 'file', text: String(shown.stdout) } : { kind: 'no-file' };
}
