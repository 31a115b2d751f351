/**
 * A canary's place, kept in the cluster so that a killed CI job loses nothing: a ConfigMap next to the target's
 * inventory (`kubeplan-canary-<target>`, never part of the ApplySet, so no prune touches it), written only with
 * compare-and-swap on its resourceVersion. The run that moves the canary holds it (its run URL and a heartbeat); another
 * run finds it held and stops (exit 3) until the heartbeat is older than the staleness limit, when it takes over.
 */
import type { ClusterClient } from '../cluster/client.js';
import { ClusterError, KubeplanError } from '../errors.js';
import type { AnalysisCounters } from './analysis.js';

export const STATE_KEY = 'state.json';
export const CANARY_OF = 'kubeplan.dev/canary-of';
/** Failed templates remembered so the same template is not canaried again (`canary retry` clears them). */
const FAILED_TEMPLATES_KEPT = 20;
const MEASUREMENTS_KEPT = 30;

export type CanaryPhase = 'Progressing' | 'Paused' | 'Promoting' | 'RollingBack' | 'Succeeded' | 'Failed';

export interface CanaryState {
  version: 1;
  target: string;
  workload: { kind: string; namespace: string; name: string };
  /** The commit whose pod template the canary runs. */
  commit: string;
  /** sha256 of the canary's pod template (what "the same template" means). */
  templateHash: string;
  /** The rollback revision that holds the stable version. */
  stableRevision: number | undefined;
  /** The stable pod template (from that revision's bundle): what the stable Deployment runs while the canary lasts. */
  stableTemplate: unknown;
  phase: CanaryPhase;
  /** Index into the canary's steps. */
  step: number;
  /** The weight the route (or the replica share) was last set to, 0–100. */
  weight: number;
  /** The canary was healthy at `weight` (set by the run that wrote it; a new step starts unhealthy). */
  healthy?: boolean | undefined;
  /** When the step's last measurement round was taken: the next waits an interval. */
  lastRoundAt?: string | undefined;
  startedAt: string;
  stepStartedAt: string;
  /** When a run last looked after the canary: past `maxUnattended` the next run rolls back. */
  attendedAt: string;
  counters: AnalysisCounters;
  /** The newest measurements (bounded), for `canary status` and the plan comment. */
  measurements: { metric: string; result: string; value?: number | undefined; at: string }[];
  /** Who moves the canary now; absent between runs. */
  holder?: { run: string; heartbeat: string } | undefined;
  /** Templates that failed and are not canaried again until `canary retry` or a new commit changes them. */
  failedTemplates: string[];
  /** Why the phase is what it is (a failed metric, an approval gate, an abort). */
  message?: string | undefined;
}

/** Another run holds the canary: not an error of this run's input, so exit 3 ("not finished"). */
export class CanaryHeld extends KubeplanError {
  override readonly exitCode: number = 3;
}

/** The stored state is not kubeplan's (edited by hand, another version): named, with the way out. */
export class CanaryStateError extends KubeplanError {}

export interface StoredState {
  state: CanaryState;
  resourceVersion: string;
}

interface ConfigMapBody {
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

export class CanaryStateStore {
  readonly name: string;
  constructor(
    private readonly client: ClusterClient,
    readonly target: string,
    readonly namespace: string,
  ) {
    this.name = `kubeplan-canary-${target}`;
  }

  private get path(): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/configmaps`;
  }

  private get where() {
    return { object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: this.namespace, name: this.name } };
  }

  /** The stored state, or undefined when no canary of this target was ever started. */
  async read(): Promise<StoredState | undefined> {
    let body: ConfigMapBody;
    try {
      ({ body } = await this.client.request<ConfigMapBody>('GET', `${this.path}/${encodeURIComponent(this.name)}`));
    } catch (error) {
      if (error instanceof ClusterError && error.status === 404) return undefined;
      throw error;
    }
    return { state: this.parse(body), resourceVersion: body.metadata.resourceVersion ?? '' };
  }

  private parse(body: ConfigMapBody): CanaryState {
    const text = body.data?.[STATE_KEY];
    const broken = (why: string) =>
      new CanaryStateError(`the canary state of target ${this.target} ${why}`, {
        where: this.where,
        hint: `kubeplan wrote it; if it was edited by hand, restore it or delete the ConfigMap (kubectl delete configmap ${this.name} -n ${this.namespace}) after making sure no canary is under way`,
      });
    if (text === undefined) throw broken(`has no ${STATE_KEY}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw broken(`in ${STATE_KEY} is not JSON`);
    }
    const s = parsed as Partial<CanaryState> | null;
    if (!s || typeof s !== 'object' || s.version !== 1)
      throw broken(`is of another version (${JSON.stringify((s as { version?: unknown } | null)?.version)})`);
    if (s.target !== this.target) throw broken(`names another target (${JSON.stringify(s.target)})`);
    for (const key of ['commit', 'templateHash', 'phase', 'startedAt', 'stepStartedAt', 'attendedAt'] as const)
      if (typeof s[key] !== 'string') throw broken(`lacks ${key}`);
    if (typeof s.step !== 'number' || typeof s.weight !== 'number') throw broken('lacks step or weight');
    if (s.stableTemplate === null || typeof s.stableTemplate !== 'object') throw broken('lacks stableTemplate');
    return {
      ...(s as CanaryState),
      failedTemplates: Array.isArray(s.failedTemplates) ? s.failedTemplates : [],
      measurements: Array.isArray(s.measurements) ? s.measurements : [],
    };
  }

  /**
   * Writes `state` if the stored one is still `expected` (undefined: none stored yet). Returns the new
   * resourceVersion; a 409 (changed or created meanwhile) is `undefined`: the caller reads again and decides.
   */
  async write(state: CanaryState, expected: string | undefined): Promise<string | undefined> {
    const bounded: CanaryState = {
      ...state,
      failedTemplates: state.failedTemplates.slice(-FAILED_TEMPLATES_KEPT),
      measurements: state.measurements.slice(-MEASUREMENTS_KEPT),
    };
    const body: ConfigMapBody & { apiVersion: string; kind: string } = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { [CANARY_OF]: this.target },
        ...(expected !== undefined ? { resourceVersion: expected } : {}),
      },
      data: { [STATE_KEY]: `${JSON.stringify(bounded, null, 2)}\n` },
    };
    try {
      const { body: written } =
        expected === undefined
          ? await this.client.request<ConfigMapBody>('POST', this.path, { body, conflictIsAnswer: true })
          : await this.client.request<ConfigMapBody>('PUT', `${this.path}/${encodeURIComponent(this.name)}`, {
              body,
              conflictIsAnswer: true,
            });
      return written.metadata.resourceVersion ?? '';
    } catch (error) {
      if (error instanceof ClusterError && error.status === 409) return undefined;
      throw error;
    }
  }

  /**
   * Takes the canary for `run`: stored state held by nobody, by `run` itself, or by a run whose heartbeat is older than
   * `staleAfterMs` (a killed job). Another live holder is CanaryHeld. Returns the state as taken (holder set), or
   * undefined when there is none (the caller starts a canary with `write(…, undefined)`).
   */
  async acquire(run: string, now: Date, staleAfterMs: number): Promise<StoredState | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = await this.read();
      if (!stored) return undefined;
      const holder = stored.state.holder;
      if (holder && holder.run !== run) {
        const age = now.getTime() - Date.parse(holder.heartbeat);
        if (!(age > staleAfterMs))
          throw new CanaryHeld(
            `the canary of target ${this.target} is moved by another run (${holder.run}, heartbeat ${Math.max(0, Math.round(age / 1000))} s ago)`,
            {
              where: this.where,
              hint: `wait for that run to finish; a run that died is taken over once its heartbeat is ${Math.round(staleAfterMs / 1000)} s old`,
            },
          );
      }
      const state: CanaryState = { ...stored.state, holder: { run, heartbeat: now.toISOString() } };
      const resourceVersion = await this.write(state, stored.resourceVersion);
      if (resourceVersion !== undefined) return { state, resourceVersion };
      // Changed meanwhile: read again; whoever won holds it now, or it moved on.
    }
    throw new CanaryHeld(`the canary state of target ${this.target} kept changing while kubeplan tried to take it`, {
      where: this.where,
      hint: 'another run is moving the canary: wait for it to finish',
    });
  }

  /**
   * Stores `state` as the holder `run`: a CAS write from `expected`. When the stored state changed meanwhile and is
   * no longer held by `run`, the canary was taken over (this run was thought dead): CanaryHeld, and this run stops.
   */
  async save(run: string, state: CanaryState, expected: string): Promise<string> {
    const resourceVersion = await this.write(state, expected);
    if (resourceVersion !== undefined) return resourceVersion;
    const now = await this.read();
    throw new CanaryHeld(
      `the canary of target ${this.target} was taken over${now?.state.holder ? ` by ${now.state.holder.run}` : ''} while this run (${run}) moved it`,
      { where: this.where, hint: 'this run stops; the run that holds it now goes on from the stored state' },
    );
  }
}
