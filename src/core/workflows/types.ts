import type { Annotation, CiContext, Ports } from '../../platform/types.js';
import type { ClusterOptions } from '../commands/cluster-run.js';
import type { Where } from '../errors.js';
import type { ToolOverrides } from '../render/tools.js';
import type { SecretMask } from '../report/secret-mask.js';

/** What every workflow gets besides its request: the run, the ports, and what the adapter resolved. */
export interface WorkflowRun {
  ctx: CiContext;
  ports: Ports;
  /** The config repository's folder (the action's working-directory, the job's project folder). */
  workingDirectory: string;
  env: NodeJS.ProcessEnv;
  tools: ToolOverrides;
  /** Every credential of this run: nothing a workflow writes to a forge, an output or a summary carries one. */
  secrets: SecretMask;
  /** kubeplan's version, recorded on what apply writes. */
  version: string;
  /** Aborted when the run is cancelled. */
  signal?: AbortSignal | undefined;
  /**
   * How this run reaches its cluster, resolved by the adapter (kubeconfig input, OIDC, GitLab agent); undefined when
   * it has none. `inputs` names what gives one, for messages.
   */
  cluster: { options: ClusterOptions | undefined; inputs: string };
  /** Where an input is given, for errors (`action input kubeconfig`, `kubeplan ci --kubeconfig`): the request source's. */
  where: (name: string) => Where;
}

/** What a workflow hands back to the adapter, which writes it to the runner. */
export interface Outcome {
  /** Step outputs (already masked). */
  outputs: Record<string, string>;
  /** Job summary markdown (already masked); empty for none. */
  summary: string;
  /** Set when the step must fail, with the one line that says why. */
  failed?: string | undefined;
  annotations: Annotation[];
  /** An error to report after the outputs and summary are written (a failed apply still reports what it wrote). */
  error?: unknown;
}

export function emptyOutcome(): Outcome {
  return { outputs: {}, summary: '', annotations: [] };
}

/**
 * A write to the forge that is a report, not the work: a token without the permission (403, 404) is a warning that
 * names it, since the report is in the job summary anyway. Any other failure (422, a forge that stays down) fails.
 */
export async function reportOrWarn<T>(
  run: Pick<WorkflowRun, 'ports'>,
  what: string,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status !== 401 && status !== 403 && status !== 404) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const hint = (error as { hint?: string }).hint;
    run.ports.reporter.warn(`cannot ${what} (${message}); the report is in the job summary.${hint ? ` ${hint}` : ''}`);
    return undefined;
  }
}

/** Reports to the forge that must never stop the work they report on (deployment statuses during an apply). */
export async function neverFail(run: Pick<WorkflowRun, 'ports'>, what: string, fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch (error) {
    const hint = (error as { hint?: string }).hint;
    run.ports.reporter.warn(
      `cannot ${what}: ${error instanceof Error ? error.message : String(error)}${hint ? ` (${hint})` : ''}`,
    );
  }
}
