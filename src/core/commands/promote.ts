import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { execa } from 'execa';
import type { DeploymentRecord } from '../../platform/types.js';
import { COMMIT_ANNOTATION, APPLYING_ANNOTATION } from '../apply/apply.js';
import { applySetParent } from '../cluster/applyset.js';
import type { ClusterClient } from '../cluster/client.js';
import { instanceName } from '../cluster/named-clusters.js';
import { loadConfig } from '../config/load-config.js';
import type { Config, Target } from '../config/types.js';
import { ClusterError, KubeplanError, UsageError } from '../errors.js';
import { withWorktree } from '../git/worktree.js';
import type { FileEdit } from '../images/bump.js';
import { applySplices, splicesFor } from '../images/edit.js';
import { findReferences, type ImageReference, type Slot } from '../images/references.js';
import { isScalar, parseDocument } from 'yaml';
import type { BumpChange, BumpPublisher } from '../images/publish.js';
import { configPathInRepo } from '../config/config-path.js';

/** Promotion is refused: the upstream has not soaked, failed since, or never succeeded. Nothing was pushed. */
export class PromoteRefused extends KubeplanError {}

/** The upstream's success is younger than the soak: a scheduled run tries again later, this is no failure. */
export class NotSoakedYet extends PromoteRefused {}

/** What an upstream instance runs, as its deployments or its inventory say. */
export interface UpstreamState {
  /** The environment (or inventory) it was read from. */
  name: string;
  sha: string;
  /** Since when it runs that commit: its first success of it, with only successes of it since. */
  appliedAt: Date;
  /** Its newest success of that commit (a re-apply), which failures are counted after. */
  lastSuccessAt: Date;
  /** A link to the deployment (its log), when the forge has one. */
  link: string | undefined;
  /** Failures (or an apply under way) recorded after that success. */
  failedSince: { state: string; at: string; description: string }[];
}

/** Where promote reads what an upstream target last applied successfully. */
export interface UpstreamSource {
  /** One state per instance of the upstream (one, unless it runs on several named clusters). */
  lastApplied(upstream: Target): Promise<(UpstreamState | { name: string; none: string })[]>;
}

/**
 * The forge's deployments (GitHub Deployments): the commit of the newest `success` status, since its first success in
 * a row (a re-apply of the same commit does not restart the soak; a failure, or another commit applied in between,
 * does), and any failure after the newest success.
 */
export function deploymentsSource(
  history: (environment: string) => Promise<DeploymentRecord[]>,
  /** A link for a deployment whose status has no log URL (the commit on the forge, its deployments page). */
  deploymentUrl: (deployment: DeploymentRecord) => string | undefined,
): UpstreamSource {
  return {
    async lastApplied(upstream) {
      const environments = upstream.clusters?.length
        ? upstream.clusters.map((c) => instanceName(upstream.deployment.environment, c))
        : [upstream.deployment.environment];
      return Promise.all(
        environments.map(async (name) => {
          const records = await history(name);
          const events = records
            .flatMap((d) => d.statuses.map((s) => ({ ...s, deployment: d })))
            .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.deployment.id - a.deployment.id);
          const newest = events.findIndex((e) => e.state === 'success');
          const success = events[newest];
          if (!success) return { name, none: `no deployment to environment ${name} succeeded` };
          const sha = success.deployment.sha;
          // Back in time from the newest success: its earlier successes of the same commit, until a failure or an
          // outcome of another commit (in_progress, queued and inactive statuses are no outcome).
          let first = success;
          for (const e of events.slice(newest + 1)) {
            const outcome = e.state === 'success' || e.state === 'failure' || e.state === 'error';
            if (!outcome) continue;
            if (e.state !== 'success' || e.deployment.sha !== sha) break;
            first = e;
          }
          const failedSince = events
            .filter(
              (e) =>
                (e.state === 'failure' || e.state === 'error') &&
                Date.parse(e.createdAt) >= Date.parse(success.createdAt) &&
                e !== success,
            )
            .map((e) => ({ state: e.state, at: e.createdAt, description: e.description }));
          return {
            name,
            sha,
            appliedAt: new Date(first.createdAt),
            lastSuccessAt: new Date(success.createdAt),
            link: success.logUrl ?? deploymentUrl(success.deployment),
            failedSince,
          };
        }),
      );
    },
  };
}

/**
 * Without a forge: the upstream's inventory ConfigMap in the cluster, whose `kubeplan.dev/commit` is the commit its
 * last finished apply wrote, at the time kubeplan last wrote it; an apply under way or interrupted counts as a failure.
 */
export function inventorySource(client: ClusterClient): UpstreamSource {
  return {
    async lastApplied(upstream) {
      const parent = applySetParent(upstream.name, upstream.namespace);
      const name = `inventory ${parent.namespace}/${parent.name}`;
      let object: {
        metadata: {
          annotations?: Record<string, string>;
          managedFields?: { manager?: string; time?: string }[];
          creationTimestamp?: string;
        };
      };
      try {
        object = (
          await client.request<typeof object>(
            'GET',
            `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}/configmaps/${encodeURIComponent(parent.name)}`,
          )
        ).body;
      } catch (error) {
        if (error instanceof ClusterError && error.status === 404)
          return [{ name, none: `target "${upstream.name}" was never applied to this cluster (no ${name})` }];
        throw error;
      }
      const annotations = object.metadata.annotations ?? {};
      const sha = annotations[COMMIT_ANNOTATION];
      if (!sha) return [{ name, none: `${name} records no commit (it was applied without git)` }];
      const times = (object.metadata.managedFields ?? [])
        .filter((f) => f.time)
        .map((f) => Date.parse(f.time!))
        .sort((a, b) => b - a);
      const at = times[0] ?? Date.parse(object.metadata.creationTimestamp ?? '');
      const applying = annotations[APPLYING_ANNOTATION];
      return [
        {
          name,
          sha,
          appliedAt: new Date(at),
          lastSuccessAt: new Date(at),
          link: undefined,
          failedSince: applying
            ? [
                {
                  state: 'unfinished',
                  at: new Date(at).toISOString(),
                  description: `an apply of ${applying.slice(0, 12)} started and did not finish`,
                },
              ]
            : [],
        },
      ];
    },
  };
}

export interface PromoteOptions {
  config: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  to: string;
  from: string | undefined;
  dryRun: boolean;
  output: 'text' | 'json';
  source: UpstreamSource;
  publisher?: BumpPublisher | undefined;
  /** The clock (tests). */
  now?: Date;
}

export interface PromotedImage {
  image: string;
  from: string;
  to: string;
  references: { file: string; line: number }[];
}

export interface PromoteReport {
  to: string;
  from: string;
  upstream: { sha: string; appliedAt: string; instances: { name: string; link: string | undefined }[] };
  soak: { requiredMs: number; ageMs: number };
  images: PromotedImage[];
  chart: { from: string; to: string } | undefined;
  edits: FileEdit[];
  pullRequest: { action: 'created' | 'updated' | 'unchanged'; number: number; url: string } | undefined;
  dryRun: boolean;
}

export const PROMOTE_BRANCH_PREFIX = 'kubeplan/promote/';

/**
 * `kubeplan promote --to TARGET`: reads the commit the upstream target last applied successfully, checks it soaked
 * (older than `promote.soak`, nothing failed since), reads the image versions and chart version of the upstream's
 * source files at that commit, sets exactly those in the destination's files (bump's byte-exact editor and its
 * re-parse proof) and opens or updates one pull request for the destination (nothing with --dry-run).
 */
export async function promoteCommand(options: PromoteOptions): Promise<{ report: PromoteReport; output: string }> {
  const config = loadConfig(options.config, options.cwd);
  const names = config.targets.map((t) => t.name).join(', ');
  const dest = config.targets.find((t) => t.name === options.to);
  if (!dest)
    throw new UsageError(`--to: no target "${options.to}" in ${path.basename(config.file)}`, {
      where: { via: 'cli', command: 'promote', input: 'to' },
      hint: `targets: ${names}`,
    });
  const fromName = options.from ?? dest.promote?.from;
  if (!fromName)
    throw new UsageError(`target "${dest.name}" has no promote.from, and no --from was given`, {
      where: dest.where,
      hint: `add promote: {from: <upstream target>, soak: 2h} to the target, or pass --from`,
    });
  const upstream = config.targets.find((t) => t.name === fromName);
  if (!upstream || upstream === dest)
    throw new UsageError(
      upstream ? `--from ${fromName} is the destination itself` : `--from: no target "${fromName}"`,
      {
        where: { via: 'cli', command: 'promote', input: 'from' },
        hint: `name another target: ${names}`,
      },
    );
  const soakMs = dest.promote?.soakMs ?? 0;
  const now = options.now ?? new Date();

  const states = await options.source.lastApplied(upstream);
  const none = states.find((s) => 'none' in s);
  if (none && 'none' in none)
    throw new PromoteRefused(`cannot promote ${upstream.name} to ${dest.name}: ${none.none}`, {
      where: { target: upstream.name },
      hint: `apply ${upstream.name} successfully first; nothing was pushed`,
    });
  const applied = states as UpstreamState[];
  for (const s of applied) {
    const failure = s.failedSince[0];
    if (failure)
      throw new PromoteRefused(
        `cannot promote ${upstream.name} to ${dest.name}: ${s.name} recorded ${failure.state} at ${failure.at} (${failure.description || 'no description'}) after its last success at ${s.lastSuccessAt.toISOString()} (${s.sha.slice(0, 12)})`,
        {
          where: { target: upstream.name },
          hint: `fix ${upstream.name} and apply it successfully again, then let it soak; nothing was pushed`,
        },
      );
  }
  const shas = [...new Set(applied.map((s) => s.sha))];
  if (shas.length > 1)
    throw new PromoteRefused(
      `cannot promote ${upstream.name} to ${dest.name}: its instances run different commits (${applied.map((s) => `${s.name}: ${s.sha.slice(0, 12)}`).join(', ')})`,
      { where: { target: upstream.name }, hint: 'apply the same commit to every instance first; nothing was pushed' },
    );
  const newest = Math.max(...applied.map((s) => s.appliedAt.getTime()));
  const ageMs = now.getTime() - newest;
  if (ageMs < soakMs)
    throw new NotSoakedYet(
      `cannot promote ${upstream.name} to ${dest.name} yet: ${upstream.name} has run ${shas[0]!.slice(0, 12)} for ${duration(ageMs)} since ${new Date(newest).toISOString()}, and the soak is ${duration(soakMs)}`,
      {
        where: { target: dest.name },
        hint: `run promote again after ${new Date(newest + soakMs).toISOString()}; nothing was pushed`,
      },
    );
  const sha = shas[0]!;

  const upstreamVersions = await versionsAt(config, upstream.name, sha, options);
  const textCache = new Map<string, string>();
  const textOf = (file: string) => {
    let t = textCache.get(file);
    if (t === undefined) textCache.set(file, (t = readFileSync(path.join(config.repoRoot, file), 'utf8')));
    return t;
  };
  const scan = findReferences({ ...config, targets: [dest] });
  const byFile = new Map<string, ReturnType<typeof splicesFor>>();
  const images = new Map<string, PromotedImage>();
  for (const ref of scan.references) {
    const next = upstreamVersions.images.get(ref.key);
    if (!next) continue;
    if (ref.digest !== undefined && next.digest === undefined)
      throw new PromoteRefused(
        `${ref.file}:${ref.line} pins ${ref.name} by digest, and ${upstream.name} runs it by tag only (${next.tag})`,
        {
          where: { file: ref.file, line: ref.line },
          hint: `pin the digest in ${upstream.name}'s files too, or drop it here; nothing was pushed`,
        },
      );
    const splices = splicesFor(ref, { tag: next.tag, digest: next.digest, pin: false }, textOf(ref.file));
    if (splices.length === 0) continue;
    byFile.set(ref.file, [...(byFile.get(ref.file) ?? []), ...splices]);
    const to = `${next.tag}${next.digest && ref.digest ? `@${next.digest}` : ''}`;
    const image = images.get(ref.key) ?? { image: ref.name, from: ref.current, to, references: [] };
    image.references.push({ file: ref.file, line: ref.line });
    images.set(ref.key, image);
  }
  const chart = chartEdit(config, dest, upstreamVersions.chartVersion, textOf, byFile);
  const edits: FileEdit[] = [...byFile.keys()].sort().map((file) => {
    const before = textOf(file);
    const after = applySplices(file, before, byFile.get(file)!);
    const diff = createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, { context: 2 });
    return { file, before, after, diff };
  });
  const report: PromoteReport = {
    to: dest.name,
    from: upstream.name,
    upstream: {
      sha,
      appliedAt: new Date(newest).toISOString(),
      instances: applied.map((s) => ({ name: s.name, link: s.link })),
    },
    soak: { requiredMs: soakMs, ageMs },
    images: [...images.values()],
    chart,
    edits,
    pullRequest: undefined,
    dryRun: options.dryRun,
  };
  if (!options.dryRun && edits.length > 0) {
    if (!options.publisher) throw new Error('promote needs a publisher unless --dry-run');
    report.pullRequest = await publishPromotion(report, options.publisher);
  }
  return { report, output: options.output === 'json' ? promoteJson(report) : promoteText(report) };
}

/** The images (by normalized name) and chart version of the upstream target's source files at `sha`. */
export async function versionsAt(
  config: Config,
  upstream: string,
  sha: string,
  options: Pick<PromoteOptions, 'env'>,
): Promise<{ images: Map<string, { tag: string; digest: string | undefined }>; chartVersion: string | undefined }> {
  const known = await execa('git', ['cat-file', '-e', `${sha}^{commit}`], {
    cwd: config.repoRoot,
    reject: false,
    stdin: 'ignore',
  });
  if (known.exitCode !== 0)
    throw new PromoteRefused(`the upstream's commit ${sha.slice(0, 12)} is not in ${config.repoRoot}`, {
      where: { target: upstream },
      hint: 'fetch the full history first (actions/checkout with fetch-depth: 0, or git fetch); nothing was pushed',
    });
  const configRel = configPathInRepo(config);
  return withWorktree(config.repoRoot, sha, options.env, async (dir) => {
    const then = loadConfig(path.join(dir, configRel), dir);
    const target = then.targets.find((t) => t.name === upstream);
    if (!target)
      throw new PromoteRefused(`commit ${sha.slice(0, 12)} has no target "${upstream}" in ${configRel}`, {
        where: { target: upstream },
        hint: 'the upstream was renamed since; pass --from with the name it has now only after applying it again',
      });
    const images = new Map<string, { tag: string; digest: string | undefined; at: ImageReference }>();
    for (const ref of findReferences({ ...then, targets: [target] }).references) {
      if (!ref.tag) continue;
      const seen = images.get(ref.key);
      if (seen && (seen.tag !== ref.tag || seen.digest !== ref.digest))
        throw new PromoteRefused(
          `${upstream} runs ${ref.name} in two versions at ${sha.slice(0, 12)}: ${seen.tag} (${seen.at.file}:${seen.at.line}) and ${ref.tag} (${ref.file}:${ref.line})`,
          { where: { file: ref.file, line: ref.line }, hint: 'promote one version: make them the same upstream first' },
        );
      images.set(ref.key, { tag: ref.tag, digest: ref.digest, at: ref });
    }
    const chartVersion = chartVersionOf(target);
    return { images, chartVersion };
  });
}

/** The destination's `helm.version` in kubeplan.yaml set to the upstream's (remote charts with a version each). */
function chartEdit(
  config: Config,
  dest: Target,
  upstreamVersion: string | undefined,
  textOf: (file: string) => string,
  byFile: Map<string, ReturnType<typeof splicesFor>>,
): { from: string; to: string } | undefined {
  const current = chartVersionOf(dest);
  if (!upstreamVersion || !current || current === upstreamVersion) return undefined;
  const file = configPathInRepo(config);
  const at = ['targets', config.targets.indexOf(dest), 'helm', 'version'];
  const node = parseDocument(textOf(file)).getIn(at, true);
  if (!isScalar(node) || !node.range || (node.type !== 'PLAIN' && !node.type?.startsWith('QUOTE_')))
    throw new PromoteRefused(`cannot find ${dest.name}'s helm.version in ${file} to edit`, {
      where: dest.where,
      hint: `write it as one line (version: ${current}), or set ${upstreamVersion} by hand`,
    });
  const slot: Slot = {
    start: node.range[0],
    end: node.range[1],
    style: node.type === 'QUOTE_DOUBLE' ? 'double' : node.type === 'QUOTE_SINGLE' ? 'single' : 'plain',
    path: [0, ...at],
    value: String(node.value),
    line: dest.where.line ?? 0,
  };
  // A chart version is one scalar: bump's splice for a tag slot, and its re-parse proof, serve it unchanged.
  const ref = { slots: { tag: slot }, digest: undefined } as ImageReference;
  byFile.set(file, [
    ...(byFile.get(file) ?? []),
    ...splicesFor(ref, { tag: upstreamVersion, digest: undefined, pin: false }, textOf(file)),
  ]);
  return { from: current, to: upstreamVersion };
}

/** A remote chart's `helm.version` (a local chart has none: its files are the version). */
export function chartVersionOf(target: Target): string | undefined {
  return target.source.type === 'helm' && target.source.chart.kind !== 'local'
    ? target.source.chart.version
    : undefined;
}

export function duration(ms: number): string {
  const m = Math.max(0, Math.floor(ms / 60_000));
  return m >= 60 ? `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}` : `${m}m`;
}

const MARKER = '<!-- kubeplan:promote';

function promotionChange(report: PromoteReport): BumpChange {
  const short = report.upstream.sha.slice(0, 12);
  const title = `Promote ${report.to} to ${report.from}'s versions (${short})`;
  const links = report.upstream.instances.map((i) => (i.link ? `[${i.name}](${i.link})` : `\`${i.name}\``));
  const rows = report.images.map(
    (i) =>
      `| \`${i.image}\` | \`${i.from}\` | \`${i.to}\` | ${i.references.map((r) => `\`${r.file}:${r.line}\``).join('<br>')} |`,
  );
  if (report.chart)
    rows.push(`| chart (helm.version) | \`${report.chart.from}\` | \`${report.chart.to}\` | kubeplan.yaml |`);
  const diff = report.edits.map((e) => e.diff.replace(/^=+\n/, '')).join('');
  const fence = '`'.repeat(Math.max(3, ...[...diff.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  const body = [
    `kubeplan promotes to **${report.to}** the versions **${report.from}** runs: commit \`${short}\`, applied successfully at ${report.upstream.appliedAt} (${links.join(', ')}), with nothing failed since.`,
    '',
    '| What | From | To | Where |',
    '|---|---|---|---|',
    ...rows,
    '',
    `<details><summary>Edits (${report.edits.length} file${report.edits.length === 1 ? '' : 's'})</summary>`,
    '',
    `${fence}diff`,
    diff.replace(/\n$/, ''),
    fence,
    '',
    '</details>',
    '',
    `${MARKER} ${JSON.stringify({ from: report.from, sha: report.upstream.sha })} -->`,
    '',
  ].join('\n');
  return {
    branch: `${PROMOTE_BRANCH_PREFIX}${report.to}`,
    title,
    body,
    commitMessage: `${title}\n\nOpened by kubeplan promote.`,
    files: report.edits,
    labels: [],
    state: { images: report.images.map((i) => ({ key: i.image, to: i.to })) },
  };
}

/** One pull request per destination, on a stable branch: updated in place, left as it is when nothing changed. */
async function publishPromotion(
  report: PromoteReport,
  publisher: BumpPublisher,
): Promise<PromoteReport['pullRequest']> {
  const change = promotionChange(report);
  const pulls = await publisher.findPulls(PROMOTE_BRANCH_PREFIX, [change.branch]);
  const open = pulls.find((p) => p.branch === change.branch && p.state === 'open');
  const pushed = await publisher.pushBranch(change.branch, change.files, change.commitMessage);
  if (open) {
    const same = open.title === change.title && open.body === change.body;
    if (!same) await publisher.updatePull(open.number, change);
    return {
      action: same && pushed === 'unchanged' ? 'unchanged' : 'updated',
      number: open.number,
      url: open.url,
    };
  }
  return { action: 'created', ...(await publisher.createPull(change)) };
}

function promoteJson(report: PromoteReport): string {
  const { edits, ...rest } = report;
  return `${JSON.stringify({ version: 1, ...rest, edits: edits.map((e) => ({ file: e.file, diff: e.diff })) }, null, 2)}\n`;
}

function promoteText(report: PromoteReport): string {
  const lines = [
    `promote ${report.from} → ${report.to}: ${report.from} runs ${report.upstream.sha.slice(0, 12)}, applied successfully at ${report.upstream.appliedAt} (${duration(report.soak.ageMs)} ago; soak ${duration(report.soak.requiredMs)})`,
  ];
  for (const i of report.images)
    lines.push(`  ${i.image}: ${i.from} → ${i.to} (${i.references.map((r) => `${r.file}:${r.line}`).join(', ')})`);
  if (report.chart) lines.push(`  chart version: ${report.chart.from} → ${report.chart.to}`);
  if (report.edits.length === 0) lines.push(`  ${report.to} already runs ${report.from}'s versions: nothing to change`);
  else if (report.dryRun) {
    lines.push('', 'dry run: nothing was pushed; the edits would be:', '');
    for (const e of report.edits) lines.push(e.diff.replace(/^=+\n/, '').replace(/\n$/, ''));
  }
  if (report.pullRequest)
    lines.push(`  pull request #${report.pullRequest.number} ${report.pullRequest.action}: ${report.pullRequest.url}`);
  return `${lines.join('\n')}\n`;
}
