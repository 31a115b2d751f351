/**
 * Moves a canary from its stored state until it ends, stops at a gate, or the run's budget is spent: ask the machine
 * what to do, do it (write the objects of a place, wait until the canary is healthy, measure), store the new state
 * (compare-and-swap) and ask again. The run holds the canary while it moves it and beats a heartbeat every few
 * seconds, so another run waits, and takes over only once this one is dead.
 */
import { hostname } from 'node:os';
import { CancelledError } from '../cancel.js';
import type { CanaryPlace } from './effective.js';
import { abort, advance, approve, type CanaryOutcome, decide, promoteNow, withFailedTemplate } from './machine.js';
import { canaryActive, type CanaryControl, type CanaryPrep, short } from './prepare.js';
import type { Measurement } from './prometheus.js';
import { CanaryHeld, type CanaryPhase, type CanaryState, type CanaryStateStore, type StoredState } from './state.js';

/** A run that has not beaten its heartbeat for this long is taken to be dead: the next run takes the canary over. */
export const STALE_AFTER_MS = 60_000;
const HEARTBEAT_MS = 10_000;

/** Who moves the canary: the CI run (a re-run of the same run resumes at once), else this host and process. */
export function runIdentity(env: NodeJS.ProcessEnv): string {
  if (env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY)
    return `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
  if (env.CI_JOB_URL) return env.CI_JOB_URL;
  return `${hostname()} pid ${process.pid}`;
}

/** What the run does for the canary's moves; the caller owns how objects are planned and written. */
export interface CanaryDriver {
  /** Plans and applies the target at `place`; `revision`: store the result as the new stable revision (promote). */
  applyAt(place: CanaryPlace, options: { revision: boolean; wait: boolean }): Promise<void>;
  /** Waits until the canary Deployment (`stable: true`: the stable one) is available, at most until `deadline`. */
  healthy(
    which: 'canary' | 'stable',
    deadline: number,
  ): Promise<{ healthy: true } | { healthy: false; reason: string; timedOut: boolean }>;
  /** One measurement per metric. */
  measure(): Promise<Measurement[]>;
  progress(message: string): void;
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export interface CanaryRunResult {
  target: string;
  phase: CanaryPhase;
  /** 1-based; the step the canary is at (or ended after). */
  step: number;
  steps: number;
  weight: number;
  commit: string;
  /** 0 promoted, 1 rolled back, 3 not finished (budget, gate, another run). */
  exitCode: 0 | 1 | 3;
  /** What happened, or why it stopped and what moves it on. */
  message: string;
  measurements: CanaryState['measurements'];
}

/** The holder's writes, one at a time: moves and heartbeats share the resourceVersion they compare against. */
class Holding {
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly store: CanaryStateStore,
    private readonly run: string,
    public state: CanaryState,
    private resourceVersion: string,
    private readonly now: () => Date,
  ) {}

  /** Stores `next` as this run's (holder and heartbeat set; none once the canary ended). */
  save(next: CanaryState): Promise<void> {
    return this.write(() => this.held(next));
  }

  private held(state: CanaryState): CanaryState {
    const ended = state.phase === 'Succeeded' || state.phase === 'Failed';
    return { ...state, holder: ended ? undefined : { run: this.run, heartbeat: this.now().toISOString() } };
  }

  /** Lets go of the canary (between runs nobody holds it). */
  release(): Promise<void> {
    this.stopBeating();
    return this.write(() => ({ ...this.state, holder: undefined }));
  }

  /** A heartbeat every few seconds: the state as it is when the write runs, with a new heartbeat. */
  beat(onError: (error: unknown) => void): void {
    this.timer = setInterval(() => {
      this.write(() => this.held(this.state)).catch(onError);
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  /**
   * One write after the ones before it; `make` runs then, so a heartbeat queued behind a move writes the moved state,
   * never the one before it.
   */
  private write(make: () => CanaryState): Promise<void> {
    const write = this.chain.then(async () => {
      const state = make();
      this.resourceVersion = await this.store.save(this.run, state, this.resourceVersion);
      this.state = state;
    });
    this.chain = write.catch(() => undefined);
    return write;
  }

  stopBeating(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * Takes the canary for this run before anything of the target is written: a new canary's state is created (or
 * replaces an ended one) by compare-and-swap; one under way is acquired (another live holder: CanaryHeld, exit 3).
 * The command's control (`canary continue`, `promote`, `abort`) is applied to the state here.
 */
export async function claimCanary(
  prep: CanaryPrep,
  run: string,
  control: CanaryControl | undefined,
  now: Date,
): Promise<StoredState | undefined> {
  const store = prep.store;
  if (prep.start === 'skip' || prep.start === 'steady' || prep.start === 'first-install' || prep.start === 'held') {
    if (prep.start !== 'skip' || !canaryActive(prep.stored?.state)) return undefined;
    // --no-canary over a canary under way: it ends, as promoted without the rest of its steps.
    const taken = await store.acquire(run, now, STALE_AFTER_MS);
    if (!taken) return undefined;
    const ended: CanaryState = {
      ...taken.state,
      phase: 'Succeeded',
      weight: 0,
      holder: undefined,
      message: "ended by --no-canary: git's template was applied as the stable version",
    };
    return { state: ended, resourceVersion: await store.save(run, ended, taken.resourceVersion) };
  }
  // Stored (resume, restart, or a start over an ended canary): taken unless another live run holds it.
  const held = prep.stored ? await store.acquire(run, now, STALE_AFTER_MS) : undefined;
  let state: CanaryState = { ...prep.state!, holder: { run, heartbeat: now.toISOString() } };
  if (prep.start === 'resume' && held) {
    if (held.state.templateHash !== prep.state?.templateHash) {
      await store.save(run, { ...held.state, holder: undefined }, held.resourceVersion);
      throw new CanaryHeld(`the canary of target ${prep.target} moved to another template while this run read it`, {
        where: { target: prep.target },
        hint: 'another run restarted it: run this command again (it then starts from the new state)',
      });
    }
    // Moved on by another run since this run read it: the place this run applies is older, so the weight is set
    // again before anything else.
    const assumed = prep.place.canary ? prep.place.weight : undefined;
    state = held.state.weight === assumed ? held.state : { ...held.state, healthy: false };
  }
  if (control === 'continue') state = approve(prep.plan, state, now);
  else if (control === 'promote-full') state = promoteNow(state, now);
  else if (control === 'promote') state = skipStep(prep, state, now);
  else if (control === 'abort') state = abort(state, now, run);
  if (held) return { state, resourceVersion: await store.save(run, state, held.resourceVersion) };
  const created = await store.write(state, undefined);
  if (created === undefined) {
    // Another run created it between this run's read and now: it holds it (CanaryHeld, exit 3), or it is done.
    await store.acquire(run, now, STALE_AFTER_MS);
    throw new CanaryHeld(`the canary of target ${prep.target} was started by another run meanwhile`, {
      where: { target: prep.target },
      hint: 'run kubeplan canary status to see it; this run wrote nothing',
    });
  }
  const resourceVersion = created;
  return { state, resourceVersion };
}

/** `kubeplan canary promote` (without --full): the current step counts as passed; the canary goes to the next one. */
function skipStep(prep: CanaryPrep, state: CanaryState, now: Date): CanaryState {
  const at = now.toISOString();
  const next = state.step + 1;
  if (next >= prep.plan.steps.length) return promoteNow(state, now);
  const gate = prep.plan.steps[next]!.approve === true;
  return {
    ...state,
    step: next,
    phase: gate ? 'Paused' : 'Progressing',
    stepStartedAt: at,
    attendedAt: at,
    lastRoundAt: undefined,
    healthy: gate ? state.healthy : false,
    counters: { ...state.counters, stepChecks: 0, consecutiveErrors: 0 },
    message: gate ? `waiting for approval at step ${next + 1}/${prep.plan.steps.length}` : undefined,
  };
}

/**
 * Moves the claimed canary until it ends, waits at a gate, or `budgetEnd` (ms since the epoch) comes. Each move is
 * stored before the next decision, so a killed run loses at most the move it was making.
 */
export async function driveCanary(
  prep: CanaryPrep,
  claimed: StoredState,
  run: string,
  budgetEnd: number,
  driver: CanaryDriver,
): Promise<CanaryRunResult> {
  const plan = prep.plan;
  const holding = new Holding(prep.store, run, claimed.state, claimed.resourceVersion, driver.now);
  let heartbeatError: unknown;
  holding.beat((error) => {
    heartbeatError ??= error;
  });
  const result = (exitCode: 0 | 1 | 3, message: string): CanaryRunResult => {
    const s = holding.state;
    return {
      target: prep.target,
      phase: s.phase,
      step: Math.min(s.step + 1, plan.steps.length),
      steps: plan.steps.length,
      weight: s.weight,
      commit: s.commit,
      exitCode,
      message,
      measurements: s.measurements,
    };
  };
  const stop = async (message: string) => {
    await holding.release();
    return result(3, message);
  };
  const stable = () => holding.state.stableTemplate;
  try {
    for (;;) {
      if (heartbeatError) throw heartbeatError;
      const now = driver.now();
      const action = decide(plan, holding.state, now);
      const store = (outcome: CanaryOutcome) => holding.save(advance(plan, holding.state, outcome, driver.now()));
      switch (action.do) {
        case 'done':
          holding.stopBeating();
          return action.phase === 'Succeeded'
            ? result(0, holding.state.message ?? 'promoted')
            : result(1, holding.state.message ?? 'the canary failed');
        case 'gate':
          return stop(`${action.message}: run kubeplan canary continue (or promote, or abort)`);
        case 'wait': {
          if (action.until.getTime() > budgetEnd)
            return stop(
              `the run's canary budget ends before ${action.why} (${action.until.toISOString()}): run kubeplan canary continue after it (a schedule does)`,
            );
          driver.progress(`canary ${prep.target}: waiting for ${action.why} until ${action.until.toISOString()}`);
          await driver.sleep(Math.max(0, action.until.getTime() - driver.now().getTime()));
          break;
        }
        case 'set-weight': {
          driver.progress(
            `canary ${prep.target}: ${action.weight} % to the canary (${describeStep(prep, holding.state)})`,
          );
          await driver.applyAt(
            { canary: true, stableTemplate: stable(), weight: action.weight },
            {
              revision: false,
              wait: false,
            },
          );
          const health = await driver.healthy('canary', budgetEnd);
          if (!health.healthy && health.timedOut && driver.now().getTime() >= budgetEnd)
            return stop(
              `the run's canary budget ran out while the canary became healthy at ${action.weight} % (${health.reason}): run kubeplan canary continue`,
            );
          await store(
            health.healthy
              ? { of: 'set-weight', healthy: true }
              : { of: 'set-weight', healthy: false, reason: health.reason },
          );
          break;
        }
        case 'measure': {
          const round = await driver.measure();
          for (const m of round)
            driver.progress(
              `canary ${prep.target}: ${m.metric} ${m.result}${'value' in m ? ` (${m.value})` : ''}${'reason' in m ? `: ${m.reason}` : ''}`,
            );
          await store({ of: 'measure', round });
          break;
        }
        case 'promote': {
          driver.progress(`canary ${prep.target}: promoting: the stable Deployment takes the new template`);
          // Stable takes git's template and becomes healthy while the canary still serves its share; then the
          // weights go back to stable and the ApplySet prunes the canary Deployment, and the revision is stored.
          const git = prep.git.find(
            (m) => m.object.kind === 'Deployment' && m.object.metadata.name === prep.spec.workload.name,
          );
          const gitTemplate = (git?.object.spec as { template?: unknown } | undefined)?.template;
          await driver.applyAt(
            { canary: true, stableTemplate: gitTemplate, weight: holding.state.weight },
            { revision: false, wait: true },
          );
          await driver.applyAt({ canary: false }, { revision: true, wait: true });
          await store({ of: 'promote' });
          break;
        }
        case 'rollback': {
          driver.progress(`canary ${prep.target}: rolling back: ${action.reason}`);
          await driver.applyAt({ canary: true, stableTemplate: stable(), weight: 0 }, { revision: false, wait: false });
          await driver.applyAt({ canary: false, stableTemplate: stable() }, { revision: false, wait: true });
          await store({ of: 'rollback' });
          break;
        }
      }
    }
  } catch (error) {
    holding.stopBeating();
    if (!(error instanceof CancelledError)) await holding.release().catch(() => undefined);
    throw error;
  } finally {
    holding.stopBeating();
  }
}

function describeStep(prep: CanaryPrep, state: CanaryState): string {
  return `step ${Math.min(state.step + 1, prep.plan.steps.length)}/${prep.plan.steps.length}`;
}

/**
 * `kubeplan rollback` of a canary target while a canary is under way: the canary is taken first (another live run
 * moving it stops the rollback before anything is written, exit 3), and once the rollback is done it ends as rolled
 * back, its template held back like a failed one. Undefined when no canary is under way.
 */
export async function takeCanaryForRollback(store: CanaryStateStore, run: string, now: Date) {
  const stored = await store.read();
  if (!stored || !canaryActive(stored.state)) return undefined;
  const taken = await store.acquire(run, now, STALE_AFTER_MS);
  if (!taken) return undefined;
  const { state, resourceVersion } = taken;
  const commit = short(state.commit);
  return {
    async end(revision: number): Promise<string> {
      await store.save(
        run,
        {
          ...state,
          phase: 'Failed',
          weight: 0,
          holder: undefined,
          message: `ended by kubeplan rollback to revision ${revision}`,
          failedTemplates: withFailedTemplate(state),
        },
        resourceVersion,
      );
      return `the canary of ${commit} ended with this rollback: its pod template is held back until kubeplan canary retry or a commit that changes it`;
    },
    async release(): Promise<void> {
      await store.save(run, { ...state, holder: undefined }, resourceVersion).catch(() => undefined);
    },
  };
}
