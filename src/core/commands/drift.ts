import { openCluster, type ClusterOptions } from './cluster-run.js';
import { loadConfig } from '../config/load-config.js';
import type { ManagedFieldsEntry } from '../diff/managed-fields.js';
import { FIELD_MANAGER } from '../diff/managed-fields.js';
import { PART_OF } from '../cluster/applyset.js';
import { planTargets } from '../diff/plan.js';
import { canaryActive } from '../canary/prepare.js';
import type { CanaryPhase, CanaryState } from '../canary/state.js';
import { readCanaryPlaces } from './canary-plan.js';
import type { Change, Plan, TargetPlan } from '../diff/types.js';
import { EXIT_ERROR } from '../errors.js';
import { targetsOnClusters } from '../cluster/named-clusters.js';
import { renderTargets } from '../render/render-targets.js';
import type { ToolOverrides } from '../render/tools.js';
import { objectName } from '../report/common.js';
import { section } from '../report/markdown.js';
import { inlineCode, markdownText } from '../report/escape.js';
import { formatPlanJson } from '../report/json.js';
import { formatPlanText } from '../report/text.js';
import { refuseClusterFilter, refuseOneClusterOptions } from './diff.js';
import { type NamedClustersRequest, planNamedClusters } from './named-plan.js';

export type DriftFormat = 'text' | 'markdown' | 'json' | 'openmetrics';

export interface DriftOptions extends ClusterOptions, Partial<NamedClustersRequest> {
  config: string;
  targets: string[];
  tools: ToolOverrides;
  output: DriftFormat;
  exitCode: boolean;
  color: boolean;
  /** Clock, for tests. */
  now?: () => Date;
}

export interface TargetDrift {
  target: string;
  /** Objects that differ from git, are missing from the cluster, or are applied but no longer in git. */
  drifted: Change[];
  /** Earliest time the drift was made (from the other managers' managedFields times), when known. */
  firstSeen: Date | undefined;
  /** Objects that could not be checked. */
  errors: Change[];
  /**
   * Objects that exist live but are not in the target's ApplySet yet (set up by kubectl, Helm, another tool): not
   * managed by kubeplan yet, so not drift; the next apply adds them to the inventory.
   */
  unmanaged: Change[];
}

export interface DriftResult {
  plan: Plan;
  targets: TargetDrift[];
  report: string;
  exitCode: number;
}

/**
 * `kubeplan drift`: the checked-out commit against the live cluster, read-only (client mode): objects edited by hand,
 * missing from the cluster, or still in the inventory after git dropped them.
 */
export async function driftCommand(options: DriftOptions): Promise<DriftResult> {
  const config = loadConfig(options.config, options.cwd);
  // --cluster: only the targets on those clusters (none there: nothing to render).
  const selected = targetsOnClusters(config, options.targets, options.clusters ?? []);
  const sets =
    selected?.length === 0
      ? []
      : await renderTargets(config, {
          targets: selected ?? options.targets,
          tools: options.tools,
          env: options.env,
          cwd: options.cwd,
        });
  const canaries: CanaryGauge[] = [];
  const plan = config.clusters ? await namedDrift() : await oneClusterDrift();
  async function namedDrift() {
    refuseOneClusterOptions(options, 'drift');
    // Every instance against its own cluster; a cluster that cannot be read is reported, the others are checked.
    return planNamedClusters(config, sets, options, {
      targets: options.targets,
      clusters: options.clusters ?? [],
      clustersWhere: options.clustersWhere,
      onSecret: options.onSecret,
      mode: 'client',
      chooseMode: async () => ({ mode: 'client', reason: 'drift is read-only' }),
    });
  }
  async function oneClusterDrift() {
    refuseClusterFilter(options);
    const { client, resources, ignore, policy, repository } = await openCluster(config, options);
    // A canary target is compared at its canary's place, as apply writes it: the canary's weights, its Deployment and
    // the stable track are not drift.
    const prepared = await readCanaryPlaces(config, sets, client);
    for (const prep of prepared.preps.values())
      canaries.push({ target: prep.target, steps: prep.plan.steps.length, state: prep.stored?.state });
    return planTargets(prepared.sets, client, resources, {
      mode: 'client',
      modeReason: 'drift is read-only',
      ignore,
      policy,
      repository,
    });
  }
  for (const t of plan.targets) for (const c of t.changes) c.diff = relabelDiff(c.diff);
  const targets = plan.targets.map(driftOf);
  const now = (options.now ?? (() => new Date()))();
  const report =
    options.output === 'openmetrics'
      ? formatOpenMetrics(targets, now, canaries)
      : options.output === 'json'
        ? formatPlanJson(plan)
        : options.output === 'markdown'
          ? targets.map((t) => formatDriftMarkdown(t)).join('\n')
          : formatPlanText(plan, { color: options.color, summary: driftSummaryLine(plan) });
  const errors = targets.some((t) => t.errors.length > 0) || (plan.clusters ?? []).some((c) => c.error);
  const drifted = targets.some((t) => t.drifted.length > 0);
  return { plan, targets, report, exitCode: errors ? EXIT_ERROR : options.exitCode && drifted ? 1 : 0 };
}

function driftOf(t: TargetPlan): TargetDrift {
  const unmanaged = t.changes.filter((c) => c.joinsInventory === true);
  const drifted = t.changes.filter(
    (c) =>
      !c.joinsInventory &&
      (c.action === 'update' || c.action === 'create' || c.action === 'delete' || c.action === 'replace'),
  );
  // Per object: the last write by anyone but kubeplan (on the object, not its status) is when it drifted; the target's
  // drift is as old as its oldest drifted object.
  let firstSeen: Date | undefined;
  for (const c of drifted) {
    const live = c.action === 'delete' ? c.object : c.live;
    const entries = (live?.metadata.managedFields ?? []) as (ManagedFieldsEntry & { time?: string })[];
    let edited: Date | undefined;
    for (const e of entries) {
      if (e.manager === FIELD_MANAGER || !e.time || (e.subresource ?? '') !== '') continue;
      const time = new Date(e.time);
      if (!edited || time > edited) edited = time;
    }
    if (edited && (!firstSeen || edited < firstSeen)) firstSeen = edited;
  }
  return { target: t.target, drifted, firstSeen, errors: t.changes.filter((c) => c.action === 'error'), unmanaged };
}

/**
 * A drift diff runs live → git (what apply would change back): its right-hand side is the commit, not a plan, so
 * `+++ planned/…` reads `+++ git/…`.
 */
function relabelDiff(diff: string): string {
  const lines = diff.split('\n');
  const i = lines.findIndex((l) => l.startsWith('+++ planned/'));
  if (i === -1 || i > 1) return diff;
  lines[i] = `+++ git/${lines[i]!.slice('+++ planned/'.length)}`;
  return lines.join('\n');
}

/** The line that closes the text report: what differs, in drift's words. */
function driftSummaryLine(plan: Plan): string {
  const s = plan.summary;
  const parts = [
    `${s.update + s.replace} differ from git`,
    `${s.create} missing from the cluster`,
    `${s.delete} no longer in git`,
    `${s.unchanged} match`,
  ];
  if (s.error) parts.push(`${s.error} could not be checked`);
  return `Drift: ${parts.join(', ')}.`;
}

export function describeDrift(c: Change): string {
  switch (c.action) {
    case 'create':
      return 'missing from the cluster';
    case 'delete':
      return 'in the cluster, no longer in git';
    case 'adopt':
      return 'not managed by kubeplan yet (the next apply adds it to the inventory)';
    default:
      if (c.joinsInventory) {
        // The plan lists the inventory label last, apart from the fields that really differ.
        const paths = c.paths.filter((p) => p !== `metadata.labels.${PART_OF}`);
        return `not managed by kubeplan yet (the next apply adds it to the inventory); differs from git: ${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', …' : ''}`;
      }
      return c.paths.length
        ? `differs: ${c.paths.slice(0, 5).join(', ')}${c.paths.length > 5 ? ', …' : ''}`
        : 'differs';
  }
}

/** The tracking-issue body for one target: a summary list, then one section per drifted object. */
export function formatDriftMarkdown(t: TargetDrift): string {
  const unmanaged = t.unmanaged.length
    ? [
        `${t.unmanaged.length} object${t.unmanaged.length === 1 ? ' is' : 's are'} not managed by kubeplan yet:`,
        '',
        ...t.unmanaged.map(
          (c) => `- ${inlineCode(`${c.apiVersion} ${objectName(c)}`)}: ${markdownText(describeDrift(c))}`,
        ),
        '',
      ]
    : [];
  if (t.drifted.length === 0 && t.errors.length === 0)
    return `${[`### kubeplan drift: target ${markdownText(t.target)} matches git.`, ...(unmanaged.length ? ['', ...unmanaged] : [])].join('\n')}\n`;
  const out = [
    `### kubeplan drift: target ${markdownText(t.target)}: ${t.drifted.length} object${t.drifted.length === 1 ? '' : 's'} differ from git`,
    '',
  ];
  for (const c of [...t.errors, ...t.drifted])
    out.push(
      `- ${inlineCode(`${c.apiVersion} ${objectName(c)}`)}: ${markdownText(c.error ? `could not be checked: ${c.error.message}` : describeDrift(c))}`,
    );
  out.push('', ...unmanaged);
  for (const c of t.drifted) out.push(...section(c, undefined, { fullTextHint: '`kubeplan drift -o json`' }));
  return `${out.join('\n')}\n`;
}

/** A canary target's stored state, for its gauges. */
export interface CanaryGauge {
  target: string;
  steps: number;
  state: CanaryState | undefined;
}

const PHASES: readonly CanaryPhase[] = ['Progressing', 'Paused', 'Promoting', 'RollingBack', 'Succeeded', 'Failed'];

/** OpenMetrics for a textfile collector or a Pushgateway. */
export function formatOpenMetrics(targets: TargetDrift[], now: Date, canaries: CanaryGauge[] = []): string {
  const label = (t: string) => `target="${t.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const out = [
    '# TYPE kubeplan_drift_objects gauge',
    '# HELP kubeplan_drift_objects Objects that differ from git, are missing, or are no longer in git.',
    ...targets.map((t) => `kubeplan_drift_objects{${label(t.target)}} ${t.drifted.length}`),
    '# TYPE kubeplan_drift_first_seen_timestamp_seconds gauge',
    '# HELP kubeplan_drift_first_seen_timestamp_seconds When the oldest drift of the target was made (now when unknown).',
    ...targets
      .filter((t) => t.drifted.length > 0)
      .map(
        (t) =>
          `kubeplan_drift_first_seen_timestamp_seconds{${label(t.target)}} ${Math.floor((t.firstSeen ?? now).getTime() / 1000)}`,
      ),
    '# TYPE kubeplan_drift_check_success gauge',
    '# HELP kubeplan_drift_check_success 1 when every object of the target could be checked.',
    ...targets.map((t) => `kubeplan_drift_check_success{${label(t.target)}} ${t.errors.length === 0 ? 1 : 0}`),
    ...canaryMetrics(canaries, now, label),
    '# EOF',
  ];
  return `${out.join('\n')}\n`;
}

/**
 * Per canary target: its weight and step (0 with no canary under way), its phase as one 1 among the phases (all 0
 * before its first canary), and, while one is under way, how long ago a run looked after it: the holder's heartbeat,
 * or when the last run let go of it (past maxUnattended the next run rolls it back).
 */
function canaryMetrics(canaries: CanaryGauge[], now: Date, label: (t: string) => string): string[] {
  if (canaries.length === 0) return [];
  const active = (c: CanaryGauge) => (canaryActive(c.state) ? c.state : undefined);
  return [
    '# TYPE kubeplan_canary_weight gauge',
    '# HELP kubeplan_canary_weight Percent of the traffic the canary under way gets (0 with none).',
    ...canaries.map((c) => `kubeplan_canary_weight{${label(c.target)}} ${active(c)?.weight ?? 0}`),
    '# TYPE kubeplan_canary_step gauge',
    '# HELP kubeplan_canary_step The step the canary under way is at, 1-based (0 with none).',
    ...canaries.map((c) => {
      const s = active(c);
      return `kubeplan_canary_step{${label(c.target)}} ${s ? Math.min(s.step + 1, c.steps) : 0}`;
    }),
    '# TYPE kubeplan_canary_phase gauge',
    "# HELP kubeplan_canary_phase 1 for the phase of the target's last canary, 0 for the others (all 0 before the first).",
    ...canaries.flatMap((c) =>
      PHASES.map((p) => `kubeplan_canary_phase{${label(c.target)},phase="${p}"} ${c.state?.phase === p ? 1 : 0}`),
    ),
    '# TYPE kubeplan_canary_heartbeat_age_seconds gauge',
    '# HELP kubeplan_canary_heartbeat_age_seconds Seconds since a run last looked after the canary under way: the heartbeat of the run that moves it, else when the last run let go of it.',
    ...canaries.flatMap((c) => {
      const s = active(c);
      if (!s) return [];
      const at = Date.parse(s.holder?.heartbeat ?? s.attendedAt);
      return [
        `kubeplan_canary_heartbeat_age_seconds{${label(c.target)}} ${Math.max(0, Math.floor((now.getTime() - at) / 1000))}`,
      ];
    }),
  ];
}
