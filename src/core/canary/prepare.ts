/**
 * Where a canary target stands before a run: git's render, the canary state stored in the cluster and the stable
 * revision decide which objects the target applies now (its place) and what the run does after the apply. apply, the
 * `kubeplan canary` commands, the plan and drift all start here, so they agree on what the cluster should hold while a
 * canary is under way.
 */
import type { ClusterClient } from '../cluster/client.js';
import type { CanaryConfig, Target } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { Manifest, ManifestSet } from '../manifests/types.js';
import { RevisionStore } from '../apply/revisions.js';
import { type CanaryPlace, effectiveManifests, podTemplate, templateHash } from './effective.js';
import { type CanaryPlan, startState } from './machine.js';
import { type CanaryState, CanaryStateStore, type StoredState } from './state.js';
import { type CanarySpec, canaryParts } from './traffic.js';

/** What the run finds. */
export type CanaryStart =
  /** git's pod template is the stable revision's: nothing to canary. */
  | 'steady'
  /** No stable revision yet: a normal apply, which stores the first one. */
  | 'first-install'
  /** git's template failed its canary: the stable template stays until `kubeplan canary retry` or a new template. */
  | 'held'
  /** A new template: its canary starts. */
  | 'start'
  /** The canary of this template is under way: it goes on. */
  | 'resume'
  /** A canary of another template is under way: it starts again with git's. */
  | 'restart'
  /** `--no-canary`: git's template is applied as the stable one at once. */
  | 'skip';

/** What a `kubeplan canary` command asks of the canary, on top of moving it. */
export type CanaryControl = 'continue' | 'promote' | 'promote-full' | 'abort' | 'retry';

export interface CanaryPrep {
  target: string;
  namespace: string;
  config: CanaryConfig;
  spec: CanarySpec;
  plan: CanaryPlan;
  /** git's render of the target, before the canary's changes. */
  git: Manifest[];
  store: CanaryStateStore;
  stored: StoredState | undefined;
  start: CanaryStart;
  /** The state the run moves from: new (start, restart: not stored yet) or the stored one (resume). */
  state: CanaryState | undefined;
  /** The stable template, when the canary keeps one (start, resume, restart, held). */
  stableTemplate: unknown;
  /** Where the target's objects are now, and the manifests of that place. */
  place: CanaryPlace;
  manifests: Manifest[];
  /** The apply of this place stores a rollback revision (only a place without a canary is a stable version). */
  storesRevision: boolean;
  warnings: string[];
  /** One line for reports: what happens to the canary in this run. */
  note: string;
}

export type CanaryTarget = Target & { canary: CanaryConfig; namespace: string };

const canaryPlanOf = (config: CanaryConfig): CanaryPlan => ({
  steps: config.steps,
  limits: config.analysis.limits,
  intervalMs: config.analysis.intervalMs,
  timeoutMs: config.timeoutMs,
  maxUnattendedMs: config.maxUnattendedMs,
});

const canarySpecOf = (target: CanaryTarget): CanarySpec => ({
  target: target.name,
  namespace: target.namespace,
  workload: target.canary.workload,
  service: target.canary.service,
  traffic: target.canary.traffic,
});

const ENDED = new Set(['Succeeded', 'Failed']);
export const canaryActive = (state: CanaryState | undefined): boolean => state !== undefined && !ENDED.has(state.phase);

/** A commit as people read it: 7 hex digits (anything else, such as `unknown`, as it is). */
export const short = (sha: string) => (/^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 7) : sha);

/** `canary of 1a2b3c4 at step 2/3 (50 %)` */
export function describeCanary(state: CanaryState, steps: number): string {
  const step = Math.min(state.step + 1, steps);
  return `canary of ${short(state.commit)} at step ${step}/${steps} (${state.weight} %)`;
}

/**
 * Reads the stored state and the stable revision and decides the target's place. Nothing is written. Bad canary
 * input (the workload, Service or route missing or not fit) throws before anything else is read.
 */
export async function prepareCanary(
  set: ManifestSet,
  target: CanaryTarget,
  client: ClusterClient,
  options: { commit: string | undefined; noCanary?: boolean; control?: CanaryControl | undefined; now: Date },
): Promise<CanaryPrep> {
  const spec = canarySpecOf(target);
  const plan = canaryPlanOf(target.canary);
  const parts = canaryParts(
    set.manifests.map((m) => m.object),
    spec,
  );
  const gitHash = templateHash(parts.workload);
  const store = new CanaryStateStore(client, target.name, target.namespace);
  const stored = await store.read();
  const base = { target: target.name, namespace: target.namespace, config: target.canary, spec, plan, store, stored };
  const at = (start: CanaryStart, place: CanaryPlace, note: string, state?: CanaryState, stableTemplate?: unknown) => {
    const { manifests, warnings } = effectiveManifests(set.manifests, spec, place);
    return {
      ...base,
      git: set.manifests,
      start,
      state,
      stableTemplate,
      place,
      manifests,
      storesRevision: !place.canary && place.stableTemplate === undefined,
      warnings,
      note,
    } satisfies CanaryPrep;
  };
  const active = canaryActive(stored?.state) ? stored!.state : undefined;
  const control = options.control;
  if (options.noCanary)
    return at(
      'skip',
      { canary: false },
      active
        ? `--no-canary: git's template is applied as the stable version now; the ${describeCanary(active, plan.steps.length)} ends`
        : "--no-canary: git's template is applied as the stable version, without a canary",
    );
  if (active) {
    const stableTemplate = active.stableTemplate;
    if (active.templateHash === gitHash)
      return at(
        'resume',
        { canary: true, stableTemplate, weight: active.weight },
        `the ${describeCanary(active, plan.steps.length)} goes on`,
        active,
        stableTemplate,
      );
    if (control === 'abort' || control === 'promote' || control === 'promote-full' || control === 'continue')
      throw new UsageError(
        `target ${target.name}: the canary under way runs the template of ${short(active.commit)}, and this checkout renders another one`,
        {
          where: { target: target.name },
          hint: `run kubeplan canary ${control === 'promote-full' ? 'promote --full' : control} from a checkout of ${active.commit}, or run kubeplan apply to restart the canary with this checkout's template`,
        },
      );
    const state = startState(
      {
        version: 1,
        target: target.name,
        workload: { kind: 'Deployment', namespace: target.namespace, name: spec.workload.name },
        commit: options.commit ?? 'unknown',
        templateHash: gitHash,
        stableRevision: active.stableRevision,
        stableTemplate,
        failedTemplates: active.failedTemplates,
      },
      plan,
      options.now,
    );
    // The old canary goes (its Deployment pruned, weight 0); the machine's first step creates the new one.
    return at(
      'restart',
      { canary: false, stableTemplate },
      `a new template: the ${describeCanary(active, plan.steps.length)} restarts with ${short(state.commit)} at step 1`,
      state,
      stableTemplate,
    );
  }
  if (control && control !== 'retry')
    throw new UsageError(`target ${target.name} has no canary under way`, {
      where: { target: target.name },
      hint: stored
        ? `its last canary (of ${short(stored.state.commit)}) ${stored.state.phase === 'Succeeded' ? 'was promoted' : 'was rolled back'}; see kubeplan canary status`
        : 'a canary starts when kubeplan apply changes the workload’s pod template',
    });
  const revisions = new RevisionStore(client, target.name, target.namespace);
  const newest = (await revisions.list()).at(-1);
  if (!newest)
    return at(
      'first-install',
      { canary: false },
      'no stable revision yet: applied without a canary (this apply stores the first one)',
    );
  const stableWorkload = (await revisions.load(newest)).find(
    (o) =>
      o.kind === 'Deployment' &&
      o.metadata.name === spec.workload.name &&
      (o.metadata.namespace ?? target.namespace) === target.namespace,
  );
  if (!stableWorkload)
    return at(
      'first-install',
      { canary: false },
      `revision ${newest.number} has no Deployment ${spec.workload.name}: applied without a canary (this apply stores the first stable version of it)`,
    );
  const stableTemplate = podTemplate(stableWorkload);
  if (templateHash(stableWorkload) === gitHash)
    return at('steady', { canary: false }, 'the pod template is the stable one: no canary');
  const failed = stored?.state.failedTemplates ?? [];
  if (failed.includes(gitHash) && control !== 'retry')
    return at(
      'held',
      { canary: false, stableTemplate },
      `this pod template failed its canary${stored?.state.message ? ` (${stored.state.message})` : ''}: the stable template of revision ${newest.number} stays; run kubeplan canary retry to try it again, or change the template`,
      undefined,
      stableTemplate,
    );
  const state = startState(
    {
      version: 1,
      target: target.name,
      workload: { kind: 'Deployment', namespace: target.namespace, name: spec.workload.name },
      commit: options.commit ?? 'unknown',
      templateHash: gitHash,
      stableRevision: newest.number,
      stableTemplate,
      failedTemplates: failed.filter((h) => h !== gitHash),
    },
    plan,
    options.now,
  );
  // The rest of the commit goes out now with the stable template; the machine's first step creates the canary.
  return at(
    'start',
    { canary: false, stableTemplate },
    `a new pod template: a canary of ${short(state.commit)} starts (${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}; the stable version is revision ${newest.number})`,
    state,
    stableTemplate,
  );
}
