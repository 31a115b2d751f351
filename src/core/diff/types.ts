import type { ResourceInfo } from '../cluster/discovery.js';
import type { HelmHook, KubeObject, SourceRef } from '../manifests/types.js';
import type { HiddenCounts } from './normalize.js';
import type { SecretKeyChange } from './secrets.js';

/**
 * `adopt`: the object exists live, outside any ApplySet, and matches git; apply only adds it to the target's inventory
 * (the `applyset.kubernetes.io/part-of` label), nothing else changes.
 */
export type Action = 'create' | 'update' | 'replace' | 'delete' | 'adopt' | 'unchanged' | 'error';
export const ACTIONS: readonly Action[] = ['create', 'update', 'replace', 'delete', 'adopt', 'unchanged', 'error'];

export type DiffMode = 'server' | 'client';

export interface ObjectError {
  message: string;
  status?: number;
  reason?: string;
  hint?: string;
}

/** What the plan does to one object. */
export interface Change {
  action: Action;
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  source?: SourceRef;
  hook?: HelmHook;
  /** Changed field paths (`spec.replicas`, `spec.template.spec.containers[name=web].image`). */
  paths: string[];
  /** One-line summaries above the raw diff. */
  digest: string[];
  /** Unified diff of the YAML, live → planned; Secret values are fingerprints. Empty when unchanged. */
  diff: string;
  /** Per-key changes of a Secret (values never appear). */
  secrets?: SecretKeyChange[];
  /** For replace: the immutable fields that force delete and re-create. */
  replaceFields?: string[];
  /** Deleting or replacing destroys data or dependent objects (Namespace, CRD, PVC, PV). */
  destructive?: boolean;
  /** Extra facts a reviewer should know (conflicts, objects not validated because their namespace is new, …). */
  notes?: string[];
  /** The live object is not in any ApplySet yet: this plan adds it to the target's inventory (adopt, or an update that also adopts). */
  joinsInventory?: boolean;
  error?: ObjectError;
  /** How the change was found: the fast path (no request), a server-side dry-run, client-side comparison, or git alone. */
  via: 'fast-path' | 'dry-run' | 'client' | 'intent';
  /** For apply, never reported: the object as it will be sent (rendered, labelled) or, for a delete, as it is live. */
  object?: KubeObject;
  /** Never reported: the live object the change was computed against (update, replace), for drift timing. */
  live?: KubeObject;
  /** For apply, never reported: how to reach the object's kind (undefined while its CRD is not yet created). */
  resource?: ResourceInfo;
}

export type Counts = Record<Action, number>;

export interface TargetPlan {
  target: string;
  namespace: string | undefined;
  changes: Change[];
  summary: Counts;
  /** Fields hidden from the diffs, by rule. */
  hidden: HiddenCounts;
  /**
   * Helm hooks apply runs around its stages (not part of the inventory), each within the policy. Reports list their
   * kind, namespace, name, phases, weight and delete policies, never their contents.
   */
  hooks?: PlannedHook[];
  /** Never reported: the repository identity apply records on the inventory. */
  repository?: string;
  /** Never reported: the config file (repository-relative) apply records on the inventory. */
  configFile?: string;
  /**
   * A target with a canary (kubeplan.yaml `canary`): where its canary stands and what merging the change does to it.
   * The target's changes are those of the canary's place (its stable track, derived Services, route weights, and the
   * canary Deployment while one runs), as apply computes them.
   */
  canary?: CanaryPlanInfo;
  /** Rights the apply this plan predicts needs and the plan's credentials lack (server mode only). */
  missingAccess?: {
    missing: { verb: string; group: string; resource: string; namespace: string | undefined }[];
    user: string | undefined;
    grant: string;
  };
}

export const CANARY_STARTS = ['steady', 'first-install', 'held', 'start', 'resume', 'restart', 'skip'] as const;

/** A canary target in a plan (README: "Canary"). */
export interface CanaryPlanInfo {
  /** What the apply of this change finds (src/core/canary/prepare.ts CanaryStart). */
  start: (typeof CANARY_STARTS)[number];
  /** One line: where the canary stands and what merging this does to it. */
  note: string;
  /** The canary under way (resume, restart): its phase, step (1-based) of steps, weight and the commit it runs. */
  state?: { phase: string; step: number; steps: number; weight: number; commit: string } | undefined;
  /**
   * start, restart, held: what the canary runs, as a unified diff of the stable pod template → git's (YAML; values of
   * the Secrets the plan saw are scrubbed).
   */
  templateDiff?: string | undefined;
}

/** The hook events apply runs, in order (Helm's install and upgrade phases); `test`, delete and rollback hooks never run. */
export const HOOK_PHASES = ['pre-install', 'pre-upgrade', 'post-install', 'post-upgrade'] as const;

export interface PlannedHook {
  object: KubeObject;
  resource: ResourceInfo | undefined;
  hook: HelmHook;
}

/** What planning cost: how many objects needed no request at all, and the requests sent. */
export interface PlanStats {
  objects: number;
  /** Objects found unchanged without any request (the fast path). */
  fastPath: number;
  /** Server-side dry-runs sent. */
  dryRuns: number;
  /** LIST requests (one per kind and namespace, plus pages). */
  lists: number;
  /** All HTTP requests to the apiserver, retries included. */
  requests: number;
}

export interface Plan {
  /** `intent`: base render → head render, from git alone (--base). */
  mode: DiffMode | 'intent';
  stats: PlanStats;
  /** The git ref the intent diff starts from (--base). */
  base?: string;
  /** With --base and a cluster: where the live cluster already differs from the base render. */
  drift?: { mode: DiffMode; targets: TargetPlan[]; summary: Counts };
  /** Why this mode (for --mode auto). */
  modeReason: string;
  /** Render and plan digests (plan binding). Absent for an intent plan. */
  digests?: import('./plan-digest.js').PlanDigests;
  /** The cluster the plan read: its server URL and kubeconfig context (no credential). Absent for an intent plan. */
  cluster?: { server: string; context?: string | undefined };
  /**
   * Named clusters (kubeplan.yaml `clusters:`): per cluster its server, its counts and, when it could not be planned
   * (unreachable, refused pin, missing credential), why. Its instances are the targets named `target@cluster`.
   */
  clusters?: ClusterSummary[];
  /**
   * Named clusters: per cluster planned, the digests of its instances (keyed by target name, with that cluster's
   * server and CA) and their canonical changes: what a plan records so the apply on merge binds each instance.
   */
  clusterDigests?: {
    cluster: string;
    digests: import('./plan-digest.js').PlanDigests;
    changes: Record<string, import('./plan-digest.js').CanonicalChange[]>;
  }[];
  /** What the reader should know about how the plan was made (a pull request that changes an opt-in). */
  notices?: string[];
  /**
   * Policies of the change as a whole, not of one object (`promote.soak`: a destination set to a version its upstream
   * has not soaked): an error fails the plan; a warning says a policy could not be checked, and why.
   */
  policy?: PolicyFinding[];
  /** The versions of helm, kubectl and kustomize the render ran (only those it ran). */
  tools?: import('../render/tool-versions.js').ToolVersions;
  targets: TargetPlan[];
  summary: Counts;
}

/** A policy finding of a plan: which policy, the target, what and why, what to do, and where it is written. */
export interface PolicyFinding {
  level: 'error' | 'warning';
  policy: 'promote.soak';
  target: string;
  message: string;
  hint: string;
  /** Repository-relative file the finding is about (the image reference, kubeplan.yaml for a chart version). */
  file?: string | undefined;
  line?: number | undefined;
}

/** The policy errors of a plan (a failed verdict). */
export function policyErrors(plan: Pick<Plan, 'policy'>): PolicyFinding[] {
  return (plan.policy ?? []).filter((p) => p.level === 'error');
}

/** One named cluster of a plan: a summary line each, and the error that kept it from being planned. */
export interface ClusterSummary {
  name: string;
  server: string;
  summary: Counts;
  error?: { message: string; hint: string | undefined } | undefined;
}

export function emptyCounts(): Counts {
  return { create: 0, update: 0, replace: 0, delete: 0, adopt: 0, unchanged: 0, error: 0 };
}

export function countChanges(changes: readonly Change[]): Counts {
  const counts = emptyCounts();
  for (const c of changes) counts[c.action]++;
  return counts;
}

export function hasChanges(counts: Counts): boolean {
  return counts.create + counts.update + counts.replace + counts.delete + counts.adopt > 0;
}

/** Merging starts (or restarts) the target's canary: a change to deploy, though its objects come after the apply. */
export function startsCanary(target: Pick<TargetPlan, 'canary'>): boolean {
  return target.canary?.start === 'start' || target.canary?.start === 'restart';
}

/** The plan deploys something: an object changes, or a canary starts (diff --exit-code, has-changes, labels). */
export function planChanges(plan: Pick<Plan, 'summary' | 'targets'>): boolean {
  return hasChanges(plan.summary) || plan.targets.some(startsCanary);
}
