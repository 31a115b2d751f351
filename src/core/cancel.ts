import { KubeplanError, type Where } from './errors.js';

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/**
 * Cancellation: the entry point turns SIGINT/SIGTERM into an aborted AbortSignal (its reason the signal's name); the
 * core checks it before every write and while it waits, and stops with a CancelledError.
 */
export class CancelledError extends KubeplanError {
  /** 130 for SIGINT, 143 for SIGTERM (128 + the signal number), as shells report a process a signal stopped. */
  override readonly exitCode: number;
  /** One short line of what was written when it stopped (`1 of 3 objects written, 0 of 1 prunes`), for statuses. */
  readonly progress: string | undefined;

  constructor(
    readonly signalName: string,
    message: string,
    details: { where?: Where | undefined; hint?: string | undefined; progress?: string | undefined } = {},
  ) {
    super(message, details);
    this.progress = details.progress;
    this.exitCode = 128 + (SIGNAL_NUMBERS[signalName] ?? 15);
  }
}

/** The signal's name (`SIGTERM`) when it was aborted by one, else `cancel`. */
export function cancelReason(signal: AbortSignal): string {
  return typeof signal.reason === 'string' && signal.reason.startsWith('SIG') ? signal.reason : 'cancel';
}

/** Throws a CancelledError when `signal` is aborted; `doing` says what was about to happen (for the message). */
export function throwIfCancelled(signal: AbortSignal | undefined, doing: string): void {
  if (!signal?.aborted) return;
  const reason = cancelReason(signal);
  throw new CancelledError(reason, `cancelled (${reason}) before ${doing}`);
}

/** Waits `ms`, or less when `signal` is aborted meanwhile (then throws a CancelledError). */
export async function sleepUnlessCancelled(ms: number, signal: AbortSignal | undefined, doing: string): Promise<void> {
  throwIfCancelled(signal, doing);
  if (signal) await waitForAbort(signal, ms);
  else await new Promise<void>((resolve) => setTimeout(resolve, ms));
  throwIfCancelled(signal, doing);
}

/**
 * For entry points: SIGINT and SIGTERM abort the returned signal (its reason the signal's name) and call `onSignal`
 * with how many signals came so far, so the entry can clean up and decide whether to wait for the core to stop.
 * `dispose` removes the handlers.
 */
export function abortOnSignals(onSignal: (name: NodeJS.Signals, count: number, exitCode: number) => void): {
  signal: AbortSignal;
  dispose(): void;
} {
  const controller = new AbortController();
  let count = 0;
  const handler = (name: NodeJS.Signals) => {
    count++;
    if (!controller.signal.aborted) controller.abort(name);
    onSignal(name, count, 128 + (SIGNAL_NUMBERS[name] ?? 15));
  };
  const names: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const n of names) process.on(n, handler);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const n of names) process.off(n, handler);
    },
  };
}

/** Resolves when `signal` is aborted, or after `ms` (whichever comes first); at once without a signal. */
export function waitForAbort(signal: AbortSignal | undefined, ms: number): Promise<void> {
  if (!signal || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
