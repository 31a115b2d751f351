import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { isScalar, LineCounter, parse, parseDocument } from 'yaml';
import { loadConfig } from '../config/load-config.js';
import type { Config, Target } from '../config/types.js';
import type { PolicyFinding } from '../diff/types.js';
import { parseDurationText } from '../duration.js';
import { KubeplanError } from '../errors.js';
import { withWorktree } from '../git/worktree.js';
import { findReferences } from '../images/references.js';
import { chartVersionOf, duration, type UpstreamSource, type UpstreamState, versionsAt } from './promote.js';
import { configPathInRepo } from '../config/config-path.js';

/**
 * Where a plan reads what the upstreams run (a forge's deployments, or the upstream's inventory in the cluster), or
 * why it cannot; and what the change is measured from.
 */
export interface SoakCheck {
  source: UpstreamSource | { unavailable: string };
  /**
   * The git ref the change starts from (a pull request's base, --base), or per destination the commit it last applied
   * (its inventory); `{unknown}`: the change cannot be told, so it is not checked (a warning says why).
   */
  base: (dest: Target) => Promise<{ ref: string } | { unknown: string }>;
  /**
   * `promote` of each target as committed at the change's base (a pull request's): it wins over the change's own, so
   * a pull request cannot remove or shorten the soak it is checked against.
   */
  basePromote?: Map<string, { from: string; soakMs: number }> | undefined;
  /** The clock (tests). */
  now?: Date | undefined;
}

/**
 * The `promote` settings of the targets in the config file as committed at `ref` (read with git show, no checkout);
 * an unreadable file or setting is left out (the change's own config then decides).
 */
export async function promoteAt(
  config: Config,
  ref: string,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, { from: string; soakMs: number }>> {
  const shown = await execa('git', ['show', `${ref}:${configPathInRepo(config)}`], {
    cwd: config.repoRoot,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  const found = new Map<string, { from: string; soakMs: number }>();
  if (shown.exitCode !== 0) return found;
  let doc: unknown;
  try {
    doc = parse(String(shown.stdout));
  } catch {
    return found;
  }
  const targets = (doc as { targets?: unknown } | null)?.targets;
  for (const t of Array.isArray(targets) ? targets : []) {
    const { name, promote } = (t ?? {}) as { name?: unknown; promote?: { from?: unknown; soak?: unknown } };
    if (typeof name !== 'string' || typeof promote?.from !== 'string') continue;
    try {
      const soak = promote.soak === undefined ? '0s' : String(promote.soak);
      found.set(name, { from: promote.from, soakMs: parseDurationText(soak, { file: configPathInRepo(config) }) });
    } catch {
      // A soak the base could not have loaded: the change's own setting decides.
    }
  }
  return found;
}

/** One image reference (or the chart version) of a destination, with where it is written. */
interface Version {
  what: string;
  key: string;
  tag: string | undefined;
  digest: string | undefined;
  file: string;
  line: number | undefined;
}

const POLICY = 'promote.soak';

/**
 * `promote.soak` as a policy of the plan: every image version (tag, digest) or chart version the change sets in a
 * planned destination (a target with `promote: {from, soak}`) must be what its upstream has run successfully for at
 * least the soak, with nothing failed since. A version the change leaves as it was passes. An error per version that
 * has not soaked; a warning (no failure) when the upstream's state or the change cannot be read, naming why.
 */
export async function checkPromotionSoak(
  config: Config,
  planned: ReadonlySet<string>,
  check: SoakCheck,
  env: NodeJS.ProcessEnv,
): Promise<PolicyFinding[]> {
  const findings: PolicyFinding[] = [];
  const now = check.now ?? new Date();
  // A pull request cannot lift or shorten the policy it is checked against: the base's promote wins where it has one.
  const promoteOf = (t: Target) => check.basePromote?.get(t.name) ?? t.promote;
  const destinations = config.targets.filter((t) => promoteOf(t) && planned.has(t.name));
  const bases = new Map<string, Promise<Map<string, Version[]> | string>>();
  for (const target of destinations) {
    const dest = { ...target, promote: promoteOf(target) };
    const upstream = config.targets.find((t) => t.name === dest.promote!.from);
    if (!upstream) {
      findings.push({
        level: 'warning',
        policy: POLICY,
        target: dest.name,
        message: `the soak of ${dest.name}'s versions was not checked: its upstream ${dest.promote!.from} is not a target of ${configPathInRepo(config)} any more`,
        hint: `before merging, check ${dest.promote!.from} runs them`,
        file: configPathInRepo(config),
        line: dest.where.line,
      });
      continue;
    }
    const warn = (why: string) =>
      findings.push({
        level: 'warning',
        policy: POLICY,
        target: dest.name,
        message: `the soak of ${dest.name}'s versions in ${upstream.name} was not checked: ${why}`,
        hint: `before merging, check ${upstream.name} runs them, or take exactly its soaked versions with kubeplan promote --to ${dest.name}`,
        file: configPathInRepo(config),
        line: dest.where.line,
      });
    let base: Awaited<ReturnType<SoakCheck['base']>>;
    try {
      base = await check.base(dest);
    } catch (error) {
      warn(`reading the commit ${dest.name} last applied failed: ${oneLineError(error)}`);
      continue;
    }
    if ('unknown' in base) {
      warn(base.unknown);
      continue;
    }
    let before = bases.get(base.ref);
    if (!before) bases.set(base.ref, (before = versionsAtRef(config, base.ref, env)));
    const baseVersions = await before;
    if (typeof baseVersions === 'string') {
      warn(baseVersions);
      continue;
    }
    const was = baseVersions.get(dest.name) ?? [];
    const changed = versionsOf(config, target).filter(
      (v) => !was.some((w) => w.key === v.key && w.tag === v.tag && w.digest === v.digest),
    );
    if (changed.length === 0) continue;
    if ('unavailable' in check.source) {
      warn(check.source.unavailable);
      continue;
    }
    let states: Awaited<ReturnType<UpstreamSource['lastApplied']>>;
    try {
      states = await check.source.lastApplied(upstream);
    } catch (error) {
      warn(`reading what ${upstream.name} runs failed: ${oneLineError(error)}`);
      continue;
    }
    const verdict = await upstreamVerdict(config, upstream, dest, states, now, env);
    if ('warning' in verdict) {
      warn(verdict.warning);
      continue;
    }
    const promoteHint = `take exactly the versions ${upstream.name} has soaked with kubeplan promote --to ${dest.name}`;
    for (const v of changed) {
      const runs = 'versions' in verdict ? verdict.versions.get(v.key) : undefined;
      const same = runs !== undefined && sameVersion(v, runs);
      if (same && verdict.soaked) continue;
      const version = `${v.what} ${versionText(v)}`;
      const at = `${v.file}${v.line ? `:${v.line}` : ''}`;
      let why: string;
      let hint = promoteHint;
      const first = `apply it to ${upstream.name} first and let it soak, then ${promoteHint}`;
      if ('never' in verdict) {
        why = `it never ran upstream: ${verdict.never}`;
        hint = first;
      } else if (verdict.failed) {
        why = verdict.failed;
        hint = `fix ${upstream.name} and apply it successfully again, let it soak, then ${promoteHint}`;
      } else if (!runs) {
        why = `it never ran upstream: ${upstream.name} does not run ${v.what} (${verdict.since})`;
        hint = first;
      } else if (same) {
        why = `${upstream.name} runs it only since ${verdict.appliedAt.toISOString()} (${duration(verdict.ageMs)}), and the soak is ${duration(verdict.soakMs)}`;
        hint = `wait for the soak (plan again after ${new Date(verdict.appliedAt.getTime() + verdict.soakMs).toISOString()}), or ${promoteHint}`;
      } else
        why = `${upstream.name} runs ${versionText(runs)} (${verdict.since}${verdict.soaked ? '' : `, not soaked yet: the soak is ${duration(verdict.soakMs)}`})`;
      findings.push({
        level: 'error',
        policy: POLICY,
        target: dest.name,
        message: `${dest.name} sets ${version} (${at}), which has not soaked in ${upstream.name}: ${why}`,
        hint,
        file: v.file,
        line: v.line,
      });
    }
  }
  return findings;
}

type Verdict =
  | { warning: string }
  | { never: string; soaked: false; failed?: undefined }
  | {
      versions: Map<string, { tag: string | undefined; digest: string | undefined }>;
      soaked: boolean;
      failed: string | undefined;
      appliedAt: Date;
      ageMs: number;
      soakMs: number;
      /** "commit abc123 since 2026-…" for messages. */
      since: string;
    };

/** What the upstream runs, whether it soaked, and its versions at that commit. */
async function upstreamVerdict(
  config: Config,
  upstream: Target,
  dest: Target,
  states: (UpstreamState | { name: string; none: string })[],
  now: Date,
  env: NodeJS.ProcessEnv,
): Promise<Verdict> {
  const none = states.find((s) => 'none' in s);
  if (none && 'none' in none) return { never: none.none, soaked: false };
  const applied = states as UpstreamState[];
  if (applied.length === 0) return { never: `${upstream.name} has no instance`, soaked: false };
  const shas = [...new Set(applied.map((s) => s.sha))];
  if (shas.length > 1)
    return {
      warning: `its instances run different commits (${applied.map((s) => `${s.name}: ${s.sha.slice(0, 12)}`).join(', ')})`,
    };
  const sha = shas[0]!;
  const failure = applied.flatMap((s) => s.failedSince.map((f) => ({ ...f, name: s.name })))[0];
  const newest = Math.max(...applied.map((s) => s.appliedAt.getTime()));
  const soakMs = dest.promote?.soakMs ?? 0;
  const ageMs = now.getTime() - newest;
  let versions: Awaited<ReturnType<typeof versionsAt>>;
  try {
    versions = await versionsAt(config, upstream.name, sha, { env });
  } catch (error) {
    if (error instanceof KubeplanError) return { warning: oneLineError(error) };
    throw error;
  }
  const map = new Map<string, { tag: string | undefined; digest: string | undefined }>(versions.images);
  if (versions.chartVersion !== undefined) map.set(CHART, { tag: versions.chartVersion, digest: undefined });
  return {
    versions: map,
    soaked: !failure && ageMs >= soakMs,
    failed: failure
      ? `${failure.name} recorded ${failure.state} at ${failure.at} (${failure.description || 'no description'}) after its last success of ${sha.slice(0, 12)}`
      : undefined,
    appliedAt: new Date(newest),
    ageMs,
    soakMs,
    since: `commit ${sha.slice(0, 12)}, since ${new Date(newest).toISOString()}`,
  };
}

/** The key of a chart version among image keys (no image name has a space). */
const CHART = 'chart version';

/** The image references and the chart version of one target, as its files at the config's checkout say. */
function versionsOf(config: Config, target: Target): Version[] {
  const versions: Version[] = findReferences({ ...config, targets: [target] })
    .references.filter((r) => r.tag !== undefined || r.digest !== undefined)
    .map((r) => ({ what: r.name, key: r.key, tag: r.tag, digest: r.digest, file: r.file, line: r.line }));
  const chart = chartVersionOf(target);
  if (chart !== undefined)
    versions.push({
      what: `chart ${chartName(target)}`,
      key: CHART,
      tag: chart,
      digest: undefined,
      file: configPathInRepo(config),
      line: helmVersionLine(config, target) ?? target.where.line,
    });
  return versions;
}

/** Every target's versions at a git ref (by target name), or why they cannot be read. */
async function versionsAtRef(
  config: Config,
  ref: string,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, Version[]> | string> {
  const known = await execa('git', ['cat-file', '-e', `${ref}^{commit}`], {
    cwd: config.repoRoot,
    reject: false,
    stdin: 'ignore',
  });
  if (known.exitCode !== 0)
    return `the change's base ${ref.slice(0, 12)} is not in the clone (check out with fetch-depth: 0)`;
  const configRel = configPathInRepo(config);
  try {
    return await withWorktree(config.repoRoot, ref, env, async (dir) => {
      const file = path.join(dir, configRel);
      // No config at the base: the change adopts kubeplan, and every version is new.
      if (!existsSync(file)) return new Map();
      const then = loadConfig(file, dir);
      return new Map(then.targets.map((t) => [t.name, versionsOf(then, t)]));
    });
  } catch (error) {
    if (error instanceof KubeplanError)
      return `reading the versions at ${ref.slice(0, 12)} failed: ${oneLineError(error)}`;
    throw error;
  }
}

/** The line of a target's `helm.version` in kubeplan.yaml, where a chart version finding points. */
function helmVersionLine(config: Config, target: Target): number | undefined {
  try {
    const lines = new LineCounter();
    const doc = parseDocument(readFileSync(config.file, 'utf8'), { lineCounter: lines });
    const node = doc.getIn(['targets', config.targets.indexOf(target), 'helm', 'version'], true);
    return isScalar(node) && node.range ? lines.linePos(node.range[0]).line : undefined;
  } catch {
    return undefined;
  }
}

function sameVersion(v: Version, runs: { tag: string | undefined; digest: string | undefined }): boolean {
  if (v.tag !== undefined && v.tag !== runs.tag) return false;
  if (v.digest !== undefined && v.digest !== runs.digest) return false;
  return true;
}

function versionText(v: { tag: string | undefined; digest: string | undefined }): string {
  return `${v.tag ?? ''}${v.digest ? `@${v.digest}` : ''}`;
}

function chartName(target: Target): string {
  if (target.source.type !== 'helm') return '';
  const chart = target.source.chart;
  return chart.kind === 'oci' ? chart.ref : chart.kind === 'repo' ? `${chart.repo} ${chart.name}` : chart.path.rel;
}

/** An error on one line for a warning: kubeplan's message and hint, or another error's message. */
function oneLineError(error: unknown): string {
  if (error instanceof KubeplanError) return `${error.message}${error.hint ? ` (${error.hint})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}
